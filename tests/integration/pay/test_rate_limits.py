"""Pay's rate limits: per account and kind of request, per second, 429 P0900 over them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from govplatform.core.platform import Platform
from govplatform.core.rate_windows import LocalWindows, RedisWindows
from govplatform.pay.errors import PayError
from govplatform.pay.services.rate_limits import Limits, RateLimiter
from tests.integration.pay.support import bearer, pay_key, pay_of, pay_service, payment_body

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.25

    def __call__(self) -> float:
        return self.now


async def test_the_sixteenth_payment_in_a_second_is_refused_with_p0900(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    test_key, live_key = await pay_key(platform, service_id, "test"), await pay_key(platform, service_id, "live")
    clock = Clock()
    pay_of(platform).rate_limiter = RateLimiter(LocalWindows(), Limits(create_payment=15, get=2), clock)
    answers = [await client.post("/v1/payments", json=payment_body(), headers=bearer(test_key)) for _ in range(16)]
    assert [answer.status_code for answer in answers] == [201] * 15 + [429]
    assert answers[-1].json() == {"code": "P0900", "description": "Too many requests"}
    # Another account (the live keys) and another kind of request have their own counts.
    live = await client.post(
        "/v1/payments", json=payment_body(return_url="https://x.gov.uk/r"), headers=bearer(live_key)
    )
    assert live.status_code == 201
    gets = [(await client.get("/v1/payments", headers=bearer(test_key))).status_code for _ in range(3)]
    assert gets == [200, 200, 429]
    clock.now += 1  # the next second
    assert (await client.post("/v1/payments", json=payment_body(), headers=bearer(test_key))).status_code == 201


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, RedisError):
        await client.aclose()
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield client
    await client.aclose()


async def test_web_processes_share_their_counts_through_redis(redis: Redis) -> None:
    clock = Clock()
    first = RateLimiter(RedisWindows(redis), Limits(other_post=3), clock)
    second = RateLimiter(RedisWindows(redis), Limits(other_post=3), clock)
    account = f"{uuid.uuid4()}:test"
    for limiter in (first, second, first):
        await limiter.check(account, "POST", "/v1/payments/x/cancel")
    with pytest.raises(PayError) as refused:
        await second.check(account, "POST", "/v1/payments/x/refunds")
    assert refused.value.code == "P0900" and refused.value.status_code == 429


async def test_an_unreachable_redis_lets_requests_through() -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = RateLimiter(RedisWindows(unreachable), Limits(create_payment=1))
    try:
        for _ in range(3):
            await limiter.check("svc:test", "POST", "/v1/payments")
    finally:
        await unreachable.aclose()
