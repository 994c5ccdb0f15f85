"""Members register public keys, retire them, and find every member's keys in the signed directory."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import InvalidSignature
from sqlalchemy import select

from govplatform.app import register_components
from govplatform.core.models import AuditEvent
from govplatform.core.platform import Platform
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.services import members
from govplatform.exchange.services.members import MemberError
from tests.helpers import CLI
from tests.integration.exchange.support import gateway_signed, organisation, raw


def _exchange(platform: Platform) -> ExchangeComponent:
    register_components(platform)  # as the composition root does (once: it returns if already done)
    component: ExchangeComponent = platform.components["exchange"]
    return component


async def _register(platform: Platform, org: uuid.UUID, key: Ed25519PrivateKey) -> members.MemberKeyView:
    async with platform.uow() as uow:
        made = await members.register_key(uow, CLI, org, raw(key))
        _exchange(platform).directory.forget_after(uow)
        await uow.commit()
    return made


async def test_the_directory_lists_each_members_keys_and_is_signed_by_a_gateway_key_it_publishes(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    council = await organisation(platform, "Anytown Council")
    agency = await organisation(platform, "Vehicle Licensing Agency")
    await organisation(platform, "A body that takes no part")
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    council_key = await _register(platform, council, first)
    agency_key = await _register(platform, agency, second)
    assert council_key.key_id.startswith(f"{council}/") and len(council_key.kid) == 43

    response = await client.get("/exchange/directory")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    document = response.json()
    assert [member["name"] for member in document["members"]] == ["Anytown Council", "Vehicle Licensing Agency"]
    council_entry = document["members"][0]
    assert council_entry["organisation_id"] == str(council)
    assert [(key["kid"], key["state"], key["crv"]) for key in council_entry["keys"]] == [
        (council_key.key_id, "current", "Ed25519")
    ]
    assert document["members"][1]["keys"][0]["kid"] == agency_key.key_id
    gateway = document["gateway"]["keys"]
    assert sorted(key["state"] for key in gateway) == ["next", "signing"]
    signing = next(key["kid"] for key in gateway if key["state"] == "signing")
    assert gateway_signed(response, gateway) == signing and signing.startswith("gateway/")

    tampered = httpx.Response(200, headers=response.headers, content=response.content.replace(b"Anytown", b"Othertown"))
    with pytest.raises(InvalidSignature):
        gateway_signed(tampered, gateway)


async def test_a_retired_key_stays_in_the_directory_marked_retired_and_cannot_be_retired_twice(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    council = await organisation(platform, "Anytown Council")
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    old_key = await _register(platform, council, old)
    new_key = await _register(platform, council, new)
    async with platform.uow() as uow:
        await members.retire_key(uow, CLI, old_key.key_id)
        _exchange(platform).directory.forget_after(uow)
        await uow.commit()
    states = {
        key["kid"]: key["state"] for key in (await client.get("/exchange/directory")).json()["members"][0]["keys"]
    }
    assert states == {old_key.key_id: "retired", new_key.key_id: "current"}
    async with platform.uow() as uow:
        with pytest.raises(MemberError, match="already retired"):
            await members.retire_key(uow, CLI, old_key.key_id)
        events = list(await uow.session.scalars(select(AuditEvent).where(AuditEvent.action.like("exchange.%"))))
    assert sorted(event.action for event in events) == [
        "exchange.key_registered",
        "exchange.key_registered",
        "exchange.key_retired",
    ]
    assert {event.target_id for event in events} == {old_key.kid, new_key.kid}
    assert {event.detail["key_id"] for event in events} == {old_key.key_id, new_key.key_id}


async def test_keys_are_refused_for_an_unknown_organisation_twice_over_or_when_not_a_key(platform: Platform) -> None:
    council = await organisation(platform, "Anytown Council")
    key = Ed25519PrivateKey.generate()
    await _register(platform, council, key)
    async with platform.uow() as uow:
        with pytest.raises(MemberError, match="already registered"):
            await members.register_key(uow, CLI, council, raw(key))
        with pytest.raises(MemberError, match="no organisation"):
            await members.register_key(uow, CLI, uuid.uuid4(), raw(Ed25519PrivateKey.generate()))
        with pytest.raises(MemberError, match="32 bytes"):
            await members.register_key(uow, CLI, council, b"\x01" * 31)
        with pytest.raises(MemberError, match="no registered key"):
            await members.retire_key(uow, CLI, f"{council}/{'A' * 43}")
        with pytest.raises(MemberError, match="no registered key"):
            await members.retire_key(uow, CLI, "not a key id")


async def test_a_gateway_rotation_keeps_the_old_key_published_and_signs_with_the_one_published_as_next(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    before = (await client.get("/exchange/directory")).json()["gateway"]["keys"]
    waiting = next(key["kid"] for key in before if key["state"] == "next")
    old = next(key["kid"] for key in before if key["state"] == "signing")
    exchange = _exchange(platform)
    async with platform.uow() as uow:
        signing = await exchange.gateway_keys.rotate(uow)
        exchange.directory.forget_after(uow)
        await uow.commit()
    assert signing == waiting
    response = await client.get("/exchange/directory")
    after = response.json()["gateway"]["keys"]
    states = {key["kid"]: key["state"] for key in after}
    assert states[old] == "retired" and states[waiting] == "signing" and list(states.values()).count("next") == 1
    assert gateway_signed(response, after) == waiting
    assert json.loads(response.content)["issuer"] == platform.settings.base_url.rstrip("/")
