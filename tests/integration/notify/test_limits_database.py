"""The database store under concurrent requests, each on a connection of its own, as web processes make them.

These run on a fresh database with the platform's own engine (not the rolled-back test transaction),
so on PostgreSQL the requests really race for rows and on SQLite for the write lock.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from govplatform.core.platform import Platform
from govplatform.notify.models import TokenBucketShard
from govplatform.notify.services.limits import capacity
from govplatform.notify.services.limits.database import DatabaseDailyCounts, DatabaseTokenBuckets
from tests.helpers import service_with_org
from tests.integration.notify.limits_support import Clock


async def shares_of(platform: Platform, service_id: uuid.UUID) -> dict[int, float]:
    async with platform.uow(read_only=True) as uow:
        rows = await uow.session.execute(
            select(TokenBucketShard.shard, TokenBucketShard.tokens).where(TokenBucketShard.service_id == service_id)
        )
        return {shard: tokens for shard, tokens in rows.all()}


@pytest.mark.parametrize(
    ("rate_limit", "tokens_per_shard", "shares"),
    [(30, 32, 1), (300, 32, 3), (30, 1, 8), (3000, 32, 8)],
)
async def test_many_requests_at_once_are_admitted_exactly_up_to_the_buckets_capacity(
    own_platform: Platform, rate_limit: int, tokens_per_shard: int, shares: int
) -> None:
    service_id = await service_with_org(own_platform, f"Council {uuid.uuid4().hex[:8]}", "Bins")
    buckets = DatabaseTokenBuckets(own_platform.uow, clock=Clock(), tokens_per_shard=tokens_per_shard)
    assert len(buckets.layout(rate_limit)) == shares
    size = capacity(rate_limit)
    requests = [buckets.take(service_id, "normal", rate_limit) for _ in range(size + 30)]
    assert sum(await asyncio.gather(*requests)) == size
    left = await shares_of(own_platform, service_id)
    assert sorted(left) == list(range(shares))
    assert all(tokens < 1 for tokens in left.values())


async def test_a_burst_spreads_over_the_shares_instead_of_queueing_on_one_row(own_platform: Platform) -> None:
    service_id = await service_with_org(own_platform, f"Council {uuid.uuid4().hex[:8]}", "Bins")
    buckets = DatabaseTokenBuckets(own_platform.uow, clock=Clock())
    await asyncio.gather(*[buckets.take(service_id, "normal", 3000) for _ in range(80)])
    left = await shares_of(own_platform, service_id)
    assert len(left) == 8 and sum(125 - tokens for tokens in left.values()) == 80
    assert sum(1 for tokens in left.values() if tokens < 125) >= 4  # random first picks, not one hot row


async def test_counts_added_by_concurrent_sends_are_never_lost(own_platform: Platform) -> None:
    service_id = await service_with_org(own_platform, f"Council {uuid.uuid4().hex[:8]}", "Bins")
    counts = DatabaseDailyCounts(clock=Clock())

    async def send() -> None:
        async with own_platform.uow() as uow:
            await counts.add(uow, service_id, ["sms", "international_sms"])
            await uow.commit()

    await asyncio.gather(*[send() for _ in range(60)])
    async with own_platform.uow(read_only=True) as uow:
        assert await counts.today(uow, service_id, ["sms", "international_sms"]) == {"sms": 60, "international_sms": 60}
