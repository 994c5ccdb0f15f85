"""Callbacks in the admin pages: where delivery receipts and received texts are posted, and how that went.

Each callback is a URL and a bearer token (Notify's "callbacks" settings).
The token is stored encrypted and never shown again, not even to the admin
who set it: the page says only that one is set, and changing the URL means
entering the token again. The recent deliveries (`CallbackDelivery` rows)
are listed with their attempts, last status code and last error, so a
service whose endpoint is failing can see it here.

Only the service's admins change callbacks (Notify's "manage API
integration" permission); everyone on the service sees the deliveries.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, Role, StaffMember, UserFacingError, localise
from govplatform.core.interfaces import gettext_ as _
from govplatform.notify.pages.access import ServicePage, error, form_of, service_page, staff_member
from govplatform.notify.services import callbacks

router = APIRouter()
PATH = "/admin/services/{service_id}/notify/callbacks"
# The path segment for each callback, and the type the service knows it by.
KINDS = {"delivery-receipts": "delivery_status", "received-text-messages": "inbound_sms"}
KIND_NAMES = {"delivery_status": N_("Delivery receipts"), "inbound_sms": N_("Received text messages")}
DELIVERY_TYPES = {"delivery_status": N_("Delivery receipt"), "inbound_sms": N_("Received text message")}
DELIVERY_STATUSES = {
    "pending": (N_("Pending"), "govuk-tag--grey"),
    "retrying": (N_("Retrying"), "govuk-tag--yellow"),
    "sent": (N_("Sent"), "govuk-tag--green"),
    "failed": (N_("Failed"), "govuk-tag--red"),
}
RECENT_DELIVERIES = 50
# Which field a rule's message is about, for the error summary's link.
_FIELD_OF_ERROR = {"The bearer token must be at least 10 characters": "bearer_token"}


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise HTTPException(404, "There is no such callback")
    return KINDS[kind]


def delivery_type(callback_type: str) -> str:
    return _(DELIVERY_TYPES.get(callback_type, callback_type))


def delivery_tag(status: str) -> dict[str, str]:
    text, colour = DELIVERY_STATUSES.get(status, (status, "govuk-tag--grey"))
    return {"text": _(text), "classes": colour}


@router.get(PATH)
async def callbacks_page(
    request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.VIEWER)
    async with page.notify.uow(read_only=True) as uow:
        current = await callbacks.get_callbacks(uow, service_id)
        deliveries = await callbacks.recent_deliveries(uow, service_id, limit=RECENT_DELIVERIES)
    context = {
        "kinds": [(segment, _(KIND_NAMES[kind]), current.get(kind)) for segment, kind in KINDS.items()],
        "deliveries": deliveries,
        "shown": RECENT_DELIVERIES,
        "delivery_type": delivery_type,
        "delivery_tag": delivery_tag,
        "changed": request.query_params.get("changed") == "1",
        "removed": request.query_params.get("removed") == "1",
    }
    return page.render("notify/callbacks.html", context)


async def _form(
    page: ServicePage, segment: str, url: str | None = None, errors: list[dict[str, str]] | None = None
) -> Response:
    kind = _kind(segment)
    if url is None:
        async with page.notify.uow(read_only=True) as uow:
            current = (await callbacks.get_callbacks(uow, page.service.id)).get(kind)
        url = current.url if current else ""
    context = {
        "segment": segment,
        "kind_name": _(KIND_NAMES[kind]),
        "url": url,
        "allow_http": not page.notify.outbound.require_https,
        "errors": errors,
    }
    return page.render("notify/callback_form.html", context, status_code=400 if errors else 200)


@router.get(PATH + "/{segment}")
async def callback_form(
    request: Request, service_id: uuid.UUID, segment: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.ADMIN)
    return await _form(page, segment)


@router.post(PATH + "/{segment}")
async def set_callback(
    request: Request, service_id: uuid.UUID, segment: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.ADMIN)
    kind = _kind(segment)
    form = await form_of(request)
    url, token = form.get("url", ""), form.get("bearer_token", "")
    async with page.notify.uow() as uow:
        try:
            await callbacks.set_callback(
                uow, page.notify.box, staff.actor, service_id, kind, url, token, page.notify.outbound
            )
        except UserFacingError as problem:
            # The typed token is not sent back to the page, even with an error: it is a secret.
            field = _FIELD_OF_ERROR.get(problem.template, "url")
            return await _form(page, segment, url, [error(localise(problem), field)])
        await uow.commit()
    return RedirectResponse(f"{page.base}/callbacks?changed=1", status_code=303)


@router.post(PATH + "/{segment}/remove")
async def remove_callback(
    request: Request, service_id: uuid.UUID, segment: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.ADMIN)
    kind = _kind(segment)
    async with page.notify.uow() as uow:
        await callbacks.remove_callback(uow, staff.actor, service_id, kind)
        await uow.commit()
    return RedirectResponse(f"{page.base}/callbacks?removed=1", status_code=303)
