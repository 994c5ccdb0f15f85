"""Rows read often and changed rarely, kept in this process for a couple of seconds.

Why: a payment page or an API call reads the same few rows every time (a
service's settings, its name), each read a round trip and an ORM load that
cost more than the rest of a small request. notifications-api keeps a
service's keys, templates and settings for 2 seconds for the same reason
(`TTLCache(ttl=2)` in its serialised_models.py); `ReadCache` does that here.

The database stays the only source of truth (DESIGN.md: nothing another
process must see lives only in memory). A change made in this process is seen
at once: the code that changes a row calls `forget_on_commit`, which drops the
key now and again when the transaction commits, so a read that raced the
change is not kept. A change made in another process is seen here within
`ttl_seconds`, or at once where the cache is given `fresh` (a `Notices`'s,
core/cache_notices.py, ADR 0015): kept copies are then served only while it
says that every other process's change has reached this one, and the change
tells every process to forget with `UnitOfWork.forget_elsewhere`. Keep nothing
personal in one, and nothing whose staleness would let someone do what they no
longer may unless it has `fresh` and its changes tell the others (API keys).

A hand-written class rather than cachetools' `TTLCache` because the part that
matters is the forgetting: a read under way when the key is forgotten must not
put the old value back.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy import event

from govplatform.core.unit_of_work import UnitOfWork

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ReadCache(Generic[K, V]):
    """Values by key for `ttl_seconds`, the least recently read dropped beyond `size`."""

    def __init__(
        self,
        ttl_seconds: float = 2.0,
        size: int = 1024,
        clock: Callable[[], float] = time.monotonic,
        fresh: Callable[[], bool] | None = None,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.size = size
        self._clock = clock
        # Asked before each serve and keep: False sends the read to the database, and keeps nothing.
        self._fresh = fresh
        self._kept: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._generation = 0  # bumped by every forget: a read that spans one is used but not kept

    async def get(self, key: K, read: Callable[[], Awaitable[V]], keep: Callable[[V], bool] | None = None) -> V:
        """The kept value, or `read()`'s: kept if `keep` allows it and nothing was forgotten while it ran."""
        if self._fresh is not None and not self._fresh():
            return await read()
        kept = self._kept.get(key)
        if kept is not None and self._clock() - kept[0] < self.ttl_seconds:
            self._kept.move_to_end(key)
            return kept[1]
        return await self._read(key, read, keep)

    async def refresh(self, key: K, read: Callable[[], Awaitable[V]], keep: Callable[[V], bool] | None = None) -> V:
        """`read()`'s value whatever is kept, then kept in its place (as `get` keeps one)."""
        if self._fresh is not None and not self._fresh():
            return await read()
        return await self._read(key, read, keep)

    async def _read(self, key: K, read: Callable[[], Awaitable[V]], keep: Callable[[V], bool] | None) -> V:
        now = self._clock()
        generation = self._generation
        value = await read()
        if generation == self._generation and (keep is None or keep(value)):
            self._kept[key] = (now, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value

    def forget(self, key: K) -> None:
        self._generation += 1
        self._kept.pop(key, None)

    def forget_where(self, matches: Callable[[K, V], bool]) -> None:
        """Forget every kept key that `matches(key, value)`."""
        self._generation += 1
        for key in [key for key, (_, value) in self._kept.items() if matches(key, value)]:
            del self._kept[key]

    def forget_everything(self) -> None:
        self._generation += 1
        self._kept.clear()

    def forget_on_commit(self, uow: UnitOfWork, key: K) -> None:
        """Forget `key` as `forget_after_change` says. Call it after the change is flushed."""
        forget_after_change(uow, lambda: self.forget(key))

    def __len__(self) -> int:
        return len(self._kept)


def forget_after_change(uow: UnitOfWork, forget: Callable[[], None]) -> None:
    """Run `forget` now, and again once `uow` commits (a read between the two saw the old row) or rolls
    back (a read in `uow` itself saw the change that is now undone)."""
    forget()
    session = uow.session.sync_session
    event.listen(session, "after_commit", lambda _session: forget(), once=True)
    # A "soft" rollback too: the unit of work rolls back even when nothing reached the database.
    event.listen(session, "after_soft_rollback", lambda _session, _previous: forget(), once=True)
