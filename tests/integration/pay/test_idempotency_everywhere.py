"""Idempotency-Key on every POST that creates, not only payments (issue 13, fault 4).

Three refunds sent with one key used to refund three times. A replay of a
refund or an agreement now answers with what the first request made, with
200; the same key with another body (or on another payment) is 409 P0191;
keys are per account and per endpoint; and replays sent at once make one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from govplatform.app import build_app
from govplatform.core.platform import Platform
from govplatform.pay.models import Agreement, Refund
from tests.integration.pay.support import bearer, pay_by_card, pay_key, pay_of, pay_service, payment_body

AGREEMENT = {"reference": "CT-2024-001", "description": "Council tax instalments", "user_identifier": "u-42"}


async def _paid(platform: Platform, client: httpx.AsyncClient, key: str, amount: int = 5000) -> str:
    created = (await client.post("/v1/payments", json=payment_body(amount=amount), headers=bearer(key))).json()
    await pay_by_card(pay_of(platform), created["_links"]["next_url"]["href"])
    return str(created["payment_id"])


async def _count(platform: Platform, table: type[Refund] | type[Agreement]) -> int:
    async with platform.uow(read_only=True) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_three_refunds_with_one_key_refund_once_and_replay_the_first_with_200(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    payment_id = await _paid(platform, client, key)
    headers = {**bearer(key), "Idempotency-Key": "refund-order-1234"}
    url = f"/v1/payments/{payment_id}/refunds"
    answers = [await client.post(url, json={"amount": 1000}, headers=headers) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [202, 200, 200]
    assert len({answer.json()["refund_id"] for answer in answers}) == 1
    assert answers[1].json()["amount"] == 1000
    payment = (await client.get(f"/v1/payments/{payment_id}", headers=bearer(key))).json()
    assert payment["refund_summary"]["amount_submitted"] == 1000
    listed = (await client.get(f"/v1/payments/{payment_id}/refunds", headers=bearer(key))).json()
    assert len(listed["_embedded"]["refunds"]) == 1


async def test_a_refund_key_reused_with_another_amount_or_on_another_payment_is_refused_with_409(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    first, second = await _paid(platform, client, key), await _paid(platform, client, key)
    headers = {**bearer(key), "Idempotency-Key": "refund-order-1234"}
    made = await client.post(f"/v1/payments/{first}/refunds", json={"amount": 1000}, headers=headers)
    assert made.status_code == 202
    other_amount = await client.post(f"/v1/payments/{first}/refunds", json={"amount": 999}, headers=headers)
    other_payment = await client.post(f"/v1/payments/{second}/refunds", json={"amount": 1000}, headers=headers)
    for refused in (other_amount, other_payment):
        assert refused.status_code == 409 and refused.json()["code"] == "P0191", refused.json()
    assert await _count(platform, Refund) == 1


async def test_a_replayed_refund_is_replayed_even_when_nothing_is_left_to_refund(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    payment_id = await _paid(platform, client, key, amount=1000)
    headers = {**bearer(key), "Idempotency-Key": "refund-all"}
    url = f"/v1/payments/{payment_id}/refunds"
    made = await client.post(url, json={"amount": 1000}, headers=headers)
    again = await client.post(url, json={"amount": 1000}, headers=headers)
    assert (made.status_code, again.status_code) == (202, 200)
    assert again.json()["refund_id"] == made.json()["refund_id"]


async def test_an_agreement_replayed_with_one_key_is_made_once_and_another_body_is_refused_with_409(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    headers = {**bearer(key), "Idempotency-Key": "agreement-u-42"}
    first = await client.post("/v1/agreements", json=AGREEMENT, headers=headers)
    again = await client.post("/v1/agreements", json=AGREEMENT, headers=headers)
    other = await client.post("/v1/agreements", json={**AGREEMENT, "reference": "CT-2024-002"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["agreement_id"] == first.json()["agreement_id"]
    assert again.json()["reference"] == "CT-2024-001"
    assert other.status_code == 409 and other.json()["code"] == "P0191"
    assert await _count(platform, Agreement) == 1


async def test_a_key_belongs_to_one_account_and_one_endpoint(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await pay_service(platform)
    test_key, live_key = await pay_key(platform, service_id), await pay_key(platform, service_id, "live")
    other_service_key = await pay_key(platform, await pay_service(platform, "Bulky waste"))
    idempotency = {"Idempotency-Key": "same-key-everywhere"}
    made = [
        await client.post("/v1/agreements", json=AGREEMENT, headers={**bearer(key), **idempotency})
        for key in (test_key, live_key, other_service_key)
    ]
    assert [answer.status_code for answer in made] == [201, 201, 201]
    assert len({answer.json()["agreement_id"] for answer in made}) == 3
    # The same key on another endpoint of the same account makes that endpoint's own thing.
    payment = await client.post("/v1/payments", json=payment_body(), headers={**bearer(test_key), **idempotency})
    assert payment.status_code == 201
    refund = await client.post(
        f"/v1/payments/{await _paid(platform, client, test_key)}/refunds",
        json={"amount": 100},
        headers={**bearer(test_key), **idempotency},
    )
    assert refund.status_code == 202


async def test_a_malformed_key_on_a_refund_or_an_agreement_is_refused_with_422_naming_the_header(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    payment_id = await _paid(platform, client, key)
    headers = {**bearer(key), "Idempotency-Key": "not valid!"}
    for response in (
        await client.post(f"/v1/payments/{payment_id}/refunds", json={"amount": 100}, headers=headers),
        await client.post("/v1/agreements", json=AGREEMENT, headers=headers),
    ):
        assert response.status_code == 422, response.json()
        assert response.json()["code"] == "P0102" and response.json()["header"] == "Idempotency-Key"
    assert await _count(platform, Refund) == 0 and await _count(platform, Agreement) == 0


@pytest.fixture
async def own_client(own_platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(own_platform.settings, own_platform)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_refunds_sent_at_once_with_one_key_refund_once(
    own_platform: Platform, own_client: httpx.AsyncClient
) -> None:
    key = await pay_key(own_platform, await pay_service(own_platform))
    payment_id = await _paid(own_platform, own_client, key)
    headers = {**bearer(key), "Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    answers = await asyncio.gather(
        *(
            own_client.post(f"/v1/payments/{payment_id}/refunds", json={"amount": 100}, headers=headers)
            for _ in range(6)
        )
    )
    assert sorted(answer.status_code for answer in answers) == [200] * 5 + [202], [a.text for a in answers]
    assert len({answer.json()["refund_id"] for answer in answers}) == 1
    assert await _count(own_platform, Refund) == 1


async def test_agreements_sent_at_once_with_one_key_make_one(
    own_platform: Platform, own_client: httpx.AsyncClient
) -> None:
    key = await pay_key(own_platform, await pay_service(own_platform))
    headers = {**bearer(key), "Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    answers = await asyncio.gather(
        *(own_client.post("/v1/agreements", json=AGREEMENT, headers=headers) for _ in range(6))
    )
    assert sorted(answer.status_code for answer in answers) == [200] * 5 + [201], [a.text for a in answers]
    assert len({answer.json()["agreement_id"] for answer in answers}) == 1
    assert await _count(own_platform, Agreement) == 1
