"""A provider declares a dataset and loads its records into the store, where they are kept encrypted, found by
any usual typing of an identifier, replaced whole by the next load, and listed in the directory."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select

from govplatform.app import register_components
from govplatform.core.interfaces import ParseLimits
from govplatform.core.models import AuditEvent
from govplatform.core.platform import Platform
from govplatform.exchange import dataset_files
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.models import DatasetVersion, Record, RecordSubject
from govplatform.exchange.services import datasets, record_store
from govplatform.exchange.services.datasets import DatasetError, DatasetView
from govplatform.exchange.services.record_store import LoadRefused
from tests.helpers import CLI
from tests.integration.exchange.support import organisation
from tests.unit.exchange.test_datasets_schema import VEHICLES

KEEPERS = (
    b"subject:driving-licence,subject:nino,registration,make,colour\n"
    b"MORGA657054SM9IJ,AB123456C,AB12 CDE,FORD,Blue\n"
    b"JONES710238SJ9AB,,XY34 FGH,VAUXHALL,Silver\n"
)


def _exchange(platform: Platform) -> ExchangeComponent:
    register_components(platform)
    component: ExchangeComponent = platform.components["exchange"]
    return component


async def _declare(platform: Platform, name: str = "Vehicle keepers") -> DatasetView:
    agency = await organisation(platform, "Vehicle Licensing Agency")
    async with platform.uow() as uow:
        made = await datasets.declare(uow, CLI, agency, name, VEHICLES, ["driving-licence", "nino"])
        await uow.commit()
    return made


async def _load(
    platform: Platform, dataset: DatasetView, data: bytes, name: str = "keepers.csv"
) -> record_store.Loaded:
    exchange = _exchange(platform)
    async with platform.uow() as uow:
        loaded = await record_store.load(uow, CLI, exchange.box, exchange.hash_secret, dataset.id, name, data)
        exchange.directory.forget_after(uow)
        await uow.commit()
    return loaded


async def _lookup(platform: Platform, dataset: DatasetView, scheme: str, value: str) -> record_store.FoundRecord | None:
    exchange = _exchange(platform)
    async with platform.uow(read_only=True) as uow:
        return await record_store.lookup(uow, exchange.box, exchange.hash_secret, dataset.id, scheme, value)


async def test_records_are_found_by_any_of_their_identifiers_and_kept_encrypted(platform: Platform) -> None:
    dataset = await _declare(platform)
    loaded = await _load(platform, dataset, KEEPERS)
    assert (loaded.version, loaded.record_count) == (1, 2)
    found = await _lookup(platform, dataset, "nino", "AB123456C")
    assert found is not None and found.fields == {"registration": "AB12 CDE", "make": "FORD", "colour": "Blue"}
    by_licence = await _lookup(platform, dataset, "driving-licence", "MORGA657054SM9IJ")
    assert by_licence is not None and by_licence.fields == found.fields and by_licence.version == 1
    assert await _lookup(platform, dataset, "nino", "AB123456D") is None
    assert await _lookup(platform, dataset, "driving-licence", "AB123456C") is None  # a number under another scheme

    async with platform.uow(read_only=True) as uow:
        stored = list(await uow.session.scalars(select(Record.fields_encrypted)))
        hashes = list(await uow.session.scalars(select(RecordSubject.subject_hash)))
    assert len(stored) == 2 and not any("FORD" in text or "AB12" in text for text in stored)
    assert len(hashes) == 3 and not any("AB123456C" in value or "MORGA" in value for value in hashes)


async def test_a_new_load_replaces_the_records_whole_and_each_loads_history_is_kept(platform: Platform) -> None:
    dataset = await _declare(platform)
    await _load(platform, dataset, KEEPERS)
    second = await _load(platform, dataset, b"subject:nino,registration\nAB123456D,ZZ99 ZZZ\n")
    assert (second.version, second.record_count) == (2, 1)
    assert await _lookup(platform, dataset, "nino", "AB123456C") is None
    found = await _lookup(platform, dataset, "nino", "AB123456D")
    assert found is not None and found.fields == {"registration": "ZZ99 ZZZ"} and found.version == 2
    async with platform.uow(read_only=True) as uow:
        history = [(v.version, v.record_count) for v in await datasets.versions(uow, dataset.id)]
        count = len(list(await uow.session.scalars(select(Record.id))))
        events = list(await uow.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("exchange.%"))))
    assert history == [(1, 2), (2, 1)] and count == 1
    assert sorted(events) == ["exchange.dataset_declared", "exchange.dataset_loaded", "exchange.dataset_loaded"]


async def test_a_file_with_bad_records_loads_nothing_and_names_them(platform: Platform) -> None:
    dataset = await _declare(platform)
    await _load(platform, dataset, KEEPERS)
    with pytest.raises(LoadRefused) as refused:
        await _load(platform, dataset, b"subject:nino,registration\nAB123456D,OK\nAB-12,FINE\n,NOBODY\n")
    assert refused.value.problems[0].startswith("Row 3: a nino identifier is") and len(refused.value.problems) == 2
    assert (await _lookup(platform, dataset, "nino", "AB123456C")) is not None  # the earlier version still answers
    async with platform.uow(read_only=True) as uow:
        assert [v.version for v in await uow.session.scalars(select(DatasetVersion))] == [1]


async def test_a_file_past_the_size_limit_is_refused_before_it_is_read(platform: Platform) -> None:
    dataset = await _declare(platform)
    with pytest.raises(LoadRefused, match="larger than 20 MB"):
        await _load(platform, dataset, b"subject:nino,registration\n" + b"AB123456C,X\n" * 2_000_000)


async def test_datasets_are_refused_for_a_taken_name_or_unknown_organisation(platform: Platform) -> None:
    dataset = await _declare(platform)
    async with platform.uow() as uow:
        with pytest.raises(DatasetError, match="already has a dataset"):
            await datasets.declare(uow, CLI, dataset.organisation_id, "Vehicle  keepers", VEHICLES, ["nino"])
        with pytest.raises(DatasetError, match="no organisation"):
            await datasets.declare(uow, CLI, uuid.uuid4(), "Keepers", VEHICLES, ["nino"])
        with pytest.raises(DatasetError, match="subject schemes"):
            await datasets.declare(uow, CLI, dataset.organisation_id, "Other", VEHICLES, ["email"])
        with pytest.raises(DatasetError, match="no dataset"):
            await record_store.load(uow, CLI, platform.cipher, "secret", uuid.uuid4(), "a.csv", KEEPERS)


async def test_the_directory_lists_each_providers_datasets_and_the_data_items_are_public(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    dataset = await _declare(platform)
    await _load(platform, dataset, KEEPERS)
    member = (await client.get("/exchange/directory")).json()["members"][0]
    assert member["name"] == "Vehicle Licensing Agency" and member["keys"] == []
    [offered] = member["datasets"]
    assert offered["id"] == str(dataset.id) and offered["version"] == 1 and offered["source"] == "records"
    assert offered["subject_schemes"] == ["driving-licence", "nino"]
    assert [(f["name"], f["data_item"]) for f in offered["fields"]][:2] == [
        ("registration", "vehicle-registration"),
        ("make", "vehicle-make"),
    ]
    items = (await client.get("/exchange/data-items")).json()["data_items"]
    assert {"id": "vehicle-make"}.items() <= next(i for i in items if i["id"] == "vehicle-make").items()


async def test_a_file_that_takes_more_than_the_limits_to_read_is_stopped_and_refused_plainly(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = await _declare(platform)
    monkeypatch.setattr(dataset_files, "LIMITS", ParseLimits(cpu_seconds=1, wall_seconds=0.2))
    rows = b"".join(b"AB%06dC,REG%05d\n" % (n, n % 99999) for n in range(150_000))
    with pytest.raises(LoadRefused, match="could not be read within the limits"):
        await _load(platform, dataset, b"subject:nino,registration\n" + rows)
