"""Reply-to email addresses and text message senders: added, made the default, removed.

They are service settings, so everyone on the service sees them and only its
admins change them (Notify's "manage settings" permission).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import Role, StaffMember, UserFacingError, localise
from govplatform.notify.pages.access import ServicePage, error, form_of, service_page, staff_member
from govplatform.notify.services import senders

router = APIRouter()
PATH = "/admin/services/{service_id}/notify/senders"
# The path segment for each kind of sender: the kind the service knows it by, and its form field.
KINDS = {"reply-to": "reply_to", "text-message": "sms_sender"}
FIELDS = {"reply-to": "email_address", "text-message": "sms_sender"}


async def _page(
    page: ServicePage, form: dict[str, str] | None = None, errors: list[dict[str, str]] | None = None
) -> Response:
    async with page.notify.uow(read_only=True) as uow:
        reply_to = await senders.reply_to_addresses(uow, page.service.id)
        sms = await senders.sms_senders(uow, page.service.id)
    context = {
        "reply_to": reply_to,
        "sms_senders": sms,
        "form": form or {},
        "errors": errors,
        "changed": page.request.query_params.get("changed") == "1",
    }
    return page.render("notify/senders.html", context, status_code=400 if errors else 200)


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise HTTPException(404, "There is no such kind of sender")
    return KINDS[kind]


@router.get(PATH)
async def senders_page(request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)) -> Response:
    return await _page(await service_page(request, staff, service_id, Role.VIEWER))


@router.post(PATH + "/{kind}")
async def add_sender(
    request: Request, service_id: uuid.UUID, kind: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.ADMIN)
    _kind(kind)
    form = await form_of(request)
    field = FIELDS[kind]
    async with page.notify.uow() as uow:
        try:
            if kind == "reply-to":
                await senders.add_reply_to(uow, staff.actor, service_id, form.get(field, ""))
            else:
                await senders.add_sms_sender(uow, staff.actor, service_id, form.get(field, ""))
        except UserFacingError as problem:
            return await _page(page, form, [error(localise(problem), field)])
        await uow.commit()
    return RedirectResponse(f"{page.base}/senders?changed=1", status_code=303)


@router.post(PATH + "/{kind}/{sender_id}/{action}")
async def change_sender(
    request: Request,
    service_id: uuid.UUID,
    kind: str,
    sender_id: uuid.UUID,
    action: str,
    staff: StaffMember = Depends(staff_member),
) -> Response:
    page = await service_page(request, staff, service_id, Role.ADMIN)
    sender_kind = _kind(kind)
    if action not in ("default", "remove"):
        raise HTTPException(404, "There is no such action")
    async with page.notify.uow() as uow:
        try:
            if action == "default":
                await senders.make_default(uow, staff.actor, sender_kind, service_id, sender_id)
            else:
                await senders.remove(uow, staff.actor, sender_kind, service_id, sender_id)
        except LookupError:
            raise HTTPException(404, "There is no such sender") from None
        except UserFacingError as problem:
            return await _page(page, None, [error(localise(problem), f"{kind}-{sender_id}")])
        await uow.commit()
    return RedirectResponse(f"{page.base}/senders?changed=1", status_code=303)
