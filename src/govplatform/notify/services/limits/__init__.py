"""Notify's sending limits: a rate limit per service and key type, and daily limits per channel.

The rules, numbers and messages are notifications-api's (https://github.com/alphagov/notifications-api:
app/notifications/validators.py, app/v2/errors.py):

- Rate limit: a token bucket per service *and* key type, so a test key's load never starves the live
  key. It refills at `rate_limit`/60 tokens a second and holds min(ceil(rate_limit/3) + 1, 1000)
  tokens. Every request to a send endpoint takes a token, whatever happens to it afterwards
  (smoke-test recipients included); an empty bucket gives 429 `RateLimitError`, "Exceeded rate limit
  for key type LIVE of 3000 requests per 60 seconds" (normal keys are called LIVE, as Notify's
  documentation calls them).
- Daily limits: messages accepted per UTC day and channel (email, sms, letter and, for texts abroad,
  international_sms as well as sms). Over the limit gives 429 `TooManyRequestsError`, "Exceeded send
  limits (email: 250000) for today". Test keys are checked but never counted, as in Notify: their
  messages go nowhere, and a test key of a trial-mode service is held to the live limits. A
  trial-mode service may send 50 emails and text messages a day in all (Notify's documented trial
  limit, "50 emails or text messages"), reported against the channel of the refused request.
- Notify fails open when Redis is down, and so does the Redis store here: a limit that cannot be
  read is not enforced, and the warning names no service or person.

Two stores implement the same two small interfaces: Redis (`redis_store.py`, when
GOVPLATFORM_REDIS_URL is set, a Lua script as Notify's) and the database (`database.py`).
A limit is read from the service's policy on every request, so a changed limit applies to the next one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import uuid
from collections.abc import Sequence
from typing import Protocol

from govplatform.core.interfaces import UnitOfWork
from govplatform.notify.errors import NotifyError
from govplatform.notify.services.settings import ServicePolicy

INTERVAL_SECONDS = 60  # Notify's rate limit is per 60 seconds
MAX_CAPACITY = 1000  # notifications-api TOKEN_BUCKET_MAX
TRIAL_DAILY_LIMIT = 50
TRIAL_CHANNELS = ("email", "sms")
KEY_TYPE_NAMES = {"normal": "LIVE", "team": "TEAM", "test": "TEST"}


def capacity(rate_limit: int) -> int:
    """How many tokens a service's bucket holds: the largest burst it may send at once."""
    return min(math.ceil(rate_limit / 3) + 1, MAX_CAPACITY)


def refill_per_second(rate_limit: int) -> float:
    return rate_limit / INTERVAL_SECONDS


@dataclasses.dataclass(frozen=True)
class Bucket:
    """A token bucket's state; the stores keep the same two numbers and do the same sum atomically."""

    tokens: float
    refilled_at: float  # seconds since the epoch

    def refilled(self, now: float, size: float, rate: float) -> Bucket:
        # A clock behind the last writer's adds nothing and never moves time back (several web
        # processes, several clocks: the same rule as Notify's script).
        elapsed = max(now - self.refilled_at, 0.0)
        return Bucket(min(size, self.tokens + elapsed * rate), max(self.refilled_at, now))

    def take(self, now: float, size: float, rate: float) -> tuple[bool, Bucket]:
        """Refill for the time gone by, then take one whole token if there is one."""
        bucket = self.refilled(now, size, rate)
        if bucket.tokens >= 1:
            return True, Bucket(bucket.tokens - 1, bucket.refilled_at)
        return False, bucket


