"""The unit of work: the only thing that commits, and on SQLite readers never wait for a writer."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from govplatform.core.models import Organisation
from govplatform.core.platform import build_platform
from tests.conftest import is_postgres, make_settings

pytestmark = pytest.mark.process
# The organisation a test writes, counted by its name: a migrated database already holds the platform's own.
BEING_WRITTEN = select(func.count()).select_from(Organisation).where(Organisation.name == "Being written")


@pytest.mark.skipif(is_postgres(), reason="PostgreSQL readers never wait for writers anyway")
async def test_on_sqlite_a_read_only_unit_of_work_does_not_wait_for_a_writer(
    fresh_database: str, var_dir: Path
) -> None:
    platform = build_platform(make_settings(var_dir, fresh_database))
    async with platform.uow() as writer:
        writer.session.add(Organisation(name="Being written"))
        await writer.session.flush()  # the writer holds SQLite's write lock from here
        async with platform.uow(read_only=True) as reader:
            count = await asyncio.wait_for(reader.session.scalar(BEING_WRITTEN), timeout=2)
        assert count == 0, "the reader sees the last committed state, not the writer's"
        await writer.commit()
    async with platform.uow(read_only=True) as reader:
        assert await reader.session.scalar(BEING_WRITTEN) == 1
    await platform.dispose()


async def test_leaving_a_unit_of_work_without_committing_rolls_it_back(fresh_database: str, var_dir: Path) -> None:
    platform = build_platform(make_settings(var_dir, fresh_database))
    async with platform.uow() as uow:
        uow.session.add(Organisation(name="Never committed"))
        await uow.session.flush()
    async with platform.uow() as uow:
        never = select(func.count()).select_from(Organisation).where(Organisation.name == "Never committed")
        assert await uow.session.scalar(never) == 0
    await platform.dispose()


@pytest.mark.skipif(not is_postgres(), reason="only PostgreSQL reads outside a transaction")
async def test_on_postgresql_a_read_only_unit_of_work_runs_each_read_on_its_own(
    fresh_database: str, var_dir: Path
) -> None:
    platform = build_platform(make_settings(var_dir, fresh_database))
    async with platform.uow(read_only=True) as reader:
        first = await reader.session.scalar(text("SELECT now()"))
        await asyncio.sleep(0.02)
        second = await reader.session.scalar(text("SELECT now()"))
    assert second > first, "no BEGIN: now() moves between statements"
    async with platform.uow() as writer:
        first = await writer.session.scalar(text("SELECT now()"))
        await asyncio.sleep(0.02)
        assert await writer.session.scalar(text("SELECT now()")) == first, "a writer has one transaction"
    await platform.dispose()
