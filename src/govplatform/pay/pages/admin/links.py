"""Payment links in the admin pages: the account's links, making one, and turning one off or on again.

Editors make links; a link takes test or live money, chosen when it is made,
and is listed in that account. Its address is the platform's own
(`{base_url}/pay/{slug}`), ready to put on a letter or a web page.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import Role, StaffMember
from govplatform.pay.pages.admin.access import PayPage, errors_of, form_of, pay_page, staff_member
from govplatform.pay.services import payment_links
from govplatform.pay.services.problems import Problem

router = APIRouter()
PATH = "/admin/services/{service_id}/pay/{account}/payment-links"


@router.get(PATH)
async def link_list(
    request: Request, service_id: uuid.UUID, account: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.VIEWER, account)
    async with page.pay.uow(read_only=True) as uow:
        links = await payment_links.links_of(uow, service_id, page.live)
    context = {
        "links": links,
        "address": lambda slug: f"{page.pay.base_url}/pay/{slug}",
        "created": request.query_params.get("created", ""),
    }
    return page.render("pay/admin/links.html", context)


def _form(page: PayPage, form: dict[str, str], problems: list[Problem] | None = None) -> Response:
    context = {"form": form, "errors": errors_of(problems) if problems else None}
    return page.render("pay/admin/link_form.html", context, status_code=400 if problems else 200)


@router.get(PATH + "/new")
async def new_link(
    request: Request, service_id: uuid.UUID, account: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.EDITOR, account)
    return _form(page, {"account": page.account_name, "language": "en", "amount_type": "fixed"})


@router.post(PATH + "/new")
async def create_link(
    request: Request, service_id: uuid.UUID, account: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.EDITOR, account)
    form = await form_of(request)
    details, problems = payment_links.check_link(form)
    if details is None:
        return _form(page, form, problems)
    async with page.pay.uow() as uow:
        link = await payment_links.create_link(uow, staff.actor, service_id, details)
        await uow.commit()
    chosen = "live" if link.live else "test"
    return RedirectResponse(f"{page.service_base}/{chosen}/payment-links?created={link.slug}", status_code=303)


@router.post(PATH + "/{link_id}/{action}")
async def turn_on_or_off(
    request: Request,
    service_id: uuid.UUID,
    account: str,
    link_id: uuid.UUID,
    action: str,
    staff: StaffMember = Depends(staff_member),
) -> Response:
    page = await pay_page(request, staff, service_id, Role.EDITOR, account)
    if action not in ("activate", "deactivate"):
        raise HTTPException(404, "There is no such action")
    async with page.pay.uow() as uow:
        link = await payment_links.find_link(uow, service_id, page.live, link_id)
        if link is None:
            raise HTTPException(404, "There is no payment link with that ID in this account")
        await payment_links.set_active(uow, staff.actor, link, action == "activate")
        await uow.commit()
    return RedirectResponse(f"{page.base}/payment-links", status_code=303)
