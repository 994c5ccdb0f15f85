"""One payment in the admin pages: its details, the card (brand and last four digits, nothing more), its
state and the ledger of every state it passed through, its refunds, and a form to refund it.

Editors may refund: in full, or in part up to the amount still available,
which the page shows. The refund goes through the same rules as the API's
(`services.staff_refunds`), and a refusal is shown GOV.UK-style on the form.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import Role, StaffMember
from govplatform.pay.pages.admin.access import PayPage, errors_of, event_name, form_of, pay_page, staff_member
from govplatform.pay.services import admin_queries, payments, refunds, staff_refunds
from govplatform.pay.services.problems import Problem
from govplatform.pay.states import RefundAvailability

router = APIRouter()
PATH = "/admin/services/{service_id}/pay/{account}/payments/{payment_id}"


async def _payment_page(
    page: PayPage, payment_id: str, problem: Problem | None = None, form: dict[str, str] | None = None
) -> Response:
    async with page.pay.uow(read_only=True) as uow:
        payment = await payments.find(uow, page.account, payment_id) if len(payment_id) <= 26 else None
        if payment is None:
            raise HTTPException(404, "There is no payment with that ID in this account")
        history = await payments.events(uow, payment.id)
        made = await refunds.of_payment(uow, payment.id)
        disputed = await refunds.disputed(uow, payment.id)
        link = await admin_queries.payment_link(uow, payment.payment_link_id)
    summary = refunds.summary(payment, made)
    refundable = summary.status is RefundAvailability.AVAILABLE and not disputed
    refunded = page.request.query_params.get("refunded", "")
    context = {
        "payment": payment,
        "events": [(event_name(event.state), event.at) for event in reversed(history)],
        "refunds": list(reversed(made)),
        "summary": summary,
        "refundable": refundable,
        "disputed": disputed,
        "payment_link": link,
        "refunded": next((refund for refund in made if refund.id == refunded), None),
        "form": form or {},
        "errors": errors_of([problem]) if problem else None,
    }
    return page.render("pay/admin/payment.html", context, status_code=400 if problem else 200)


@router.get(PATH)
async def payment_page(
    request: Request, service_id: uuid.UUID, account: str, payment_id: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.VIEWER, account)
    return await _payment_page(page, payment_id)


@router.post(PATH + "/refunds")
async def refund_payment(
    request: Request, service_id: uuid.UUID, account: str, payment_id: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.EDITOR, account)
    form = await form_of(request)
    async with page.pay.uow(read_only=True) as uow:
        if len(payment_id) > 26 or await payments.find(uow, page.account, payment_id) is None:
            raise HTTPException(404, "There is no payment with that ID in this account")
    made = await staff_refunds.refund_from_page(page.pay, staff.actor, page.account, payment_id, form)
    if isinstance(made, Problem):
        return await _payment_page(page, payment_id, made, form)
    return RedirectResponse(f"{page.base}/payments/{payment_id}?refunded={made.id}", status_code=303)
