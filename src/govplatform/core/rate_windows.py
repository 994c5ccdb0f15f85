"""Requests counted in one-second windows, for the machine APIs' rate limits (pay's, the exchange's).

The counts live in Redis when GOVPLATFORM_REDIS_URL is set, so every web process shares them; without Redis
each process counts on its own (as pay-publicapi falls back to "per node" when its Redis is down), so a limit
of N a second holds per process. A Redis that cannot be reached lets the request through: a limit protects
the service from a flood, and refusing everyone because the counter is down would be the outage it guards
against.
"""

from __future__ import annotations

from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("govplatform.rate_windows")


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

    def __init__(self, client: Redis, prefix: str = "govplatform:pay:rate") -> None:
        self._client = client
        self._prefix = prefix

    async def count(self, key: str, second: int) -> int:
        name = f"{self._prefix}:{key}:{second}"
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, 2)
                counted, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            log.warning("rate_limit_unavailable", prefix=self._prefix, error=type(error).__name__)
            return 0  # fail open
        return int(counted)
