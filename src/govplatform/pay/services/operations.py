"""What services and the platform do to payments after creating them: cancel, capture, expire.

Each talks to the processor outside any transaction and records the answer
in a second one, so a slow processor never holds a lock on the payment.
Capture is durable: the move to `success` queues a capture job in the same
unit of work, due `CAPTURE_SAFETY_NET` later. The request then captures at
once and, in the unit of work that records the capture, closes the job it no
longer needs, so in the usual case no worker runs it and no second capture is
ever asked for. If the request never gets that far (the process stops, the
processor does not answer), the job captures when it falls due. Whoever gets
there first captures; the other finds it captured and does nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid

import structlog
from sqlalchemy import or_, select

from govplatform.core.interfaces import UnitOfWork, close_queued_job, enqueue_job, utcnow
from govplatform.pay.component import PayComponent
from govplatform.pay.errors import PayError, not_found
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Payment
from govplatform.pay.processors.base import ProcessorError
from govplatform.pay.services import payments, webhooks
from govplatform.pay.states import (
    DELAYED_CAPTURE_EXPIRY,
    PAYMENT_EXPIRY,
    AuthorisationMode,
    PaymentState,
    can_cancel,
    expiry_due,
)

log = structlog.get_logger("govplatform.pay")
CAPTURE_TASK = "pay.capture"
# How long the capture job waits for the request that approved the capture to capture by itself.
CAPTURE_SAFETY_NET = dt.timedelta(seconds=30)
_AUTHORISED = (PaymentState.SUBMITTED, PaymentState.CAPTURABLE)


async def approve_capture(uow: UnitOfWork, pay: PayComponent, payment: Payment) -> uuid.UUID:
    """Move to success and queue the capture job, in the caller's unit of work; the job's id."""
    now = utcnow()
    await payments.change_state(uow, pay.box, payment, PaymentState.SUCCESS, now)
    return await enqueue_job(
        uow, CAPTURE_TASK, {"payment_id": payment.id}, max_attempts=10, run_at=now + CAPTURE_SAFETY_NET
    )


async def cancel_by_service(pay: PayComponent, account: Account, payment_id: str) -> None:
    """POST /v1/payments/{id}/cancel: 404 P0500 if unknown, 409 P0502 if it cannot be cancelled."""
    async with pay.uow() as uow:
        payment = await payments.find(uow, account, payment_id, for_update=True)
        if payment is None:
            raise not_found("P0500")
        state = payments.state_of(payment)
        if not can_cancel(state, AuthorisationMode(payment.authorisation_mode)):
            raise PayError(409, "P0502", "Cancellation of payment failed")
        release = holds_authorisation(payment)
        await payments.change_state(uow, pay.box, payment, PaymentState.CANCELLED)
        processor, processor_id = payment.processor, payment.processor_id
        await uow.commit()
    if release and processor_id:
        await release_authorisation(pay, processor, processor_id)


async def capture_delayed(pay: PayComponent, account: Account, payment_id: str) -> None:
    """POST /v1/payments/{id}/capture: 404 P1000 if unknown, 409 P1003 unless capturable."""
    async with pay.uow() as uow:
        payment = await payments.find(uow, account, payment_id, for_update=True)
        if payment is None:
            raise not_found("P1000")
        if payments.state_of(payment) is not PaymentState.CAPTURABLE:
            raise PayError(409, "P1003", "Payment cannot be captured")
        job_id = await approve_capture(uow, pay, payment)
        await uow.commit()
    await capture_now(pay, payment_id, approved=payment, job_id=job_id)


async def capture_now(
    pay: PayComponent, payment_id: str, approved: Payment | None = None, job_id: uuid.UUID | None = None
) -> bool:
    """Ask the processor to capture an approved payment; True once it is captured.

    `approved` is the payment as the caller's unit of work has just committed it
    (moved to success), which saves reading it again, and `job_id` its capture
    job, closed once the capture is recorded; the job itself passes neither.
    """
    payment = approved
    if payment is None:
        async with pay.uow(read_only=True) as uow:
            payment = await payments.get(uow, payment_id)
    if payment is None or payments.state_of(payment) is not PaymentState.SUCCESS:
        return False
    if payment.captured_at is not None:
        return True
    processor, processor_id, amount = payment.processor, payment.processor_id, payment.amount
    try:
        result = await pay.processors[processor].capture(processor_id or "", amount)
    except ProcessorError:
        return False
    if not result.captured:
        log.warning("pay.capture_refused", payment_id=payment_id, processor=processor)
        return False
    async with pay.uow() as uow:
        payment = await payments.get(uow, payment_id, for_update=True)
        if job_id is not None:
            await close_queued_job(uow, job_id)
        if payment is None or payment.captured_at is not None:
            await uow.commit()
            return True
        now = utcnow()
        payment.captured_at = now
        payment.fee = result.fee
        payment.updated_at = now
        await webhooks.queue(uow, pay.box, payment, "card_payment_captured", now)
        await uow.commit()
    return True


def holds_authorisation(payment: Payment) -> bool:
    """Whether the processor holds an authorisation (or one waiting for 3-D Secure) that a cancel must release."""
    state = payments.state_of(payment)
    waiting_for_issuer = state is PaymentState.STARTED and payment.stage in payments.WITH_THE_ISSUER
    return payment.processor_id is not None and (state in _AUTHORISED or waiting_for_issuer)


async def release_authorisation(pay: PayComponent, processor: str, processor_id: str) -> None:
    try:
        await pay.processors[processor].cancel(processor_id)
    except ProcessorError:
        log.warning("pay.release_failed", processor=processor)


async def expire_due(pay: PayComponent, now: dt.datetime | None = None, batch: int = 200) -> int:
    """Expire payments left unfinished past 90 minutes (120 hours awaiting capture); how many."""
    now = now or utcnow()
    waiting = [PaymentState.CREATED.name, PaymentState.STARTED.name, PaymentState.SUBMITTED.name]
    query = (
        select(Payment.id)
        .where(
            or_(
                (Payment.state.in_(waiting)) & (Payment.created_at <= now - PAYMENT_EXPIRY),
                (Payment.state == PaymentState.CAPTURABLE.name) & (Payment.created_at <= now - DELAYED_CAPTURE_EXPIRY),
            )
        )
        .limit(batch)
    )
    async with pay.uow(read_only=True) as uow:
        due = list((await uow.session.execute(query)).scalars())
    expired = 0
    for payment_id in due:
        async with pay.uow() as uow:
            payment = await payments.get(uow, payment_id, for_update=True)
            if payment is None or not expiry_due(payments.state_of(payment), payment.created_at, now):
                continue
            release = holds_authorisation(payment)  # asked before the move, which clears the stage
            await payments.change_state(uow, pay.box, payment, PaymentState.FAILED_EXPIRED, now)
            processor, processor_id = payment.processor, payment.processor_id
            await uow.commit()
        expired += 1
        if release and processor_id:
            await release_authorisation(pay, processor, processor_id)
    return expired
