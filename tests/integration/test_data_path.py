"""The unit of work's data path: prebuilt statements by Core or the driver, in the unit's transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from govplatform.core.data_path import Prebuilt
from govplatform.core.models import Organisation, Service
from govplatform.core.platform import Platform, build_platform
from govplatform.core.web.errors import database_refusal
from tests.conftest import is_postgres, make_settings

pytestmark = pytest.mark.process

organisations = Organisation.__table__.c
ADD_ORGANISATION = Prebuilt(
    insert(Organisation.__table__)
    .values(id=bindparam("id"), name=bindparam("name"), created_at=bindparam("created_at"))
    .returning(organisations.id, organisations.created_at)
)
ORGANISATION = Prebuilt(
    select(organisations.id, organisations.name, organisations.created_at).where(organisations.id == bindparam("id"))
)
NAMED = Prebuilt(
    select(func.count()).select_from(Organisation.__table__).where(organisations.name == bindparam("name"))
)


@pytest.fixture
async def platform(fresh_database: str, var_dir: Path) -> AsyncIterator[Platform]:
    """A platform on a database of its own, with real transactions (not the tests' rolled-back outer one)."""
    platform = build_platform(make_settings(var_dir, fresh_database))
    yield platform
    await platform.dispose()


async def test_a_prebuilt_statement_by_the_driver_answers_as_sqlalchemy_core_does(platform: Platform) -> None:
    made = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)
    organisation_id = uuid.uuid4()
    async with platform.uow() as uow:
        added = await uow.fetch_first(ADD_ORGANISATION, id=organisation_id, name="Borsetshire", created_at=made)
        await uow.commit()
    assert added == {"id": organisation_id, "created_at": made}
    async with platform.uow(read_only=True) as uow:
        by_driver = await uow.fetch_first(ORGANISATION, id=organisation_id)
        by_core = (await uow.execute(ORGANISATION.statement, {"id": organisation_id})).mappings().one()
    assert by_driver == dict(by_core) == {"id": organisation_id, "name": "Borsetshire", "created_at": made}
    assert isinstance(by_driver["id"], uuid.UUID)
    assert by_driver["created_at"].tzinfo is not None, "times come back in UTC on both databases"


async def test_what_the_driver_wrote_is_rolled_back_with_the_unit_that_did_not_commit(platform: Platform) -> None:
    async with platform.uow() as uow:
        # The driver's statement is the unit's first: on PostgreSQL it begins the unit's transaction.
        await uow.fetch(ADD_ORGANISATION, id=uuid.uuid4(), name="Never kept", created_at=dt.datetime.now(dt.UTC))
        assert await uow.fetch_first(NAMED, name="Never kept") == {"count": 1}
    async with platform.uow(read_only=True) as uow:
        assert await uow.fetch_first(NAMED, name="Never kept") == {"count": 0}


async def test_the_driver_and_the_orm_session_share_one_transaction(platform: Platform) -> None:
    async with platform.uow() as uow:
        uow.session.add(Organisation(name="Written by the session"))
        await uow.session.flush()
        assert await uow.fetch_first(NAMED, name="Written by the session") == {"count": 1}
        await uow.fetch(
            ADD_ORGANISATION, id=uuid.uuid4(), name="Written by the driver", created_at=dt.datetime.now(dt.UTC)
        )
        assert (
            await uow.session.scalar(
                select(func.count()).select_from(Organisation).where(Organisation.name == "Written by the driver")
            )
            == 1
        )
        await uow.commit()
    async with platform.uow(read_only=True) as uow:
        assert await uow.fetch_first(NAMED, name="Written by the session") == {"count": 1}
        assert await uow.fetch_first(NAMED, name="Written by the driver") == {"count": 1}


async def test_a_duplicate_written_by_the_driver_is_the_callers_error_as_through_the_orm(platform: Platform) -> None:
    async with platform.uow() as uow:
        await uow.fetch(ADD_ORGANISATION, id=uuid.uuid4(), name="Twice", created_at=dt.datetime.now(dt.UTC))
        with pytest.raises(DBAPIError) as refused:
            await uow.fetch(ADD_ORGANISATION, id=uuid.uuid4(), name="Twice", created_at=dt.datetime.now(dt.UTC))
    assert database_refusal(refused.value) == (409, "The request conflicts with something already stored")
    assert "Twice" not in str(refused.value), "parameters stay out of the error's text"
    async with platform.uow(read_only=True) as uow:  # the connection went back to the pool in a usable state
        assert await uow.fetch_first(NAMED, name="Twice") == {"count": 0}


@pytest.mark.skipif(not is_postgres(), reason="a backend that PostgreSQL itself ends")
async def test_a_connection_the_database_ended_is_given_up_and_the_next_unit_gets_a_working_one(
    platform: Platform,
) -> None:
    async with platform.uow(read_only=True) as uow:
        pid = (await uow.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with platform.uow(read_only=True) as other:  # a second connection ends the first's backend
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(DBAPIError) as lost:
            await uow.fetch_first(NAMED, name="anything")
    assert lost.value.connection_invalidated
    assert database_refusal(lost.value) is None, "a lost connection is an outage (503), not the caller's error"
    async with platform.uow(read_only=True) as uow:
        assert await uow.fetch_first(NAMED, name="anything") == {"count": 0}
        assert (await uow.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid


async def test_a_read_only_unit_reads_by_the_driver_what_others_committed_since_its_last_read(
    platform: Platform,
) -> None:
    service_count = Prebuilt(select(func.count().label("count")).select_from(Service.__table__))
    async with platform.uow(read_only=True) as reader:
        before = (await reader.fetch_first(service_count) or {})["count"]
        async with platform.uow() as writer:
            organisation = Organisation(name="Committed meanwhile")
            writer.session.add(organisation)
            await writer.session.flush()
            writer.session.add(Service(organisation_id=organisation.id, name="New service"))
            await writer.commit()
        after = (await reader.fetch_first(service_count) or {})["count"]
    assert after == before + 1, "each read of a read-only unit is its own snapshot, by the driver too"
