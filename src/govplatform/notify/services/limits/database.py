"""Sending limits kept in the database, for a platform without Redis (SQLite or PostgreSQL).

The rate limit is a token bucket, like Notify's, shared by every web process. One row per bucket
would make every send of a busy service queue for one row lock on PostgreSQL, so a bucket is split
into shares (rows): share i holds its part of the capacity and refills at the same part of the rate,
the parts summing to the whole bucket. A request takes a whole token from a random share with one
atomic `UPDATE ... WHERE <refilled tokens> >= 1`; if that share is empty it reads the others and tries
those that have a token, and is refused only when none has. So a burst admits exactly the bucket's
capacity, the long-run rate is the bucket's rate, and concurrent requests of one service mostly touch
different rows. On PostgreSQL each statement commits by itself (one round trip, the row locked only
while its UPDATE runs); on SQLite the few statements run in one short write transaction of their own,
never inside the send's.

What sharing costs: a share hands out only whole tokens, so up to one token per share can be waiting
as fractions, and after a bucket is emptied the first token comes back after 1/(share's rate) rather
than 1/(rate). Shares therefore hold at least `tokens_per_shard` tokens: a bucket of 1,000 (3,000
requests a minute) has 8 shares and its first token returns after 0.16 s instead of 0.02 s, while a
small bucket, whose service cannot send fast enough to contend for a row, stays one exact row.
A changed limit resizes the shares on the next request: shares a raised limit adds start empty (no
extra burst), and shares beyond a smaller count are left unused.

Daily counts are shares too (`DailySendCount`), added to in the send's own transaction just before it
commits, so a message and its count commit together and a lock is held for one round trip. Counting
the notifications table instead would read up to a day's rows (250,000) on every send. On PostgreSQL
two sends that check at the same moment can both pass the last place under a limit, as with Notify's
Redis counter; on SQLite the send's write transaction makes the check and the count exact.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, Float, Table, bindparam, case, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from govplatform.core.interfaces import UnitOfWork
from govplatform.notify.models import DailySendCount, TokenBucketShard
from govplatform.notify.services.limits import Bucket, capacity, refill_per_second, shares, utc_day

_Number = ColumnElement[float] | InstrumentedAttribute[float]
_pick = secrets.SystemRandom()  # spreads load over shares; unpredictable is not needed, but costs nothing


def _least(a: _Number, b: _Number) -> ColumnElement[float]:
    return case((a < b, a), else_=b)  # LEAST on PostgreSQL, two-argument MIN on SQLite: CASE is both


def _greatest(a: _Number, b: _Number) -> ColumnElement[float]:
    return case((a > b, a), else_=b)


def _insert_in(dialect: str, model: type[Any] | Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT, in this dialect."""
    return postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)


def _insert(session: AsyncSession, model: type[Any]) -> postgresql.Insert | sqlite.Insert:
    return _insert_in(session.get_bind().dialect.name, model)


# Statements that run on every send are built once, with bound parameters: building one per request
# (and computing its cache key) cost more than running it. They name the tables, not the mapped classes:
# through the ORM's bulk INSERT and UPDATE layers the same statements cost several times the CPU.
_SHARDS: Table = TokenBucketShard.__table__  # type: ignore[assignment]  # declarative models' tables are Tables
_DAILY: Table = DailySendCount.__table__  # type: ignore[assignment]


def _take_statement() -> Any:
    row = _SHARDS.c
    now = bindparam("b_now", type_=Float)
    elapsed = _greatest(now - row.refilled_at, literal(0.0))
    tokens = _least(bindparam("b_size", type_=Float), row.tokens + elapsed * bindparam("b_rate", type_=Float))
    return (
        update(_SHARDS)
        .where(
            row.service_id == bindparam("b_service_id"),
            row.key_type == bindparam("b_key_type"),
            row.shard == bindparam("b_shard"),
            tokens >= 1,
        )
        .values(tokens=tokens - 1, refilled_at=_greatest(row.refilled_at, now))
    )


_TAKE = _take_statement()


def _add_statement(dialect: str) -> Any:
    row = _DAILY.c
    statement = _insert_in(dialect, _DAILY)
    # A share last used on an earlier day starts again from this amount.
    return statement.on_conflict_do_update(
        index_elements=["service_id", "channel", "shard"],
        set_={
            "count": case(
                (row.day == statement.excluded.day, row.count + statement.excluded.count),
                else_=statement.excluded.count,
            ),
            "day": statement.excluded.day,
        },
    )


_ADD = {dialect: _add_statement(dialect) for dialect in ("postgresql", "sqlite")}
_TODAY = (
    select(DailySendCount.channel, func.sum(DailySendCount.count))
    .where(
        DailySendCount.service_id == bindparam("b_service_id"),
        DailySendCount.channel.in_(bindparam("b_channels", expanding=True)),
        DailySendCount.day == bindparam("b_day"),
    )
    .group_by(DailySendCount.channel)
)


