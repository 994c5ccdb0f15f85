"""Send a test to yourself: an email template filled in by a staff member and sent to their own address.

It goes through the same checks as the API (`Sender.accept`), as a live
message from the staff member (Notify's admin sends these the same way), so
trial mode still limits it to the team and guest list. The personalisation
typed in is encrypted with the message like any other, and never logged.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from govplatform.core.interfaces import N_, Role, StaffMember
from govplatform.core.interfaces import gettext_ as _
from govplatform.notify import recipients
from govplatform.notify.errors import NotifyError
from govplatform.notify.pages.access import ServicePage, error, form_of, service_page, staff_member
from govplatform.notify.pages.preview import preview_of
from govplatform.notify.services import settings, templates
from govplatform.notify.services.sending import Sending, SendRequest
from govplatform.notify.services.templates import TemplateSnapshot

router = APIRouter()
PATH = "/admin/services/{service_id}/notify/templates/{template_id}/send-test"
TRIAL_MODE = N_("Your service is in trial mode, so it can only send messages to its team and guest list.")
NOT_SENT = N_("The message could not be sent: %(reason)s")


async def _email_template(page: ServicePage, template_id: uuid.UUID) -> TemplateSnapshot:
    async with page.notify.uow(read_only=True) as uow:
        found = await templates.get_template(uow, page.service.id, template_id)
    if found is None or found.archived:
        raise HTTPException(404, "There is no template with that ID")
    if found.type != "email":
        raise HTTPException(404, "Only email templates can be sent as a test from here")
    return found


def _fields(template: TemplateSnapshot, form: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"id": f"placeholder-{index}", "name": name, "value": form.get(f"placeholder-{index}", "")}
        for index, name in enumerate(template.placeholders)
    ]


def _form(
    page: ServicePage, template: TemplateSnapshot, form: dict[str, str], errors: list[dict[str, str]] | None = None
) -> Response:
    fields = _fields(template, form)
    filled = {field["name"]: field["value"] for field in fields if field["value"].strip()}
    context = {
        "template": template,
        "fields": fields,
        "recipient": page.staff.actor.label,
        "preview": preview_of(template, filled),
        "errors": errors,
    }
    return page.render("notify/send_test.html", context, status_code=400 if errors else 200)


@router.get(PATH)
async def send_test_form(
    request: Request, service_id: uuid.UUID, template_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    return _form(page, await _email_template(page, template_id), {})


def _reason(problem: NotifyError) -> str:
    message = "; ".join(problem.messages)
    if "trial mode" in message:
        return _(TRIAL_MODE)
    return _(NOT_SENT) % {"reason": message}


@router.post(PATH)
async def send_test(
    request: Request, service_id: uuid.UUID, template_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    template = await _email_template(page, template_id)
    form = await form_of(request)
    fields = _fields(template, form)
    errors = [
        error(_("Enter a value for %(name)s") % {"name": field["name"]}, field["id"])
        for field in fields
        if not field["value"].strip()
    ]
    if errors:
        return _form(page, template, form, errors)
    address = staff.actor.label
    try:
        recipient = recipients.validate_email_address(address)
    except recipients.InvalidEmailError:
        return _form(page, template, form, [error(_("Your account's email address cannot receive email"), "send")])
    message = SendRequest(
        type="email",
        template_id=template.id,
        recipient=recipient,
        normalised_recipient=recipient.lower(),
        personalisation={field["name"]: field["value"] for field in fields},
    )
    async with page.notify.uow() as uow:
        policy = await settings.policy_for(uow, service_id, page.service.name)
        sending = Sending(service_id, "normal", None, created_by_name=address)
        try:
            accepted = await page.notify.sender.accept(uow, sending, policy, message)
        except NotifyError as problem:
            return _form(page, template, form, [error(_reason(problem), "send")])
        await uow.commit()
    context = {"template": template, "recipient": recipient, "message_id": accepted.id}
    return page.render("notify/test_sent.html", context)
