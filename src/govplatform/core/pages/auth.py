"""Who is signed in to the admin pages, and what they may do.

The session cookie carries a random token (see services.sign_in). Pages that
need a signed-in user depend on `signed_in`; an anonymous request is sent to
the sign-in page. Role checks say no with a 403, never by hiding a 500.
"""

from __future__ import annotations

import dataclasses
import uuid

from fastapi import HTTPException, Request

from govplatform.core.interfaces import Actor, OrgRole, Role, SignInRequired
from govplatform.core.models import StaffUser
from govplatform.core.platform import Platform
from govplatform.core.services import org_roles, sign_in, staff
from govplatform.core.unit_of_work import UnitOfWork
from govplatform.core.web.templating import Templates

SESSION_COOKIE = "govplatform_session"
PENDING_COOKIE = "govplatform_pending"
_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


@dataclasses.dataclass(frozen=True)
class Staff:
    user: StaffUser
    roles: dict[uuid.UUID, str]
    ip_address: str | None
    org_roles: dict[uuid.UUID, frozenset[str]] = dataclasses.field(default_factory=dict)

    @property
    def actor(self) -> Actor:
        return Actor("staff", str(self.user.id), self.user.email, self.ip_address)

    @property
    def is_platform_admin(self) -> bool:
        return self.user.is_platform_admin

    def has_role(self, service_id: uuid.UUID, at_least: str) -> bool:
        if self.user.is_platform_admin:
            return True
        return _RANK.get(self.roles.get(service_id, ""), 0) >= _RANK[at_least]

    def require(self, service_id: uuid.UUID, at_least: str) -> None:
        if not self.has_role(service_id, at_least):
            raise HTTPException(403, "You do not have permission to do that on this service")

    def has_org_role(self, organisation_id: uuid.UUID, role: str) -> bool:
        return role in self.org_roles.get(organisation_id, frozenset())

    def manages_organisation(self, organisation_id: uuid.UUID) -> bool:
        """Runs the organisation's services and teams: a platform admin, or its org-admin (ADR 0012)."""
        return self.user.is_platform_admin or self.has_org_role(organisation_id, OrgRole.ORG_ADMIN)

    @property
    def managed_organisations(self) -> list[uuid.UUID]:
        return [org for org, roles in self.org_roles.items() if OrgRole.ORG_ADMIN in roles]

    def require_platform_admin(self) -> None:
        if not self.user.is_platform_admin:
            raise HTTPException(403, "Only platform admins can do that")


def platform_of(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def templates_of(request: Request) -> Templates:
    templates: Templates = request.app.state.templates
    return templates


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def optional_staff(request: Request) -> Staff | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    platform = platform_of(request)
    async with platform.uow() as uow:
        user = await sign_in.current_user(uow, platform.session_policy, token)
        roles = await staff.roles_of(uow, user.id) if user else {}
        held = await org_roles.roles_of(uow, user.id) if user else {}
        await uow.commit()
    if user is None:
        return None
    request.scope.setdefault("state", {})["staff_user"] = user
    return Staff(user, roles, client_ip(request), held)


async def visible_service_ids(uow: UnitOfWork, current: Staff) -> list[uuid.UUID] | None:
    """The services whose pages the person may open (None: every one, for a platform admin).

    Their teams' services, and every service of an organisation they are org-admin of.
    """
    if current.is_platform_admin:
        return None
    return list(current.roles) + await org_roles.service_ids_of(uow, current.managed_organisations)


async def signed_in(request: Request) -> Staff:
    current = await optional_staff(request)
    if current is None:
        raise SignInRequired()
    return current
