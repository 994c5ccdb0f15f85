"""Payment settings in the admin pages: the service's name on its payment pages and its return URL rules.

These belong to the service (both accounts), and only its admins see or
change them; every change is audited (`services.settings_admin`).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import Role, StaffMember
from govplatform.pay.pages.admin.access import PayPage, errors_of, form_of, pay_page, staff_member
from govplatform.pay.services import settings, settings_admin
from govplatform.pay.services.problems import Problem

router = APIRouter()
PATH = "/admin/services/{service_id}/pay/settings"


def _page(page: PayPage, values: dict[str, str], problems: list[Problem] | None = None) -> Response:
    context = {
        "values": values,
        "saved": page.request.query_params.get("saved") == "1",
        "errors": errors_of(problems) if problems else None,
    }
    return page.render("pay/admin/settings.html", context, status_code=400 if problems else 200)


@router.get(PATH)
async def settings_page(
    request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.ADMIN)
    async with page.pay.uow(read_only=True) as uow:
        current = await settings.settings_for(uow, service_id)
    values = {
        "name_en": current.name_en or "",
        "name_cy": current.name_cy or "",
        "return_url_prefixes": "\n".join(settings.return_url_prefixes(current)),
    }
    return _page(page, values)


@router.post(PATH)
async def change_settings(
    request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.ADMIN)
    form = await form_of(request)
    values = {name: form.get(name, "") for name in ("name_en", "name_cy", "return_url_prefixes")}
    chosen, problems = settings_admin.check_settings(**values)
    if chosen is None:
        return _page(page, values, problems)
    async with page.pay.uow() as uow:
        await settings_admin.save_settings(uow, staff.actor, service_id, chosen)
        await uow.commit()
    return RedirectResponse(f"{page.service_base}/settings?saved=1", status_code=303)
