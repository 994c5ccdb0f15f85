"""Proofs are served from tiles read before: the upper tiles every proof shares cost one read per process."""

from pathlib import Path

import pytest
from sqlalchemy import event, update

from govplatform.app import register_components
from govplatform.core.platform import Platform, build_platform
from govplatform.transparency.merkle import leaf_hash, verify_inclusion
from govplatform.transparency.models import TileRow
from govplatform.transparency.services.log import TransparencyService
from tests.conftest import make_settings
from tests.integration.transparency.conftest import fill

pytestmark = pytest.mark.process


async def _log_of(var_dir: Path, database: str, entries: int) -> tuple[Platform, TransparencyService, list[bytes]]:
    """A platform of its own (engine-bound, as a web process has) with `entries` integrated."""
    platform = build_platform(make_settings(var_dir, database))
    register_components(platform)
    return platform, platform.components["transparency"], await fill(platform, entries)


async def test_a_proof_from_tiles_already_read_runs_no_query_and_a_new_tile_is_still_read(
    fresh_database: str, var_dir: Path
) -> None:
    platform, log, entries = await _log_of(var_dir, fresh_database, 600)
    statements: list[str] = []
    event.listen(platform.engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    async def prove(index: int) -> list[bytes]:
        async with platform.uow(read_only=True) as uow:
            return await log.inclusion(uow, index, 600)

    first = await prove(5)
    assert any("transparency_tiles" in sql for sql in statements), "the first proof reads its tiles"
    statements.clear()
    assert await prove(5) == first
    assert statements == [], "the same proof again needs no database at all"
    await prove(300)  # level 0's second tile: proofs of 5 read its root from level 1, never the tile
    assert any("transparency_tiles" in sql for sql in statements), "a tile not read before is read"
    for index in (5, 300, 599):
        verify_inclusion(index, 600, leaf_hash(entries[index]), await prove(index), await _root(platform, log))
    await platform.dispose()


async def test_a_tile_changed_behind_the_platforms_back_does_not_change_proofs_already_cached(
    fresh_database: str, var_dir: Path
) -> None:
    # A served proof comes from what the log wrote; a witness checking the tiles themselves (over
    # HTTP, never from this cache) is what catches a rewritten tile (test_witness.py).
    platform, log, _ = await _log_of(var_dir, fresh_database, 300)
    async with platform.uow(read_only=True) as uow:
        before = await log.inclusion(uow, 10, 300)
    async with platform.uow() as uow:
        await uow.session.execute(
            update(TileRow).where(TileRow.level == 0, TileRow.index == 0).values(data=bytes(8192))
        )
        await uow.commit()
    async with platform.uow(read_only=True) as uow:
        assert await log.inclusion(uow, 10, 300) == before
    await platform.dispose()


async def _root(platform: Platform, log: TransparencyService) -> bytes:
    async with platform.uow(read_only=True) as uow:
        return (await log.head(uow))[1]
