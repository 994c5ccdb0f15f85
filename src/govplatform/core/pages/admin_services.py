"""Admin pages for one service: its summary, team members and roles, and API keys."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import KeyFormat, Role, ServiceRef
from govplatform.core.models import ApiKey, Organisation
from govplatform.core.pages.auth import Staff, platform_of, signed_in, templates_of, visible_service_ids
from govplatform.core.platform import Platform
from govplatform.core.services import api_keys, invitations, tenancy
from govplatform.core.services import staff as staff_service
from govplatform.core.unit_of_work import UnitOfWork
from govplatform.core.web.i18n import current_language, localise
from govplatform.core.web.i18n import gettext_ as _

router = APIRouter(prefix="/admin/services")


async def _service(
    request: Request, service_id: uuid.UUID, current: Staff, at_least: str, *, team: bool = False
) -> ServiceRef:
    """The service, if the person has at least this role on it or (for `team` pages) runs its organisation."""
    allowed = current.has_role(service_id, at_least)
    if not allowed and not (team and current.managed_organisations):
        current.require(service_id, at_least)
    async with platform_of(request).uow() as uow:
        try:
            service = await tenancy.get_service(uow, service_id)
        except tenancy.NotFound:
            raise HTTPException(404, "There is no service with that ID") from None
    if not allowed and not current.manages_organisation(service.organisation_id):
        current.require(service_id, at_least)
    return service


async def _organisations_for_new_services(uow: UnitOfWork, staff: Staff) -> list[Organisation]:
    """Where the person may create a service: anywhere for a platform admin, else the organisations they run."""
    rows = await tenancy.list_organisations(uow)
    return [row for row in rows if staff.manages_organisation(row.id)]


def _api_label(key_format: KeyFormat | None, component: str) -> str:
    # A format may name its API and its key types for people (KeyFormat's docstring); core knows none of them.
    return _(getattr(key_format, "label", component))


def _type_label(key_format: KeyFormat | None, key_type: str) -> str:
    labels: dict[str, str] = getattr(key_format, "key_type_labels", {})
    return _(labels.get(key_type, key_type))


def key_kinds(platform: Platform) -> list[dict[str, str]]:
    """Every kind of key the service can have: one radio each, valued "component:key_type"."""
    kinds = []
    for component, key_format in platform.key_formats.items():
        api = _api_label(key_format, component)
        for key_type in key_format.key_types:
            text = api if len(key_format.key_types) == 1 else f"{api}: {_type_label(key_format, key_type)}"
            kinds.append({"value": f"{component}:{key_type}", "text": text})
    return kinds


def described_key(platform: Platform, key: ApiKey) -> dict[str, str]:
    key_format = platform.key_formats.get(key.component)
    return {"api": _api_label(key_format, key.component), "type": _type_label(key_format, key.key_type)}


@router.get("")
async def services(request: Request, staff: Staff = Depends(signed_in)) -> Response:
    async with platform_of(request).uow() as uow:
        rows = await tenancy.list_services(uow, await visible_service_ids(uow, staff))
        organisations = await _organisations_for_new_services(uow, staff)
    return templates_of(request).render(
        request, "admin/services.html", {"services": rows, "organisations": organisations, "staff": staff}
    )


@router.post("")
async def create_service(request: Request, staff: Staff = Depends(signed_in)) -> Response:
    if not staff.is_platform_admin and not staff.managed_organisations:
        staff.require_platform_admin()
    form = await request.form()
    name = str(form.get("name") or "")[:300]
    errors = []
    try:
        organisation_id = uuid.UUID(str(form.get("organisation_id") or ""))
    except ValueError:
        errors.append({"text": _("Choose the organisation that runs the service"), "href": "#organisation_id"})
    async with platform_of(request).uow() as uow:
        if not errors and not staff.manages_organisation(organisation_id):
            raise HTTPException(403, "You do not run that organisation")
        if not errors:
            try:
                service = await tenancy.create_service(uow, staff.actor, organisation_id, name)
            except tenancy.TenancyError as error:
                errors.append({"text": localise(error), "href": "#name"})
            else:
                await uow.commit()
                return RedirectResponse(f"/admin/services/{service.id}", status_code=303)
        rows = await tenancy.list_services(uow, await visible_service_ids(uow, staff))
        organisations = await _organisations_for_new_services(uow, staff)
    return templates_of(request).render(
        request,
        "admin/services.html",
        {"services": rows, "organisations": organisations, "staff": staff, "errors": errors, "name": name},
        status_code=400,
    )


@router.get("/{service_id}")
async def service_page(request: Request, service_id: uuid.UUID, staff: Staff = Depends(signed_in)) -> Response:
    service = await _service(request, service_id, staff, Role.VIEWER, team=True)
    platform = platform_of(request)
    async with platform.uow() as uow:
        members = await staff_service.team(uow, service_id)
        invited = await invitations.for_service(uow, service_id)
        keys = await api_keys.list_keys(uow, service_id)
    return templates_of(request).render(
        request,
        "admin/service.html",
        {
            "service": service,
            "members": members,
            "invited": invited,
            "keys": [(key, described_key(platform, key)) for key in keys],
            "key_kinds": key_kinds(platform),
            "staff": staff,
            "can_manage": staff.has_role(service_id, Role.ADMIN),
            # An org-admin without a role here runs the team but sees none of the service's data (ADR 0012).
            "can_manage_team": staff.has_role(service_id, Role.ADMIN)
            or staff.manages_organisation(service.organisation_id),
            "can_view": staff.has_role(service_id, Role.VIEWER),
            "roles": Role.ALL,
            "panels": platform.admin.panels_for(staff, service_id),
        },
    )


@router.post("/{service_id}/team")
async def invite(request: Request, service_id: uuid.UUID, staff: Staff = Depends(signed_in)) -> Response:
    service = await _service(request, service_id, staff, Role.ADMIN, team=True)
    form = await request.form()
    email, role = str(form.get("email") or "")[:320], str(form.get("role") or "")
    platform = platform_of(request)
    async with platform.uow() as uow:
        try:
            # A platform admin's invitation adds at once; anyone else's waits for the person to accept it.
            invited = await invitations.invite(
                uow,
                staff.actor,
                platform.settings.api_key_hash_secret,
                email,
                platform.settings.setup_link_hours,
                service_id,
                role,
                direct=staff.is_platform_admin,
            )
        except tenancy.TenancyError as error:
            field = "#role" if "role" in str(error) else "#email"
            return templates_of(request).render(
                request,
                "admin/invite_result.html",
                {"service": service, "errors": [{"text": localise(error), "href": field}], "email": email},
                status_code=400,
            )
        emailed = await invitations.email_invitee(
            uow,
            platform.messages,
            invited,
            service,
            staff.actor.label,
            platform.settings.base_url,
            platform.settings.setup_link_hours,
            current_language(),
        )
        await uow.commit()
    token = invited.setup_token
    link = f"{platform.settings.base_url}/setup/{token}" if token else None
    context = {"service": service, "invited": invited.user.email, "joined": invited.joined, "link": link}
    return templates_of(request).render(
        request, "admin/invite_result.html", {**context, "role": role, "emailed": emailed}
    )


@router.post("/{service_id}/invitations/{user_id}/cancel")
async def cancel_invitation(
    request: Request, service_id: uuid.UUID, user_id: uuid.UUID, staff: Staff = Depends(signed_in)
) -> Response:
    await _service(request, service_id, staff, Role.ADMIN, team=True)
    async with platform_of(request).uow() as uow:
        try:
            await invitations.cancel(uow, staff.actor, service_id, user_id)
        except tenancy.NotFound as error:
            raise HTTPException(404, localise(error)) from None
        await uow.commit()
    return RedirectResponse(f"/admin/services/{service_id}", status_code=303)


@router.post("/{service_id}/team/{user_id}")
async def change_member(
    request: Request, service_id: uuid.UUID, user_id: uuid.UUID, staff: Staff = Depends(signed_in)
) -> Response:
    await _service(request, service_id, staff, Role.ADMIN, team=True)
    form = await request.form()
    action = str(form.get("action") or "")
    async with platform_of(request).uow() as uow:
        try:
            if action == "remove":
                await staff_service.remove_member(uow, staff.actor, service_id, user_id)
            else:
                # Only a member's role changes here; people join through an invitation (issue 13 fault 7).
                await tenancy.require_member(uow, service_id, user_id)
                await staff_service.set_role(uow, staff.actor, service_id, user_id, str(form.get("role") or ""))
        except tenancy.NotFound as error:
            raise HTTPException(404, localise(error)) from None
        except tenancy.TenancyError as error:
            raise HTTPException(400, localise(error)) from None
        await uow.commit()
    return RedirectResponse(f"/admin/services/{service_id}", status_code=303)


@router.post("/{service_id}/api-keys")
async def create_key(request: Request, service_id: uuid.UUID, staff: Staff = Depends(signed_in)) -> Response:
    service = await _service(request, service_id, staff, Role.ADMIN)
    form = await request.form()
    name = str(form.get("name") or "")[:300]
    platform = platform_of(request)
    # Without a choice (an older form, a script) the key is a platform key, as it always was.
    component, _colon, key_type = str(form.get("kind") or "").partition(":")
    key_format = platform.key_formats.get(component or "platform")
    if key_format is None or (component and key_type not in key_format.key_types):
        return templates_of(request).render(
            request,
            "admin/key_created.html",
            {"service": service, "errors": [{"text": _("Choose the kind of API key"), "href": "#kind"}]},
            status_code=400,
        )
    async with platform.uow() as uow:
        try:
            key, shown = await api_keys.create_key(uow, staff.actor, key_format, service_id, name, key_type or None)
        except tenancy.TenancyError as error:
            return templates_of(request).render(
                request,
                "admin/key_created.html",
                {"service": service, "errors": [{"text": localise(error), "href": "#name"}]},
                status_code=400,
            )
        await uow.commit()
    return templates_of(request).render(
        request, "admin/key_created.html", {"service": service, "key_name": key.name, "secret": shown}
    )


@router.post("/{service_id}/api-keys/{key_id}/revoke")
async def revoke_key(
    request: Request, service_id: uuid.UUID, key_id: uuid.UUID, staff: Staff = Depends(signed_in)
) -> Response:
    await _service(request, service_id, staff, Role.ADMIN)
    async with platform_of(request).uow() as uow:
        try:
            await api_keys.revoke_key(uow, staff.actor, service_id, key_id)
        except tenancy.NotFound as error:
            raise HTTPException(404, localise(error)) from None
        await uow.commit()
    return RedirectResponse(f"/admin/services/{service_id}", status_code=303)
