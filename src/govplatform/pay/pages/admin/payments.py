"""Payments in the admin pages: a searchable list of one account's payments, 50 a page, and its CSV export.

Anyone on the service's team may search and export (the file holds what the
list shows: emails and cardholder names, never a card number, since none is
kept). Each export is written to the audit log.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from govplatform.core.interfaces import Role, StaffMember, utcnow
from govplatform.core.interfaces import gettext_ as _
from govplatform.pay.cards import RULES_BY_BRAND
from govplatform.pay.models import Payment
from govplatform.pay.pages.admin.access import STATUS_NAMES, errors_of, page_number, pay_page, staff_member
from govplatform.pay.pages.admin.filters import payment_search
from govplatform.pay.services import admin_queries, exports
from govplatform.pay.services.ledger import london_day

router = APIRouter()
PREFIX = "/admin/services/{service_id}/pay/{account}"


@router.get("/admin/services/{service_id}/pay")
async def pay_home(request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)) -> Response:
    """The way in from the service's page: the live account's payments."""
    shown = await pay_page(request, staff, service_id, Role.VIEWER)
    return RedirectResponse(f"{shown.base}/payments", status_code=303)


@router.get(PREFIX + "/payments")
async def payment_list(
    request: Request, service_id: uuid.UUID, account: str, page: str = "1", staff: StaffMember = Depends(staff_member)
) -> Response:
    shown = await pay_page(request, staff, service_id, Role.VIEWER, account)
    filters, search = payment_search(request.query_params)
    number = page_number(page)
    rows: list[tuple[object, int]] = []
    found = None
    if not search.problems:
        async with shown.pay.uow(read_only=True) as uow:
            found = await admin_queries.payment_page(uow, shown.account, filters, number)
            refunded = await admin_queries.refunded_amounts(uow, [row.id for row in found.rows])
        rows = [(row, refunded.get(row.id, 0)) for row in found.rows]
    context = {
        "rows": rows,
        "total": found.total if found else 0,
        "values": search.values,
        "errors": errors_of(search.problems) or None,
        "states": [("", _("Any state"))] + [(value, _(name)) for value, name in STATUS_NAMES.items()],
        "brands": [("", _("Any card brand"))] + [(brand.value, rule.label) for brand, rule in RULES_BY_BRAND.items()],
        "page": number,
        "previous_page": shown.link("payments", **search.query, page=str(number - 1)) if number > 1 else None,
        "next_page": shown.link("payments", **search.query, page=str(number + 1)) if found and found.has_next else None,
        "export_href": shown.link("payments.csv", **search.query),
        "searched": bool(search.query),
    }
    return shown.render("pay/admin/payments.html", context, status_code=400 if search.problems else 200)


@router.get(PREFIX + "/payments.csv")
async def payment_export(
    request: Request, service_id: uuid.UUID, account: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    shown = await pay_page(request, staff, service_id, Role.VIEWER, account)
    filters, search = payment_search(request.query_params)
    if search.problems:
        return await payment_list(request, service_id, account, "1", staff)
    async with shown.pay.uow() as uow:
        exports.record_export(uow, staff.actor, shown.account, "payments")
        await uow.commit()
    batches = admin_queries.in_batches(
        shown.pay.uow,
        admin_queries.payment_query(shown.account, filters),
        Payment,
        admin_queries.refunded_of_payments,
    )
    filename = f"payments-{account}-{london_day(utcnow()).isoformat()}.csv"
    return StreamingResponse(
        exports.csv_text(exports.PAYMENT_HEADINGS, batches, exports.payment_row),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
