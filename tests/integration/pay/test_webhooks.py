"""Webhooks: the events a payment makes, their bodies and signatures, and Pay's retry schedule.

The receivers are on loopback, which the operator allows here as GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS=127.0.0.1 would
(core's outbound guard refuses it otherwise: test_webhook_destinations.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import httpx
from sqlalchemy import select

from govplatform.core.platform import Platform
from govplatform.pay.models import WebhookAttempt, WebhookMessage
from govplatform.pay.services import webhooks
from tests.integration.notify.receiver import callback_receiver
from tests.integration.pay.support import (
    bearer,
    pay_by_card,
    pay_key,
    pay_of,
    pay_service,
    payment_body,
    queued,
    run_queued,
)
from tests.outbound_support import use_guard


async def _subscribe(platform: Platform, service_id: object, url: str, events: list[str]) -> str:
    use_guard(platform, allowed="127.0.0.1")
    pay = pay_of(platform)
    async with platform.uow() as uow:
        _, secret = await webhooks.create_webhook(uow, pay.box, service_id, False, url, events)
        await uow.commit()
    return secret


async def test_a_paid_and_refunded_payment_sends_signed_webhooks_in_pay_s_shape(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    with callback_receiver() as receiver:
        secret = await _subscribe(platform, service_id, receiver.url + "/hooks", list(webhooks.EVENT_TYPES))
        assert secret.startswith("webhook_test_")
        created = (await client.post("/v1/payments", json=payment_body(), headers=bearer(key))).json()
        await pay_by_card(pay_of(platform), created["_links"]["next_url"]["href"])
        await client.post(f"/v1/payments/{created['payment_id']}/refunds", json={"amount": 500}, headers=bearer(key))
        assert await run_queued(platform, webhooks.SEND_TASK) == 4
        events = [item.body["event_type"] for item in receiver.received]
        assert events == [
            "card_payment_started",
            "card_payment_succeeded",
            "card_payment_captured",
            "card_payment_refunded",
        ]
        first = receiver.received[0]
        assert first.path.endswith("/hooks") and first.headers["content-type"] == "application/json"
        assert set(first.body) == {
            "webhook_message_id",
            "created_date",
            "resource_id",
            "api_version",
            "resource_type",
            "event_type",
            "resource",
        }
        assert first.body["resource_type"] == "payment" and first.body["api_version"] == 1
        assert first.body["resource_id"] == created["payment_id"]
        assert "_links" not in first.body["resource"] and first.body["resource"]["state"]["status"] == "started"
        captured = receiver.received[2].body["resource"]
        assert captured["state"]["status"] == "success" and "captured_date" in captured["settlement_summary"]
        refunded = receiver.received[3].body
        assert refunded["resource_type"] == "refund" and refunded["resource_id"] == created["payment_id"]
        async with platform.uow(read_only=True) as uow:
            stored = (await uow.session.scalars(select(WebhookMessage).order_by(WebhookMessage.created_at))).all()
        for message, received in zip(stored, receiver.received, strict=False):
            body = webhooks.message_body(pay_of(platform).box, message)
            assert json.loads(body) == received.body
            expected = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
            assert received.headers["pay-signature"] == expected


async def test_only_the_events_subscribed_to_are_sent(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    with callback_receiver() as receiver:
        await _subscribe(platform, service_id, receiver.url, ["card_payment_failed"])
        created = (await client.post("/v1/payments", json=payment_body(), headers=bearer(key))).json()
        await pay_by_card(pay_of(platform), created["_links"]["next_url"]["href"], "4000000000000002")
        await run_queued(platform, webhooks.SEND_TASK)
        assert [item.body["event_type"] for item in receiver.received] == ["card_payment_failed"]
        assert receiver.received[0].body["resource"]["state"]["code"] == "P0010"


async def test_a_failing_endpoint_is_retried_on_pay_s_schedule_then_given_up(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    with callback_receiver([500] * 6) as receiver:
        await _subscribe(platform, service_id, receiver.url, ["card_payment_started"])
        created = (await client.post("/v1/payments", json=payment_body(), headers=bearer(key))).json()
        await pay_by_card(pay_of(platform), created["_links"]["next_url"]["href"])
        gaps = []
        for _attempt in range(6):
            before = dt.datetime.now(dt.UTC)
            assert await run_queued(platform, webhooks.SEND_TASK) == 1
            async with platform.uow(read_only=True) as uow:
                from govplatform.core.models import Job

                next_jobs = (
                    await uow.session.scalars(select(Job).where(Job.kind == webhooks.SEND_TASK, Job.status == "queued"))
                ).all()
            if next_jobs:
                gaps.append(round((next_jobs[0].run_at - before).total_seconds()))
        assert len(receiver.received) == 6
        assert all(abs(gap - want) <= 2 for gap, want in zip(gaps, [60, 300, 3600, 86400, 172800], strict=True))
        assert await queued(platform, webhooks.SEND_TASK) == []
        async with platform.uow(read_only=True) as uow:
            message = (await uow.session.scalars(select(WebhookMessage))).one()
            attempts = (await uow.session.scalars(select(WebhookAttempt))).all()
        assert message.status == "failed" and message.attempts == 6 and len(attempts) == 6
        assert all(attempt.status_code == 500 and not attempt.successful for attempt in attempts)
