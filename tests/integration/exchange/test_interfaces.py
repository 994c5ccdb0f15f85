"""What forms and identity use of the exchange in-process: which agreements can supply a data item, and a query
for a platform service, asked and signed by the gateway and logged as asked by the platform for that service."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from govplatform.core.platform import Platform
from govplatform.core.services import tenancy
from govplatform.core.services.staff import ServiceDirectory
from govplatform.exchange.interfaces import ExchangeRefused, HeldAnswer, ask_for_service, suppliers
from govplatform.exchange.models import Query
from govplatform.exchange.services import agreements
from govplatform.transparency.models import PendingEntry
from tests.helpers import CLI
from tests.integration.exchange.world import World, make_world


async def _service(platform: Platform, organisation_id: uuid.UUID, name: str = "Parking permits") -> uuid.UUID:
    async with platform.uow() as uow:
        made = await tenancy.create_service(uow, CLI, organisation_id, name)
        await uow.commit()
    return made.id


async def _ask(world: World, service_id: uuid.UUID, **changes: object) -> HeldAnswer:
    asked: dict = {"service_id": service_id, "agreement_id": world.agreement, "purpose": "resident-parking-permits",
                   "scheme": "driving-licence", "value": "MORGA657054SM9IJ", "fields": ["make", "colour"]}  # fmt: skip
    asked.update(changes)
    return await ask_for_service(world.exchange, ServiceDirectory(), **asked)


async def test_the_agreements_that_can_supply_a_data_item_are_found_for_the_consumer_only(platform: Platform) -> None:
    world = await make_world(platform)
    [make] = await suppliers(world.exchange, world.council, "vehicle-make")
    assert (make.agreement_id, make.field, make.provider.name) == (world.agreement, "make", "Vehicle Licensing Agency")
    assert await suppliers(world.exchange, world.council, "vehicle-make", purpose="resident-parking-permits")
    assert await suppliers(world.exchange, world.council, "vehicle-make", purpose="council-tax") == []
    assert await suppliers(world.exchange, world.council, "blue-badge-holder") == []  # in the dataset, not agreed
    assert await suppliers(world.exchange, world.agency, "vehicle-make") == []
    async with platform.uow() as uow:
        await agreements.suspend(uow, world.exchange.log, world.agreement, "cdo@agency.example.gov.uk")
        await uow.commit()
    assert await suppliers(world.exchange, world.council, "vehicle-make") == []


async def test_a_service_asks_through_the_gateway_and_the_log_says_the_platform_asked_for_it(
    platform: Platform,
) -> None:
    world = await make_world(platform)
    service = await _service(platform, world.council)
    held = await _ask(world, service)
    assert held.values == {"make": "FORD", "colour": "Blue"} and held.provider.name == "Vehicle Licensing Agency"
    absent = await _ask(world, service, value="JONES710238SJ9AB")
    assert absent.values is None and absent.leaf_hash != held.leaf_hash
    async with platform.uow(read_only=True) as uow:
        rows = list(await uow.session.scalars(select(Query)))
        entries = [json.loads(p.data) for p in await uow.session.scalars(select(PendingEntry))]
    assert {(row.key_id, row.service_id, row.outcome) for row in rows} == {("gateway", service, "answered")}
    uses = [entry for entry in entries if entry["type"] == "data-use"]
    assert uses[0]["who"]["service"] == {"id": str(service), "name": "Parking permits"}
    assert uses[0]["via"]["asked_by"] == "platform"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"purpose": "council-tax"}, "purpose_mismatch"),
        ({"fields": ["make", "vin"]}, "field_not_agreed"),
        ({"fields": []}, "body_invalid"),
        ({"value": "MORGA-657054"}, "subject_invalid"),
        ({"agreement_id": uuid.UUID(int=3)}, "agreement_unknown"),
    ],
)
async def test_a_service_query_outside_the_agreement_is_refused_with_the_apis_code_and_recorded(
    platform: Platform, changes: dict[str, object], code: str
) -> None:
    world = await make_world(platform)
    service = await _service(platform, world.council)
    with pytest.raises(ExchangeRefused) as refused:
        await _ask(world, service, **changes)
    assert refused.value.code == code
    if code != "body_invalid":
        async with platform.uow(read_only=True) as uow:
            assert [row.outcome for row in await uow.session.scalars(select(Query))] == [code]


async def test_a_service_of_another_body_cannot_ask_under_the_councils_agreement(platform: Platform) -> None:
    world = await make_world(platform)
    other = await _service(platform, world.agency, "Agency's own service")
    with pytest.raises(ExchangeRefused) as refused:
        await _ask(world, other)
    assert refused.value.code == "not_a_party"
