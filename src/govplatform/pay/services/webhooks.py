"""Webhooks: subscriptions, the messages an event makes, and sending them with Pay's retries.

The rules follow pay-webhooks (https://github.com/alphagov/pay-webhooks): six
event types; a body of `{webhook_message_id, created_date, resource_id,
api_version, resource_type, event_type, resource}` written once when the event
happens (so a retry sends the same bytes and the same signature); a
`Pay-Signature` header holding the lower-case hex HMAC-SHA256 of the body;
any 2xx is success; 3 seconds a try; retries after 60 s, 5 min, 1 h, 1 day
and 2 days, six attempts in all. Messages are queued in the same unit of work
as the state change that caused them, and each attempt is a job, so none is
lost when a worker stops.

Which subscriptions want an event is asked on nearly every state change, so
each process keeps a service's active subscriptions for 2 seconds (core's
`ReadCache`). A subscription made or switched off in this process counts at
once; one made in another process counts here within 2 seconds, as a
subscription made while pay-webhooks is working through its queue of events
gets only the events it has not yet reached.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid
from typing import Any

from sqlalchemy import select

from govplatform.core.interfaces import ReadCache, SecretBox, UnitOfWork, enqueue_job, utcnow
from govplatform.pay.ids import new_external_id
from govplatform.pay.models import Payment, Refund, Webhook, WebhookAttempt, WebhookMessage
from govplatform.pay.states import PaymentState

EVENT_TYPES = (
    "card_payment_started",
    "card_payment_succeeded",
    "card_payment_captured",
    "card_payment_refunded",
    "card_payment_failed",
    "card_payment_expired",
)
RETRY_DELAYS = (
    dt.timedelta(seconds=60),
    dt.timedelta(minutes=5),
    dt.timedelta(hours=1),
    dt.timedelta(days=1),
    dt.timedelta(days=2),
)
TIMEOUT_SECONDS = 3.0
SEND_TASK = "pay.webhook"

_STATE_EVENTS = {
    PaymentState.STARTED: "card_payment_started",
    PaymentState.SUCCESS: "card_payment_succeeded",
    PaymentState.CAPTURABLE: "card_payment_succeeded",
    PaymentState.FAILED_REJECTED: "card_payment_failed",
    PaymentState.ERROR: "card_payment_failed",
    PaymentState.FAILED_EXPIRED: "card_payment_expired",
}


def event_for_state(state: PaymentState) -> str | None:
    return _STATE_EVENTS.get(state)


def new_secret(live: bool) -> str:
    return ("webhook_live_" if live else "webhook_test_") + secrets.token_hex(16)


def seal_body(box: SecretBox, message_id: str, body: str) -> str:
    """A message's body as stored: it holds the payer's email, name and address, so it is encrypted at rest,
    bound to its message (a body moved onto another row does not open)."""
    return box.encrypt_text(body, f"pay-webhook-message:{message_id}")


def message_body(box: SecretBox, message: WebhookMessage) -> str:
    """The exact body that is sent and signed, opened from the row."""
    return box.decrypt_text(message.body_encrypted, f"pay-webhook-message:{message.id}")


def signature(secret: str, body: bytes) -> str:
    """The Pay-Signature header: lower-case hex HMAC-SHA256 of the exact body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclasses.dataclass(frozen=True)
class Subscriber:
    """An active subscription, as far as queueing a message needs it."""

    id: str
    event_types: tuple[str, ...]


_SUBSCRIBERS: ReadCache[tuple[uuid.UUID, bool], tuple[Subscriber, ...]] = ReadCache()


async def subscribers(uow: UnitOfWork, service_id: uuid.UUID, live: bool, event_type: str) -> list[Subscriber]:
    """The account's active subscriptions that want this event (as they stood at most 2 seconds ago)."""

    async def read() -> tuple[Subscriber, ...]:
        query = select(Webhook.id, Webhook.event_types).where(
            Webhook.service_id == service_id, Webhook.live == live, Webhook.active.is_(True)
        )
        return tuple(Subscriber(row.id, tuple(row.event_types)) for row in await uow.session.execute(query))

    return [hook for hook in await _SUBSCRIBERS.get((service_id, live), read) if event_type in hook.event_types]


