"""Rate limits on the public pages that create something: a payment link's page starts payments for anyone.

Pay's API limits count per account (`rate_limits`), which a page without a
key does not have: an outside test started 60 payments in 1.3 seconds through
one link (issue 13). Each payment a public page starts is now counted twice,
against the client's address (across every link, so moving between links
gains nothing) and against the link (from everyone, so many addresses
together still cannot flood one service), in fixed one-minute windows; over
either limit the page asks the citizen to wait, with 429 and Retry-After
(RFC 6585 section 4). A payment link is where card testers go to try stolen
numbers, so both counts matter.

The counts are in Redis when GOVPLATFORM_REDIS_URL is set and otherwise in
the database (`PublicRateCount`, one upsert a count), never in one process's
memory: with several web processes each would otherwise allow the limit
again. A Redis that cannot be reached lets the request through, as the API's
limits do; the database has no such failure of its own, since the payment
being started needs it too.

The address is the connection's peer, or what a trusted proxy says it is
(GOVPLATFORM_TRUSTED_PROXIES; `govplatform.processes.proxy_options`). An IPv6
client is counted by its /64, which one household or machine usually holds
whole. Stores keep a keyed hash of the address, never the address itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import ipaddress
import time
from collections.abc import Callable
from typing import Any, Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import Table, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from govplatform.core.interfaces import UnitOfWork
from govplatform.pay.models import PublicRateCount

log = structlog.get_logger("govplatform.pay.public_limits")


@dataclasses.dataclass(frozen=True)
class PublicLimits:
    per_address: int = 10  # payments one client address may start a window, across every link
    per_link: int = 100  # payments one link may start a window, from everyone
    window_seconds: int = 60


class Counts(Protocol):
    async def count(self, key: str, window: int, seconds: int) -> int:
        """Add one to the key's count in this window (of `seconds`); the count including it."""
        ...


_COUNTS: Table = PublicRateCount.__table__  # type: ignore[assignment]  # declarative models' tables are Tables


def _upsert(dialect: str) -> Any:
    insert = postgresql.insert(_COUNTS) if dialect == "postgresql" else sqlite.insert(_COUNTS)
    statement = insert.values(key=bindparam("b_key"), window=bindparam("b_window"), count=1)
    return statement.on_conflict_do_update(
        index_elements=["key", "window"], set_={"count": _COUNTS.c.count + 1}
    ).returning(_COUNTS.c.count)


_UPSERT = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}


class DatabaseCounts:
    """Counts in `pay_public_rate_counts`: one atomic upsert a count, in a short transaction of its own."""

    def __init__(self, uow: Callable[..., UnitOfWork]) -> None:
        self._uow = uow

    async def count(self, key: str, window: int, seconds: int) -> int:
        async with self._uow() as uow:
            dialect = uow.session.get_bind().dialect.name
            result = await uow.session.execute(_UPSERT[dialect], {"b_key": key, "b_window": window})
            counted = int(result.scalar_one())
            await uow.commit()
        return counted


async def purge(uow: UnitOfWork, now: float | None = None, seconds: int = PublicLimits.window_seconds) -> int:
    """Forget the windows that have passed (the housekeeping loop's, every minute)."""
    current = int((now if now is not None else time.time()) // seconds)
    result = await uow.session.execute(delete(PublicRateCount).where(PublicRateCount.window < current))
    return int(getattr(result, "rowcount", 0) or 0)


class RedisCounts:
    """Counts shared by every web process: INCR on a key that expires with its window."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def count(self, key: str, window: int, seconds: int) -> int:
        name = f"govplatform:pay:public:{key}:{window}"
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, 2 * seconds)
                counted, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("pay.public_limit_unavailable", error=type(error).__name__)
            return 0  # fail open, as the API's limits do
        return int(counted)


def client_key(address: str | None) -> str:
    """What counts as one client: an IPv4 address, an IPv6 /64, or one shared key when the server gave none."""
    if not address:
        return "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is the IPv4 client 192.0.2.1
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class PublicLimiter:
    def __init__(
        self, counts: Counts, limits: PublicLimits, secret: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.counts = counts
        self.limits = limits
        self._key = hmac.new(secret.encode(), b"govplatform-pay-public-limits", hashlib.sha256).digest()
        self.clock = clock

    def _address_key(self, address: str | None) -> str:
        digest = hmac.new(self._key, client_key(address).encode(), hashlib.sha256).hexdigest()
        return "address:" + digest[:40]

    async def start_payment(self, address: str | None, link_id: object) -> int | None:
        """Count a payment a link's page is about to start: None if it may, else the seconds to wait."""
        now = self.clock()
        seconds = self.limits.window_seconds
        window = int(now // seconds)
        wait = max(1, int((window + 1) * seconds - now))
        if await self.counts.count(self._address_key(address), window, seconds) > self.limits.per_address:
            return wait
        if await self.counts.count(f"link:{link_id}", window, seconds) > self.limits.per_link:
            return wait
        return None
