"""Core's ReadCache with a unit of work: forgotten when the change commits, and when it is rolled back."""

from __future__ import annotations

from sqlalchemy import text

from govplatform.core.caching import ReadCache
from govplatform.core.platform import Platform


async def test_a_value_read_inside_a_change_that_is_rolled_back_is_not_kept(platform: Platform) -> None:
    cache: ReadCache[str, str] = ReadCache()

    async def uncommitted() -> str:
        return "seen inside the change"

    async with platform.uow() as uow:
        await uow.session.execute(text("SELECT 1"))  # the change, written but not committed
        cache.forget_on_commit(uow, "settings")
        assert await cache.get("settings", uncommitted) == "seen inside the change"  # kept for now
        # leaving without a commit rolls the change back

    async def committed() -> str:
        return "as stored"

    assert await cache.get("settings", committed) == "as stored"


async def test_a_value_read_between_a_change_and_its_commit_is_forgotten_at_the_commit(platform: Platform) -> None:
    cache: ReadCache[str, str] = ReadCache()

    async def old() -> str:
        return "old"

    async def new() -> str:
        return "new"

    async with platform.uow() as uow:
        await uow.session.execute(text("SELECT 1"))
        cache.forget_on_commit(uow, "settings")
        assert await cache.get("settings", old) == "old"  # another request, before the commit
        await uow.commit()
    assert await cache.get("settings", new) == "new"
