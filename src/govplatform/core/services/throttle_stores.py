"""Where the throttle keeps its tallies: the database, or Redis when GOVPLATFORM_REDIS_URL is set.

Both do the same sum (`BackOff.fallen`, `BackOff.wait`) and pass the same
tests (tests/integration/test_throttle_stores.py, STYLE.md rule 4).

The database store works in the caller's unit of work, so an attempt is
counted in the transaction that looks at the guess, and the caller commits
whatever the outcome. On PostgreSQL the tallies' rows are locked (`FOR
UPDATE`) from the check until that commit, so parallel attempts at one address
or account are counted one after another; SQLite's single writer does the same.
Rows whose level has fallen to nothing are deleted after each counted attempt
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so no attempt waits for another's
clean-up), so the table holds only the last hours' guessers.

The Redis store does the check and the count in one Lua script, atomic however
many web processes share it, and lets each key expire when its level has
fallen to nothing. Unlike Notify's limits, it does not fail open: a throttle
that Redis cannot answer falls back to the database store for that attempt
(and for a few seconds after), with one warning a minute naming no one, so an
outage neither unthrottles guessing nor locks anyone out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from govplatform.core.models import GuessTally
from govplatform.core.services.throttle import Tally
from govplatform.core.unit_of_work import UnitOfWork

PURGE_BATCH = 100
RETRY_AFTER_FAILURE_SECONDS = 5.0
WARNING_EVERY_SECONDS = 60.0
REDIS_PREFIX = "govplatform:throttle:"
# "No wait" is a moment long past, never the writer's `now`: an attempt that read its clock and then waited
# for another attempt's rows (FOR UPDATE) has an earlier `now`, and would see that writer's `now` as a wait
# still to run, refusing a right password with 429 whenever people behind one address sign in at once.
NO_WAIT = 0.0


def wait_until(now: float, wait: float) -> float:
    return now + wait if wait > 0 else NO_WAIT


class DatabaseTallies:
    async def attempt(self, uow: UnitOfWork, tallies: Sequence[Tally], now: float) -> float:
        session = uow.session
        dialect = session.get_bind().dialect.name
        ordered = sorted(tallies, key=lambda tally: tally.key)  # rows locked in one order: no deadlock
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(GuessTally)
        await session.execute(
            insert.on_conflict_do_nothing(),
            [{"key": t.key, "level": 0.0, "changed_at": now, "wait_until": NO_WAIT, "forget_at": now} for t in ordered],
        )
        rows = await session.execute(
            select(GuessTally.key, GuessTally.level, GuessTally.changed_at, GuessTally.wait_until)
            .where(GuessTally.key.in_([tally.key for tally in ordered]))
            .order_by(GuessTally.key)
            .with_for_update()
        )
        found = {key: (level, changed_at, wait_until) for key, level, changed_at, wait_until in rows.all()}
        wait = max(found[tally.key][2] - now for tally in ordered)
        if wait > 0:
            return wait
        for tally in ordered:
            level, changed_at, _ = found[tally.key]
            risen = tally.back_off.fallen(level, changed_at, now) + 1
            await session.execute(
                update(GuessTally)
                .where(GuessTally.key == tally.key)
                .values(
                    level=risen,
                    changed_at=now,
                    wait_until=wait_until(now, tally.back_off.wait(risen)),
                    forget_at=now + risen * tally.back_off.forgive_every,
                )
            )
        # Last, once this attempt's rows are held: the clean-up skips rows others hold and never waits for them.
        await self._purge(uow, now)
        return 0.0

    async def give_back(self, uow: UnitOfWork, tallies: Sequence[Tally], now: float) -> None:
        for tally in sorted(tallies, key=lambda tally: tally.key):
            row = await uow.session.get(GuessTally, tally.key, with_for_update=True, populate_existing=True)
            if row is None:
                continue
            fallen = max(tally.back_off.fallen(row.level, row.changed_at, now) - 1, 0.0)
            row.level, row.changed_at, row.wait_until = fallen, now, NO_WAIT
            row.forget_at = now + fallen * tally.back_off.forgive_every

    async def _purge(self, uow: UnitOfWork, now: float) -> None:
        forgotten = select(GuessTally.key).where(GuessTally.forget_at < now).limit(PURGE_BATCH)
        if uow.session.get_bind().dialect.name == "postgresql":
            forgotten = forgotten.with_for_update(skip_locked=True)
        await uow.session.execute(delete(GuessTally).where(GuessTally.key.in_(forgotten.scalar_subquery())))


# KEYS: the tallies. ARGV: now, then for each key free, first_wait, longest_wait, forgive_every.
# Returns the wait as a string ("0" when the attempt was counted). BackOff.wait and .fallen, in Lua.
ATTEMPT_SCRIPT = """
local now = tonumber(ARGV[1])
local states = {}
local wait = 0
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'level', 'changed_at', 'wait_until')
  local level = tonumber(state[1]) or 0
  local changed_at = tonumber(state[2]) or now
  local wait_until = tonumber(state[3]) or now
  states[i] = {level, changed_at}
  if wait_until - now > wait then wait = wait_until - now end
