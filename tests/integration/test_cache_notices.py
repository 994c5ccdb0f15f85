"""Forget notices between two platforms on one database, as two processes would each build one.

Each platform has its own engine and its own notices (its own listening
connection on PostgreSQL, its own epoch reader on SQLite), so what one
commits reaches the other only through the database, as between processes.
The test process's own shortcut (every StoredKeys in a process forgets a
revocation made in it) is avoided by watching topics of the tests' own; the
done-when test with two real servers is tests/integration/test_key_revoked_elsewhere.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from structlog.testing import capture_logs

from govplatform.core.cache_notices import CHANNEL, LISTENER_NAME, PostgresNotices, SqliteNotices
from govplatform.core.caching import ReadCache
from govplatform.core.platform import Platform, build_platform
from govplatform.core.services import api_keys
from govplatform.core.services.api_keys import KEYS_TOPIC
from tests.conftest import is_postgres, make_settings
from tests.helpers import CLI, service_with_org

pytestmark = pytest.mark.process


class Kept:
    """A cache in platform B of one row, with the reads it made and the notices it was given."""

    def __init__(self, platform: Platform, topic: str = "test_rows") -> None:
        self.cache: ReadCache[str, str] = ReadCache(ttl_seconds=60, fresh=platform.notices.fresh)
        self.row = "live"
        self.reads = 0
        self.told: list[str | None] = []
        platform.notices.subscribe(topic, self.forget)

    def forget(self, subject: str | None) -> None:
        self.told.append(subject)
        if subject is None:
            self.cache.forget_everything()
        else:
            self.cache.forget(subject)

    async def read(self) -> str:
        self.reads += 1
        return self.row

    async def get(self) -> str:
        return await self.cache.get("row-1", self.read)


@pytest.fixture
async def two_platforms(fresh_database: str, var_dir: Path) -> AsyncIterator[tuple[Platform, Platform]]:
    first = build_platform(make_settings(var_dir, fresh_database))
    second = build_platform(make_settings(var_dir, fresh_database))
    await first.notices.start()
    await second.notices.start()
    yield first, second
    await first.dispose()
    await second.dispose()


async def until(condition: object, seconds: float = 10.0) -> None:
    """Wait for something the database does in its own time (a backend ending), up to a generous limit."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        await asyncio.sleep(0.02)
    assert condition(), f"not within {seconds} s"  # type: ignore[operator]


async def test_a_change_committed_in_one_process_is_forgotten_by_the_others_before_its_commit_returns(
    two_platforms: tuple[Platform, Platform],
) -> None:
    changing, keeping = two_platforms
    kept = Kept(keeping)
    assert await kept.get() == "live"
    assert await kept.get() == "live"
    assert kept.reads == 1, "kept while nothing changed"
    async with changing.uow() as uow:
        await uow.forget_elsewhere("test_rows", "row-1")
        kept.row = "changed"
        assert await kept.get() == "live", "not forgotten before the change commits"
        await uow.commit()
    if is_postgres():
        assert kept.told == ["row-1"], "the commit returned only once the other process had forgotten"
    assert await kept.get() == "changed"
    assert kept.reads == 2


async def test_a_change_that_is_rolled_back_tells_no_one(two_platforms: tuple[Platform, Platform]) -> None:
    changing, keeping = two_platforms
    kept = Kept(keeping)
    await kept.get()
    async with changing.uow() as uow:
        await uow.forget_elsewhere("test_rows", "row-1")
        # leaving without a commit
    async with changing.uow() as uow:  # a later change of something else, committed, on PostgreSQL's channel too
        await uow.forget_elsewhere("other_rows", "row-9")
        await uow.commit()
    assert await kept.get() == "live"
    assert "row-1" not in kept.told
    if is_postgres():
        assert kept.reads == 1, "the kept copy was served: nothing told this cache to forget it"


async def test_a_revocation_tells_every_process_whose_keys_to_forget(
    two_platforms: tuple[Platform, Platform],
) -> None:
    revoking, keeping = two_platforms
    watcher = Kept(keeping, topic=KEYS_TOPIC)
    service_id = await service_with_org(revoking)
    async with revoking.uow() as uow:
        key, _shown = await api_keys.create_key(uow, CLI, revoking.platform_keys, service_id, "Checked elsewhere")
        await uow.commit()
    await watcher.get()  # the other process keeps something
    async with revoking.uow() as uow:
        await api_keys.revoke_key(uow, CLI, service_id, key.id)
        await uow.commit()
    await watcher.get()  # on SQLite, the next look at the cache is when it hears
    assert watcher.told == ([str(service_id)] if is_postgres() else [None])
    async with revoking.uow() as uow:  # revoking it again changes nothing, and tells no one
        await api_keys.revoke_key(uow, CLI, service_id, key.id)
        await uow.commit()
    await watcher.get()
    assert len(watcher.told) == 1


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL's listening connection")
async def test_while_its_listening_connection_is_lost_a_process_serves_nothing_kept(
    two_platforms: tuple[Platform, Platform],
) -> None:
    other, keeping = two_platforms
    notices = keeping.notices
    assert isinstance(notices, PostgresNotices)
    kept = Kept(keeping)
    await kept.get()
    async with other.uow(read_only=True) as uow:
        await uow.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = :name AND datname = current_database()"  # not another worker's
            ),
            {"name": LISTENER_NAME},
        )
    await until(lambda: not notices.listening)
    assert kept.told[-1] is None, "everything kept was forgotten when the connection went"
    kept.row = "read while deaf"
    assert await kept.get() == "read while deaf"
    assert await kept.get() == "read while deaf"
    assert kept.reads == 3, "every read went to the database"
    await until(lambda: notices.listening)
    assert await kept.get() == "read while deaf"
    assert await kept.get() == "read while deaf"
    assert kept.reads == 4, "kept again once it listens"


@pytest.mark.skipif(not is_postgres(), reason="PostgreSQL's answers")
async def test_a_commit_waits_only_so_long_for_a_listener_that_never_answers(
    two_platforms: tuple[Platform, Platform], fresh_database: str
) -> None:
    changing, keeping = two_platforms
    notices = changing.notices
    assert isinstance(notices, PostgresNotices)
    notices.ack_wait_seconds = 0.5
    kept = Kept(keeping)
    await kept.get()
    silent = await asyncpg.connect(fresh_database.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await silent.execute(f'LISTEN "{CHANNEL}"')
        await silent.execute(f"SET application_name = '{LISTENER_NAME}'")
        with capture_logs() as logs:
            started = time.monotonic()
            async with changing.uow() as uow:
                await uow.forget_elsewhere("test_rows", "row-1")
                await uow.commit()
            waited = time.monotonic() - started
    finally:
        await silent.close()
    assert 0.5 <= waited < 5
    assert kept.told == ["row-1"], "the listeners that answer were told all the same"
    unanswered = [entry for entry in logs if entry["event"] == "read_cache.notice_unanswered"]
    assert unanswered and unanswered[0]["expected"] == 3 and unanswered[0]["answered"] == 2


def test_on_sqlite_a_cache_whose_epoch_cannot_be_read_serves_nothing_kept(tmp_path: Path) -> None:
    assert SqliteNotices(str(tmp_path / "no such folder" / "platform.db")).fresh() is False
