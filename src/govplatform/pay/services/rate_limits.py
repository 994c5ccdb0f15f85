"""Pay's rate limits: requests per second per account, as pay-publicapi counts them.

pay-publicapi (`RateLimiterFilter`, `RateLimiterKey`; pay.md section 4) counts
requests in one-second windows per account and kind of request: creating
payments, capturing, other POSTs, and GETs, each with its own limit (15, 15,
15 and 75 a second by default), and answers 429 P0900 "Too many requests"
over it. The counts live in Redis when GOVPLATFORM_REDIS_URL is set, so every
web process shares them; without Redis each process counts on its own, which
is what pay-publicapi itself falls back to when its Redis is down ("per
node"). A Redis that cannot be reached lets the request through, as Pay's does.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from govplatform.pay.errors import PayError

log = structlog.get_logger("govplatform.pay.rate_limits")


@dataclasses.dataclass(frozen=True)
class Limits:
    create_payment: int = 15
    capture: int = 15
    other_post: int = 15
    get: int = 75

    def for_request(self, method: str, path: str) -> tuple[str, int]:
        if method == "GET":
            return "get", self.get
        if path.rstrip("/") == "/v1/payments":
            return "create_payment", self.create_payment
        if path.rstrip("/").endswith("/capture"):
            return "capture", self.capture
        return "other_post", self.other_post


class Windows(Protocol):
    async def count(self, key: str, second: int) -> int:
        """Add one to the key's count for this second; the count including it."""
        ...


class LocalWindows:
    """This process's counts (no Redis): a dict of the current second's counters."""

    def __init__(self) -> None:
        self._second = 0
        self._counts: dict[str, int] = {}

    async def count(self, key: str, second: int) -> int:
        if second != self._second:
            self._second, self._counts = second, {}
        self._counts[key] = self._counts.get(key, 0) + 1
        return self._counts[key]


class RedisWindows:
    """Counts shared by every web process: INCR on a key that expires with its second."""

    def __init__(self, client: Redis) -> None:
        self._client = client

    async def count(self, key: str, second: int) -> int:
        name = f"govplatform:pay:rate:{key}:{second}"
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, 2)
                counted, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("pay.rate_limit_unavailable", error=type(error).__name__)
            return 0  # fail open
        return int(counted)


class RateLimiter:
    def __init__(self, windows: Windows, limits: Limits, clock: Callable[[], float] = time.time) -> None:
        self.windows = windows
        self.limits = limits
        self.clock = clock

    async def check(self, account: str, method: str, path: str) -> None:
        """Count the request; PayError 429 P0900 when the account is over its limit this second."""
        kind, limit = self.limits.for_request(method, path)
        second = int(self.clock())
        if await self.windows.count(f"{account}:{kind}", second) > limit:
            raise PayError(429, "P0900", "Too many requests")