def shares(size: int, count: int) -> list[int]:
    """`size` tokens split into `count` whole shares that differ by at most one."""
    count = max(1, min(count, size))
    return [size // count + (1 if index < size % count else 0) for index in range(count)]


def rate_limit_error(key_type: str, rate_limit: int) -> NotifyError:
    name = KEY_TYPE_NAMES.get(key_type, key_type.upper())
    return NotifyError(
        429, "RateLimitError", f"Exceeded rate limit for key type {name} of {rate_limit} requests per 60 seconds"
    )


def daily_limit_error(channel: str, limit: int) -> NotifyError:
    return NotifyError(429, "TooManyRequestsError", f"Exceeded send limits ({channel}: {limit}) for today")


@dataclasses.dataclass(frozen=True)
class DailyLimit:
    """At most `limit` messages a day across `counted` channels; a refusal names `channel`."""

    channel: str
    limit: int
    counted: tuple[str, ...]


def daily_limits(policy: ServicePolicy, key_type: str, channel: str) -> list[DailyLimit]:
    limits = [DailyLimit(channel, policy.daily_limits[channel], (channel,))]
    if policy.restricted and key_type != "test" and channel in TRIAL_CHANNELS:
        limits.append(DailyLimit(channel, TRIAL_DAILY_LIMIT, TRIAL_CHANNELS))
    return limits


def counted_channels(kind: str, international: bool) -> tuple[str, ...]:
    """The daily counts one accepted message adds to: a text abroad is also an international text."""
    return (kind, "international_sms") if kind == "sms" and international else (kind,)


def utc_day(now: float) -> dt.date:
    return dt.datetime.fromtimestamp(now, dt.UTC).date()


class TokenBuckets(Protocol):
    async def take(self, service_id: uuid.UUID, key_type: str, rate_limit: int) -> bool:
        """Take one token from the service's bucket for this key type; False when it is empty."""
        ...


class DailyCounts(Protocol):
    async def today(self, uow: UnitOfWork, service_id: uuid.UUID, channels: Sequence[str]) -> dict[str, int]:
        """Messages accepted so far on this UTC day, by channel."""
        ...

    async def add(self, uow: UnitOfWork, service_id: uuid.UUID, channels: Sequence[str], amount: int = 1) -> None:
        """Count more messages, in the unit of work that stores them (the database commits them together)."""
        ...


class SendingLimits:
    """Notify's rate and daily limits over one store; built once per process by the composition root."""

    def __init__(self, buckets: TokenBuckets, counts: DailyCounts) -> None:
        self.buckets = buckets
        self.counts = counts

    async def check_rate(self, service_id: uuid.UUID, key_type: str, policy: ServicePolicy) -> None:
        """Take a token for one request to a send endpoint, or refuse it with Notify's RateLimitError."""
        if not await self.buckets.take(service_id, key_type, policy.rate_limit):
            raise rate_limit_error(key_type, policy.rate_limit)

    async def check_daily(
        self,
        uow: UnitOfWork,
        service_id: uuid.UUID,
        key_type: str,
        policy: ServicePolicy,
        channel: str,
        amount: int = 1,
    ) -> None:
        """Refuse, with Notify's TooManyRequestsError, messages that would go over a daily limit."""
        limits = daily_limits(policy, key_type, channel)
        wanted = sorted({counted for limit in limits for counted in limit.counted})
        sent = await self.counts.today(uow, service_id, wanted)
        for limit in limits:
            if sum(sent.get(counted, 0) for counted in limit.counted) + amount > limit.limit:
                raise daily_limit_error(limit.channel, limit.limit)

    async def record(
        self,
        uow: UnitOfWork,
        service_id: uuid.UUID,
        key_type: str,
        kind: str,
        international: bool = False,
        amount: int = 1,
    ) -> None:
        """Count a stored message against today's limits, just before its unit of work commits.

        Test keys' messages are never counted. The database counts commit with the message; Redis
        counts at once, so a commit that then fails leaves the day's count one high (the safe side).
        """
        if key_type != "test":
            await self.counts.add(uow, service_id, counted_channels(kind, international), amount)


__all__ = [
    "Bucket",
    "DailyCounts",
    "DailyLimit",
    "SendingLimits",
    "TokenBuckets",
    "capacity",
    "counted_channels",
    "daily_limit_error",
    "daily_limits",
    "rate_limit_error",
    "refill_per_second",
    "shares",
    "utc_day",
]
