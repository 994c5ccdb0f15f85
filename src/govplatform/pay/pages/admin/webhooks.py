"""Webhooks in the admin pages: an account's subscriptions, making one, its secret, and its delivery log.

The signing secret is shown once, on the page that answers the form that
made it (or regenerated it), never in an address and never again; the page
is not cached. Admins make, regenerate, turn off and turn on subscriptions
(Pay's "manage API integration" permission); everyone on the team sees the
log: each message newest first, with its status, attempts and the last
answer, and each message's attempts one by one.
"""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, Role, StaffMember
from govplatform.core.interfaces import gettext_ as _
from govplatform.pay.models import Webhook
from govplatform.pay.pages.admin.access import PayPage, errors_of, page_number, pay_page, staff_member
from govplatform.pay.services import webhook_admin, webhooks
from govplatform.pay.services.problems import Problem

router = APIRouter()
PATH = "/admin/services/{service_id}/pay/{account}/webhooks"
EVENT_NAMES = {
    "card_payment_started": N_("Payment started"),
    "card_payment_succeeded": N_("Payment succeeded"),
    "card_payment_captured": N_("Payment captured"),
    "card_payment_refunded": N_("Payment refunded"),
    "card_payment_failed": N_("Payment failed"),
    "card_payment_expired": N_("Payment expired"),
}
MESSAGE_STATUSES = {
    "pending": (N_("Pending"), "govuk-tag--grey"),
    "will_retry": (N_("Will retry"), "govuk-tag--yellow"),
    "successful": (N_("Successful"), "govuk-tag--green"),
    "failed": (N_("Failed"), "govuk-tag--red"),
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def event_name(event_type: str) -> str:
    return _(EVENT_NAMES.get(event_type, event_type))


def message_tag(status: str) -> dict[str, str]:
    text, colour = MESSAGE_STATUSES.get(status, (status, "govuk-tag--grey"))
    return {"text": _(text), "classes": colour}


def _readable(body: str) -> str:
    """The JSON body laid out a field a line, for people to read (what was signed is the body as stored)."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


async def _hook(page: PayPage, hook_id: str) -> Webhook:
    async with page.pay.uow(read_only=True) as uow:
        hook = await webhook_admin.subscription(uow, page.account, hook_id)
    if hook is None:
        raise HTTPException(404, "There is no webhook with that ID in this account")
    return hook


@router.get(PATH)
async def webhook_list(
    request: Request, service_id: uuid.UUID, account: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.VIEWER, account)
    async with page.pay.uow(read_only=True) as uow:
        hooks = await webhook_admin.subscriptions(uow, page.account)
    return page.render("pay/admin/webhooks.html", {"hooks": hooks, "event_name": event_name})


def _form(page: PayPage, form: dict[str, str], chosen: list[str], problems: list[Problem] | None = None) -> Response:
    context = {
        "form": form,
        "chosen": chosen,
        "events": [(event, event_name(event)) for event in webhooks.EVENT_TYPES],
        "https_only": page.pay.outbound.require_https,
        "errors": errors_of(problems) if problems else None,
    }
    return page.render("pay/admin/webhook_form.html", context, status_code=400 if problems else 200)


@router.get(PATH + "/new")
async def new_webhook(
    request: Request, service_id: uuid.UUID, account: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.ADMIN, account)
    return _form(page, {}, list(webhooks.EVENT_TYPES))


def _secret_page(page: PayPage, hook: Webhook, secret: str, regenerated: bool) -> Response:
    response = page.render(
        "pay/admin/webhook_secret.html", {"hook": hook, "secret": secret, "regenerated": regenerated}
    )
    response.headers.update(NO_STORE)
    return response


@router.post(PATH + "/new")
async def create_webhook(
    request: Request, service_id: uuid.UUID, account: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.ADMIN, account)
    posted = await request.form()
    form = {name: value for name, value in posted.items() if isinstance(value, str) and name != "event_types"}
    chosen = [value for value in posted.getlist("event_types") if isinstance(value, str)]
    wanted, problems = await webhook_admin.check_subscription(
        form.get("callback_url", ""), form.get("description", ""), chosen, page.pay.outbound
    )
    if wanted is None:
        return _form(page, form, chosen, problems)
    async with page.pay.uow() as uow:
        hook, secret = await webhook_admin.subscribe(uow, page.pay.box, staff.actor, page.account, wanted)
        await uow.commit()
    return _secret_page(page, hook, secret, regenerated=False)


@router.get(PATH + "/{hook_id}")
async def webhook_page(
    request: Request,
    service_id: uuid.UUID,
    account: str,
    hook_id: str,
    page: str = "1",
    staff: StaffMember = Depends(staff_member),
) -> Response:
    shown = await pay_page(request, staff, service_id, Role.VIEWER, account)
    hook = await _hook(shown, hook_id)
    number = page_number(page)
    async with shown.pay.uow(read_only=True) as uow:
        found, more = await webhook_admin.messages(uow, hook, number)
        counts = await webhook_admin.message_counts(uow, hook)
    own = f"{shown.base}/webhooks/{hook.id}"
    context = {
        "hook": hook,
        "messages": found,
        "counts": [(message_tag(status), counts.get(status, 0)) for status in MESSAGE_STATUSES],
        "event_name": event_name,
        "message_tag": message_tag,
        "page": number,
        "previous_page": f"{own}?page={number - 1}" if number > 1 else None,
        "next_page": f"{own}?page={number + 1}" if more else None,
        "changed": request.query_params.get("changed", ""),
    }
    return shown.render("pay/admin/webhook.html", context)


@router.post(PATH + "/{hook_id}/secret")
async def regenerate_secret(
    request: Request, service_id: uuid.UUID, account: str, hook_id: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await pay_page(request, staff, service_id, Role.ADMIN, account)
    await _hook(page, hook_id)
    async with page.pay.uow() as uow:
        hook = await webhook_admin.subscription(uow, page.account, hook_id)
        assert hook is not None
        secret = await webhook_admin.new_secret(uow, page.pay.box, staff.actor, hook)
        await uow.commit()
    return _secret_page(page, hook, secret, regenerated=True)


@router.post(PATH + "/{hook_id}/{action}")
async def turn_on_or_off(
    request: Request,
    service_id: uuid.UUID,
    account: str,
    hook_id: str,
    action: str,
    staff: StaffMember = Depends(staff_member),
) -> Response:
    page = await pay_page(request, staff, service_id, Role.ADMIN, account)
    if action not in ("activate", "deactivate"):
        raise HTTPException(404, "There is no such action")
    await _hook(page, hook_id)
    async with page.pay.uow() as uow:
        hook = await webhook_admin.subscription(uow, page.account, hook_id)
        assert hook is not None
        await webhook_admin.set_active(uow, staff.actor, hook, action == "activate")
        await uow.commit()
    return RedirectResponse(f"{page.base}/webhooks/{hook_id}?changed={action}", status_code=303)


@router.get(PATH + "/{hook_id}/messages/{message_id}")
async def message_page(
    request: Request,
    service_id: uuid.UUID,
    account: str,
    hook_id: str,
    message_id: str,
    staff: StaffMember = Depends(staff_member),
) -> Response:
    page = await pay_page(request, staff, service_id, Role.VIEWER, account)
    hook = await _hook(page, hook_id)
    async with page.pay.uow(read_only=True) as uow:
        found = await webhook_admin.message(uow, hook, message_id)
        if found is None:
            raise HTTPException(404, "There is no message with that ID for this webhook")
        tries = await webhook_admin.attempts(uow, found)
    context = {
        "hook": hook,
        "message": found,
        "attempts": tries,
        "body": _readable(webhooks.message_body(page.pay.box, found)),
        "event_name": event_name,
        "message_tag": message_tag,
    }
    return page.render("pay/admin/webhook_message.html", context)
