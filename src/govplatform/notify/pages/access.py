"""What every Notify admin page starts from: who is signed in, which service, and what they may do.

The signed-in staff member comes from core's `staff_member` (anonymous requests
are sent to sign in); their role on the service is checked before anything is
read, so a member of another service gets a 403 and learns nothing, not even
whether a template or message exists.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import Response

from govplatform.core.interfaces import N_, PageRenderer, Role, ServiceRef, StaffMember, gettext_
from govplatform.core.interfaces import staff_member as staff_member  # the pages' dependency, from here as before
from govplatform.notify.component import NotifyComponent

MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)
CHANNEL_NAMES = {"email": N_("Email"), "sms": N_("Text message"), "letter": N_("Letter")}


def when(value: dt.datetime | None) -> str:
    """A UTC time as "26 November 2026 16:50", the month in the page's language."""
    if value is None:
        return ""
    return f"{value.day} {gettext_(MONTHS[value.month - 1])} {value.year} {value:%H:%M}"


def channel_name(channel: str) -> str:
    return gettext_(CHANNEL_NAMES.get(channel, channel))


def day_text(value: dt.date) -> str:
    return f"{value.day} {gettext_(MONTHS[value.month - 1])} {value.year}"


def month_text(year: int, month: int) -> str:
    return f"{gettext_(MONTHS[month - 1])} {year}"


@dataclasses.dataclass(frozen=True)
class ServicePage:
    """One request to a Notify admin page of one service."""

    request: Request
    staff: StaffMember
    service: ServiceRef
    notify: NotifyComponent

    @property
    def base(self) -> str:
        return f"/admin/services/{self.service.id}/notify"

    @property
    def can_edit(self) -> bool:
        return self.staff.has_role(self.service.id, Role.EDITOR)

    @property
    def can_manage(self) -> bool:
        return self.staff.has_role(self.service.id, Role.ADMIN)

    def render(self, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
        templates: PageRenderer = self.request.app.state.templates
        values: dict[str, Any] = {
            "service": self.service,
            "staff": self.staff,
            "base": self.base,
            "can_edit": self.can_edit,
            "can_manage": self.can_manage,
            "when": when,
            "channel_name": channel_name,
        }
        values.update(context or {})
        response: Response = templates.render(self.request, name, values, status_code=status_code)
        return response


async def service_page(request: Request, staff: StaffMember, service_id: uuid.UUID, at_least: str) -> ServicePage:
    """The page's service, once the staff member is known to have at least this role on it."""
    staff.require(service_id, at_least)
    notify: NotifyComponent = request.app.state.notify
    async with notify.uow(read_only=True) as uow:
        service = await notify.team.describe(uow, service_id)
    if service is None:
        raise HTTPException(404, "There is no service with that ID")
    return ServicePage(request, staff, service, notify)


async def form_of(request: Request) -> dict[str, str]:
    """The posted form's text fields. Nothing is cut short here: the web shell caps the body's size, and
    the services check each field's length, so a long message body is refused with a reason, never trimmed."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


def error(text: str, field: str) -> dict[str, str]:
    """One entry of the GOV.UK error summary, linking to the field."""
    return {"text": text, "href": f"#{field}"}
