"""Emails carry the service's reply-to address, texts its sender, chosen by id or by default."""

from __future__ import annotations

import uuid

import httpx

from govplatform.core.platform import Platform
from govplatform.notify.models import Notification
from govplatform.notify.services import senders
from tests.helpers import CLI
from tests.integration.notify.support import bearer, live_service, notify_key, template


async def stored(platform: Platform, notification_id: str) -> Notification:
    async with platform.uow(read_only=True) as uow:
        row = await uow.session.get(Notification, uuid.UUID(notification_id))
        assert row is not None
        return row


async def test_an_email_goes_out_with_the_default_reply_to_or_the_one_asked_for(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    service_id = await live_service(platform)
    key = await notify_key(platform, service_id)
    email = await template(platform, service_id, "email", "Hello", "Hi")
    async with platform.uow() as uow:
        first = await senders.add_reply_to(uow, CLI, service_id, "bins@council.example.gov.uk")
        second = await senders.add_reply_to(uow, CLI, service_id, "parking@council.example.gov.uk")
        await uow.commit()
    body = {"template_id": str(email), "email_address": "a@example.com"}
    by_default = await client.post("/v2/notifications/email", json=body, headers=bearer(key))
    chosen = await client.post(
        "/v2/notifications/email", json={**body, "email_reply_to_id": str(second.id)}, headers=bearer(key)
    )
    assert (await stored(platform, by_default.json()["id"])).reply_to == first.email_address
    assert (await stored(platform, chosen.json()["id"])).reply_to == "parking@council.example.gov.uk"
    unknown = uuid.uuid4()
    refused = await client.post(
        "/v2/notifications/email", json={**body, "email_reply_to_id": str(unknown)}, headers=bearer(key)
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {
            "error": "BadRequestError",
            "message": f"email_reply_to_id {unknown} does not exist in database for service id {service_id}",
        }
    ]


async def test_a_text_comes_from_the_default_sender_and_says_so(client: httpx.AsyncClient, platform: Platform) -> None:
    service_id = await live_service(platform)
    key = await notify_key(platform, service_id)
    sms = await template(platform, service_id, "sms", "Bins tomorrow")
    body = {"template_id": str(sms), "phone_number": "07700900123"}
    before = await client.post("/v2/notifications/sms", json=body, headers=bearer(key))
    assert before.json()["content"]["from_number"] == "GOVUK"
    async with platform.uow() as uow:
        await senders.add_sms_sender(uow, CLI, service_id, "Council")
        await uow.commit()
    after = await client.post("/v2/notifications/sms", json=body, headers=bearer(key))
    assert after.json()["content"]["from_number"] == "Council"
    assert (await stored(platform, after.json()["id"])).reply_to == "Council"
    wrong = await client.post(
        "/v2/notifications/sms", json={**body, "sms_sender_id": str(uuid.uuid4())}, headers=bearer(key)
    )
    assert wrong.status_code == 400 and "sms_sender_id" in wrong.json()["errors"][0]["message"]
