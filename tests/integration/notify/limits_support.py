"""Set-up shared by the sending-limit tests: a clock the test moves, and a Redis that may not be there."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from govplatform.notify.services.limits.redis_store import redis_client

REDIS_URL = os.environ.get("GOVPLATFORM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
START = 1_800_000_000.0  # 2027-01-15, a fixed moment so that nothing refills while a test runs


class Clock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def reachable_redis() -> AsyncIterator[tuple[Redis, str]]:
    """A client and a key prefix of this test's own (its keys are deleted afterwards), or a skip."""
    client = redis_client(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError):
        await client.aclose()
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: start redis-server or set GOVPLATFORM_TEST_REDIS_URL")
    prefix = f"govplatform-test:{uuid.uuid4().hex}:"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
