"""What core's admin pages show on behalf of the components above it (ADR 0016).

Core's pages may not import a component (the layers contract), yet a service's dashboard shows
notify's and pay's panels, every page of a service shows the service's sections, and the audit
log names events that notify and pay write. So each component declares these at start-up, in its
own `component.py`, on the one `AdminRegistry` the platform holds (`platform.admin`), and core's
pages read the registry alone. Core declares its own entries the same way (`core/admin_entries.py`).

Labels are English marked with `N_`; the pages translate them where they are shown. Who sees a
panel, a link or a navigation entry is its `role`: the least service role it needs (`Role.VIEWER`,
`EDITOR`, `ADMIN`), `PLATFORM_ADMINS`, or `ANYONE` who may open the service's pages at all (an
org-admin without a role on the team included). Entries are shown in `order`, then by label.

Beside a service's entries, a component may add a platform page (`PlatformPage`): a page about the whole
platform rather than one service (identity's proving success rates), linked from the admin home for
`PLATFORM_ADMINS`, or for `ANYONE` signed in.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from govplatform.core.people import Role, StaffMember
from govplatform.core.unit_of_work import UnitOfWork

PLATFORM_ADMINS = "platform-admins"  # a `role` that only platform admins hold
ANYONE = "anyone"  # a `role` that everyone who may open the service's pages holds

ServiceUrl = Callable[[uuid.UUID], str]  # a service's id -> the path of one of its pages


def service_page(path: str = "") -> ServiceUrl:
    """The URL builder of a page of a service's: `service_page("/notify/templates")`; "" is its dashboard."""
    return lambda service_id: f"/admin/services/{service_id}{path}"


def may_see(staff: StaffMember, service_id: uuid.UUID, role: str) -> bool:
    if role == ANYONE:
        return True
    if role == PLATFORM_ADMINS:
        return staff.is_platform_admin
    return staff.has_role(service_id, role)


@dataclasses.dataclass(frozen=True)
class ServiceLink:
    """One link of a dashboard panel."""

    label: str
    url: ServiceUrl
    role: str = Role.VIEWER


@dataclasses.dataclass(frozen=True)
class DashboardPanel:
    """A component's part of a service's dashboard (`/admin/services/{id}`): a heading, a line, its links."""

    key: str  # unique: the component's name
    heading: str
    description: str
    links: tuple[ServiceLink, ...]
    role: str = Role.VIEWER
    order: int = 100


@dataclasses.dataclass(frozen=True)
class NavEntry:
    """One of a service's sections, in the navigation on every page of the service."""

    key: str  # unique: the component's name
    label: str
    url: ServiceUrl
    role: str = Role.VIEWER
    order: int = 100
    # The path prefix of the section's pages, under which the entry is marked as where the person is;
    # None: the entry's own page alone.
    section: ServiceUrl | None = None


@dataclasses.dataclass(frozen=True)
class PlatformPage:
    """A page about the whole platform, not one service's, linked from the admin home (`/admin`)."""

    key: str  # unique: the component's name, then the page's
    label: str
    url: str
    role: str = PLATFORM_ADMINS  # PLATFORM_ADMINS, or ANYONE signed in: a service role means nothing here
    order: int = 100


@dataclasses.dataclass(frozen=True)
class ShownLink:
    """A link as a page shows it to one person: label still to translate, path, and whether they are there."""

    label: str
    href: str
    current: bool = False  # this very page
    active: bool = False  # a page of this section


@dataclasses.dataclass(frozen=True)
class ShownPanel:
    key: str
    heading: str
    description: str
    links: tuple[ShownLink, ...]


@dataclasses.dataclass(frozen=True)
class AuditRecord:
    """An audit event as a component's target finder sees it (a copy, never the row)."""

    target_id: str
    service_id: uuid.UUID | None
    detail: Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class FoundTarget:
    """What a finder knows of one target now: its name, and the page that shows it."""

    name: str | None = None
    url: str | None = None


# Looks up many targets of one type at once (one query for a page of the log); keyed by target id.
# A target it cannot find (deleted since, or a malformed id) is simply left out.
TargetFinder = Callable[[UnitOfWork, Sequence[AuditRecord]], Awaitable[Mapping[str, FoundTarget]]]


