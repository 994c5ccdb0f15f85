"""The admin registry's rules: who sees which panel, link and section, in what order, and one declaration each."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from govplatform.core.admin_registry import (
    ANYONE,
    PLATFORM_ADMINS,
    AdminRegistry,
    AuditRecord,
    DashboardPanel,
    NavEntry,
    PlatformPage,
    RegistryClash,
    ServiceLink,
    uuids_in,
)
from govplatform.core.interfaces import Actor, Role

SERVICE = uuid.UUID("5e2b1f8e-2f0c-4d7a-9a55-3c1f0e6a7b10")
RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3}


@dataclasses.dataclass(frozen=True)
class Member:
    """A staff member holding one role on SERVICE (or none), or a platform admin."""

    role: str | None = None
    is_platform_admin: bool = False

    @property
    def actor(self) -> Actor:
        return Actor("staff", None, "someone")

    def has_role(self, service_id: uuid.UUID, at_least: str) -> bool:
        held = self.role if service_id == SERVICE else None
        return self.is_platform_admin or RANK.get(held or "", 0) >= RANK[at_least]

    def require(self, service_id: uuid.UUID, at_least: str) -> None:
        raise NotImplementedError

    def require_platform_admin(self) -> None:
        raise NotImplementedError

    def has_org_role(self, organisation_id: uuid.UUID, role: str) -> bool:
        return False


def page(path: str) -> ServiceLink:
    return ServiceLink(path, lambda service_id: f"/s/{service_id}/{path}")


def registry() -> AdminRegistry:
    found = AdminRegistry()
    found.add_panel(
        DashboardPanel(
            "second",
            "Second",
            "",
            (
                page("read"),
                dataclasses.replace(page("edit"), role=Role.EDITOR),
                dataclasses.replace(page("run"), role=Role.ADMIN),
            ),
            order=20,
        )
    )
    found.add_panel(DashboardPanel("first", "First", "", (page("look"),), order=10))
    found.add_panel(DashboardPanel("admins", "Admins", "", (page("limits"),), role=PLATFORM_ADMINS, order=30))
    found.add_panel(
        DashboardPanel(
            "empty-for-viewers", "Editors", "", (dataclasses.replace(page("x"), role=Role.EDITOR),), order=40
        )
    )
    return found


def shown(found: AdminRegistry, member: Member) -> dict[str, list[str]]:
    return {panel.key: [link.label for link in panel.links] for panel in found.panels_for(member, SERVICE)}


def test_panels_come_in_their_order_with_only_the_links_the_persons_role_opens() -> None:
    assert shown(registry(), Member(Role.VIEWER)) == {"first": ["look"], "second": ["read"]}
    assert shown(registry(), Member(Role.EDITOR)) == {
        "first": ["look"],
        "second": ["read", "edit"],
        "empty-for-viewers": ["x"],
    }
    assert shown(registry(), Member(Role.ADMIN))["second"] == ["read", "edit", "run"]
    platform_admin = shown(registry(), Member(is_platform_admin=True))
    assert list(platform_admin) == ["first", "second", "admins", "empty-for-viewers"]


def test_someone_without_a_role_on_the_service_sees_no_panel_and_only_the_sections_open_to_anyone() -> None:
    found = registry()
    found.add_nav_entry(NavEntry("home", "Home", lambda service_id: f"/s/{service_id}", role=ANYONE, order=0))
    found.add_nav_entry(NavEntry("data", "Data", lambda service_id: f"/s/{service_id}/data/list"))
    assert found.panels_for(Member(), SERVICE) == []
    assert [entry.label for entry in found.navigation_for(Member(), SERVICE, "/")] == ["Home"]
    assert [entry.label for entry in found.navigation_for(Member(Role.VIEWER), SERVICE, "/")] == ["Home", "Data"]


def test_the_section_a_person_is_in_is_marked_on_its_own_page_and_under_its_prefix() -> None:
    found = AdminRegistry()
    found.add_nav_entry(NavEntry("home", "Home", lambda service_id: f"/s/{service_id}", role=ANYONE, order=0))
    found.add_nav_entry(
        NavEntry("data", "Data", lambda s: f"/s/{s}/data/list", order=5, section=lambda s: f"/s/{s}/data/")
    )

    def marks(path: str) -> list[tuple[str, bool, bool]]:
        return [
            (entry.label, entry.current, entry.active)
            for entry in found.navigation_for(Member(Role.VIEWER), SERVICE, path)
        ]

    assert marks(f"/s/{SERVICE}") == [("Home", True, True), ("Data", False, False)]
    assert marks(f"/s/{SERVICE}/data/list") == [("Home", False, False), ("Data", True, True)]
    assert marks(f"/s/{SERVICE}/data/item/7") == [("Home", False, False), ("Data", False, True)]
    assert marks(f"/s/{SERVICE}/team") == [("Home", False, False), ("Data", False, False)], "no prefix: its page alone"


def test_a_second_declaration_of_one_key_event_or_target_type_is_refused_at_start_up() -> None:
    found = registry()
    with pytest.raises(RegistryClash, match="'first'"):
        found.add_panel(DashboardPanel("first", "Again", "", ()))
    found.add_nav_entry(NavEntry("home", "Home", str))
    with pytest.raises(RegistryClash):
        found.add_nav_entry(NavEntry("home", "Home", str))
    found.add_audit_events({"thing.done": "Thing done"})
    with pytest.raises(RegistryClash, match=r"thing\.done"):
        found.add_audit_events({"thing.done": "Thing done again"})
    assert found.audit_event_name("thing.done") == "Thing done"
    assert found.audit_event_name("thing.undone") is None


def test_platform_pages_come_in_their_order_and_those_for_platform_admins_only_to_them() -> None:
    found = AdminRegistry()
    found.add_platform_page(PlatformPage("rates", "Rates", "/admin/rates", order=20))
    found.add_platform_page(PlatformPage("help", "Help", "/admin/help", role=ANYONE, order=10))
    found.add_platform_page(PlatformPage("queue", "Queue", "/admin/queue", role=PLATFORM_ADMINS, order=10))
    shown = [(link.label, link.href) for link in found.platform_pages_for(Member(is_platform_admin=True))]
    assert shown == [("Help", "/admin/help"), ("Queue", "/admin/queue"), ("Rates", "/admin/rates")]
    assert [link.label for link in found.platform_pages_for(Member(Role.ADMIN))] == ["Help"]
    with pytest.raises(RegistryClash, match="'rates'"):
        found.add_platform_page(PlatformPage("rates", "Rates again", "/admin/rates"))
    with pytest.raises(ValueError, match="service role"):
        found.add_platform_page(PlatformPage("team", "Team", "/admin/team", role=Role.VIEWER))


def test_a_finder_is_given_only_well_formed_ids_once_each() -> None:
    one = uuid.uuid4()
    records = [AuditRecord(text, None, {}) for text in (str(one), "not-a-uuid", "", str(one).upper(), "42")]
    assert uuids_in(records) == [one]
