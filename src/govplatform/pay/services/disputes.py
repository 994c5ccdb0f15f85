"""Disputes the processors report against captured payments, for GET /v1/disputes.

A dispute is raised by the paying user's bank, so it reaches us only through
the processor: each schedule run asks every processor about payments
captured in the last 120 days (the window in which card schemes allow
chargebacks) that have no dispute yet, and records what it reports, keyed
by the processor's own dispute id so two workers never record one twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from govplatform.core.interfaces import UnitOfWork, utcnow
from govplatform.pay.component import PayComponent
from govplatform.pay.ids import new_external_id
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Dispute, Payment
from govplatform.pay.processors.base import ProcessorError
from govplatform.pay.requests import DisputeSearch
from govplatform.pay.services.search import Page, page_of

WINDOW = dt.timedelta(days=120)


async def poll(pay: PayComponent, now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    recorded = 0
    for name, processor in pay.processors.items():
        async with pay.uow(read_only=True) as uow:
            disputed = select(Dispute.payment_id)
            rows = (
                await uow.session.execute(
                    select(Payment.processor_id, Payment.id, Payment.amount, Payment.service_id, Payment.live).where(
                        Payment.processor == name,
                        Payment.captured_at >= now - WINDOW,
                        Payment.processor_id.is_not(None),
                        Payment.id.not_in(disputed),
                    )
                )
            ).all()
        if not rows:
            continue
        by_processor_id = {row.processor_id: row for row in rows}
        try:
            reports = await processor.disputes(list(by_processor_id))
        except ProcessorError:
            continue  # the next run asks again
        for reported in reports:
            payment = by_processor_id.get(reported.payment_processor_id)
            if payment is None:
                continue
            amount = reported.amount or payment.amount
            fee = reported.fee
            try:
                async with pay.uow() as uow:
                    uow.session.add(
                        Dispute(
                            id=new_external_id(),
                            payment_id=payment.id,
                            service_id=payment.service_id,
                            live=payment.live,
                            processor_id=reported.processor_id,
                            amount=amount,
                            fee=fee,
                            net_amount=-(amount + (fee or 0)),
                            reason=reported.reason,
                            status=reported.status,
                            evidence_due_at=(
                                dt.datetime.fromtimestamp(reported.evidence_due_epoch, dt.UTC)
                                if reported.evidence_due_epoch
                                else now + dt.timedelta(days=7)
                            ),
                            created_at=now,
                        )
                    )
                    await uow.commit()
                recorded += 1
            except IntegrityError:
                continue
    return recorded


async def search(uow: UnitOfWork, account: Account, wanted: DisputeSearch) -> Page:
    query = select(Dispute).where(Dispute.service_id == account.service_id, Dispute.live == account.live)
    if wanted.status is not None:
        query = query.where(Dispute.status == wanted.status)
    if wanted.from_date is not None:
        query = query.where(Dispute.created_at >= wanted.from_date)
    if wanted.to_date is not None:
        query = query.where(Dispute.created_at < wanted.to_date)
    if wanted.from_settled_date is not None:
        query = query.where(Dispute.settled_date >= wanted.from_settled_date)
    if wanted.to_settled_date is not None:
        query = query.where(Dispute.settled_date <= wanted.to_settled_date)
    return await page_of(uow, query, (Dispute.created_at.desc(), Dispute.id), wanted.paging)