@dataclasses.dataclass(frozen=True)
class AuditTarget:
    """How the audit log names one type of target ("API key 'Case system'") and where it links.

    The name is the finder's (the target as it is now), else the event's detail under `name_in`
    (as it was then); the link is the finder's, else `url`'s. Every part is optional.
    """

    type: str
    label: str
    name_in: str | None = None
    url: Callable[[AuditRecord], str | None] | None = None
    find: TargetFinder | None = None


def uuids_in(records: Iterable[AuditRecord]) -> list[uuid.UUID]:
    """The records' target ids that are UUIDs, once each (for a finder's `IN` query)."""
    found: dict[uuid.UUID, None] = {}
    for record in records:
        try:
            found[uuid.UUID(record.target_id)] = None
        except ValueError:
            continue
    return list(found)


class RegistryClash(ValueError):
    """Two declarations of one key, event or target type: a start-up fault, never silently the last."""


class AdminRegistry:
    """Dashboard panels, navigation entries, platform pages, and audit events' and targets' readable names, by
    component."""

    def __init__(self) -> None:
        self._panels: dict[str, DashboardPanel] = {}
        self._nav: dict[str, NavEntry] = {}
        self._platform_pages: dict[str, PlatformPage] = {}
        self._events: dict[str, str] = {}
        self._targets: dict[str, AuditTarget] = {}

    # Declaring, at start-up ---------------------------------------------------------------------------

    def add_panel(self, panel: DashboardPanel) -> None:
        _add(self._panels, panel.key, panel, "dashboard panel")

    def add_nav_entry(self, entry: NavEntry) -> None:
        _add(self._nav, entry.key, entry, "navigation entry")

    def add_platform_page(self, page: PlatformPage) -> None:
        if page.role not in (PLATFORM_ADMINS, ANYONE):
            raise ValueError(f"The platform page {page.key!r} needs PLATFORM_ADMINS or ANYONE, not a service role")
        _add(self._platform_pages, page.key, page, "platform page")

    def add_audit_events(self, names: Mapping[str, str]) -> None:
        """Readable names (marked with N_) of audit events, by the action the code records."""
        for action, name in names.items():
            _add(self._events, action, name, "audit event")

    def add_audit_target(self, target: AuditTarget) -> None:
        _add(self._targets, target.type, target, "audit target type")

    # Reading, in core's pages -------------------------------------------------------------------------

    def panels_for(self, staff: StaffMember, service_id: uuid.UUID) -> list[ShownPanel]:
        """The panels this person may see on the service's dashboard, each with the links they may follow."""
        shown = []
        for panel in sorted(self._panels.values(), key=lambda panel: (panel.order, panel.key)):
            if not may_see(staff, service_id, panel.role):
                continue
            links = tuple(
                ShownLink(link.label, link.url(service_id))
                for link in panel.links
                if may_see(staff, service_id, link.role)
            )
            if links:
                shown.append(ShownPanel(panel.key, panel.heading, panel.description, links))
        return shown

    def navigation_for(self, staff: StaffMember, service_id: uuid.UUID, current_path: str) -> list[ShownLink]:
        """The service's sections this person may open, the one they are in marked."""
        shown = []
        for entry in sorted(self._nav.values(), key=lambda entry: (entry.order, entry.key)):
            if not may_see(staff, service_id, entry.role):
                continue
            href = entry.url(service_id)
            section = entry.section(service_id) if entry.section else None
            current = current_path == href
            active = current or (section is not None and current_path.startswith(section))
            shown.append(ShownLink(entry.label, href, current=current, active=active))
        return shown

    def platform_pages_for(self, staff: StaffMember) -> list[ShownLink]:
        """The platform's pages this person may open, for the admin home."""
        pages = sorted(self._platform_pages.values(), key=lambda page: (page.order, page.key))
        return [ShownLink(page.label, page.url) for page in pages if page.role == ANYONE or staff.is_platform_admin]

    def audit_event_name(self, action: str) -> str | None:
        return self._events.get(action)

    def audit_target(self, target_type: str) -> AuditTarget | None:
        return self._targets.get(target_type)

    @property
    def audit_events(self) -> Mapping[str, str]:
        return dict(self._events)


def _add(into: dict[str, Any], key: str, value: object, what: str) -> None:
    if key in into:
        raise RegistryClash(f"The {what} {key!r} is declared twice")
    into[key] = value
