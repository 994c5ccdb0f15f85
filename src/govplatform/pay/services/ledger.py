"""Daily totals for reconciliation: what one account of a service took and gave back on each day.

Why London days: the finance teams who reconcile these figures against bank
statements count days in UK time, so a payment at 23:30 UTC on a summer day
(00:30 BST) belongs to the next day, while in winter (GMT) UTC and London
agree. Europe/London is the zone GOV.UK Pay's own reports use.

Why from the rows, every time: each figure is a sum over the payment and
refund rows themselves, not a running total kept beside them, so the totals
can never drift from the payments they add up.

- A payment counts on the London day of its `succeeded_at` (when its capture
  was approved), for its amount plus any corporate card surcharge, while it
  is in state success. One that succeeded and was later abandoned as an
  error took no money, so it drops out of every day's totals.
- A refund counts on the London day of its own `succeeded_at`, and only
  once its status is success: a submitted refund has not moved money yet,
  and a failed one never will.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable

from sqlalchemy import select

from govplatform.core.interfaces import UnitOfWork
from govplatform.pay.cards import LONDON
from govplatform.pay.models import Payment, Refund
from govplatform.pay.states import PaymentState, RefundStatus

MAX_DAYS = 366  # the pages ask for at most a year at a time


@dataclasses.dataclass(frozen=True)
class DayTotal:
    """One London day of one account: payments taken and refunds given, in pence."""

    day: dt.date
    payments: int = 0  # how many payments succeeded
    gross: int = 0  # their amounts with surcharges
    refunds: int = 0  # how many refunds succeeded
    refunded: int = 0  # their amounts

    @property
    def net(self) -> int:
        return self.gross - self.refunded


def london_day(moment: dt.datetime) -> dt.date:
    """The calendar day in London on which a UTC moment falls."""
    return moment.astimezone(LONDON).date()


def start_of_day(day: dt.date) -> dt.datetime:
    """The UTC moment a London day begins (23:00 UTC the evening before, in summer)."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(dt.UTC)


def day_range(first_day: dt.date, last_day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The half-open UTC range [start, end) covering the London days first_day to last_day inclusive."""
    return start_of_day(first_day), start_of_day(last_day + dt.timedelta(days=1))


async def daily_totals(
    uow: UnitOfWork, service_id: uuid.UUID, live: bool, first_day: dt.date, last_day: dt.date
) -> list[DayTotal]:
    """The account's totals for each London day from first_day to last_day inclusive, oldest first.

    Every day in the range has an entry, with zeros where nothing happened.
    Gross is the sum of `amount + corporate_surcharge` over the payments in
    state success whose `succeeded_at` falls on the day; refunded is the sum of
    the successful refunds whose `succeeded_at` falls on it; net is gross less
    refunded. Raises ValueError for a backwards range or one longer than
    `MAX_DAYS`.
    """
    if last_day < first_day:
        raise ValueError("the last day is before the first")
    if (last_day - first_day).days >= MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days at a time")
    start, end = day_range(first_day, last_day)
    paid = await uow.session.execute(
        select(Payment.succeeded_at, Payment.amount, Payment.corporate_surcharge).where(
            Payment.service_id == service_id,
            Payment.live == live,
            Payment.state == PaymentState.SUCCESS.name,
            Payment.succeeded_at >= start,
            Payment.succeeded_at < end,
        )
    )
    refunded = await uow.session.execute(
        select(Refund.succeeded_at, Refund.amount).where(
            Refund.service_id == service_id,
            Refund.live == live,
            Refund.status == RefundStatus.SUCCESS.value,
            Refund.succeeded_at >= start,
            Refund.succeeded_at < end,
        )
    )
    return _by_day(
        first_day,
        last_day,
        ((at, amount + (surcharge or 0)) for at, amount, surcharge in paid.all()),
        ((at, amount) for at, amount in refunded.all()),
    )


def _by_day(
    first_day: dt.date,
    last_day: dt.date,
    payments: Iterable[tuple[dt.datetime | None, int]],
    refunds: Iterable[tuple[dt.datetime | None, int]],
) -> list[DayTotal]:
    every_day = (first_day + dt.timedelta(days=offset) for offset in range((last_day - first_day).days + 1))
    days = {day: DayTotal(day) for day in every_day}
    for at, amount in payments:
        if at is None:  # the query asks for a time in range, so never; a None must not break the sums
            continue
        day = days[london_day(at)]
        days[day.day] = dataclasses.replace(day, payments=day.payments + 1, gross=day.gross + amount)
    for at, amount in refunds:
        if at is None:
            continue
        day = days[london_day(at)]
        days[day.day] = dataclasses.replace(day, refunds=day.refunds + 1, refunded=day.refunded + amount)
    return list(days.values())


def totals(days: list[DayTotal]) -> DayTotal:
    """The sum of a range of days (as `daily_totals` returns it, never empty), dated with its first day."""
    whole = DayTotal(days[0].day)
    for day in days:
        whole = DayTotal(
            whole.day,
            whole.payments + day.payments,
            whole.gross + day.gross,
            whole.refunds + day.refunds,
            whole.refunded + day.refunded,
        )
    return whole
