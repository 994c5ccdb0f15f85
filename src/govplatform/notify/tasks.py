"""Delivery jobs: hand each accepted notification to its channel's provider, and record what happened.

A job sends, then records the outcome in the same unit of work that marks the
job done. If the worker dies between the two, the job runs again and the
message is sent a second time; an email then carries the same Message-ID as
its first copy (derived from the notification id), so the receiving side can
tell. A notification already past "created" or "sending" is never sent again.

Temporary failures are retried by a fresh job after the configured interval
(Notify retries every five minutes), counted in the payload, until the
attempts run out and the message becomes temporary-failure.

Test keys' messages never reach a provider: the simulation job gives them
Notify's fake receipts (delivered, or a failure for the documented recipients).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, NamedTuple

import structlog
from sqlalchemy import select

from govplatform.core.interfaces import JobBatch, JobContext, ServiceRef, UnitOfWork, enqueue_job, utcnow
from govplatform.notify.component import NotifyComponent
from govplatform.notify.models import Notification
from govplatform.notify.providers.base import EmailMessage, Outcome, SendResult, TextMessage
from govplatform.notify.services import bulk, callbacks, content, settings, templates
from govplatform.notify.services.sending import DELIVERY_TASKS, SIMULATE_TASK
from govplatform.notify.services.settings import ServicePolicy
from govplatform.notify.services.templates import TemplateSnapshot
from govplatform.notify.templates.email_layout import email_document

log = structlog.get_logger("govplatform.notify.delivery")

PERMANENT_FAILURE_RECIPIENTS = frozenset({"447700900002", "perm-fail@simulator.notify"})
TEMPORARY_FAILURE_RECIPIENTS = frozenset({"447700900003", "temp-fail@simulator.notify"})
FINAL = {
    Outcome.DELIVERED: "delivered",
    Outcome.SENDING: "sending",
    Outcome.PERMANENT: "permanent-failure",
    Outcome.TEMPORARY: "temporary-failure",
    Outcome.TECHNICAL: "technical-failure",
}


def message_id(notification_id: uuid.UUID, domain: str) -> str:
    """The same Message-ID every time this notification is sent (RFC 5322 section 3.6.4)."""
    return f"<{notification_id}@{domain}>"


class Prepared(NamedTuple):
    """A notification to send and what sending it needs."""

    row: Notification
    template: TemplateSnapshot
    service: ServiceRef
    policy: ServicePolicy


async def _load(uow: UnitOfWork, payloads: list[dict[str, Any]]) -> list[Notification]:
    """The payloads' notifications, in one query, into the session (whose identity map `_pending` then reads).

    The caller keeps the list while it works: the session holds its rows only weakly.
    """
    ids = [uuid.UUID(payload["notification_id"]) for payload in payloads]
    if len(ids) < 2:
        return []  # `_pending` reads a single row by its key as cheaply
    return list((await uow.session.scalars(select(Notification).where(Notification.id.in_(ids)))).all())


async def _pending(uow: UnitOfWork, payload: dict[str, Any]) -> Notification | None:
    row = await uow.session.get(Notification, uuid.UUID(payload["notification_id"]))
    if row is None or row.status not in ("created", "sending"):
        return None  # purged, cancelled or already finished: nothing to do
    return row


def record(row: Notification, result: SendResult, now: dt.datetime) -> None:
    row.status = FINAL[result.outcome]
    row.sent_by = result.provider
    row.provider_reference = result.reference
    row.updated_at = now
    if result.outcome is not Outcome.TECHNICAL:
        row.sent_at = row.sent_at or now
    if result.outcome is not Outcome.SENDING:
        row.completed_at = now


class DeliveryTasks:
    def __init__(self, component: NotifyComponent) -> None:
        self.component = component

    def register(self, register: Any, register_batch: Any) -> None:
        register(SIMULATE_TASK, self.simulate)
        register_batch(DELIVERY_TASKS["email"], self.deliver_emails, self.component.email_batch_size)
        register(DELIVERY_TASKS["sms"], self.deliver_sms)
        register(callbacks.CALLBACK_TASK, self.send_callback)
        register(bulk.CHUNK_TASK, self.send_bulk_chunk)

    async def send_bulk_chunk(self, context: JobContext, payload: dict[str, Any]) -> None:
        created = await bulk.send_chunk(context.uow, self.component.box, payload)
        log.info("notify.bulk_chunk", bulk_send_id=payload["bulk_send_id"], index=payload["index"], created=created)

    async def send_callback(self, context: JobContext, payload: dict[str, Any]) -> None:
        notify = self.component
        await callbacks.send_callback(context.uow, notify.box, notify.outbound, notify.callback_policy, payload)

    async def simulate(self, context: JobContext, payload: dict[str, Any]) -> None:
        row = await _pending(context.uow, payload)
        if row is None:
            return
        now = utcnow()
        row.sent_at, row.sent_by, row.updated_at = now, "simulation", now
        if row.normalised_recipient in PERMANENT_FAILURE_RECIPIENTS:
            row.status = "permanent-failure"
        elif row.normalised_recipient in TEMPORARY_FAILURE_RECIPIENTS:
            row.status = "temporary-failure"
        else:
            row.status = "delivered"
        row.completed_at = now
        if row.type == "letter":
            row.billable_units = row.billable_units or 1
        await callbacks.status_changed(context.uow, self.component.box, row)

    async def _prepared(self, payloads: list[dict[str, Any]]) -> list[Prepared | SendResult | None]:
        """Each notification and what sending it needs, read without holding the database's write lock.

        One query for the notifications, then one lookup per distinct service and
        template. The send itself (an SMTP conversation, a gateway's HTTP call)
        happens outside any write transaction, so a slow provider never holds up
        other writers (SQLite has only one).
        """
        found: list[Prepared | SendResult | None] = []
        async with self.component.uow(read_only=True) as uow:
            loaded = await _load(uow, payloads)  # noqa: F841 - held while `_pending` reads the identity map
            services: dict[uuid.UUID, tuple[ServiceRef, ServicePolicy] | None] = {}
            snapshots: dict[tuple[uuid.UUID, int], TemplateSnapshot | None] = {}
            for payload in payloads:
                row = await _pending(uow, payload)
                if row is None:
                    found.append(None)
                    continue
                if row.service_id not in services:
                    service = await self.component.team.describe(uow, row.service_id)
                    policy = await settings.policy_for(uow, row.service_id, service.name) if service else None
                    services[row.service_id] = (service, policy) if service and policy else None
                template = None
                if row.template_id is not None and row.template_version is not None:
                    version = (row.template_id, row.template_version)
                    if version not in snapshots:
                        snapshots[version] = await templates.get_template(uow, row.service_id, *version)
                    template = snapshots[version]
                described = services[row.service_id]
                if described is None or template is None:
                    found.append(SendResult(Outcome.TECHNICAL, "none", None, "the service or template is gone"))
                else:
                    found.append(Prepared(row, template, *described))
        return found

    async def deliver_emails(self, batch: JobBatch) -> None:
        """Deliver a batch of emails one after another, then record every outcome in the batch's transaction.

        A worker runs several batches at once, each on its own SMTP session, so
        a batch's messages need not go in parallel. A crash before the commit
        sends the whole batch again, under the same Message-IDs.
        """
        outcomes: list[tuple[dict[str, Any], SendResult]] = []
        for payload, prepared in zip(batch.payloads, await self._prepared(batch.payloads), strict=True):
            if prepared is None:
                continue
            if isinstance(prepared, SendResult):
                outcomes.append((payload, prepared))
                continue
            outcomes.append((payload, await self._send_email(prepared)))
        rows = await _load(batch.uow, [payload for payload, _ in outcomes])  # held, so settling reads no row again
        known: dict[tuple[uuid.UUID, str], bool] = {}
        for payload, result in outcomes:
            await self._settle(batch.uow, result, payload, known=known)
        del rows

    async def _send_email(self, prepared: Prepared) -> SendResult:
        """One email's outcome; raising would fail the batch and send every email before this one again.

        An email that cannot be made fails alone, as technical-failure (making it again gives the same).
        A provider that raises instead of answering is treated as a temporary failure: the email is
        tried again later with the delivery retries, like a server that asked us to come back.
        """
        try:
            message = self._email(prepared)
        except Exception as error:
            log.warning("notify.render_failed", notification_id=str(prepared.row.id), error=type(error).__name__)
            return SendResult(Outcome.TECHNICAL, "none", None, f"the email could not be made: {type(error).__name__}")
        provider = self.component.email_provider
        try:
            return await provider.send(message)
        except Exception as error:
            log.warning("notify.provider_failed", notification_id=str(prepared.row.id), error=type(error).__name__)
            return SendResult(Outcome.TEMPORARY, provider.name, None, f"the provider failed: {type(error).__name__}")

    def _email(self, prepared: Prepared) -> EmailMessage:
        row, template, service, policy = prepared
        sender = self.component.sender
        personalisation = sender.unseal(row.id, row.personalisation)
        filled = content.fill(template, personalisation, unsubscribe_url=row.one_click_unsubscribe_url, with_parts=True)
        return EmailMessage(
            notification_id=row.id,
            to=row.recipient,
            from_address=f"{service.name} <{sender.from_email(policy)}>",
            subject=filled.subject or "",
            html_body=email_document(
                body_html=filled.html or "", subject=filled.subject or "", brand_name=service.name
            ),
            text_body=filled.text or "",
            message_id=message_id(row.id, sender.email_domain),
            reply_to=row.reply_to,
            unsubscribe_url=row.one_click_unsubscribe_url,
        )

    async def deliver_sms(self, context: JobContext, payload: dict[str, Any]) -> None:
        (prepared,) = await self._prepared([payload])
        if isinstance(prepared, SendResult):
            await self._settle(context.uow, prepared, payload)
            return
        if prepared is None:
            return
        row, template, _service, policy = prepared
        component = self.component
        filled = content.fill(
            template, component.sender.unseal(row.id, row.personalisation), sms_prefix=policy.sms_prefix
        )
        assert filled.sms is not None
        message = TextMessage(row.id, row.normalised_recipient, row.reply_to or policy.sms_sender, filled.sms.content)
        result = await component.text_provider.send(message)
        await self._settle(context.uow, result, payload, billable_units=filled.sms.fragment_count)

    async def _settle(
        self,
        uow: UnitOfWork,
        result: SendResult,
        payload: dict[str, Any],
        billable_units: int | None = None,
        known: dict[tuple[uuid.UUID, str], bool] | None = None,
    ) -> None:
        """Record a send's outcome in the job's own transaction, unless the notification finished meanwhile."""
        row = await _pending(uow, payload)
        if row is None:
            return
        if billable_units is not None:
            row.billable_units = billable_units
        attempt = int(payload.get("attempt", 1))
        if result.outcome is Outcome.TEMPORARY and attempt < self.component.delivery_attempts:
            log.info("notify.retry", notification_id=str(row.id), attempt=attempt, detail=result.detail)
            row.updated_at = utcnow()
            retry_at = utcnow() + dt.timedelta(seconds=self.component.delivery_retry_seconds)
            await enqueue_job(uow, DELIVERY_TASKS[row.type], {**payload, "attempt": attempt + 1}, run_at=retry_at)
            return
        record(row, result, utcnow())
        await callbacks.status_changed(uow, self.component.box, row, known)
        log.info(
            "notify.sent",
            notification_id=str(row.id),
            status=row.status,
            provider=result.provider,
            detail=result.detail,
        )
