"""Sign-in clients in the admin pages, under a service at /admin/services/{service_id}/identity/clients: the list,
registering one, its page, changing it, and turning it off and on.

As pay's and notify's admin pages: the signed-in staff member comes from core's `staff_member`, and their role on
the service is checked before anything is read, so a member of another service gets a 403 and learns nothing;
another service's client is a 404. Everyone on the team sees the clients (nothing on them is secret); admins
register, change and turn them off, as only admins manage pay's webhooks (an API integration). A
client secret is shown once, on the page that answers the form that made it, and that page is not cached.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import PageRenderer, Role, ServiceRef, StaffMember, staff_member
from govplatform.identity.component import IdentityComponent
from govplatform.identity.errors import IdentityError
from govplatform.identity.models import RelyingParty
from govplatform.identity.pages import client_form
from govplatform.identity.services import client_admin, clients

router = APIRouter(include_in_schema=False)
PATH = "/admin/services/{service_id}/identity/clients"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclasses.dataclass(frozen=True)
class ClientsPage:
    """One request to a sign-in client page of one service."""

    request: Request
    staff: StaffMember
    service: ServiceRef
    identity: IdentityComponent

    @property
    def base(self) -> str:
        return f"/admin/services/{self.service.id}/identity/clients"

    @property
    def can_manage(self) -> bool:
        return self.staff.has_role(self.service.id, Role.ADMIN)

    def render(self, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> Response:
        templates: PageRenderer = self.request.app.state.templates
        values: dict[str, Any] = {
            "service": self.service,
            "staff": self.staff,
            "base": self.base,
            "can_manage": self.can_manage,
            "token_endpoint": self.identity.token_endpoint,
            "issuer": self.identity.issuer,
        }
        values.update(context or {})
        response: Response = templates.render(self.request, name, values, status_code=status_code)
        return response

    async def client(self, client_id: str) -> RelyingParty:
        async with self.identity.uow(read_only=True) as uow:
            found = await client_admin.relying_party(uow, self.service.id, client_id)
        if found is None:
            raise HTTPException(404, "There is no sign-in client with that ID in this service")
        return found


async def clients_page(request: Request, staff: StaffMember, service_id: uuid.UUID, at_least: str) -> ClientsPage:
    """The page's service, once the staff member is known to have at least this role on it."""
    staff.require(service_id, at_least)
    identity: IdentityComponent = request.app.state.identity
    async with identity.uow(read_only=True) as uow:
        service = await identity.directory.describe(uow, service_id)
    if service is None:
        raise HTTPException(404, "There is no service with that ID")
    return ClientsPage(request, staff, service, identity)


@router.get(PATH)
async def client_list(request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)) -> Response:
    page = await clients_page(request, staff, service_id, Role.VIEWER)
    async with page.identity.uow(read_only=True) as uow:
        found = await client_admin.relying_parties(uow, service_id)
    return page.render("identity/admin/clients.html", {"clients": found})


def _form(
    page: ClientsPage, values: dict[str, Any], client: RelyingParty | None = None, refused: IdentityError | None = None
) -> Response:
    context = {
        "form": client_form.without_private_key(values) if refused else values,
        "client": client,
        "errors": client_form.errors_of(refused) if refused else None,
        **client_form.choices(),
    }
    return page.render("identity/admin/client_form.html", context, status_code=400 if refused else 200)


def _secret_page(page: ClientsPage, client: RelyingParty, secret: str, made: bool) -> Response:
    response = page.render("identity/admin/client_secret.html", {"client": client, "secret": secret, "made": made})
    response.headers.update(NO_STORE)
    return response


@router.get(PATH + "/new")
async def new_client(request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)) -> Response:
    page = await clients_page(request, staff, service_id, Role.ADMIN)
    return _form(page, client_form.new_form())


@router.post(PATH + "/new")
async def create_client(
    request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await clients_page(request, staff, service_id, Role.ADMIN)
    values = client_form.posted(await request.form())
    try:
        wanted = client_form.registration(values)
        async with page.identity.uow() as uow:
            client, secret = await clients.create_relying_party(
                uow, staff.actor, page.identity.directory, page.identity.hash_secret, service_id=service_id,
                active=values["active"], outbound=page.identity.outbound, **dataclasses.asdict(wanted),
            )  # fmt: skip
            await uow.commit()
    except IdentityError as refused:
        return _form(page, values, refused=refused)
    if secret:
        return _secret_page(page, client, secret, made=True)
    return RedirectResponse(f"{page.base}/{client.client_id}?changed=created", status_code=303)


@router.get(PATH + "/{client_id}")
async def client_view(
    request: Request, service_id: uuid.UUID, client_id: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await clients_page(request, staff, service_id, Role.VIEWER)
    client = await page.client(client_id)
    return page.render("identity/admin/client.html", {"client": client, "changed": request.query_params.get("changed")})


@router.get(PATH + "/{client_id}/edit")
async def edit_client(
    request: Request, service_id: uuid.UUID, client_id: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await clients_page(request, staff, service_id, Role.ADMIN)
    client = await page.client(client_id)
    return _form(page, client_form.shown(client_admin.registration_of(client), client.active), client)


@router.post(PATH + "/{client_id}/edit")
async def change_client(
    request: Request, service_id: uuid.UUID, client_id: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await clients_page(request, staff, service_id, Role.ADMIN)
    shown = await page.client(client_id)
    values = client_form.posted(await request.form())
    try:
        wanted = client_form.registration(values)
        async with page.identity.uow() as uow:
            client = await client_admin.relying_party(uow, service_id, client_id)
            if client is None:
                raise HTTPException(404, "There is no sign-in client with that ID in this service")
            secret = await client_admin.change_relying_party(
                uow, staff.actor, page.identity.hash_secret, client, wanted, page.identity.outbound
            )
            await uow.commit()
    except IdentityError as refused:
        return _form(page, values, shown, refused)
    if secret:
        return _secret_page(page, client, secret, made=False)
    return RedirectResponse(f"{page.base}/{client_id}?changed=saved", status_code=303)


@router.post(PATH + "/{client_id}/{action}")
async def turn_on_or_off(
    request: Request, service_id: uuid.UUID, client_id: str, action: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await clients_page(request, staff, service_id, Role.ADMIN)
    if action not in ("deactivate", "reactivate"):
        raise HTTPException(404, "There is no such action")
    async with page.identity.uow() as uow:
        client = await client_admin.relying_party(uow, service_id, client_id)
        if client is None:
            raise HTTPException(404, "There is no sign-in client with that ID in this service")
        client_admin.set_active(uow, staff.actor, client, action == "reactivate")
        await uow.commit()
    return RedirectResponse(f"{page.base}/{client_id}?changed={action}d", status_code=303)
