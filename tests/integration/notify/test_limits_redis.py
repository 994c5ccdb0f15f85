"""The Redis store: one atomic script per request, keys that expire, and failing open as Notify does."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from structlog.testing import capture_logs

from govplatform.core.platform import Platform
from govplatform.notify.services.limits import capacity
from govplatform.notify.services.limits.redis_store import RedisLimitStore, redis_client
from tests.integration.notify.limits_support import Clock, reachable_redis


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    async for found in reachable_redis():
        yield found


async def test_many_requests_at_once_are_admitted_exactly_up_to_the_buckets_capacity(
    redis: tuple[Redis, str],
) -> None:
    client, prefix = redis
    store = RedisLimitStore(client, clock=Clock(), prefix=prefix)
    service_id = uuid.uuid4()
    taken = await asyncio.gather(*[store.take(service_id, "normal", 30) for _ in range(60)])
    assert sum(taken) == capacity(30) == 11


async def test_a_bucket_is_forgotten_once_it_would_have_filled_up_again(redis: tuple[Redis, str]) -> None:
    client, prefix = redis
    store = RedisLimitStore(client, clock=Clock(), prefix=prefix)
    service_id = uuid.uuid4()
    await store.take(service_id, "team", 30)
    assert 0 < await client.ttl(store.bucket_key(service_id, "team")) <= 11 / 0.5 + 1
    await store.take(service_id, "team", 3000)
    assert 0 < await client.ttl(store.bucket_key(service_id, "team")) <= 1000 / 50 + 1


async def test_a_days_counts_expire_after_the_day_is_over(redis: tuple[Redis, str], platform: Platform) -> None:
    client, prefix = redis
    clock = Clock()
    store = RedisLimitStore(client, clock=clock, prefix=prefix)
    service_id = uuid.uuid4()
    async with platform.uow() as uow:
        await store.add(uow, service_id, ["letter"])
    key = store.count_key(service_id, "letter", clock.now)
    assert key.endswith(":sent:letter:2027-01-15")
    assert 24 * 3600 < await client.ttl(key) <= 2 * 24 * 3600


async def test_when_redis_does_not_answer_the_limits_fail_open_with_one_warning_that_names_no_one(
    platform: Platform,
) -> None:
    client = redis_client("redis://127.0.0.1:1/0", timeout_seconds=0.5)  # nothing listens on port 1
    now = [0.0]
    store = RedisLimitStore(client, clock=Clock(), monotonic=lambda: now[0])
    service_id = uuid.uuid4()
    try:
        with capture_logs() as logs:
            assert await store.take(service_id, "normal", 1)
            now[0] += 10  # after the rest, the next request tries Redis again
            async with platform.uow(read_only=True) as uow:
                assert await store.today(uow, service_id, ["email"]) == {}
                now[0] += 10
                await store.add(uow, service_id, ["email"])
            assert all([await store.take(service_id, "normal", 1) for _ in range(5)])  # resting: not even tried
        now[0] += 60
        with capture_logs() as later:
            assert await store.take(service_id, "normal", 1)
    finally:
        await client.aclose()
    assert [entry["event"] for entry in logs] == ["notify.limits.redis_unavailable"]
    assert logs[0]["log_level"] == "warning" and logs[0]["error"] == "ConnectionError"
    assert str(service_id) not in repr(logs)
    assert [entry["failures"] for entry in later] == [3]  # a minute on: one warning for the failures since