def subscriptions_changed(uow: UnitOfWork, service_id: uuid.UUID, live: bool) -> None:
    """Call in the unit of work that adds, removes or switches a subscription: this process sees it at once."""
    _SUBSCRIBERS.forget_on_commit(uow, (service_id, live))


async def queue(
    uow: UnitOfWork,
    box: SecretBox,
    payment: Payment,
    event_type: str,
    now: dt.datetime | None = None,
    *,
    resource: dict[str, Any] | None = None,
    resource_type: str = "payment",
) -> int:
    """Write one message per subscription that wants this event, each with its first send job."""
    hooks = await subscribers(uow, payment.service_id, payment.live, event_type)
    if not hooks:
        return 0
    from govplatform.pay import schemas  # the representation lives with the API's

    now = now or utcnow()
    if resource is None:
        resource = await schemas.webhook_payment_resource(uow, box, payment)
    for hook in hooks:
        message_id = new_external_id()
        body = {
            "webhook_message_id": message_id,
            "created_date": schemas.iso_ms(now),
            "resource_id": payment.id,
            "api_version": 1,
            "resource_type": resource_type,
            "event_type": event_type,
            "resource": resource,
        }
        uow.session.add(
            WebhookMessage(
                id=message_id,
                webhook_id=hook.id,
                event_type=event_type,
                resource_id=payment.id,
                body_encrypted=seal_body(box, message_id, json.dumps(body, separators=(",", ":"))),
                status="pending",
                created_at=now,
            )
        )
        await enqueue_job(uow, SEND_TASK, {"message_id": message_id}, max_attempts=1)
    await uow.session.flush()
    return len(hooks)


async def queue_refund(
    uow: UnitOfWork, box: SecretBox, payment: Payment, refund: Refund, now: dt.datetime | None = None
) -> int:
    from govplatform.pay import schemas

    return await queue(
        uow,
        box,
        payment,
        "card_payment_refunded",
        now,
        resource=schemas.refund_resource(refund, links=False),
        resource_type="refund",
    )


async def record_attempt(
    uow: UnitOfWork,
    message: WebhookMessage,
    *,
    status_code: int | None,
    result: str,
    now: dt.datetime | None = None,
) -> dt.datetime | None:
    """Log one attempt; the time of the next one, or None when delivered or out of attempts."""
    now = now or utcnow()
    ok = status_code is not None and 200 <= status_code < 300
    message.attempts += 1
    message.last_attempt_at = now
    message.last_status_code = status_code
    message.last_result = result[:255]
    uow.session.add(
        WebhookAttempt(message_id=message.id, at=now, status_code=status_code, result=result[:255], successful=ok)
    )
    if ok:
        message.status = "successful"
        return None
    if message.attempts > len(RETRY_DELAYS):
        message.status = "failed"
        return None
    message.status = "will_retry"
    return now + RETRY_DELAYS[message.attempts - 1]


async def create_webhook(
    uow: UnitOfWork,
    box: SecretBox,
    service_id: uuid.UUID,
    live: bool,
    callback_url: str,
    event_types: list[str],
    description: str = "",
) -> tuple[Webhook, str]:
    """A new subscription and its signing secret (shown to the service; stored encrypted)."""
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown or not event_types:
        raise ValueError("choose event types from: " + ", ".join(EVENT_TYPES))
    hook_id = new_external_id()
    secret = new_secret(live)
    hook = Webhook(
        id=hook_id,
        service_id=service_id,
        live=live,
        callback_url=callback_url,
        description=description,
        event_types=sorted(set(event_types), key=EVENT_TYPES.index),
        signing_secret_encrypted=box.encrypt_text(secret, f"pay-webhook:{hook_id}"),
        active=True,
    )
    uow.session.add(hook)
    await uow.session.flush()
    subscriptions_changed(uow, service_id, live)
    return hook, secret


def signing_secret(box: SecretBox, hook: Webhook) -> str:
    return box.decrypt_text(hook.signing_secret_encrypted, f"pay-webhook:{hook.id}")


async def regenerate_secret(uow: UnitOfWork, box: SecretBox, hook: Webhook) -> str:
    secret = new_secret(hook.live)
    hook.signing_secret_encrypted = box.encrypt_text(secret, f"pay-webhook:{hook.id}")
    await uow.session.flush()
    return secret
