"""What core itself declares in the admin registry: the service's dashboard as its first section, the
names of the audit events core writes, and how the log names core's targets (ADR 0016).

Core declares its own the way every component does, so the pages have one source for all of them
and the test that every recorded event has a name covers core too. `build_platform` calls `declare`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from govplatform.core.admin_registry import (
    ANYONE,
    AdminRegistry,
    AuditRecord,
    AuditTarget,
    FoundTarget,
    NavEntry,
    service_page,
    uuids_in,
)
from govplatform.core.language import N_
from govplatform.core.models import Organisation, Service, StaffUser
from govplatform.core.unit_of_work import UnitOfWork

AUDIT_EVENTS = {
    "api_key.created": N_("API key created"),
    "api_key.revoked": N_("API key revoked"),
    "job.retried": N_("Dead-lettered job retried"),
    "organisation.created": N_("Organisation created"),
    "organisation_role.granted": N_("Organisation role granted"),
    "organisation_role.removed": N_("Organisation role removed"),
    "service.created": N_("Service created"),
    "sign_in.failed": N_("Sign-in failed"),
    "sign_in.succeeded": N_("Signed in"),
    "sign_out": N_("Signed out"),
    "staff_user.created": N_("Staff account created"),
    "staff_user.made_platform_admin": N_("Made a platform admin"),
    "staff_user.setup_completed": N_("Account set up"),
    "team_member.accepted": N_("Invitation to the team accepted"),
    "team_member.declined": N_("Invitation to the team declined"),
    "team_member.invitation_cancelled": N_("Invitation to the team cancelled"),
    "team_member.invited": N_("Invited to the team"),
    "team_member.removed": N_("Removed from the team"),
    "team_member.role_set": N_("Team role changed"),
}


DASHBOARD = service_page()


async def _services(uow: UnitOfWork, records: Sequence[AuditRecord]) -> Mapping[str, FoundTarget]:
    rows = await uow.session.execute(select(Service.id, Service.name).where(Service.id.in_(uuids_in(records))))
    return {str(row.id): FoundTarget(row.name, DASHBOARD(row.id)) for row in rows}


async def _organisations(uow: UnitOfWork, records: Sequence[AuditRecord]) -> Mapping[str, FoundTarget]:
    query = select(Organisation.id, Organisation.name).where(Organisation.id.in_(uuids_in(records)))
    rows = await uow.session.execute(query)
    return {str(row.id): FoundTarget(row.name, f"/admin/organisations/{row.id}") for row in rows}


async def _staff_users(uow: UnitOfWork, records: Sequence[AuditRecord]) -> Mapping[str, FoundTarget]:
    # Named by their email address, as the log already names who acted; no page shows one person.
    rows = await uow.session.execute(select(StaffUser.id, StaffUser.email).where(StaffUser.id.in_(uuids_in(records))))
    return {str(row.id): FoundTarget(row.email) for row in rows}


def _keys_service(record: AuditRecord) -> str | None:
    # A service's keys are listed on its dashboard.
    return DASHBOARD(record.service_id) if record.service_id else None


def declare(registry: AdminRegistry) -> None:
    registry.add_nav_entry(NavEntry("core", N_("Dashboard"), DASHBOARD, role=ANYONE, order=0))
    registry.add_audit_events(AUDIT_EVENTS)
    registry.add_audit_target(AuditTarget("service", N_("Service"), name_in="name", find=_services))
    registry.add_audit_target(AuditTarget("organisation", N_("Organisation"), name_in="name", find=_organisations))
    registry.add_audit_target(AuditTarget("staff_user", N_("Staff member"), find=_staff_users))
    registry.add_audit_target(AuditTarget("api_key", N_("API key"), name_in="name", url=_keys_service))
    registry.add_audit_target(AuditTarget("job", N_("Job"), name_in="kind"))
