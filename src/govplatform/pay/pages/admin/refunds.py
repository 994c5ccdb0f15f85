"""Refunds in the admin pages: one account's refunds by the London day they were made, and their CSV export."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from govplatform.core.interfaces import Role, StaffMember, utcnow
from govplatform.pay.models import Refund
from govplatform.pay.pages.admin.access import errors_of, page_number, pay_page, staff_member
from govplatform.pay.pages.admin.filters import refund_search
from govplatform.pay.services import admin_queries, exports
from govplatform.pay.services.ledger import london_day

router = APIRouter()
PREFIX = "/admin/services/{service_id}/pay/{account}"


@router.get(PREFIX + "/refunds")
async def refund_list(
    request: Request, service_id: uuid.UUID, account: str, page: str = "1", staff: StaffMember = Depends(staff_member)
) -> Response:
    shown = await pay_page(request, staff, service_id, Role.VIEWER, account)
    filters, search = refund_search(request.query_params)
    number = page_number(page)
    rows: list[tuple[Refund, object]] = []
    found = None
    if not search.problems:
        async with shown.pay.uow(read_only=True) as uow:
            found = await admin_queries.refund_page(uow, shown.account, filters, number)
            paid = await admin_queries.payments_of(uow, [row.payment_id for row in found.rows])
        rows = [(row, paid.get(row.payment_id)) for row in found.rows]
    context = {
        "rows": rows,
        "total": found.total if found else 0,
        "values": search.values,
        "errors": errors_of(search.problems) or None,
        "page": number,
        "previous_page": shown.link("refunds", **search.query, page=str(number - 1)) if number > 1 else None,
        "next_page": shown.link("refunds", **search.query, page=str(number + 1)) if found and found.has_next else None,
        "export_href": shown.link("refunds.csv", **search.query),
    }
    return shown.render("pay/admin/refunds.html", context, status_code=400 if search.problems else 200)


@router.get(PREFIX + "/refunds.csv")
async def refund_export(
    request: Request, service_id: uuid.UUID, account: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    shown = await pay_page(request, staff, service_id, Role.VIEWER, account)
    filters, search = refund_search(request.query_params)
    if search.problems:
        return await refund_list(request, service_id, account, "1", staff)
    async with shown.pay.uow() as uow:
        exports.record_export(uow, staff.actor, shown.account, "refunds")
        await uow.commit()
    batches = admin_queries.in_batches(
        shown.pay.uow, admin_queries.refund_query(shown.account, filters), Refund, admin_queries.payment_of_refunds
    )
    filename = f"refunds-{account}-{london_day(utcnow()).isoformat()}.csv"
    return StreamingResponse(
        exports.csv_text(exports.REFUND_HEADINGS, batches, exports.refund_row),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
