"""Data-sharing agreements in the admin pages (issue 18 item 3): the agreements a staff member's organisations
are party to, each with its terms and the changes their organisation roles let them make (approve, sign off,
suspend, resume, revoke), each confirmed on a page of its own first, as GOV.UK's pattern for a change that
matters.

The pages decide only what to offer: services/agreements.py decides who may make each change, by the
organisation roles the person holds when they act (core, ADR 0012), exactly as for the CLI's `--as EMAIL`, and
records it in the audit log and the transparency log. Someone with no role in either party, who is not a
platform admin, finds no such agreement (a 404, not a 403 that would confirm it exists).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, OrgRole, PageRenderer, StaffMember, gettext_, localise, staff_member
from govplatform.exchange import register
from govplatform.exchange.component import AGREEMENTS_PAGE, ExchangeComponent
from govplatform.exchange.services import agreements
from govplatform.exchange.services.agreements import AgreementError, AgreementView
from govplatform.transparency.interfaces import TransparencyLog

router = APIRouter(include_in_schema=False)
AGREEMENTS = AGREEMENTS_PAGE
PROVIDER, EITHER = "provider", "either"
NOT_FOUND = N_("There is no agreement with that ID that your organisations are party to")
Change = Callable[[Any, TransparencyLog, uuid.UUID, str], Awaitable[AgreementView]]


@dataclasses.dataclass(frozen=True)
class Action:
    change: Change
    question: str  # the confirmation page's heading
    consequence: str  # what it does, said before it is done
    button: str
    party: str  # whose roles may make it: the provider's, or either party's
    roles: tuple[str, ...]
    from_states: tuple[str, ...]
    warning: bool = False


_APPROVERS = (OrgRole.DATA_OWNER, OrgRole.CHIEF_DATA_OFFICER)
ACTIONS = {
    "approve": Action(
        agreements.approve, N_("Approve this data-sharing agreement?"),
        N_("As the data owner, you agree that your organisation's data may be shared on these terms. The "
           "agreement is active once your chief data officer signs it off."),
        N_("Approve agreement"), PROVIDER, (OrgRole.DATA_OWNER,), (agreements.DRAFT,),
    ),
    "sign-off": Action(
        agreements.sign_off, N_("Sign off this data-sharing agreement?"),
        N_("The agreement becomes active: queries under it are answered from now on, and it is shown on the public "
           "register."),
        N_("Sign off agreement"), PROVIDER, (OrgRole.CHIEF_DATA_OFFICER,), (agreements.APPROVED,),
    ),
    "suspend": Action(
        agreements.suspend, N_("Suspend this data-sharing agreement?"),
        N_("No query under it is answered until the provider's chief data officer resumes it. The suspension is "
           "shown on the public register."),
        N_("Suspend agreement"), EITHER, _APPROVERS, (agreements.ACTIVE,), warning=True,
    ),
    "resume": Action(
        agreements.resume, N_("Resume this data-sharing agreement?"),
        N_("Queries under it are answered again from now on."),
        N_("Resume agreement"), PROVIDER, (OrgRole.CHIEF_DATA_OFFICER,), (agreements.SUSPENDED,),
    ),
    "revoke": Action(
        agreements.revoke, N_("Revoke this data-sharing agreement?"),
        N_("No query under it is ever answered again. This cannot be undone: sharing again needs a new "
           "agreement."),
        N_("Revoke agreement"), EITHER, _APPROVERS,
        (agreements.DRAFT, agreements.APPROVED, agreements.ACTIVE, agreements.SUSPENDED), warning=True,
    ),
}  # fmt: skip


def exchange_of(request: Request) -> ExchangeComponent:
    exchange: ExchangeComponent = request.app.state.exchange
    return exchange


def in_organisation(staff: StaffMember, organisation_id: uuid.UUID) -> bool:
    """Whether the person holds any role in the organisation (a platform admin counts as in every one)."""
    return staff.is_platform_admin or any(staff.has_org_role(organisation_id, role) for role in OrgRole.ALL)


def _party_to(staff: StaffMember, view: AgreementView) -> bool:
    return in_organisation(staff, view.consumer.id) or in_organisation(staff, view.provider.id)


def _may_hold_role(staff: StaffMember, view: AgreementView, action: Action) -> bool:
    organisations = (view.provider.id,) if action.party == PROVIDER else (view.provider.id, view.consumer.id)
    return any(staff.has_org_role(organisation, role) for organisation in organisations for role in action.roles)


def _may(staff: StaffMember, view: AgreementView, action: Action) -> bool:
    return _may_hold_role(staff, view, action) and view.state in action.from_states


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    templates: PageRenderer = request.app.state.templates
    page: Response = templates.render(request, name, {"agreements_path": AGREEMENTS, **context}, status_code)
    return page


async def _agreement(request: Request, staff: StaffMember, agreement_id: uuid.UUID) -> AgreementView:
    async with exchange_of(request).uow(read_only=True) as uow:
        view = await agreements.find_agreement(uow, agreement_id)
    if view is None or not _party_to(staff, view):
        raise HTTPException(404, gettext_(NOT_FOUND))
    return view


def _action(name: str) -> Action:
    if name not in ACTIONS:
        raise HTTPException(404, "Not found")
    return ACTIONS[name]


@router.get(AGREEMENTS)
async def agreements_page(request: Request, staff: StaffMember = Depends(staff_member)) -> Response:
    async with exchange_of(request).uow(read_only=True) as uow:
        found = [view for view in await agreements.list_agreements(uow) if _party_to(staff, view)]
    return render(request, "exchange/admin/agreements.html", {"agreements": [register.entry(v) for v in found]})


@router.get(AGREEMENTS + "/{agreement_id}")
async def agreement_page(
    request: Request, agreement_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    view = await _agreement(request, staff, agreement_id)
    offered = [(name, action.button) for name, action in ACTIONS.items() if _may(staff, view, action)]
    context = {"agreement": register.entry(view), "actions": offered}
    return render(request, "exchange/admin/agreement.html", context)


@router.get(AGREEMENTS + "/{agreement_id}/{action}")
async def confirm_change(
    request: Request, agreement_id: uuid.UUID, action: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    chosen = _action(action)
    view = await _agreement(request, staff, agreement_id)
    if not _may(staff, view, chosen):  # not offered on the agreement's page: nothing to confirm
        return RedirectResponse(f"{AGREEMENTS}/{agreement_id}", status_code=303)
    return render(request, "exchange/admin/confirm.html", _confirming(view, action, chosen))


def _confirming(view: AgreementView, name: str, action: Action) -> dict[str, Any]:
    return {"agreement": register.entry(view), "action": name, "chosen": action}


@router.post(AGREEMENTS + "/{agreement_id}/{action}")
async def make_change(
    request: Request, agreement_id: uuid.UUID, action: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    chosen = _action(action)
    view = await _agreement(request, staff, agreement_id)
    exchange = exchange_of(request)
    async with exchange.uow() as uow:
        try:
            await chosen.change(uow, exchange.log, agreement_id, staff.actor.label)
        except AgreementError as error:
            errors = [{"text": localise(error), "href": "#main-content"}]
            context = {**_confirming(view, action, chosen), "errors": errors}
            # Not the person's to make (403), or no longer possible: the agreement moved on meanwhile (409).
            status = 409 if _may_hold_role(staff, view, chosen) else 403
            return render(request, "exchange/admin/confirm.html", context, status)
        await uow.commit()
    return RedirectResponse(f"{AGREEMENTS}/{agreement_id}", status_code=303)
