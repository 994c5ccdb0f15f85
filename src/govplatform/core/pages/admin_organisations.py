"""An organisation's page: its services, its people and their organisation roles, with grant and remove (ADR 0012).

A platform admin and anyone holding a role in the organisation see it; the
grant form offers only the roles the viewer may grant (services/org_roles.py
decides), and removing a role asks for confirmation first, as GOV.UK's
pattern for a change that cannot be taken back in one click.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, OrgRole
from govplatform.core.pages.auth import Staff, platform_of, signed_in, templates_of
from govplatform.core.services import org_roles, tenancy
from govplatform.core.web.i18n import localise

router = APIRouter(prefix="/admin/organisations")

# The roles' names as the pages show them (translated where shown, by `_(role)` in the templates).
ROLE_NAMES = (N_("org-admin"), N_("data-owner"), N_("chief-data-officer"))
ROLE_HINTS = {
    OrgRole.ORG_ADMIN: N_("Creates the organisation's services and runs their teams and invitations"),
    OrgRole.DATA_OWNER: N_("Approves sharing of the data the organisation's services hold"),
    OrgRole.CHIEF_DATA_OFFICER: N_("Approves the organisation's data-sharing agreements and names its data owners"),
}


def granter_of(staff: Staff) -> org_roles.Granter:
    return org_roles.Granter(staff.user.id, staff.is_platform_admin)


def _may_see(staff: Staff, organisation_id: uuid.UUID) -> None:
    if not staff.is_platform_admin and not staff.org_roles.get(organisation_id):
        raise HTTPException(403, "You do not have a role in that organisation")


def _role(role: str) -> str:
    if role not in OrgRole.ALL:
        raise HTTPException(404, "Not found")
    return role


async def _page(
    request: Request, staff: Staff, organisation_id: uuid.UUID, extra: dict[str, Any], status_code: int = 200
) -> Response:
    _may_see(staff, organisation_id)
    async with platform_of(request).uow() as uow:
        try:
            organisation = await org_roles.get_organisation(uow, organisation_id)
        except tenancy.NotFound:
            raise HTTPException(404, "There is no organisation with that ID") from None
        people = await org_roles.people(uow, organisation_id)
        services = [s for s in await tenancy.list_services(uow) if s.organisation_id == organisation_id]
    grantable = org_roles.grantable(staff.org_roles.get(organisation_id, frozenset()), staff.is_platform_admin)
    context = {
        "organisation": organisation,
        "people": people,
        "services": services,
        "grantable": grantable,
        "hints": ROLE_HINTS,
        "me": staff.user.id,
        "email": "",
        "chosen": "",
    }
    context.update(extra)
    return templates_of(request).render(request, "admin/organisation.html", context, status_code=status_code)


@router.get("/{organisation_id}")
async def organisation_page(
    request: Request, organisation_id: uuid.UUID, staff: Staff = Depends(signed_in)
) -> Response:
    return await _page(request, staff, organisation_id, {})


@router.post("/{organisation_id}/roles")
async def grant_role(request: Request, organisation_id: uuid.UUID, staff: Staff = Depends(signed_in)) -> Response:
    _may_see(staff, organisation_id)
    form = await request.form()
    email, role = str(form.get("email") or "")[:320], str(form.get("role") or "")[:40]
    async with platform_of(request).uow() as uow:
        try:
            granter = granter_of(staff)
            org_roles.check_role(role)
            user = await org_roles.find_person(uow, granter, organisation_id, email)
            await org_roles.grant(uow, staff.actor, granter, organisation_id, user.id, role)
        except org_roles.NotAllowed as error:
            raise HTTPException(403, localise(error)) from None
        except tenancy.TenancyError as error:
            field = "#role" if role not in OrgRole.ALL else "#email"
            errors = [{"text": localise(error), "href": field}]
            return await _page(request, staff, organisation_id, {"errors": errors, "email": email, "chosen": role}, 400)
        await uow.commit()
    return RedirectResponse(f"/admin/organisations/{organisation_id}", status_code=303)


@router.get("/{organisation_id}/roles/{user_id}/{role}/remove")
async def confirm_removal(
    request: Request, organisation_id: uuid.UUID, user_id: uuid.UUID, role: str, staff: Staff = Depends(signed_in)
) -> Response:
    _may_see(staff, organisation_id)
    async with platform_of(request).uow() as uow:
        try:
            organisation = await org_roles.get_organisation(uow, organisation_id)
        except tenancy.NotFound:
            raise HTTPException(404, "There is no organisation with that ID") from None
        person = next((p for p in await org_roles.people(uow, organisation_id) if p.user_id == user_id), None)
    if person is None or _role(role) not in person.roles:
        raise HTTPException(404, "That person does not hold that role in this organisation")
    return templates_of(request).render(
        request, "admin/organisation_remove.html", {"organisation": organisation, "person": person, "role": role}
    )


@router.post("/{organisation_id}/roles/{user_id}/{role}/remove")
async def remove_role(
    request: Request, organisation_id: uuid.UUID, user_id: uuid.UUID, role: str, staff: Staff = Depends(signed_in)
) -> Response:
    _may_see(staff, organisation_id)
    async with platform_of(request).uow() as uow:
        try:
            await org_roles.remove(uow, staff.actor, granter_of(staff), organisation_id, user_id, _role(role))
        except org_roles.NotAllowed as error:
            # Said on the confirmation page, in its error summary: the last org-admin stays, for one.
            organisation = await org_roles.get_organisation(uow, organisation_id)
            person = next((p for p in await org_roles.people(uow, organisation_id) if p.user_id == user_id), None)
            errors = [{"text": localise(error), "href": "#main-content"}]
            context = {"organisation": organisation, "person": person, "role": role, "errors": errors}
            return templates_of(request).render(request, "admin/organisation_remove.html", context, status_code=403)
        except tenancy.NotFound as error:
            raise HTTPException(404, localise(error)) from None
        await uow.commit()
    return RedirectResponse(f"/admin/organisations/{organisation_id}", status_code=303)
