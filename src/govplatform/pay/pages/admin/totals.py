"""Daily totals for reconciliation: per London day, the payments taken, the refunds given and the net.

The last 7 days by default, or any range of up to a year. Every figure is
summed from the payment and refund rows each time (`services.ledger`), so it
always equals the payments listed for that day.
"""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from govplatform.core.interfaces import N_, Role, StaffMember, utcnow
from govplatform.pay.pages.admin.access import errors_of, pay_page, staff_member
from govplatform.pay.pages.admin.filters import day_range
from govplatform.pay.services import ledger
from govplatform.pay.services.problems import Problem

router = APIRouter()
PATH = "/admin/services/{service_id}/pay/{account}/daily-totals"
DEFAULT_DAYS = 7


@router.get(PATH)
async def daily_totals_page(
    request: Request, service_id: uuid.UUID, account: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.VIEWER, account)
    first, last, search = day_range(request.query_params)
    problems = list(search.problems)
    if not problems and first is not None and last is not None and (last - first).days >= ledger.MAX_DAYS:
        problems.append(Problem("to-day", N_("Choose a range of no more than a year")))
    values = dict(search.values)
    if first is None or last is None:
        last = ledger.london_day(utcnow())
        first = last - dt.timedelta(days=DEFAULT_DAYS - 1)
        if not problems:  # the form shows the days shown
            for prefix, day in (("from", first), ("to", last)):
                values.update({f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month)})
                values[f"{prefix}-year"] = str(day.year)
    days: list[ledger.DayTotal] = []
    if not problems:
        async with page.pay.uow(read_only=True) as uow:
            days = await ledger.daily_totals(uow, service_id, page.live, first, last)
    context = {
        "days": days,
        "total": ledger.totals(days) if days else None,
        "first": first,
        "last": last,
        "values": values,
        "errors": errors_of(problems) or None,
    }
    return page.render("pay/admin/totals.html", context, status_code=400 if problems else 200)