end
if wait > 0 then return string.format('%.17g', wait) end
for i, key in ipairs(KEYS) do
  local base = 1 + (i - 1) * 4
  local free = tonumber(ARGV[base + 1])
  local first = tonumber(ARGV[base + 2])
  local longest = tonumber(ARGV[base + 3])
  local forgive = tonumber(ARGV[base + 4])
  local fallen = math.max(states[i][1] - math.max(now - states[i][2], 0) / forgive, 0)
  local level = fallen + 1
  local beyond = math.ceil(level - 1e-9) - free
  local pause = 0
  if beyond > 0 then pause = math.min(first * 2 ^ math.min(beyond - 1, 60), longest) end
  redis.call('HSET', key, 'level', string.format('%.17g', level), 'changed_at', string.format('%.17g', now),
    'wait_until', string.format('%.17g', pause > 0 and now + pause or 0))
  redis.call('EXPIRE', key, math.ceil(level * forgive) + 1)
end
return '0'
"""

# KEYS: the tallies. ARGV: now, then each key's forgive_every.
GIVE_BACK_SCRIPT = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local state = redis.call('HMGET', key, 'level', 'changed_at')
  if state[1] then
    local forgive = tonumber(ARGV[i + 1])
    local fallen = math.max(tonumber(state[1]) - math.max(now - tonumber(state[2]), 0) / forgive - 1, 0)
    redis.call('HSET', key, 'level', string.format('%.17g', fallen), 'changed_at', string.format('%.17g', now),
      'wait_until', '0')
    redis.call('EXPIRE', key, math.ceil(fallen * forgive) + 1)
  end
end
return 1
"""


def redis_client(url: str, timeout_seconds: float = 1.0) -> Redis:
    """A client that gives up quickly (the database store answers instead); connects on first use."""
    return Redis.from_url(
        url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds, retry=Retry(NoBackoff(), 1)
    )


class RedisTallies:
    def __init__(
        self,
        client: Redis,
        fallback: DatabaseTallies,
        *,
        prefix: str = REDIS_PREFIX,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.fallback = fallback
        self._prefix = prefix
        self._monotonic = monotonic
        self._attempt = client.register_script(ATTEMPT_SCRIPT)
        self._give_back = client.register_script(GIVE_BACK_SCRIPT)
        self._resting_until = -math.inf
        self._warned_at = -math.inf

    def _keys(self, tallies: Sequence[Tally]) -> list[str]:
        return [self._prefix + tally.key for tally in tallies]

    def _failed(self, operation: str, error: Exception) -> None:
        now = self._monotonic()
        self._resting_until = now + RETRY_AFTER_FAILURE_SECONDS
        if now - self._warned_at >= WARNING_EVERY_SECONDS:
            self._warned_at = now
            # The error's type only: its text can carry the server's address.
            structlog.get_logger("govplatform.throttle").warning(
                "throttle.redis_unavailable",
                operation=operation,
                error=type(error).__name__,
                outcome="tallies kept in the database meanwhile",
            )

    async def attempt(self, uow: UnitOfWork, tallies: Sequence[Tally], now: float) -> float:
        if self._monotonic() >= self._resting_until:
            args: list[Any] = [repr(now)]
            for tally in tallies:
                back_off = tally.back_off
                args += [back_off.free, repr(back_off.first_wait), repr(back_off.longest_wait)]
                args.append(repr(back_off.forgive_every))
            try:
                return float(await self._attempt(keys=self._keys(tallies), args=args))
            except (RedisError, OSError) as error:
                self._failed("attempt", error)
        return await self.fallback.attempt(uow, tallies, now)

    async def give_back(self, uow: UnitOfWork, tallies: Sequence[Tally], now: float) -> None:
        if self._monotonic() >= self._resting_until:
            args = [repr(now)] + [repr(tally.back_off.forgive_every) for tally in tallies]
            try:
                await self._give_back(keys=self._keys(tallies), args=args)
                return
            except (RedisError, OSError) as error:
                self._failed("give_back", error)
        await self.fallback.give_back(uow, tallies, now)

    async def aclose(self) -> None:
        await self.client.aclose()
