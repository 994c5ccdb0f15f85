"""Who acts on the platform and what they may do: staff roles, the audit log's actor, the signed-in member.

Part of what other components may use from core; they import it through `core/interfaces.py`.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Protocol


class Role:
    """A staff user's role on a service; platform admins sit above all services."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"
    ALL = ("admin", "editor", "viewer")


class OrgRole:
    """A staff user's role in an organisation, beside their service roles (ADR 0012).

    An org-admin runs the organisation's services and teams; a data owner and the
    chief data officer are the approvers of the organisation's data sharing.
    """

    ORG_ADMIN = "org-admin"
    DATA_OWNER = "data-owner"
    CHIEF_DATA_OFFICER = "chief-data-officer"
    ALL = ("org-admin", "data-owner", "chief-data-officer")


@dataclasses.dataclass(frozen=True)
class OrgRoleHolder:
    user_id: uuid.UUID
    email: str


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who is acting, for the audit log: a staff user, an API key, or the CLI."""

    type: str  # "staff", "api_key", "cli", "system"
    id: str | None
    label: str
    ip_address: str | None = None


class SignInRequired(Exception):
    """Raised for an anonymous request to a staff page; the web shell answers with a redirect to /sign-in."""


class StaffMember(Protocol):
    """The signed-in civil servant, as components' admin pages see them."""

    @property
    def actor(self) -> Actor: ...

    @property
    def is_platform_admin(self) -> bool: ...

    def has_role(self, service_id: uuid.UUID, at_least: str) -> bool: ...

    def require(self, service_id: uuid.UUID, at_least: str) -> None:
        """A 403 unless the member has at least this role on the service (platform admins always do)."""
        ...

    def require_platform_admin(self) -> None: ...

    def has_org_role(self, organisation_id: uuid.UUID, role: str) -> bool:
        """Whether the member holds this organisation role (platform admins hold none unless granted)."""
        ...


class StaffAuth(Protocol):
    """The signed-in staff member of a request (at `app.state.staff_auth`); raises SignInRequired."""

    async def __call__(self, request: Any) -> StaffMember: ...
