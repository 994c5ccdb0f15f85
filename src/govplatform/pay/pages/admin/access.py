"""What every pay admin page starts from: who is signed in, which service, which account, and what they may do.

A service has a test account and a live account (test keys make test
payments, live keys live ones), and every page of payments, refunds, totals,
webhooks and payment links shows one of them: the account is a segment of the
path (`/admin/services/{id}/pay/live/payments`, `.../pay/test/payments`), so
every link, form and page of results stays in the account it was opened in,
and the page says which one it is. Settings belong to the service, not an
account.

The signed-in staff member comes from core's `staff_member` (anonymous requests
are sent to sign in); their role is checked before anything is read, so a
member of another service gets a 403 and learns nothing. Times are shown in
London time, the days the totals count in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import Response

from govplatform.core.interfaces import (
    N_,
    PageRenderer,
    Role,
    ServiceDirectory,
    ServiceRef,
    StaffMember,
    gettext_,
    whole_number,
)
from govplatform.core.interfaces import staff_member as staff_member  # the pages' dependency, from here as before
from govplatform.pay.cards import LONDON, brand_label
from govplatform.pay.component import PayComponent
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Payment
from govplatform.pay.services.money import shown
from govplatform.pay.services.payments import state_of
from govplatform.pay.services.problems import Problem
from govplatform.pay.states import PaymentState

ACCOUNTS = ("live", "test")
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
S = PaymentState
STATE_NAMES = {
    S.CREATED: (N_("Created"), "govuk-tag--grey"),
    S.STARTED: (N_("In progress"), "govuk-tag--light-blue"),
    S.SUBMITTED: (N_("In progress"), "govuk-tag--light-blue"),
    S.CAPTURABLE: (N_("Awaiting capture"), "govuk-tag--yellow"),
    S.SUCCESS: (N_("Success"), "govuk-tag--green"),
    S.FAILED_REJECTED: (N_("Declined"), "govuk-tag--red"),
    S.FAILED_EXPIRED: (N_("Timed out"), "govuk-tag--grey"),
    S.FAILED_CANCELLED: (N_("Cancelled by the user"), "govuk-tag--grey"),
    S.CANCELLED: (N_("Cancelled by the service"), "govuk-tag--grey"),
    S.ERROR: (N_("Error"), "govuk-tag--red"),
}
STATUS_NAMES = {
    "created": N_("Created"),
    "started": N_("Started"),
    "submitted": N_("Submitted"),
    "capturable": N_("Awaiting capture"),
    "success": N_("Success"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled by the service"),
    "error": N_("Error"),
}
REFUND_STATUSES = {
    "submitted": (N_("Submitted"), "govuk-tag--yellow"),
    "success": (N_("Refunded"), "govuk-tag--green"),
    "error": (N_("Failed"), "govuk-tag--red"),
}


def when(value: dt.datetime | None) -> str:
    """A moment in London time as "1 July 2026 00:30", the month in the page's language."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    return f"{local.day} {gettext_(MONTHS[local.month - 1])} {local.year} {local:%H:%M}"


def day_text(value: dt.date) -> str:
    return f"{value.day} {gettext_(MONTHS[value.month - 1])} {value.year}"


def brand_name(brand: str | None) -> str:
    return brand_label(brand) or ""


def state_tag(payment: Payment) -> dict[str, str]:
    text, colour = STATE_NAMES[state_of(payment)]
    return {"text": gettext_(text), "classes": colour}


def event_name(state: str) -> str:
    try:
        return gettext_(STATE_NAMES[PaymentState[state]][0])
    except KeyError:
        return state


def refund_tag(status: str) -> dict[str, str]:
    text, colour = REFUND_STATUSES.get(status, (status, "govuk-tag--grey"))
    return {"text": gettext_(text), "classes": colour}


def errors_of(problems: list[Problem]) -> list[dict[str, str]]:
    """The GOV.UK error summary's entries, each translated and linking to its field."""
    return [{"text": message_of(problem), "href": f"#{problem.field}"} for problem in problems]


def message_of(problem: Problem) -> str:
    text = gettext_(problem.message)
    return text % problem.params if problem.params else text


async def form_of(request: Request) -> dict[str, str]:
    """The posted form's text fields (the web shell caps the body; the services check each field)."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


def page_number(text: str) -> int:
    return whole_number(text, minimum=1, maximum=99_999) or 1


@dataclasses.dataclass(frozen=True)
class PayPage:
    """One request to a pay admin page of one service (and, for most pages, one of its accounts)."""

    request: Request
    staff: StaffMember
    service: ServiceRef
    pay: PayComponent
    account_name: str = "live"

    @property
    def live(self) -> bool:
        return self.account_name == "live"

    @property
    def account(self) -> Account:
        return Account(self.service.id, self.live)

    @property
    def service_base(self) -> str:
        return f"/admin/services/{self.service.id}/pay"

    @property
    def base(self) -> str:
        return f"{self.service_base}/{self.account_name}"

    @property
    def can_edit(self) -> bool:
        return self.staff.has_role(self.service.id, Role.EDITOR)

    @property
    def can_manage(self) -> bool:
        return self.staff.has_role(self.service.id, Role.ADMIN)

    def other_account(self) -> str | None:
        """The same page in the other account (the list, from a page of one payment or one webhook);
        None on the pages of the service as a whole (its settings)."""
        path = self.request.url.path
        if not path.startswith(self.base + "/"):
            return None
        other = "test" if self.live else "live"
        area = path.removeprefix(self.base + "/").split("/", 1)[0].removesuffix(".csv") or "payments"
        return f"{self.service_base}/{other}/{area}"

    def link(self, path: str, **query: str) -> str:
        kept = [(name, value) for name, value in query.items() if value]
        return f"{self.base}/{path}" + (f"?{urlencode(kept)}" if kept else "")

    def render(self, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
        templates: PageRenderer = self.request.app.state.templates
        values: dict[str, Any] = {
            "service": self.service,
            "staff": self.staff,
            "service_base": self.service_base,
            "base": self.base,
            "account": self.account_name,
            "live": self.live,
            "other_account_href": self.other_account(),
            "can_edit": self.can_edit,
            "can_manage": self.can_manage,
            "when": when,
            "day_text": day_text,
            "pounds": shown,
            "brand_name": brand_name,
            "state_tag": state_tag,
            "refund_tag": refund_tag,
        }
        values.update(context or {})
        response: Response = templates.render(self.request, name, values, status_code=status_code)
        return response


async def pay_page(
    request: Request, staff: StaffMember, service_id: uuid.UUID, at_least: str, account: str = "live"
) -> PayPage:
    """The page's service and account, once the staff member is known to have at least this role on it."""
    staff.require(service_id, at_least)
    if account not in ACCOUNTS:
        raise HTTPException(404, "There is no such account")
    pay: PayComponent = request.app.state.pay
    directory: ServiceDirectory = request.app.state.service_directory
    async with pay.uow(read_only=True) as uow:
        service = await directory.describe(uow, service_id)
    if service is None:
        raise HTTPException(404, "There is no service with that ID")
    return PayPage(request, staff, service, pay, account)
