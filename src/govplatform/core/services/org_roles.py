"""Organisation roles: org-admin, data-owner and chief-data-officer, and who may grant each (ADR 0012).

Service roles (admin, editor, viewer) give a person a service's data; an
organisation role gives them a part in running the public body instead.
An org-admin runs the organisation's structure: its services and their teams
and invitations, without becoming a platform admin and without the services'
data (to work on a service they join its team like anyone else, by an
invitation they accept, in the audit log). A data owner and the chief data
officer are the approvers the exchange will ask; until it exists they may
only see their organisation's page.

Who grants what is least privilege with the exchange in mind: an approver
must not be chosen by the people whose sharing they approve. So a platform
admin (or the operator at the CLI) grants any role; an org-admin grants only
org-admin; the chief data officer names the data owners; a data owner grants
nothing. No one but a platform admin gives themself a role, and an
org-admin or chief data officer grants only to the organisation's own people
(someone holding a role in it or on one of its services' teams). The last
org-admin can be removed only by a platform admin, so an organisation never
loses its own admin by accident. Every grant and removal is audited.
"""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import delete, func, select

from govplatform.core.interfaces import N_, Actor, OrgRole, OrgRoleHolder
from govplatform.core.models import Organisation, OrganisationMembership, Service, ServiceMembership, StaffUser
from govplatform.core.services import audit, staff, tenancy
from govplatform.core.services.tenancy import NotFound, TenancyError
from govplatform.core.unit_of_work import UnitOfWork

# The organisation roles each role may grant and remove (a platform admin may do all).
GRANTS: dict[str, frozenset[str]] = {
    OrgRole.ORG_ADMIN: frozenset({OrgRole.ORG_ADMIN}),
    OrgRole.CHIEF_DATA_OFFICER: frozenset({OrgRole.DATA_OWNER}),
    OrgRole.DATA_OWNER: frozenset(),
}


class NotAllowed(TenancyError):
    """The person acting may not make this change; pages answer 403, the CLI exits 1."""


@dataclasses.dataclass(frozen=True)
class Granter:
    """Who is granting: a signed-in staff member, or the operator at the CLI (user_id None)."""

    user_id: uuid.UUID | None
    is_platform_admin: bool


OPERATOR = Granter(None, True)


@dataclasses.dataclass(frozen=True)
class Person:
    """One of an organisation's people, as its page lists them."""

    user_id: uuid.UUID
    email: str
    roles: tuple[str, ...]  # organisation roles, in OrgRole.ALL's order; empty for team members only


def check_role(role: str) -> None:
    if role not in OrgRole.ALL:
        raise TenancyError(N_("Choose an organisation role: org-admin, data-owner or chief-data-officer"))


def grantable(held: frozenset[str] | set[str], is_platform_admin: bool) -> tuple[str, ...]:
    """The organisation roles someone holding `held` may grant and remove, in OrgRole.ALL's order."""
    if is_platform_admin:
        return OrgRole.ALL
    allowed: set[str] = set()
    for role in held:
        allowed |= GRANTS.get(role, frozenset())
    return tuple(role for role in OrgRole.ALL if role in allowed)


async def get_organisation(uow: UnitOfWork, organisation_id: uuid.UUID) -> Organisation:
    organisation = await uow.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(N_("There is no organisation with that ID"))
    return organisation


async def held_in(uow: UnitOfWork, user_id: uuid.UUID, organisation_id: uuid.UUID) -> frozenset[str]:
    rows = await uow.session.scalars(
        select(OrganisationMembership.role).where(
            OrganisationMembership.user_id == user_id, OrganisationMembership.organisation_id == organisation_id
        )
    )
    return frozenset(rows.all())


async def roles_of(uow: UnitOfWork, user_id: uuid.UUID) -> dict[uuid.UUID, frozenset[str]]:
    """Every organisation role the user holds, by organisation."""
    rows = await uow.session.execute(
        select(OrganisationMembership.organisation_id, OrganisationMembership.role).where(
            OrganisationMembership.user_id == user_id
        )
    )
    found: dict[uuid.UUID, set[str]] = {}
    for organisation_id, role in rows.all():
        found.setdefault(organisation_id, set()).add(role)
    return {organisation_id: frozenset(roles) for organisation_id, roles in found.items()}


async def holders_of(uow: UnitOfWork, organisation_id: uuid.UUID, role: str) -> list[OrgRoleHolder]:
    rows = await uow.session.execute(
        select(StaffUser.id, StaffUser.email)
        .join(OrganisationMembership, OrganisationMembership.user_id == StaffUser.id)
        .where(OrganisationMembership.organisation_id == organisation_id, OrganisationMembership.role == role)
        .order_by(StaffUser.email)
    )
    return [OrgRoleHolder(user_id, email) for user_id, email in rows.all()]


async def has_org_role(uow: UnitOfWork, user_id: uuid.UUID, organisation_id: uuid.UUID, role: str) -> bool:
    return role in await held_in(uow, user_id, organisation_id)


