"""Recurring payments against agreements, and disputes the processor reports, over HTTP."""

from __future__ import annotations

import httpx

from govplatform.core.platform import Platform
from govplatform.pay.services import disputes
from tests.integration.pay.support import bearer, pay_by_card, pay_key, pay_of, pay_service, payment_body


async def _agreement_with_card(
    platform: Platform, client: httpx.AsyncClient, key: str, number: str = "4242424242424242"
) -> str:
    created = await client.post(
        "/v1/agreements",
        json={"reference": "CT-2024-001", "description": "Council tax instalments", "user_identifier": "u-42"},
        headers=bearer(key),
    )
    assert created.status_code == 201
    agreement = created.json()
    assert agreement["status"] == "created" and "payment_instrument" not in agreement
    set_up = await client.post(
        "/v1/payments",
        json=payment_body(set_up_agreement=agreement["agreement_id"]),
        headers=bearer(key),
    )
    assert set_up.status_code == 201
    await pay_by_card(pay_of(platform), set_up.json()["_links"]["next_url"]["href"], number)
    return str(agreement["agreement_id"])


async def test_a_set_up_payment_activates_the_agreement_and_later_payments_take_the_saved_card(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    agreement_id = await _agreement_with_card(platform, client, key)
    agreement = (await client.get(f"/v1/agreements/{agreement_id}", headers=bearer(key))).json()
    assert agreement["status"] == "active" and agreement["user_identifier"] == "u-42"
    instrument = agreement["payment_instrument"]
    assert instrument["type"] == "card" and instrument["card_details"]["last_digits_card_number"] == "4242"
    recurring = await client.post(
        "/v1/payments",
        json={
            "amount": 12000,
            "reference": "CT-2024-001-02",
            "description": "Council tax: February",
            "authorisation_mode": "agreement",
            "agreement_id": agreement_id,
        },
        headers=bearer(key),
    )
    assert recurring.status_code == 201
    body = recurring.json()
    assert body["authorisation_mode"] == "agreement" and body["agreement_id"] == agreement_id
    assert body["state"] == {"status": "success", "finished": True}
    assert "next_url" not in body["_links"] and "cancel" not in body["_links"] and "return_url" not in body
    found = (await client.get(f"/v1/payments?agreement_id={agreement_id}", headers=bearer(key))).json()
    assert found["total"] == 2
    listed = (await client.get("/v1/agreements?status=active", headers=bearer(key))).json()
    assert [item["agreement_id"] for item in listed["results"]] == [agreement_id]


async def test_a_card_that_declines_recurring_payments_makes_the_agreement_inactive(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    agreement_id = await _agreement_with_card(platform, client, key, "5105105105105100")
    response = await client.post(
        "/v1/payments",
        json={
            "amount": 500,
            "reference": "R1",
            "description": "Monthly",
            "authorisation_mode": "agreement",
            "agreement_id": agreement_id,
        },
        headers=bearer(key),
    )
    assert response.status_code == 201
    assert response.json()["state"] == {
        "status": "failed",
        "finished": True,
        "message": "Payment method rejected",
        "code": "P0010",
        "can_retry": False,
    }
    agreement = (await client.get(f"/v1/agreements/{agreement_id}", headers=bearer(key))).json()
    assert agreement["status"] == "inactive"
    again = await client.post(
        "/v1/payments",
        json={
            "amount": 500,
            "reference": "R2",
            "description": "Monthly",
            "authorisation_mode": "agreement",
            "agreement_id": agreement_id,
        },
        headers=bearer(key),
    )
    assert again.status_code == 400 and again.json()["code"] == "P0103"


async def test_only_an_active_agreement_can_be_cancelled(platform: Platform, client: httpx.AsyncClient) -> None:
    key = await pay_key(platform, await pay_service(platform))
    created = (
        await client.post("/v1/agreements", json={"reference": "A", "description": "B"}, headers=bearer(key))
    ).json()
    refused = await client.post(f"/v1/agreements/{created['agreement_id']}/cancel", headers=bearer(key))
    assert refused.status_code == 400
    assert refused.json() == {"code": "P2501", "description": "Cancellation of agreement failed"}
    agreement_id = await _agreement_with_card(platform, client, key)
    assert (await client.post(f"/v1/agreements/{agreement_id}/cancel", headers=bearer(key))).status_code == 204
    cancelled = (await client.get(f"/v1/agreements/{agreement_id}", headers=bearer(key))).json()
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_date"].endswith("Z")
    missing = await client.get("/v1/agreements/abcdefghijklmnopqrstuvwxyz", headers=bearer(key))
    assert missing.status_code == 404 and missing.json() == {"code": "P2200", "description": "Not found"}


async def test_the_sandbox_dispute_card_raises_a_dispute_that_blocks_refunds(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    created = (await client.post("/v1/payments", json=payment_body(amount=4000), headers=bearer(key))).json()
    await pay_by_card(pay_of(platform), created["_links"]["next_url"]["href"], "4000000000000259")
    other = (await client.post("/v1/payments", json=payment_body(), headers=bearer(key))).json()
    await pay_by_card(pay_of(platform), other["_links"]["next_url"]["href"])
    assert await disputes.poll(pay_of(platform)) == 1
    assert await disputes.poll(pay_of(platform)) == 0
    found = (await client.get("/v1/disputes", headers=bearer(key))).json()
    assert found["total"] == 1 and "links" in found and "_links" not in found
    dispute = found["results"][0]
    assert dispute["payment_id"] == created["payment_id"] and dispute["amount"] == 4000
    assert dispute["status"] == "needs_response" and dispute["reason"] == "fraudulent"
    assert dispute["fee"] == 1500 and dispute["net_amount"] == -5500
    assert dispute["_links"]["payment"]["href"].endswith(created["payment_id"])
    refund = await client.post(
        f"/v1/payments/{created['payment_id']}/refunds", json={"amount": 100}, headers=bearer(key)
    )
    assert refund.status_code == 400 and refund.json()["code"] == "P0603"
