"""What the admin pages look up: one account's payments and refunds, filtered and paged, and for export.

These differ from the API's search (`services.search`) where civil servants
need something else: a reference matches anywhere in it, not only exactly;
dates are London calendar days, as the people searching think of them; and
an export walks every match in batches by (created_at, id), so a payment made
while the file is being written neither repeats nor pushes another one out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from govplatform.core.interfaces import UnitOfWork
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Payment, PaymentLink, Refund
from govplatform.pay.services.ledger import start_of_day
from govplatform.pay.states import PaymentState, PaymentStatus, RefundStatus

PAGE_SIZE = 50
EXPORT_BATCH = 500
STATUSES = tuple(status.value for status in PaymentStatus)
_NAMES_BY_STATUS = {
    status.value: [state.name for state in PaymentState if state.status is status] for status in PaymentStatus
}
Details = Callable[[UnitOfWork, list[Any]], Awaitable[dict[str, Any]]]


@dataclasses.dataclass(frozen=True)
class PaymentFilters:
    """What a civil servant searches payments by; None (or empty) means any."""

    reference: str | None = None
    email: str | None = None
    status: str | None = None  # a PaymentStatus value
    card_brand: str | None = None
    last_digits: str | None = None
    from_day: dt.date | None = None  # London days, inclusive
    to_day: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class RefundFilters:
    from_day: dt.date | None = None
    to_day: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class Found:
    rows: list[Any]
    total: int
    page: int

    @property
    def has_next(self) -> bool:
        return self.page * PAGE_SIZE < self.total


def _contains(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def payment_query(account: Account, filters: PaymentFilters) -> Select[Any]:
    query = select(Payment).where(Payment.service_id == account.service_id, Payment.live == account.live)
    if filters.reference:
        query = query.where(func.lower(Payment.reference).like(_contains(filters.reference), escape="\\"))
    if filters.email:
        query = query.where(func.lower(Payment.email).like(_contains(filters.email), escape="\\"))
    if filters.status:
        query = query.where(Payment.state.in_(_NAMES_BY_STATUS.get(filters.status, [])))
    if filters.card_brand:
        query = query.where(Payment.card_brand == filters.card_brand)
    if filters.last_digits:
        query = query.where(Payment.last_digits == filters.last_digits)
    if filters.from_day:
        query = query.where(Payment.created_at >= start_of_day(filters.from_day))
    if filters.to_day:
        query = query.where(Payment.created_at < start_of_day(filters.to_day + dt.timedelta(days=1)))
    return query


def refund_query(account: Account, filters: RefundFilters) -> Select[Any]:
    query = select(Refund).where(Refund.service_id == account.service_id, Refund.live == account.live)
    if filters.from_day:
        query = query.where(Refund.created_at >= start_of_day(filters.from_day))
    if filters.to_day:
        query = query.where(Refund.created_at < start_of_day(filters.to_day + dt.timedelta(days=1)))
    return query


async def _page(uow: UnitOfWork, query: Select[Any], model: Any, page: int) -> Found:
    total = (await uow.session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    ordered = query.order_by(model.created_at.desc(), model.id.desc())
    rows = (await uow.session.execute(ordered.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))).scalars()
    return Found(list(rows), int(total), page)


async def payment_page(uow: UnitOfWork, account: Account, filters: PaymentFilters, page: int = 1) -> Found:
    """One page of the account's payments that match, newest first."""
    return await _page(uow, payment_query(account, filters), Payment, page)


async def refund_page(uow: UnitOfWork, account: Account, filters: RefundFilters, page: int = 1) -> Found:
    """One page of the account's refunds made in the date range, newest first."""
    return await _page(uow, refund_query(account, filters), Refund, page)


async def in_batches(
    uow_factory: Callable[..., UnitOfWork], query: Select[Any], model: Any, details: Details
) -> AsyncIterator[list[tuple[Any, Any]]]:
    """Every row the query finds, newest first, a batch at a time, each read in its own unit of work,
    paired with what `details` finds for it (by row id)."""
    after: tuple[dt.datetime, str] | None = None
    while True:
        batch_query = query
        if after is not None:
            created, row_id = after
            batch_query = batch_query.where(
                or_(model.created_at < created, and_(model.created_at == created, model.id < row_id))
            )
        batch_query = batch_query.order_by(model.created_at.desc(), model.id.desc()).limit(EXPORT_BATCH)
        async with uow_factory(read_only=True) as uow:
            rows = list((await uow.session.execute(batch_query)).scalars())
            extra = await details(uow, rows)
        if not rows:
            return
        yield [(row, extra.get(row.id)) for row in rows]
        if len(rows) < EXPORT_BATCH:
            return
        after = (rows[-1].created_at, rows[-1].id)


async def refunded_of_payments(uow: UnitOfWork, rows: list[Any]) -> dict[str, Any]:
    """For an export of payments: each one's refunded amount."""
    return dict(await refunded_amounts(uow, [row.id for row in rows]))


async def payment_of_refunds(uow: UnitOfWork, rows: list[Any]) -> dict[str, Any]:
    """For an export of refunds: the payment of each, by refund id."""
    found = await payments_of(uow, [row.payment_id for row in rows])
    return {row.id: found.get(row.payment_id) for row in rows}


async def refunded_amounts(uow: UnitOfWork, payment_ids: list[str]) -> dict[str, int]:
    """Per payment, the amount its successful refunds gave back (payments with none are left out)."""
    if not payment_ids:
        return {}
    query = (
        select(Refund.payment_id, func.sum(Refund.amount))
        .where(Refund.payment_id.in_(payment_ids), Refund.status == RefundStatus.SUCCESS.value)
        .group_by(Refund.payment_id)
    )
    return {payment_id: int(total) for payment_id, total in (await uow.session.execute(query)).all()}


async def payments_of(uow: UnitOfWork, payment_ids: list[str]) -> dict[str, Payment]:
    """The payments some refunds belong to, by id."""
    if not payment_ids:
        return {}
    query = select(Payment).where(Payment.id.in_(set(payment_ids)))
    return {payment.id: payment for payment in (await uow.session.execute(query)).scalars()}


async def card_brands(uow: UnitOfWork, account: Account) -> list[str]:
    """The card brands the account's payments were made with, for the search filter."""
    query = (
        select(Payment.card_brand)
        .where(Payment.service_id == account.service_id, Payment.live == account.live, Payment.card_brand.is_not(None))
        .distinct()
    )
    return sorted(brand for brand in (await uow.session.execute(query)).scalars() if brand)


async def payment_link(uow: UnitOfWork, link_id: object) -> PaymentLink | None:
    return await uow.session.get(PaymentLink, link_id) if link_id is not None else None
