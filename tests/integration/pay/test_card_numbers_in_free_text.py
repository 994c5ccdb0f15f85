"""A card number typed into a payment's or an agreement's free text is refused (issue 13, fault 8).

Pay checks only the reference (400 P0105). A card number in the description,
the email, the prefilled cardholder name or address, or an agreement's
reference or description was stored. Now each is 422 P0102 naming the field,
and nothing is stored; metadata and user identifiers are left alone, because
a 16-digit order number there passes the Luhn check one time in ten.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from govplatform.core.platform import Platform
from govplatform.pay.models import Agreement, Payment
from tests.integration.pay.support import bearer, pay_key, pay_service, payment_body

CARD = "4242 4242 4242 4242"
ADDRESS = {"line1": "10 Downing Street", "city": "London", "postcode": "SW1A 2AA", "country": "GB"}


async def _counts(platform: Platform) -> tuple[int, int]:
    async with platform.uow(read_only=True) as uow:
        payments = (await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one()
        agreements = (await uow.session.execute(select(func.count()).select_from(Agreement))).scalar_one()
    return int(payments), int(agreements)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": f"Permit, paid with {CARD}"}, "description"),
        ({"description": "4000-0566-5566-5556"}, "description"),
        ({"email": "4242424242424242@example.org"}, "email"),
        ({"prefilled_cardholder_details": {"cardholder_name": f"Ada {CARD}"}}, "cardholder_name"),
        ({"prefilled_cardholder_details": {"billing_address": {**ADDRESS, "line1": CARD}}}, "line1"),
        ({"prefilled_cardholder_details": {"billing_address": {**ADDRESS, "line2": CARD}}}, "line2"),
        ({"prefilled_cardholder_details": {"billing_address": {**ADDRESS, "city": CARD}}}, "city"),
    ],
)
async def test_a_card_number_in_a_payment_s_free_text_is_refused_with_422_naming_the_field(
    platform: Platform, client: httpx.AsyncClient, overrides: dict[str, Any], field: str
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    response = await client.post("/v1/payments", json=payment_body(**overrides), headers=bearer(key))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "P0102" and response.json()["field"] == field
    assert CARD not in response.text and "4242424242424242" not in response.text
    assert await _counts(platform) == (0, 0)


@pytest.mark.parametrize("field", ["reference", "description"])
async def test_a_card_number_in_an_agreement_s_reference_or_description_is_refused(
    platform: Platform, client: httpx.AsyncClient, field: str
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    body = {"reference": "CT-2024-001", "description": "Council tax instalments", field: f"Card {CARD}"}
    response = await client.post("/v1/agreements", json=body, headers=bearer(key))
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "P0102" and response.json()["field"] == field
    assert await _counts(platform) == (0, 0)


async def test_metadata_user_identifiers_and_numbers_that_are_not_cards_are_left_alone(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    payment = await client.post(
        "/v1/payments",
        json=payment_body(
            description="Order 4242424242424241 (not a card: it fails the Luhn check)",
            metadata={"order": "4242424242424242"},
            prefilled_cardholder_details={"cardholder_name": "Ada Lovelace", "billing_address": ADDRESS},
            email="ada@example.org",
        ),
        headers=bearer(key),
    )
    assert payment.status_code == 201, payment.text
    assert payment.json()["metadata"] == {"order": "4242424242424242"}
    agreement = await client.post(
        "/v1/agreements",
        json={"reference": "CT-2024-001", "description": "Council tax", "user_identifier": "4242424242424242"},
        headers=bearer(key),
    )
    assert agreement.status_code == 201, agreement.text
    assert await _counts(platform) == (1, 1)
