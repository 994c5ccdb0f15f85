"""Refunds over HTTP: 202, what is available, Pay's refusals, and the lists and searches."""

from __future__ import annotations

import httpx

from govplatform.core.platform import Platform
from tests.integration.pay.support import bearer, pay_by_card, pay_key, pay_of, pay_service, payment_body


async def _paid(platform: Platform, client: httpx.AsyncClient, key: str, amount: int = 5000) -> str:
    created = (await client.post("/v1/payments", json=payment_body(amount=amount), headers=bearer(key))).json()
    await pay_by_card(pay_of(platform), created["_links"]["next_url"]["href"])
    return str(created["payment_id"])


async def test_a_partial_refund_is_accepted_with_202_and_reduces_what_is_available(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    payment_id = await _paid(platform, client, key)
    response = await client.post(
        f"/v1/payments/{payment_id}/refunds",
        json={"amount": 1500, "refund_amount_available": 5000},
        headers=bearer(key),
    )
    assert response.status_code == 202
    refund = response.json()
    assert refund["amount"] == 1500 and refund["status"] == "success" and refund["payment_id"] == payment_id
    assert len(refund["refund_id"]) == 26 and refund["settlement_summary"] == {}
    assert refund["_links"]["payment"]["href"].endswith(f"/v1/payments/{payment_id}")
    payment = (await client.get(f"/v1/payments/{payment_id}", headers=bearer(key))).json()
    assert payment["refund_summary"] == {"status": "available", "amount_available": 3500, "amount_submitted": 1500}
    one = await client.get(f"/v1/payments/{payment_id}/refunds/{refund['refund_id']}", headers=bearer(key))
    assert one.status_code == 200 and one.json()["refund_id"] == refund["refund_id"]
    listed = (await client.get(f"/v1/payments/{payment_id}/refunds", headers=bearer(key))).json()
    assert listed["payment_id"] == payment_id and set(listed["_links"]) == {"self", "payment"}
    assert [item["refund_id"] for item in listed["_embedded"]["refunds"]] == [refund["refund_id"]]
    searched = (await client.get("/v1/refunds", headers=bearer(key))).json()
    assert searched["total"] == 1 and searched["results"][0]["refund_id"] == refund["refund_id"]


async def test_refunding_the_rest_makes_the_payment_fully_refunded(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    payment_id = await _paid(platform, client, key, amount=1000)
    assert (
        await client.post(f"/v1/payments/{payment_id}/refunds", json={"amount": 1000}, headers=bearer(key))
    ).status_code == 202
    payment = (await client.get(f"/v1/payments/{payment_id}", headers=bearer(key))).json()
    assert payment["refund_summary"] == {"status": "full", "amount_available": 0, "amount_submitted": 1000}
    more = await client.post(f"/v1/payments/{payment_id}/refunds", json={"amount": 1}, headers=bearer(key))
    assert more.status_code == 400
    assert more.json() == {
        "code": "P0603",
        "description": "The payment is not available for refund. Payment refund status: full",
    }


async def test_refunds_pay_refuses_move_no_money(platform: Platform, client: httpx.AsyncClient) -> None:
    key = await pay_key(platform, await pay_service(platform))
    payment_id = await _paid(platform, client, key, amount=1000)
    url = f"/v1/payments/{payment_id}/refunds"
    too_much = await client.post(url, json={"amount": 1001}, headers=bearer(key))
    assert too_much.status_code == 400 and too_much.json()["code"] == "P0603"
    assert too_much.json()["description"].endswith("amount_not_available")
    mismatch = await client.post(url, json={"amount": 100, "refund_amount_available": 999}, headers=bearer(key))
    assert mismatch.status_code == 412
    assert mismatch.json() == {"code": "P0604", "description": "Refund amount available mismatch."}
    unknown = await client.post(
        "/v1/payments/abcdefghijklmnopqrstuvwxyz/refunds", json={"amount": 100}, headers=bearer(key)
    )
    assert unknown.status_code == 404 and unknown.json() == {"code": "P0600", "description": "Not found"}
    created = (await client.post("/v1/payments", json=payment_body(), headers=bearer(key))).json()
    unpaid = await client.post(
        f"/v1/payments/{created['payment_id']}/refunds", json={"amount": 100}, headers=bearer(key)
    )
    assert unpaid.status_code == 400 and unpaid.json()["description"].endswith("pending")
    payment = (await client.get(f"/v1/payments/{payment_id}", headers=bearer(key))).json()
    assert payment["refund_summary"]["amount_submitted"] == 0
    assert (await client.get("/v1/refunds", headers=bearer(key))).json()["total"] == 0
