"""Issue 4's bad input over HTTP: each gets Pay's status and code, and nothing is stored and no money moves."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from govplatform.core.platform import Platform
from govplatform.pay.models import Payment, Refund
from tests.integration.pay.support import bearer, pay_by_card, pay_key, pay_of, pay_service, payment_body

LONG = "x" * 256


async def _counts(platform: Platform) -> tuple[int, int]:
    async with platform.uow(read_only=True) as uow:
        payments = (await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one()
        refunds = (await uow.session.execute(select(func.count()).select_from(Refund))).scalar_one()
    return int(payments), int(refunds)


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"amount": 0}, 422, "P0102"),
        ({"amount": -1}, 422, "P0102"),
        ({"amount": 10_000_001}, 422, "P0102"),
        ({"amount": "100"}, 400, "P0102"),
        ({"amount": None}, 400, "P0101"),
        ({"reference": LONG}, 422, "P0102"),
        ({"description": LONG}, 422, "P0102"),
        ({"reference": "Card 4242 4242 4242 4242"}, 400, "P0105"),
        ({"reference": "4000-0566-5566-5556"}, 400, "P0105"),
        ({"metadata": {f"k{i}": i for i in range(16)}}, 422, "P0102"),
        ({"metadata": {"k" * 31: "v"}}, 422, "P0102"),
        ({"metadata": {"Ref": "a", "ref": "b"}}, 422, "P0102"),
        ({"metadata": {"k": "v" * 101}}, 422, "P0102"),
        ({"metadata": {"k": {"nested": True}}}, 422, "P0102"),
        ({"metadata": {"k": None}}, 422, "P0102"),
        ({"language": "fr"}, 422, "P0102"),
        ({"return_url": "not a url"}, 422, "P0102"),
        ({"email": "a" * 255 + "@example.org"}, 422, "P0102"),
    ],
)
async def test_a_bad_payment_gets_pay_s_answer_and_is_not_stored(
    platform: Platform, client: httpx.AsyncClient, overrides: dict[str, Any], status: int, code: str
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    before = await _counts(platform)
    body = payment_body()
    body.update(overrides)
    body = {name: value for name, value in body.items() if value is not None}
    response = await client.post("/v1/payments", json=body, headers=bearer(key))
    assert (response.status_code, response.json()["code"]) == (status, code), response.json()
    assert response.json()["description"]
    assert await _counts(platform) == before


async def test_a_live_key_refuses_a_plain_http_return_url_with_p0920(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform), "live")
    before = await _counts(platform)
    response = await client.post(
        "/v1/payments", json=payment_body(return_url="http://parking.example.gov.uk/r"), headers=bearer(key)
    )
    assert response.status_code == 422 and response.json()["code"] == "P0920"
    assert await _counts(platform) == before


async def test_refunds_that_pay_refuses_move_no_money(platform: Platform, client: httpx.AsyncClient) -> None:
    key = await pay_key(platform, await pay_service(platform))
    created = (await client.post("/v1/payments", json=payment_body(amount=1000), headers=bearer(key))).json()
    await pay_by_card(pay_of(platform), created["_links"]["next_url"]["href"])
    url = f"/v1/payments/{created['payment_id']}/refunds"
    cases = [
        ({"amount": 1001}, 400, "P0603"),
        ({"amount": 100, "refund_amount_available": 500}, 412, "P0604"),
        ({"amount": 0}, 422, "P0602"),
        ({"amount": "ten"}, 400, "P0602"),
        ({}, 400, "P0601"),
    ]
    for body, status, code in cases:
        response = await client.post(url, json=body, headers=bearer(key))
        assert (response.status_code, response.json()["code"]) == (status, code), (body, response.json())
    assert (await _counts(platform))[1] == 0
    payment = (await client.get(f"/v1/payments/{created['payment_id']}", headers=bearer(key))).json()
    assert payment["refund_summary"] == {"status": "available", "amount_available": 1000, "amount_submitted": 0}


async def test_unknown_payments_and_wrong_states_get_pay_s_codes(platform: Platform, client: httpx.AsyncClient) -> None:
    key = await pay_key(platform, await pay_service(platform))
    missing = "abcdefghijklmnopqrstuvwxyz"
    assert (await client.get(f"/v1/payments/{missing}", headers=bearer(key))).json()["code"] == "P0200"
    created = (await client.post("/v1/payments", json=payment_body(), headers=bearer(key))).json()
    capture = await client.post(f"/v1/payments/{created['payment_id']}/capture", headers=bearer(key))
    assert (capture.status_code, capture.json()["code"]) == (409, "P1003")
    refund = await client.post(f"/v1/payments/{created['payment_id']}/refunds", json={"amount": 1}, headers=bearer(key))
    assert (refund.status_code, refund.json()["code"]) == (400, "P0603")
    await client.post(f"/v1/payments/{created['payment_id']}/cancel", headers=bearer(key))
    again = await client.post(f"/v1/payments/{created['payment_id']}/cancel", headers=bearer(key))
    assert (again.status_code, again.json()["code"]) == (409, "P0502")
    after = (await client.get(f"/v1/payments/{created['payment_id']}", headers=bearer(key))).json()
    assert after["state"]["status"] == "cancelled" and after["refund_summary"]["amount_submitted"] == 0
