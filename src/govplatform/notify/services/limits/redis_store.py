"""Sending limits kept in Redis, as Notify keeps them (GOVPLATFORM_REDIS_URL).

The token bucket is one Lua script, so reading, refilling and taking a token is atomic however many
web processes share the bucket; it does `Bucket.take`'s sum, keeps the two numbers in a hash and lets
the key expire once a full bucket would be full again anyway (notifications-utils'
`tally-bucket-rate-limit`, with keys passed as KEYS so the script also runs on a cluster). Daily counts
are INCR on a key per service, channel and UTC day, expiring two days later.

Notify fails open when Redis does not answer, and so does this store: the request is let through,
uncounted. After a failure the store leaves Redis alone for a few seconds, so an outage costs each
request nothing rather than a timeout, and it logs one warning a minute with no service or person in it.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Sequence

import structlog
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from govplatform.core.interfaces import UnitOfWork
from govplatform.notify.services.limits import capacity, refill_per_second, utc_day

PREFIX = "govplatform:notify:"
DAILY_COUNT_SECONDS = 2 * 24 * 3600
RETRY_AFTER_FAILURE_SECONDS = 5.0
WARNING_EVERY_SECONDS = 60.0

# KEYS[1] the bucket; ARGV now (s), refill per second, capacity, seconds to keep the key. Returns 1 or 0.
BUCKET_SCRIPT = """
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local size = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = size
  at = now
end
tokens = math.min(size, tokens + math.max(now - at, 0) * rate)
at = math.max(at, now)
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', at))
redis.call('EXPIRE', KEYS[1], ARGV[4])
return taken
"""


def redis_client(url: str, timeout_seconds: float = 1.0) -> Redis:
    """A client that gives up quickly: a limit that cannot be read is not worth holding a send for.

    Connects on first use (nothing happens at start-up). Options in the URL's query string win.
    """
    return Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), 1),  # one retry covers a pooled connection that Redis closed
    )


class RedisLimitStore:
    """Token buckets and daily counts in one Redis; both interfaces of the limits package."""

    def __init__(
        self,
        client: Redis,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        prefix: str = PREFIX,
    ) -> None:
        self.client = client
        self._take_token = client.register_script(BUCKET_SCRIPT)
        self._clock = clock
        self._monotonic = monotonic
        self._prefix = prefix
        self._resting_until = -math.inf
        self._warned_at = -math.inf
        self._failures = 0

    def _available(self) -> bool:
        return self._monotonic() >= self._resting_until

    def _failed(self, operation: str, error: Exception) -> None:
        now = self._monotonic()
        self._resting_until = now + RETRY_AFTER_FAILURE_SECONDS
        self._failures += 1
        if now - self._warned_at >= WARNING_EVERY_SECONDS:
            self._warned_at = now
            # The error's type only: its text can carry the server's address, never anything useful.
            structlog.get_logger("govplatform.notify.limits").warning(
                "notify.limits.redis_unavailable",
                operation=operation,
                error=type(error).__name__,
                failures=self._failures,
                outcome="limits not enforced (fail open)",
            )
            self._failures = 0

    def bucket_key(self, service_id: uuid.UUID, key_type: str) -> str:
        return f"{self._prefix}{service_id}:tokens:{key_type}"

    def count_key(self, service_id: uuid.UUID, channel: str, now: float) -> str:
        return f"{self._prefix}{service_id}:sent:{channel}:{utc_day(now).isoformat()}"

    async def take(self, service_id: uuid.UUID, key_type: str, rate_limit: int) -> bool:
        if not self._available():
            return True
        size, rate = capacity(rate_limit), refill_per_second(rate_limit)
        keep = math.ceil(size / rate) + 1  # by then the bucket is full: a missing key means the same
        args: list[str | int] = [repr(self._clock()), repr(rate), size, keep]
        try:
            taken = await self._take_token(keys=[self.bucket_key(service_id, key_type)], args=args)
        except (RedisError, OSError) as error:
            self._failed("take_token", error)
            return True
        return bool(taken)

    async def today(self, uow: UnitOfWork, service_id: uuid.UUID, channels: Sequence[str]) -> dict[str, int]:
        if not self._available() or not channels:
            return {}
        now = self._clock()
        try:
            values = await self.client.mget([self.count_key(service_id, channel, now) for channel in channels])
        except (RedisError, OSError) as error:
            self._failed("read_daily_counts", error)
            return {}
        return {channel: int(value) for channel, value in zip(channels, values, strict=True) if value is not None}

    async def add(self, uow: UnitOfWork, service_id: uuid.UUID, channels: Sequence[str], amount: int = 1) -> None:
        if not self._available():
            return
        now = self._clock()
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                for channel in channels:
                    key = self.count_key(service_id, channel, now)
                    pipe.incrby(key, amount)
                    pipe.expire(key, DAILY_COUNT_SECONDS)
                await pipe.execute()
        except (RedisError, OSError) as error:
            self._failed("count_daily", error)

    async def aclose(self) -> None:
        await self.client.aclose()
