"""The guest list: people outside the team whom a trial-mode service, or a team key, may send to.

Everyone on the service can see it; only its admins change it, as only they
manage API keys: each entry widens who a team key can reach (Notify asks for
its "manage API keys" permission here too).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import Role, StaffMember, UserFacingError, localise
from govplatform.notify.pages.access import ServicePage, error, form_of, service_page, staff_member
from govplatform.notify.services import guest_list

router = APIRouter()
PATH = "/admin/services/{service_id}/notify/guest-list"


async def _page(page: ServicePage, recipient: str = "", errors: list[dict[str, str]] | None = None) -> Response:
    async with page.notify.uow(read_only=True) as uow:
        entries = await guest_list.guests(uow, page.service.id)
    context = {
        "emails": [entry for entry in entries if entry.recipient_type == "email"],
        "mobiles": [entry for entry in entries if entry.recipient_type == "mobile"],
        "limit": guest_list.MAX_PER_KIND,
        "recipient": recipient,
        "errors": errors,
        "added": page.request.query_params.get("added") == "1",
        "removed": page.request.query_params.get("removed") == "1",
    }
    return page.render("notify/guest_list.html", context, status_code=400 if errors else 200)


@router.get(PATH)
async def guest_list_page(
    request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    return await _page(await service_page(request, staff, service_id, Role.VIEWER))


@router.post(PATH)
async def add_guest(request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)) -> Response:
    page = await service_page(request, staff, service_id, Role.ADMIN)
    recipient = (await form_of(request)).get("recipient", "")
    async with page.notify.uow() as uow:
        try:
            await guest_list.add_guest(uow, staff.actor, service_id, recipient)
        except UserFacingError as problem:
            return await _page(page, recipient, [error(localise(problem), "recipient")])
        await uow.commit()
    return RedirectResponse(f"{page.base}/guest-list?added=1", status_code=303)


@router.post(PATH + "/{entry_id}/remove")
async def remove_guest(
    request: Request, service_id: uuid.UUID, entry_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.ADMIN)
    async with page.notify.uow() as uow:
        try:
            await guest_list.remove_guest(uow, staff.actor, service_id, entry_id)
        except LookupError:
            raise HTTPException(404, "There is no such entry on the guest list") from None
        await uow.commit()
    return RedirectResponse(f"{page.base}/guest-list?removed=1", status_code=303)
