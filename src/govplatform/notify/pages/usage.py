"""Usage: messages per UTC day and channel, delivered, failed and sending, with fragments and sheets.

The last 7 days by default, or any of the last 12 months; counted from the
messages the service still keeps, so a month past the retention period shows
only what is left of it.
"""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from govplatform.core.interfaces import Role, StaffMember, utcnow
from govplatform.core.interfaces import gettext_ as _
from govplatform.notify.pages.access import day_text, month_text, service_page, staff_member
from govplatform.notify.services import usage
from govplatform.notify.services.admin_queries import CHANNELS

router = APIRouter()
PATH = "/admin/services/{service_id}/notify/usage"
LAST_WEEK = "last-7-days"
MONTHS_SHOWN = 12


def recent_months(today: dt.date) -> list[tuple[int, int]]:
    """(year, month) for this month and the 11 before it, newest first."""
    months = []
    year, month = today.year, today.month
    for _count in range(MONTHS_SHOWN):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def period_days(period: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a "YYYY-MM" among the recent months, or None for anything else."""
    for year, month in recent_months(today):
        if period == f"{year:04d}-{month:02d}":
            first = dt.date(year, month, 1)
            following = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
            return first, min(following - dt.timedelta(days=1), today)
    return None


@router.get(PATH)
async def usage_page(
    request: Request, service_id: uuid.UUID, period: str = LAST_WEEK, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.VIEWER)
    today = utcnow().date()
    chosen = period_days(period, today)
    if chosen is None:
        period, chosen = LAST_WEEK, (today - dt.timedelta(days=6), today)
    async with page.notify.uow(read_only=True) as uow:
        days = await usage.daily_usage(uow, service_id, *chosen)
    options = [{"value": LAST_WEEK, "text": _("Last 7 days"), "selected": period == LAST_WEEK}] + [
        {
            "value": f"{year:04d}-{month:02d}",
            "text": month_text(year, month),
            "selected": period == f"{year:04d}-{month:02d}",
        }
        for year, month in recent_months(today)
    ]
    context = {
        "days": days,
        "totals": usage.totals(days),
        "channels": CHANNELS,
        "options": options,
        "period_name": next(option["text"] for option in options if option["selected"]),
        "day_text": day_text,
    }
    return page.render("notify/usage.html", context)