async def people(uow: UnitOfWork, organisation_id: uuid.UUID) -> list[Person]:
    """Everyone holding a role in the organisation or on one of its services' teams, by email."""
    holders = await uow.session.execute(
        select(StaffUser.id, StaffUser.email, OrganisationMembership.role)
        .join(OrganisationMembership, OrganisationMembership.user_id == StaffUser.id)
        .where(OrganisationMembership.organisation_id == organisation_id)
    )
    members = await uow.session.execute(
        select(StaffUser.id, StaffUser.email)
        .join(ServiceMembership, ServiceMembership.user_id == StaffUser.id)
        .join(Service, Service.id == ServiceMembership.service_id)
        .where(Service.organisation_id == organisation_id)
    )
    emails: dict[uuid.UUID, str] = {}
    roles: dict[uuid.UUID, set[str]] = {}
    for user_id, email, role in holders.all():
        emails[user_id] = email
        roles.setdefault(user_id, set()).add(role)
    for user_id, email in members.all():
        emails[user_id] = email
    return sorted(
        (
            Person(user_id, email, tuple(r for r in OrgRole.ALL if r in roles.get(user_id, set())))
            for user_id, email in emails.items()
        ),
        key=lambda person: person.email,
    )


async def _authorise(uow: UnitOfWork, granter: Granter, organisation_id: uuid.UUID, role: str) -> None:
    check_role(role)
    await get_organisation(uow, organisation_id)
    if granter.is_platform_admin:
        return
    held = await held_in(uow, granter.user_id, organisation_id) if granter.user_id else frozenset()
    if role not in grantable(held, False):
        raise NotAllowed(N_("You cannot grant or remove the role %(role)s in this organisation"), role=role)


async def find_person(uow: UnitOfWork, granter: Granter, organisation_id: uuid.UUID, email: str) -> StaffUser:
    """The staff user with this email; for anyone but a platform admin, only among the organisation's people.

    The two refusals read alike, so an org-admin cannot learn who has an account elsewhere.
    """
    user = await uow.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if granter.is_platform_admin:
        if user is None:
            raise NotFound(N_("There is no staff user with the email address %(email)s"), email=email.strip())
        return user
    if user is None or user.id not in {person.user_id for person in await people(uow, organisation_id)}:
        raise NotFound(N_("There is no one in this organisation with the email address %(email)s"), email=email.strip())
    return user


async def grant(
    uow: UnitOfWork, actor: Actor, granter: Granter, organisation_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> bool:
    """Give the user the role; False if they held it already (nothing changes, nothing is audited)."""
    await _authorise(uow, granter, organisation_id, role)
    if not granter.is_platform_admin and granter.user_id == user_id:
        raise NotAllowed(N_("You cannot give yourself a role; ask a platform admin"))
    if await uow.session.get(OrganisationMembership, (user_id, organisation_id, role)) is not None:
        return False
    uow.session.add(
        OrganisationMembership(
            user_id=user_id, organisation_id=organisation_id, role=role, granted_by=actor.label[:320]
        )
    )
    audit.record(
        uow, actor, "organisation_role.granted", "staff_user", user_id, organisation_id=str(organisation_id), role=role
    )
    return True


async def remove(
    uow: UnitOfWork, actor: Actor, granter: Granter, organisation_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> None:
    """Take the role away; a person may also give up a role of their own, unless they are the last org-admin."""
    stepping_down = granter.user_id is not None and granter.user_id == user_id
    if not stepping_down:
        await _authorise(uow, granter, organisation_id, role)
    else:
        check_role(role)
    if await uow.session.get(OrganisationMembership, (user_id, organisation_id, role)) is None:
        raise NotFound(N_("That person does not hold the role %(role)s in this organisation"), role=role)
    if role == OrgRole.ORG_ADMIN and not granter.is_platform_admin:
        admins = await uow.session.scalar(
            select(func.count()).where(
                OrganisationMembership.organisation_id == organisation_id,
                OrganisationMembership.role == OrgRole.ORG_ADMIN,
            )
        )
        if admins == 1:
            raise NotAllowed(
                N_("An organisation keeps at least one org-admin; ask a platform admin to remove the last")
            )
    await uow.session.execute(
        delete(OrganisationMembership).where(
            OrganisationMembership.user_id == user_id,
            OrganisationMembership.organisation_id == organisation_id,
            OrganisationMembership.role == role,
        )
    )
    audit.record(
        uow, actor, "organisation_role.removed", "staff_user", user_id, organisation_id=str(organisation_id), role=role
    )


async def service_ids_of(uow: UnitOfWork, organisation_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The services of these organisations (an org-admin's)."""
    if not organisation_ids:
        return []
    rows = await uow.session.scalars(select(Service.id).where(Service.organisation_id.in_(organisation_ids)))
    return list(rows.all())


async def change_by_operator(
    uow: UnitOfWork, actor: Actor, scope: str, scope_id: uuid.UUID, email: str, role: str, remove_it: bool
) -> tuple[uuid.UUID, bool]:
    """The CLI's `user role`: give or take an organisation role (scope "organisation") or a service role.

    The operator acts as a platform admin: a service role is given at once, no
    invitation. Taking a role away names it, so a slip cannot remove the wrong
    one. Returns the user's id and whether anything changed.
    """
    if scope == "organisation":
        await get_organisation(uow, scope_id)
        user = await find_person(uow, OPERATOR, scope_id, email)
        if remove_it:
            await remove(uow, actor, OPERATOR, scope_id, user.id, role)
            return user.id, True
        return user.id, await grant(uow, actor, OPERATOR, scope_id, user.id, role)
    service = await tenancy.get_service(uow, scope_id)
    user = await find_person(uow, OPERATOR, service.organisation_id, email)
    held = await uow.session.get(ServiceMembership, (user.id, service.id))
    if remove_it:
        if held is None or held.role != role:
            raise NotFound(N_("That person is not %(role)s on this service's team"), role=role)
        await staff.remove_member(uow, actor, service.id, user.id)
        return user.id, True
    if held is not None and held.role == role:
        return user.id, False
    await staff.set_role(uow, actor, service.id, user.id, role)
    return user.id, True
