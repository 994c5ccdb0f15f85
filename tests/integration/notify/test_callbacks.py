"""Delivery-receipt and received-text callbacks, posted to a real HTTP receiver on loopback.

The operator allows 127.0.0.1 here, as GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS=127.0.0.1 would: core's outbound guard
refuses loopback otherwise (test_callback_destinations.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from govplatform.core.interfaces import UserFacingError
from govplatform.core.models import Job
from govplatform.core.outbound import OutboundGuard
from govplatform.core.platform import Platform
from govplatform.notify.models import CallbackDelivery, InboundText, Notification
from govplatform.notify.services import callbacks
from govplatform.notify.services.callbacks import CALLBACK_TASK, CallbackPolicy
from tests.helpers import CLI
from tests.integration.notify.receiver import callback_receiver
from tests.integration.notify.support import live_service, template
from tests.outbound_support import public_dns

TOKEN = "a-token-of-the-services-own"
LOOPBACK_ALLOWED = OutboundGuard(require_https=False, allowed_hosts="127.0.0.1")


async def delivered_email(platform: Platform, service_id: uuid.UUID) -> Notification:
    template_id = await template(platform, service_id, "email", "Hello", "Subject")
    row = Notification(
        id=uuid.uuid4(), service_id=service_id, template_id=template_id, template_version=1, key_type="normal",
        type="email", recipient="Someone@Example.com", normalised_recipient="someone@example.com",
        reference="case-42", status="delivered",
    )  # fmt: skip
    async with platform.uow() as uow:
        uow.session.add(row)
        await uow.commit()
    return row


async def queued_callbacks(platform: Platform) -> list[dict[str, Any]]:
    async with platform.uow(read_only=True) as uow:
        jobs = (await uow.session.scalars(select(Job).where(Job.kind == CALLBACK_TASK, Job.status == "queued"))).all()
        return [dict(job.payload) for job in jobs]


async def run_callback(platform: Platform, payload: dict[str, Any], policy: CallbackPolicy | None = None) -> None:
    async with platform.uow() as uow:
        await callbacks.send_callback(uow, platform.cipher, LOOPBACK_ALLOWED, policy or CallbackPolicy(), payload)
        await uow.commit()


async def delivery(platform: Platform, payload: dict[str, Any]) -> CallbackDelivery:
    async with platform.uow(read_only=True) as uow:
        row = await uow.session.get(CallbackDelivery, uuid.UUID(payload["delivery_id"]))
        assert row is not None
        return row


async def test_a_final_status_posts_notifys_delivery_receipt_with_the_services_bearer_token(
    platform: Platform,
) -> None:
    service_id = await live_service(platform)
    with callback_receiver() as receiver:
        async with platform.uow() as uow:
            await callbacks.set_callback(
                uow, platform.cipher, CLI, service_id, "delivery_status", receiver.url, TOKEN, LOOPBACK_ALLOWED
            )
            await uow.commit()
        row = await delivered_email(platform, service_id)
        async with platform.uow() as uow:
            assert await callbacks.status_changed(uow, platform.cipher, row)
            await uow.commit()
        [payload] = await queued_callbacks(platform)
        assert "someone" not in str(payload).lower(), "the recipient travels encrypted in the job"
        await run_callback(platform, payload)
    [got] = receiver.received
    assert got.headers["authorization"] == f"Bearer {TOKEN}"
    assert got.headers["content-type"] == "application/json"
    assert got.body == {
        "id": str(row.id),
        "reference": "case-42",
        "to": "Someone@Example.com",
        "status": "delivered",
        "created_at": row.created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "completed_at": None,
        "sent_at": None,
        "notification_type": "email",
        "template_id": str(row.template_id),
        "template_version": 1,
    }
    assert (await delivery(platform, payload)).status == "sent"


async def test_a_service_without_a_callback_gets_none_queued(platform: Platform) -> None:
    service_id = await live_service(platform)
    row = await delivered_email(platform, service_id)
    async with platform.uow() as uow:
        assert not await callbacks.status_changed(uow, platform.cipher, row)


@pytest.mark.parametrize(("answers", "retried"), [([503], True), ([429], True), ([400], False), ([404], False)])
async def test_server_errors_and_429_are_retried_but_other_4xx_are_not(
    platform: Platform, answers: list[int], retried: bool
) -> None:
    service_id = await live_service(platform)
    with callback_receiver(answers) as receiver:
        async with platform.uow() as uow:
            await callbacks.set_callback(
                uow, platform.cipher, CLI, service_id, "delivery_status", receiver.url, TOKEN, LOOPBACK_ALLOWED
            )
            await callbacks.status_changed(uow, platform.cipher, await delivered_email(platform, service_id))
            await uow.commit()
        [payload] = await queued_callbacks(platform)
        await run_callback(platform, payload)
        after = await delivery(platform, payload)
        assert after.last_status_code == answers[0]
        assert after.status == ("retrying" if retried else "failed")
        following = [job for job in await queued_callbacks(platform) if job["attempt"] == 2]
        assert len(following) == (1 if retried else 0)
        if retried:
            await run_callback(platform, following[0])
            assert (await delivery(platform, payload)).status == "sent"
            assert len(receiver.received) == 2


async def test_callbacks_stop_after_the_configured_retries_and_show_as_failed(platform: Platform) -> None:
    service_id = await live_service(platform)
    dead_url = "http://127.0.0.1:9/callbacks"  # the discard port: nothing listens
    async with platform.uow() as uow:
        await callbacks.set_callback(
            uow, platform.cipher, CLI, service_id, "delivery_status", dead_url, TOKEN, LOOPBACK_ALLOWED
        )
        await callbacks.status_changed(uow, platform.cipher, await delivered_email(platform, service_id))
        await uow.commit()
    [payload] = await queued_callbacks(platform)
    policy = CallbackPolicy(retries=2, retry_seconds=300)
    for attempt in (1, 2, 3):
        await run_callback(platform, {**payload, "attempt": attempt}, policy)
    row = await delivery(platform, payload)
    assert row.status == "failed" and row.attempts == 3 and row.last_status_code is None
    assert row.last_error == "could not connect, or no answer within 5 seconds", "one plain reason, no error class"
    async with platform.uow(read_only=True) as uow:
        assert [r.id for r in await callbacks.recent_deliveries(uow, service_id)] == [row.id]


async def test_a_received_text_is_posted_in_notifys_inbound_shape(platform: Platform) -> None:
    service_id = await live_service(platform)
    with callback_receiver() as receiver:
        async with platform.uow() as uow:
            await callbacks.set_callback(
                uow, platform.cipher, CLI, service_id, "inbound_sms", receiver.url, TOKEN, LOOPBACK_ALLOWED
            )
            text = InboundText(
                id=uuid.uuid4(), service_id=service_id, user_number="447700900123", notify_number="447700900500",
                content="sealed", provider="sandbox", provider_reference="r1",
            )  # fmt: skip
            uow.session.add(text)
            await uow.session.flush()
            assert await callbacks.text_received(uow, platform.cipher, text, "STOP")
            await uow.commit()
        [payload] = await queued_callbacks(platform)
        await run_callback(platform, payload)
    [got] = receiver.received
    assert set(got.body) == {"id", "source_number", "destination_number", "message", "date_received"}
    assert got.body["message"] == "STOP" and got.body["source_number"] == "447700900123"


@pytest.mark.parametrize(
    ("url", "token", "production", "message"),
    [
        ("http://example.com/cb", TOKEN, True, "Enter a URL that starts with https://"),
        ("not a url", TOKEN, False, "Enter a URL that starts with https://"),
        ("https://example.com/cb", "short", True, "The bearer token must be at least 10 characters"),
    ],
)
async def test_a_callback_needs_an_https_url_and_a_real_token(
    platform: Platform, url: str, token: str, production: bool, message: str
) -> None:
    service_id = await live_service(platform)
    outbound = OutboundGuard(require_https=production, resolver=public_dns())
    async with platform.uow() as uow:
        with pytest.raises(UserFacingError, match=message):
            await callbacks.set_callback(uow, platform.cipher, CLI, service_id, "delivery_status", url, token, outbound)
