"""Callbacks: the platform posts delivery receipts and received texts to the service's own URL.

Behaviour follows Notify's (notify.md section 5): JSON bodies in Notify's
shape, `Authorization: Bearer <the service's token>`, no signing, a 5 second
timeout, and connection errors, 5xx and 429 retried every five minutes up to
five times (both configurable). Other 4xx answers are the service's own
error and are not retried. Every callback is a `CallbackDelivery` row, so
failures show in the admin pages.

Where a callback may go is core's outbound guard's to say, when the URL is set
and again at every call: a public internet address (or a host the operator
allows), https in production, no redirects followed. Its refusals and failures
reach the log in its plain words, which name no address and no port's state.

The body is built when the status changes (as Notify builds it) and travels
in the job encrypted, since it names the recipient.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import select

from govplatform.core.interfaces import (
    N_,
    Actor,
    OutboundGuard,
    OutboundRefused,
    OutboundUnreachable,
    SecretBox,
    UnitOfWork,
    UserFacingError,
    enqueue_job,
    record_audit,
    utcnow,
)
from govplatform.notify.models import CallbackDelivery, Notification, ServiceCallback
from govplatform.notify.models import InboundText as InboundRow
from govplatform.notify.services.reading import shown_status

CALLBACK_TASK = "notify.send_callback"
CALLBACK_TYPES = ("delivery_status", "inbound_sms")
FINAL_STATUSES = frozenset(
    {"delivered", "permanent-failure", "temporary-failure", "technical-failure", "returned-letter", "validation-failed"}
)
TIMEOUT_SECONDS = 5.0


@dataclasses.dataclass(frozen=True)
class CallbackPolicy:
    retries: int = 5
    retry_seconds: float = 300.0


def _timestamp(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def check_url(url: str, outbound: OutboundGuard) -> str:
    """The URL to store, or a UserFacingError: too long, or refused by the outbound guard (which may resolve it)."""
    if len(url.strip()) > 2000:
        raise UserFacingError(N_("The URL must be 2,000 characters or fewer"))
    try:
        return await outbound.check(url)
    except OutboundRefused as refused:
        raise UserFacingError(refused.template) from None


async def set_callback(
    uow: UnitOfWork,
    box: SecretBox,
    actor: Actor,
    service_id: uuid.UUID,
    callback_type: str,
    url: str,
    bearer_token: str,
    outbound: OutboundGuard,
) -> ServiceCallback:
    """Set where a service's callbacks of one type go. The URL is checked before anything is read (a name's lookup
    may take seconds, and the unit of work has not begun)."""
    if callback_type not in CALLBACK_TYPES:
        raise UserFacingError(N_("Callback type must be one of: %(types)s"), types=", ".join(CALLBACK_TYPES))
    url = await check_url(url, outbound)
    if len(bearer_token.strip()) < 10:
        raise UserFacingError(N_("The bearer token must be at least 10 characters"))
    row = await uow.session.scalar(
        select(ServiceCallback).where(
            ServiceCallback.service_id == service_id, ServiceCallback.callback_type == callback_type
        )
    )
    if row is None:
        row = ServiceCallback(id=uuid.uuid4(), service_id=service_id, callback_type=callback_type)
        uow.session.add(row)
    row.url = url
    row.bearer_token = box.encrypt_text(bearer_token.strip(), str(row.id))
    row.updated_at = utcnow()
    row.updated_by = actor.label
    record_audit(uow, actor, "notify.callback_set", "service", service_id, service_id, callback_type=callback_type)
    return row


async def remove_callback(uow: UnitOfWork, actor: Actor, service_id: uuid.UUID, callback_type: str) -> None:
    row = await uow.session.scalar(
        select(ServiceCallback).where(
            ServiceCallback.service_id == service_id, ServiceCallback.callback_type == callback_type
        )
    )
    if row is not None:
        await uow.session.delete(row)
        record_audit(
            uow, actor, "notify.callback_removed", "service", service_id, service_id, callback_type=callback_type
        )


async def get_callbacks(uow: UnitOfWork, service_id: uuid.UUID) -> dict[str, ServiceCallback]:
    rows = await uow.session.scalars(select(ServiceCallback).where(ServiceCallback.service_id == service_id))
    return {row.callback_type: row for row in rows.all()}


def delivery_status_body(row: Notification) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "reference": row.reference,
        "to": row.recipient,
        "status": shown_status(row.type, row.status),
        "created_at": _timestamp(row.created_at),
        "completed_at": _timestamp(row.completed_at),
        "sent_at": _timestamp(row.sent_at),
        "notification_type": row.type,
        "template_id": str(row.template_id) if row.template_id else None,
        "template_version": row.template_version,
    }


def inbound_body(row: InboundRow, message: str) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "source_number": row.user_number,
        "destination_number": row.notify_number,
        "message": message,
        "date_received": _timestamp(row.created_at),
    }


async def _queue(
    uow: UnitOfWork,
    box: SecretBox,
    service_id: uuid.UUID,
    kind: str,
    subject_id: uuid.UUID,
    body: dict[str, Any],
    known: dict[tuple[uuid.UUID, str], bool] | None = None,
) -> bool:
    """Queue a callback if the service has one of `kind`; `known` remembers the answer across a batch."""
    wanted = known.get((service_id, kind)) if known is not None else None
    if wanted is None:
        wanted = (
            await uow.session.scalar(
                select(ServiceCallback.id).where(
                    ServiceCallback.service_id == service_id, ServiceCallback.callback_type == kind
                )
            )
            is not None
        )
        if known is not None:
            known[(service_id, kind)] = wanted
    if not wanted:
        return False
    delivery = CallbackDelivery(
        id=uuid.uuid4(), service_id=service_id, callback_type=kind, subject_id=subject_id, status="pending",
        attempts=0, created_at=utcnow(),
    )  # fmt: skip
    uow.session.add(delivery)
    sealed = box.encrypt_text(json.dumps(body), str(delivery.id))
    await enqueue_job(uow, CALLBACK_TASK, {"delivery_id": str(delivery.id), "body": sealed, "attempt": 1})
    return True


async def status_changed(
    uow: UnitOfWork, box: SecretBox, row: Notification, known: dict[tuple[uuid.UUID, str], bool] | None = None
) -> bool:
    """Queue a delivery receipt if the notification has reached a final status and the service wants one.

    `known` is for callers settling many notifications in one transaction: whether each service
    has a callback is then looked up once.
    """
    if row.status not in FINAL_STATUSES:
        return False
    return await _queue(uow, box, row.service_id, "delivery_status", row.id, delivery_status_body(row), known)


async def text_received(uow: UnitOfWork, box: SecretBox, row: InboundRow, message: str) -> bool:
    return await _queue(uow, box, row.service_id, "inbound_sms", row.id, inbound_body(row, message))


async def send_callback(
    uow: UnitOfWork, box: SecretBox, outbound: OutboundGuard, policy: CallbackPolicy, payload: dict[str, Any]
) -> None:
    """Post one callback; on a retryable failure queue the next attempt, until the retries run out."""
    delivery = await uow.session.get(CallbackDelivery, uuid.UUID(payload["delivery_id"]))
    if delivery is None or delivery.status in ("sent", "failed"):
        return
    callback = await uow.session.scalar(
        select(ServiceCallback).where(
            ServiceCallback.service_id == delivery.service_id, ServiceCallback.callback_type == delivery.callback_type
        )
    )
    attempt = int(payload.get("attempt", 1))
    delivery.attempts = attempt
    delivery.updated_at = utcnow()
    if callback is None:
        delivery.status, delivery.last_error = "failed", "the service removed its callback"
        return
    body = box.decrypt_text(payload["body"], str(delivery.id))
    token = box.decrypt_text(callback.bearer_token, str(callback.id))
    retry, code, error = False, None, None
    try:
        answer = await outbound.post(
            callback.url,
            content=body.encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            seconds=TIMEOUT_SECONDS,
        )
        code = answer.status_code
        retry = code >= 500 or code == 429
        error = None if code < 300 else f"the service answered {code}"
    except OutboundRefused as refused:  # retried: a name that does not resolve now may later
        retry, error = True, f"not sent: {refused.reason}"
    except OutboundUnreachable as failure:
        retry, error = True, failure.reason
    delivery.last_status_code, delivery.last_error = code, error
    if error is None:
        delivery.status = "sent"
    elif retry and attempt <= policy.retries:
        delivery.status = "retrying"
        run_at = utcnow() + dt.timedelta(seconds=policy.retry_seconds)
        await enqueue_job(uow, CALLBACK_TASK, {**payload, "attempt": attempt + 1}, run_at=run_at)
    else:
        delivery.status = "failed"


async def recent_deliveries(uow: UnitOfWork, service_id: uuid.UUID, limit: int = 50) -> list[CallbackDelivery]:
    query = (
        select(CallbackDelivery)
        .where(CallbackDelivery.service_id == service_id)
        .order_by(CallbackDelivery.created_at.desc())
        .limit(limit)
    )
    return list((await uow.session.scalars(query)).all())