async def _one_statement_at_a_time(uow: UnitOfWork) -> None:
    """On PostgreSQL, let each statement commit by itself; tests' sessions share one open transaction."""
    bind = uow.session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        await uow.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


class DatabaseTokenBuckets:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        *,
        clock: Callable[[], float] = time.time,
        max_shards: int = 8,
        tokens_per_shard: int = 32,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._max_shards = max_shards
        self._tokens_per_shard = tokens_per_shard
        # The layout this process last used for each bucket: when it changes (a new limit), the first
        # request creates the added shares before any share gives a token, so that they count their
        # refill from the bucket's last activity under the old limit, not from whenever one is first hit.
        self._layouts: dict[tuple[uuid.UUID, str], int] = {}

    def layout(self, rate_limit: int) -> list[int]:
        """Each share's capacity, for a bucket of this rate limit."""
        size = capacity(rate_limit)
        return shares(size, min(self._max_shards, max(1, size // self._tokens_per_shard)))

    async def take(self, service_id: uuid.UUID, key_type: str, rate_limit: int) -> bool:
        split = self.layout(rate_limit)
        bucket = _Shares(service_id, key_type, split, refill_per_second(rate_limit) / sum(split), self._clock())
        async with self._uow() as uow:
            await _one_statement_at_a_time(uow)
            if self._layouts.get((service_id, key_type)) != len(split):
                await bucket.with_a_token(uow.session)  # creates any shares this layout adds
                self._layouts[(service_id, key_type)] = len(split)
            taken = await bucket.take(uow.session, _pick.randrange(len(split)))
            if not taken:
                for shard in await bucket.with_a_token(uow.session):
                    if taken := await bucket.take(uow.session, shard):
                        break
            await uow.commit()
        return taken


class _Shares:
    """One request's view of one bucket: its shares' sizes, refill rate per token of size, and `now`."""

    def __init__(self, service_id: uuid.UUID, key_type: str, split: list[int], rate_per_token: float, now: float):
        self.service_id = service_id
        self.key_type = key_type
        self.split = split
        self.rate_per_token = rate_per_token
        self.now = now

    async def take(self, session: AsyncSession, shard: int) -> bool:
        """Take a whole token from one share, atomically: Bucket.take as one UPDATE."""
        result = await session.execute(
            _TAKE,
            {
                "b_service_id": self.service_id,
                "b_key_type": self.key_type,
                "b_shard": shard,
                "b_now": self.now,
                "b_size": float(self.split[shard]),
                "b_rate": self.rate_per_token * self.split[shard],
            },
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    async def with_a_token(self, session: AsyncSession) -> list[int]:
        """Shares that hold a whole token now, in random order; shares not yet stored are added."""
        row = TokenBucketShard
        found = await session.execute(
            select(row.shard, row.tokens, row.refilled_at).where(
                row.service_id == self.service_id, row.key_type == self.key_type, row.shard < len(self.split)
            )
        )
        seen = {shard: Bucket(tokens, refilled_at) for shard, tokens, refilled_at in found.all()}
        missing = [shard for shard in range(len(self.split)) if shard not in seen]
        if missing:
            # A new bucket starts full. Shares added to a bucket by a raised limit start empty, as if they
            # had been there since its oldest share last gave a token, so raising a limit adds no burst.
            since = min((bucket.refilled_at for bucket in seen.values()), default=None)
            for shard in missing:
                seen[shard] = Bucket(float(self.split[shard]), self.now) if since is None else Bucket(0.0, since)
            values = [
                {
                    "service_id": self.service_id,
                    "key_type": self.key_type,
                    "shard": shard,
                    "tokens": seen[shard].tokens,
                    "refilled_at": seen[shard].refilled_at,
                }
                for shard in missing
            ]
            await session.execute(_insert(session, TokenBucketShard).on_conflict_do_nothing(), values)
        ready = [
            shard
            for shard, bucket in seen.items()
            if bucket.refilled(self.now, self.split[shard], self.rate_per_token * self.split[shard]).tokens >= 1
        ]
        _pick.shuffle(ready)
        return ready


class DatabaseDailyCounts:
    def __init__(self, *, clock: Callable[[], float] = time.time, shards: int = 8) -> None:
        self._clock = clock
        self._shards = shards

    async def today(self, uow: UnitOfWork, service_id: uuid.UUID, channels: Sequence[str]) -> dict[str, int]:
        found = await uow.session.execute(
            _TODAY, {"b_service_id": service_id, "b_channels": list(channels), "b_day": utc_day(self._clock())}
        )
        return {channel: int(total or 0) for channel, total in found.all()}

    async def add(self, uow: UnitOfWork, service_id: uuid.UUID, channels: Sequence[str], amount: int = 1) -> None:
        day = utc_day(self._clock())
        values = [
            {
                "service_id": service_id,
                "channel": channel,
                "shard": _pick.randrange(self._shards),
                "day": day,
                "count": amount,
            }
            for channel in channels
        ]
        await uow.session.execute(_ADD[uow.session.get_bind().dialect.name], values)
