"""The two stores for sending limits, the database and Redis, pass the same tests (STYLE.md rule 4).

Each test moves a clock by hand, so what a bucket admits is exact and no test waits.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from govplatform.core.platform import Platform
from govplatform.notify.services.limits import DailyCounts, TokenBuckets, capacity
from govplatform.notify.services.limits.database import DatabaseDailyCounts, DatabaseTokenBuckets
from govplatform.notify.services.limits.redis_store import RedisLimitStore
from tests.helpers import service_with_org
from tests.integration.notify.limits_support import Clock, reachable_redis

DAY = 24 * 3600.0


@dataclasses.dataclass
class Store:
    buckets: TokenBuckets
    counts: DailyCounts
    clock: Clock
    platform: Platform
    shares: Callable[[int], int]  # how many rows or keys a bucket of this rate limit is split into

    async def service(self) -> uuid.UUID:
        return await service_with_org(self.platform, f"Council {uuid.uuid4().hex[:8]}", "Bins")

    async def take(self, service_id: uuid.UUID, times: int, rate_limit: int = 30, key_type: str = "normal") -> int:
        return sum([await self.buckets.take(service_id, key_type, rate_limit) for _ in range(times)])

    async def today(self, service_id: uuid.UUID, *channels: str) -> dict[str, int]:
        async with self.platform.uow(read_only=True) as uow:
            return await self.counts.today(uow, service_id, channels)

    async def add(self, service_id: uuid.UUID, *channels: str) -> None:
        async with self.platform.uow() as uow:
            await self.counts.add(uow, service_id, channels)
            await uow.commit()


@pytest.fixture(params=["database", "redis"])
async def store(request: pytest.FixtureRequest, platform: Platform) -> AsyncIterator[Store]:
    clock = Clock()
    if request.param == "database":
        # Shares of at least 2 tokens: a bucket of 11 (30 a minute) is five rows of 3, 2, 2, 2 and 2.
        buckets = DatabaseTokenBuckets(platform.uow, clock=clock, tokens_per_shard=2)
        yield Store(
            buckets, DatabaseDailyCounts(clock=clock), clock, platform, lambda limit: len(buckets.layout(limit))
        )
        return
    async for client, prefix in reachable_redis():
        redis_store = RedisLimitStore(client, clock=clock, prefix=prefix)
        yield Store(redis_store, redis_store, clock, platform, lambda limit: 1)


async def test_a_full_bucket_admits_exactly_its_capacity_and_then_refuses(store: Store) -> None:
    service_id = await store.service()
    assert capacity(30) == 11
    assert await store.take(service_id, 11) == 11
    assert await store.take(service_id, 5) == 0


async def test_an_emptied_bucket_is_full_again_once_its_whole_capacity_has_had_time_to_refill(store: Store) -> None:
    service_id = await store.service()
    await store.take(service_id, 11)
    store.clock.now += 11 / 0.5  # 30 a minute refills half a token a second
    assert await store.take(service_id, 15) == 11


async def test_a_drained_bucket_lets_the_limit_through_over_a_minute(store: Store) -> None:
    service_id = await store.service()
    await store.take(service_id, 11)
    admitted = 0
    for _ in range(600):
        store.clock.now += 0.1
        admitted += await store.take(service_id, 1)
    # One bucket admits 30 (or 29 where adding up tenths of a second falls just short of 60 seconds);
    # shares hand out whole tokens only, so each may hold back a fraction of one.
    assert 30 - store.shares(30) <= admitted <= 30


async def test_each_service_and_each_key_type_has_a_bucket_of_its_own(store: Store) -> None:
    first, second = await store.service(), await store.service()
    assert await store.take(first, 12) == 11
    assert await store.take(first, 1, key_type="team") == 1
    assert await store.take(first, 1, key_type="test") == 1
    assert await store.take(second, 1) == 1


async def test_a_lowered_limit_applies_to_the_next_request(store: Store) -> None:
    service_id = await store.service()
    assert await store.take(service_id, 5, rate_limit=3000) == 5
    assert await store.take(service_id, 5, rate_limit=3) == capacity(3) == 2


async def test_a_raised_limit_refills_at_the_new_rate_from_the_next_request(store: Store) -> None:
    service_id = await store.service()
    await store.take(service_id, 11)
    store.clock.now += 1.0  # half a token at 30 a minute; 50 tokens at 3,000
    assert 50 - store.shares(3000) <= await store.take(service_id, 60, rate_limit=3000) <= 50


async def test_daily_counts_start_at_nothing_and_count_each_channel_and_service_apart(store: Store) -> None:
    service_id, other = await store.service(), await store.service()
    assert await store.today(service_id, "email", "sms") == {}
    await store.add(service_id, "email")
    await store.add(service_id, "email")
    await store.add(service_id, "sms", "international_sms")
    await store.add(other, "email")
    assert await store.today(service_id, "email", "sms", "international_sms", "letter") == {
        "email": 2, "sms": 1, "international_sms": 1
    }  # fmt: skip
    assert await store.today(other, "email") == {"email": 1}


async def test_a_new_utc_day_starts_the_counts_again(store: Store) -> None:
    service_id = await store.service()
    for _ in range(20):
        await store.add(service_id, "email")
    store.clock.now += DAY
    assert await store.today(service_id, "email") == {}
    for _ in range(3):
        await store.add(service_id, "email")
    assert await store.today(service_id, "email") == {"email": 3}
