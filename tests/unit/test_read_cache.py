"""Core's ReadCache: kept for its time, forgotten on request, never refilled by a read that raced a forget."""

from __future__ import annotations

import asyncio

from govplatform.core.caching import ReadCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Reads:
    """A read that answers the current value of the row and counts how often it was asked."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.count = 0

    async def __call__(self) -> str:
        self.count += 1
        return self.value


class SlowRead:
    """A read that is on its way back until released, so that something can happen meanwhile."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.reading, self.released = asyncio.Event(), asyncio.Event()

    async def __call__(self) -> str:
        self.reading.set()
        await self.released.wait()
        return self.value


async def test_a_value_is_read_once_within_its_time_and_again_after_it() -> None:
    clock, row = Clock(), Reads("first")
    cache: ReadCache[str, str] = ReadCache(ttl_seconds=2.0, clock=clock)
    assert await cache.get("k", row) == "first"
    row.value = "second"
    clock.now += 1.9
    assert await cache.get("k", row) == "first"
    clock.now += 0.2
    assert await cache.get("k", row) == "second"
    assert row.count == 2


async def test_forget_makes_the_next_get_read_again() -> None:
    row = Reads("first")
    cache: ReadCache[str, str] = ReadCache(clock=Clock())
    await cache.get("k", row)
    row.value = "second"
    cache.forget("k")
    assert await cache.get("k", row) == "second"


async def test_a_read_under_way_when_its_key_is_forgotten_is_used_once_but_not_kept() -> None:
    cache: ReadCache[str, str] = ReadCache(clock=Clock())
    row, slow_read = Reads("old"), SlowRead("old")
    first = asyncio.create_task(cache.get("k", slow_read))
    await slow_read.reading.wait()
    cache.forget("k")  # the row changed while the read was on its way back
    slow_read.released.set()
    assert await first == "old"
    row.value = "new"
    assert await cache.get("k", row) == "new"


async def test_keep_decides_what_is_kept() -> None:
    cache: ReadCache[str, str | None] = ReadCache(clock=Clock())
    calls = 0

    async def missing() -> str | None:
        nonlocal calls
        calls += 1
        return None

    for _ in range(3):
        assert await cache.get("k", missing, keep=lambda found: found is not None) is None
    assert calls == 3 and len(cache) == 0


async def test_forget_where_drops_only_the_matching_entries() -> None:
    cache: ReadCache[tuple[str, int], str] = ReadCache(clock=Clock())
    for service in ("a", "b"):
        for n in (1, 2):
            await cache.get((service, n), Reads(f"{service}{n}"))
    cache.forget_where(lambda key, value: key[0] == "a" or value == "b2")
    fresh = Reads("read again")
    assert await cache.get(("a", 1), fresh) == "read again"
    assert await cache.get(("b", 1), fresh) == "b1"
    assert await cache.get(("b", 2), fresh) == "read again"


async def test_beyond_its_size_the_least_recently_read_goes_first() -> None:
    cache: ReadCache[str, str] = ReadCache(size=2, clock=Clock())
    await cache.get("a", Reads("a"))
    await cache.get("b", Reads("b"))
    await cache.get("a", Reads("not read"))  # a is now the most recently read
    await cache.get("c", Reads("c"))
    assert len(cache) == 2
    assert await cache.get("a", Reads("read again")) == "a"
    assert await cache.get("b", Reads("read again")) == "read again"


async def test_refresh_reads_again_without_stopping_other_reads_under_way_from_being_kept() -> None:
    cache: ReadCache[str, str] = ReadCache(clock=Clock())
    slow_read = SlowRead("b, read slowly")
    other = asyncio.create_task(cache.get("b", slow_read))
    await slow_read.reading.wait()
    assert await cache.refresh("a", Reads("a, read again")) == "a, read again"
    slow_read.released.set()
    await other
    assert await cache.get("a", Reads("not read")) == "a, read again"
    assert await cache.get("b", Reads("not read")) == "b, read slowly"


class Hearing:
    """Stands in for `Notices.fresh`: whether this process has heard every other process's change."""

    def __init__(self) -> None:
        self.heard = True
        self.asked = 0

    def __call__(self) -> bool:
        self.asked += 1
        return self.heard


async def test_while_changes_elsewhere_may_be_unheard_every_get_reads_and_nothing_is_kept() -> None:
    hearing, row = Hearing(), Reads("first")
    cache: ReadCache[str, str] = ReadCache(clock=Clock(), fresh=hearing)
    assert await cache.get("k", row) == "first"
    hearing.heard = False
    row.value = "second"
    assert await cache.get("k", row) == "second", "a kept copy is not served while changes may be unheard"
    assert await cache.refresh("k", row) == "second"
    hearing.heard = True  # (Notices forget everything when they hear again; this stand-in does not)
    assert await cache.get("k", row) == "first", "what was read while unheard was not kept over the earlier copy"
    assert row.count == 3


async def test_a_read_that_began_unheard_is_not_kept_even_when_hearing_returns_meanwhile() -> None:
    hearing, row = Hearing(), Reads("read while unheard")
    cache: ReadCache[str, str] = ReadCache(clock=Clock(), fresh=hearing)
    hearing.heard = False
    await cache.get("k", row)
    hearing.heard = True
    row.value = "read again"
    assert await cache.get("k", row) == "read again"
    assert len(cache) == 1


async def test_forget_everything_drops_every_key_and_stops_reads_under_way_from_being_kept() -> None:
    cache: ReadCache[str, str] = ReadCache(clock=Clock())
    await cache.get("a", Reads("a"))
    await cache.get("b", Reads("b"))
    slow_read = SlowRead("old")
    under_way = asyncio.create_task(cache.get("c", slow_read))
    await slow_read.reading.wait()
    cache.forget_everything()
    slow_read.released.set()
    assert await under_way == "old"
    assert len(cache) == 0
