"""Refunds: checked against what is still available, then sent to the processor.

A refund is written as `submitted` with its processor job in one unit of
work, under a lock on its payment (FOR UPDATE on PostgreSQL; SQLite's
IMMEDIATE transactions take the write lock first), so two refunds at once can
never together pass what the payment has available. The processor is called
outside any transaction; its answer moves the refund to `success` or `error`
in a second one. A refund that failed no longer counts against the amount
available (connector's RefundCalculator).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from sqlalchemy import func, select

from govplatform.core.interfaces import AuthenticatedKey, SecretBox, UnitOfWork, enqueue_job, utcnow
from govplatform.pay.errors import PayError, not_found
from govplatform.pay.ids import new_external_id
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Dispute, Payment, Refund
from govplatform.pay.processors.base import CardProcessor, ProcessorError
from govplatform.pay.requests import CreateRefund, parse_create_refund, parse_idempotency_key
from govplatform.pay.services import idempotency, payments, webhooks
from govplatform.pay.states import Refund as RefundFigure
from govplatform.pay.states import RefundStatus, RefundSummary, refund_refusal, refund_summary

REFUND_TASK = "pay.refund"
ENDPOINT = "create_refund"
_OPEN_DISPUTES = ("needs_response", "under_review", "lost")


def summary(payment: Payment, refunds: Iterable[Refund]) -> RefundSummary:
    return _summary(payment, [RefundFigure(refund.amount, RefundStatus(refund.status)) for refund in refunds])


def summary_with_submitted(payment: Payment, submitted: int) -> RefundSummary:
    """The summary from the sum of the payment's refunds that have not failed (search results)."""
    return _summary(payment, [RefundFigure(submitted, RefundStatus.SUBMITTED)] if submitted else [])


def _summary(payment: Payment, figures: list[RefundFigure]) -> RefundSummary:
    return refund_summary(
        payments.state_of(payment),
        captured=payment.captured_at is not None,
        total_amount=payment.amount + (payment.corporate_surcharge or 0),
        refunds=figures,
    )


async def of_payment(uow: UnitOfWork, payment_id: str) -> list[Refund]:
    query = select(Refund).where(Refund.payment_id == payment_id).order_by(Refund.created_at, Refund.id)
    return list((await uow.session.execute(query)).scalars())


async def submitted_totals(uow: UnitOfWork, payment_ids: list[str]) -> dict[str, int]:
    """Per payment, the amount of its refunds that have not failed (for search results)."""
    if not payment_ids:
        return {}
    query = (
        select(Refund.payment_id, func.sum(Refund.amount))
        .where(Refund.payment_id.in_(payment_ids), Refund.status != RefundStatus.ERROR.value)
        .group_by(Refund.payment_id)
    )
    return {payment_id: int(total) for payment_id, total in (await uow.session.execute(query)).all()}


async def disputed(uow: UnitOfWork, payment_id: str) -> bool:
    query = select(Dispute.id).where(Dispute.payment_id == payment_id, Dispute.status.in_(_OPEN_DISPUTES)).limit(1)
    return (await uow.session.execute(query)).first() is not None


async def create_refund(
    uow: UnitOfWork,
    account: Account,
    payment_id: str,
    request: CreateRefund,
    *,
    created_by: str | None = None,
    now: dt.datetime | None = None,
) -> Refund:
    """A submitted refund and its processor job; PayError with Pay's code when it cannot be made."""
    payment = await payments.find(uow, account, payment_id, for_update=True)
    if payment is None:
        raise not_found("P0600")
    current = summary(payment, await of_payment(uow, payment.id))
    refusal = refund_refusal(
        current, request.amount, request.refund_amount_available, disputed=await disputed(uow, payment.id)
    )
    if refusal is not None:
        raise PayError(refusal.http_status, refusal.code, refusal.description)
    now = now or utcnow()
    refund = Refund(
        id=new_external_id(),
        payment_id=payment.id,
        service_id=payment.service_id,
        live=payment.live,
        amount=request.amount,
        status=RefundStatus.SUBMITTED.value,
        created_by=created_by,
        created_at=now,
    )
    uow.session.add(refund)
    payment.updated_at = now  # bumps the version: a concurrent refund on the same payment fails
    await enqueue_job(uow, REFUND_TASK, {"refund_id": refund.id}, max_attempts=8)
    await uow.session.flush()
    return refund


async def create_once(
    uow_factory: Callable[..., UnitOfWork],
    key: AuthenticatedKey,
    payment_id: str,
    body: object,
    idempotency_header: str | None,
) -> idempotency.Done[Refund]:
    """POST /v1/payments/{id}/refunds: a new submitted refund, or the one an earlier use of the key made.

    The key is checked before the refund's rules, so a replay answers with the refund it made even once
    nothing is left to refund. The payment's id is part of what the key stands for: the same key and
    body on another payment is another request (409 P0191), not a replay of this one.
    """
    wanted = parse_create_refund(body)
    account = Account(key.service.id, key.key_type == "live")
    keyed = idempotency.Keyed(
        account,
        ENDPOINT,
        parse_idempotency_key(idempotency_header),
        idempotency.body_hash({"payment_id": payment_id, "body": body}),
    )

    async def make(uow: UnitOfWork) -> tuple[Refund, str]:
        refund = await create_refund(uow, account, payment_id, wanted, created_by=key.key_name)
        return refund, refund.id

    async def replay(uow: UnitOfWork, refund_id: str) -> Refund | None:
        return await find(uow, account, payment_id, refund_id)

    return await idempotency.once(uow_factory, keyed, make, replay)


async def find(uow: UnitOfWork, account: Account, payment_id: str, refund_id: str) -> Refund | None:
    query = select(Refund).where(
        Refund.id == refund_id,
        Refund.payment_id == payment_id,
        Refund.service_id == account.service_id,
        Refund.live == account.live,
    )
    return (await uow.session.execute(query)).scalar_one_or_none()


async def process(
    uow_factory: Callable[..., UnitOfWork],
    box: SecretBox,
    processors: dict[str, CardProcessor],
    refund_id: str,
) -> str | None:
    """Send a submitted refund to the processor and record the answer; its status, or None if unknown.

    Safe to run twice (the request that made the refund tries at once, its job
    tries again later): only a refund still `submitted` is sent, and the
    answer is written only if it is still `submitted`.
    """
    async with uow_factory(read_only=True) as uow:
        refund = await uow.session.get(Refund, refund_id)
        if refund is None:
            return None
        if refund.status != RefundStatus.SUBMITTED.value:
            return refund.status
        payment = await uow.session.get(Payment, refund.payment_id)
        assert payment is not None
        processor_id, processor_name, amount = payment.processor_id, payment.processor, refund.amount
    try:
        result = await processors[processor_name].refund(processor_id or "", amount, refund_id)
    except ProcessorError:
        return RefundStatus.SUBMITTED.value  # the job tries again
    async with uow_factory() as uow:
        refund = await uow.session.get(Refund, refund_id, with_for_update=True)
        assert refund is not None
        if refund.status != RefundStatus.SUBMITTED.value:
            return refund.status
        now = utcnow()
        refund.processor_id = result.processor_id
        if result.succeeded:
            refund.status = RefundStatus.SUCCESS.value
            refund.succeeded_at = now
            payment = await uow.session.get(Payment, refund.payment_id)
            assert payment is not None
            await webhooks.queue_refund(uow, box, payment, refund, now)
        else:
            refund.status = RefundStatus.ERROR.value
        await uow.commit()
        return refund.status
