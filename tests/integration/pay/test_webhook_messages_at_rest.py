"""Webhook message bodies are encrypted at rest (issue 13, fault 8).

A message's body is the payment as the API shows it: the payer's email,
cardholder name and billing address, which the payment row itself keeps
encrypted (the address) or behind the API. The body used to be stored in
clear. Now it is sealed with core's field cipher, and the admin pages and
delivery read it back.
"""

from __future__ import annotations

import html
import json
import re
import uuid

import httpx
from sqlalchemy import select, text

from govplatform.core.platform import Platform
from govplatform.pay.ids import new_external_id
from govplatform.pay.models import Webhook, WebhookMessage
from govplatform.pay.services import webhooks
from tests.integration.pay.admin_support import paid, pay_path, signed_in_member
from tests.integration.pay.support import pay_key, pay_of, pay_service

PERSONAL = ("ada@example.org", "Ada Lovelace", "Downing Street", "SW1A 2AA")


async def _subscription(platform: Platform, service_id: uuid.UUID) -> str:
    """A subscription stored as a row: where it may send is not this test's subject."""
    pay = pay_of(platform)
    hook_id = new_external_id()
    async with platform.uow() as uow:
        uow.session.add(
            Webhook(
                id=hook_id,
                service_id=service_id,
                live=False,
                callback_url="https://finance.example.gov.uk/pay-events",
                description="Finance system",
                event_types=list(webhooks.EVENT_TYPES),
                signing_secret_encrypted=pay.box.encrypt_text("webhook_test_x", f"pay-webhook:{hook_id}"),
                active=True,
            )
        )
        webhooks.subscriptions_changed(uow, service_id, False)
        await uow.commit()
    return hook_id


async def test_a_webhook_message_keeps_no_personal_data_in_clear_and_the_admin_page_still_shows_it(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    hook_id = await _subscription(platform, service_id)
    payment_id = await paid(
        platform,
        client,
        key,
        email="ada@example.org",
        prefilled_cardholder_details={"cardholder_name": "Ada Lovelace"},
    )
    async with platform.uow(read_only=True) as uow:
        rows = (await uow.session.execute(text("SELECT * FROM pay_webhook_messages"))).mappings().all()
        messages = (await uow.session.scalars(select(WebhookMessage))).all()
    assert len(rows) >= 2, "the payment's events made messages"
    for row in rows:
        stored = " ".join(str(value) for value in row.values())
        assert not any(item in stored for item in PERSONAL), stored
    bodies = [json.loads(webhooks.message_body(pay_of(platform).box, message)) for message in messages]
    assert {body["resource_id"] for body in bodies} == {payment_id}
    assert any(body["resource"].get("email") == "ada@example.org" for body in bodies)
    succeeded = next(body for body in bodies if body["event_type"] == "card_payment_succeeded")
    assert succeeded["resource"]["card_details"]["billing_address"]["line1"] == "10 Downing Street"

    await signed_in_member(platform, client, service_id, "admin")
    page = f"{pay_path(service_id)}/webhooks/{hook_id}"
    log = (await client.get(page)).text
    paths = re.findall(rf'href="({re.escape(page)}/messages/[0-9a-v]{{26}})"', log)
    assert len(paths) == len(rows)
    shown = [html.unescape((await client.get(path)).text) for path in paths]
    assert all(f'"resource_id": "{payment_id}"' in page_text for page_text in shown)
    assert any('"email": "ada@example.org"' in page_text for page_text in shown)


async def test_a_message_sealed_for_one_row_cannot_be_read_as_another(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    await _subscription(platform, service_id)
    await paid(platform, client, key, email="ada@example.org")
    async with platform.uow(read_only=True) as uow:
        first, second = (await uow.session.scalars(select(WebhookMessage).limit(2))).all()
    swapped = WebhookMessage(id=first.id, body_encrypted=second.body_encrypted)
    try:
        webhooks.message_body(pay_of(platform).box, swapped)
    except Exception as error:  # the associated data (the message's id) does not match
        assert type(error).__name__ == "DecryptionError"
    else:
        raise AssertionError("a body sealed for another message was read")
