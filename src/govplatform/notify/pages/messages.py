"""Sent messages: newest first, 50 a page, filtered by channel and status, searched by recipient or reference.

A message's page shows it filled in with its own personalisation, which is
decrypted for the page and never logged. Letters show Notify's letter
statuses (accepted, received). Viewers may see all of this.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from govplatform.core.interfaces import N_, Role, StaffMember, whole_number
from govplatform.core.interfaces import gettext_ as _
from govplatform.notify.pages.access import service_page, staff_member
from govplatform.notify.pages.preview import preview_of
from govplatform.notify.services import admin_queries, reading, settings, templates
from govplatform.notify.services.sending import address_lines

router = APIRouter()
PREFIX = "/admin/services/{service_id}/notify/messages"
STATUS_NAMES = {
    "created": N_("Created"),
    "sending": N_("Sending"),
    "pending": N_("Pending"),
    "sent": N_("Sent to an international number"),
    "delivered": N_("Delivered"),
    "permanent-failure": N_("Permanent failure"),
    "temporary-failure": N_("Temporary failure"),
    "technical-failure": N_("Technical failure"),
    "cancelled": N_("Cancelled"),
    "validation-failed": N_("Validation failed"),
    "virus-scan-failed": N_("Virus scan failed"),
    "pending-virus-check": N_("Pending virus check"),
    "returned-letter": N_("Returned letter"),
    "accepted": N_("Accepted"),
    "received": N_("Received"),
}
TAG_COLOURS = {"delivered": "govuk-tag--green", "failed": "govuk-tag--red", "sending": "govuk-tag--grey"}
GROUP_NAMES = {"sending": N_("Sending"), "delivered": N_("Delivered"), "failed": N_("Failed")}


def status_tag(notification_type: str, status: str) -> dict[str, str]:
    shown = reading.shown_status(notification_type, status)
    colour = TAG_COLOURS[admin_queries.status_group(status)]
    return {"text": _(STATUS_NAMES.get(shown, shown)), "classes": colour}


@router.get(PREFIX)
async def message_list(
    request: Request,
    service_id: uuid.UUID,
    channel: str = "",
    status: str = "",
    search: str = "",
    page: str = "1",
    staff: StaffMember = Depends(staff_member),
) -> Response:
    shown = await service_page(request, staff, service_id, Role.VIEWER)
    channel = channel if channel in admin_queries.CHANNELS else ""
    status = status if status in admin_queries.STATUS_GROUPS else ""
    search = search.strip()[:320]
    number = whole_number(page, minimum=1, maximum=99_999) or 1
    async with shown.notify.uow(read_only=True) as uow:
        found = await admin_queries.sent_messages(
            uow, service_id, channel=channel or None, group=status or None, search=search or None, page=number
        )
        names = await admin_queries.template_names(uow, service_id, (row.template_id for row in found.rows))
    filters = [(name, value) for name, value in (("channel", channel), ("status", status), ("search", search)) if value]

    def page_link(to: int) -> str:
        return f"{shown.base}/messages?" + urlencode([*filters, ("page", str(to))])

    context = {
        "rows": [(row, names.get(row.template_id) if row.template_id else None) for row in found.rows],
        "channel": channel,
        "status": status,
        "search": search,
        "channels": admin_queries.CHANNELS,
        "groups": [(group, _(name)) for group, name in GROUP_NAMES.items()],
        "status_tag": status_tag,
        "previous_page": page_link(number - 1) if number > 1 else None,
        "next_page": page_link(number + 1) if found.has_next else None,
        "page": number,
    }
    return shown.render("notify/messages.html", context)


@router.get(PREFIX + "/{notification_id}")
async def message_page(
    request: Request, service_id: uuid.UUID, notification_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    shown = await service_page(request, staff, service_id, Role.VIEWER)
    async with shown.notify.uow(read_only=True) as uow:
        row = await reading.get_notification(uow, service_id, notification_id)
        if row is None:
            raise HTTPException(404, "There is no message with that ID")
        template = (
            await templates.get_template(uow, service_id, row.template_id, row.template_version)
            if row.template_id
            else None
        )
        policy = await settings.policy_for(uow, service_id, shown.service.name)
    personalisation = shown.notify.sender.unseal(row.id, row.personalisation)
    preview = preview_of(template, personalisation, sms_prefix=policy.sms_prefix) if template else None
    address = [line for line in address_lines(personalisation).values() if line] if row.type == "letter" else []
    context = {
        "message": row,
        "template": template,
        "preview": preview,
        "address": address,
        "tag": status_tag(row.type, row.status),
    }
    return shown.render("notify/message.html", context)
