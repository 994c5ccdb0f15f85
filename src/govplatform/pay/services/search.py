"""Searching an account's payments and refunds, as GET /v1/payments and /v1/refunds do.

The filters are pay-publicapi's (pay.md section 2, "Search"): reference
exact, email and cardholder name partial and case-insensitive, dates as a
half-open range on creation, settled dates on the capture date (we settle on
capture), paging by page number and display size. Results are newest first,
as Pay's ledger returns them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Select, func, select

from govplatform.core.interfaces import UnitOfWork
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Payment, Refund
from govplatform.pay.requests import Paging, PaymentSearch, RefundSearch
from govplatform.pay.states import PaymentState

_STATES_BY_STATUS: dict[str, list[str]] = {}
for _state in PaymentState:
    _STATES_BY_STATUS.setdefault(_state.status.value, []).append(_state.name)


@dataclasses.dataclass(frozen=True)
class Page:
    total: int
    items: list[Any]
    paging: Paging

    @property
    def last_page(self) -> int:
        return max(1, -(-self.total // self.paging.display_size))


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def payment_query(account: Account, search: PaymentSearch) -> Select[Any]:
    query = select(Payment).where(Payment.service_id == account.service_id, Payment.live == account.live)
    if search.reference is not None:
        query = query.where(Payment.reference == search.reference)
    if search.email is not None:
        query = query.where(func.lower(Payment.email).like(_like(search.email), escape="\\"))
    if search.cardholder_name is not None:
        query = query.where(func.lower(Payment.cardholder_name).like(_like(search.cardholder_name), escape="\\"))
    if search.state is not None:
        names = _STATES_BY_STATUS.get(search.state, [])
        query = query.where(Payment.state.in_(names))
    if search.card_brand is not None:
        query = query.where(Payment.card_brand == search.card_brand)
    if search.first_digits_card_number is not None:
        query = query.where(Payment.first_digits == search.first_digits_card_number)
    if search.last_digits_card_number is not None:
        query = query.where(Payment.last_digits == search.last_digits_card_number)
    if search.agreement_id is not None:
        query = query.where(Payment.agreement_id == search.agreement_id)
    return within_dates(query, search, Payment.created_at, Payment.captured_at)


def within_dates(query: Select[Any], search: PaymentSearch | RefundSearch, created: Any, settled: Any) -> Select[Any]:
    """Pay's date filters: from/to on creation (half open), settled dates as whole UTC days."""
    if search.from_date is not None:
        query = query.where(created >= search.from_date)
    if search.to_date is not None:
        query = query.where(created < search.to_date)
    if search.from_settled_date is not None:
        query = query.where(settled >= day_start(search.from_settled_date))
    if search.to_settled_date is not None:
        query = query.where(settled < day_start(search.to_settled_date) + dt.timedelta(days=1))
    return query


async def page_of(uow: UnitOfWork, query: Select[Any], order: Any, paging: Paging) -> Page:
    total = (await uow.session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    offset = (paging.page - 1) * paging.display_size
    rows = (await uow.session.execute(query.order_by(*order).offset(offset).limit(paging.display_size))).scalars()
    return Page(total=int(total), items=list(rows), paging=paging)


async def payments(uow: UnitOfWork, account: Account, search: PaymentSearch) -> Page:
    return await page_of(uow, payment_query(account, search), (Payment.created_at.desc(), Payment.id), search.paging)


async def refunds(uow: UnitOfWork, account: Account, search: RefundSearch) -> Page:
    query = select(Refund).where(Refund.service_id == account.service_id, Refund.live == account.live)
    query = within_dates(query, search, Refund.created_at, Refund.succeeded_at)
    return await page_of(uow, query, (Refund.created_at.desc(), Refund.id), search.paging)
