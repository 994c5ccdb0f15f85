"""Idempotency-Key on POST /v1/payments: a replay returns the original, a different body is refused."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import func, select

from govplatform.app import build_app
from govplatform.core.platform import Platform
from govplatform.pay.models import Payment
from tests.integration.pay.support import bearer, pay_key, pay_service, payment_body


async def test_the_same_key_and_body_replays_the_payment_with_200(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    headers = {**bearer(key), "Idempotency-Key": "order-1234"}
    first = await client.post("/v1/payments", json=payment_body(), headers=headers)
    again = await client.post("/v1/payments", json=payment_body(), headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["payment_id"] == first.json()["payment_id"]
    assert again.json()["_links"]["next_url"]["href"] != first.json()["_links"]["next_url"]["href"]


async def test_the_same_key_with_another_body_is_refused_with_409(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    headers = {**bearer(key), "Idempotency-Key": "order-1234"}
    assert (await client.post("/v1/payments", json=payment_body(), headers=headers)).status_code == 201
    other = await client.post("/v1/payments", json=payment_body(amount=9999), headers=headers)
    assert other.status_code == 409 and other.json()["code"] == "P0191"
    async with platform.uow(read_only=True) as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one() >= 1


async def test_a_malformed_key_is_refused_with_422_naming_the_header(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    response = await client.post(
        "/v1/payments", json=payment_body(), headers={**bearer(key), "Idempotency-Key": "not valid!"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "P0102" and response.json()["header"] == "Idempotency-Key"


async def test_concurrent_duplicates_make_one_payment(own_platform: Platform) -> None:
    platform = own_platform
    key = await pay_key(platform, await pay_service(platform))
    app = build_app(platform.settings, platform)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    headers = {**bearer(key), "Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answers = await asyncio.gather(
            *(client.post("/v1/payments", json=payment_body(), headers=headers) for _ in range(8))
        )
    assert sorted(answer.status_code for answer in answers) == [200] * 7 + [201]
    assert len({answer.json()["payment_id"] for answer in answers}) == 1
    async with platform.uow(read_only=True) as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one() == 1
