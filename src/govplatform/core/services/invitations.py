"""Invitations to a service's team: a person joins only by accepting one, or when a platform admin adds them.

Issue 13 fault 7 found that a service admin could put any user, from any
organisation, on their team without that person's say: by id on the
team-change route, and by email on the invite form, which added an existing
account at once. A team member can see the service's data and, in trial
mode, be sent its messages, so being on a team is the person's choice too.
GOV.UK Notify works the same way: an invited user joins when they accept.

So an admin's invitation is a row in `team_invitations` that the invitee
sees on their admin home page once signed in (a new person first sets up
their account with the link they were sent), with accept and decline. It
lasts as long as a set-up link. A platform admin, who may act on every
service anyway, still adds at once; so do the CLI and the demo data, which
run as the operator. Someone already on the team just has their role
changed, as the team-change route would.

The invitee is told by email (`email_invitee`), through core's `Messages`
(notify's, registered by the composition root) from the platform's own
templates: a new person gets their set-up link, someone with an account a
notice to sign in and accept. The admin's page still shows a set-up link.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import delete, select

from govplatform.core.interfaces import N_, Actor, MessageRefused, Messages, PlatformTemplate, Role, ServiceRef
from govplatform.core.models import ServiceMembership, StaffUser, TeamInvitation, utcnow
from govplatform.core.services import audit, staff, tenancy
from govplatform.core.unit_of_work import UnitOfWork


@dataclasses.dataclass(frozen=True)
class Invited:
    user: StaffUser
    setup_token: str  # a new person's set-up link token, or "" for someone who already has an account
    joined: bool  # on the team now (a platform admin's invitation, or a member whose role changed)


@dataclasses.dataclass(frozen=True)
class Pending:
    """An invitation waiting for its invitee, with what either side is shown."""

    service: ServiceRef
    user_id: uuid.UUID
    email: str
    role: str
    invited_by: str
    expires_at: dt.datetime


async def invite(
    uow: UnitOfWork,
    actor: Actor,
    hash_secret: str,
    email: str,
    hours: int,
    service_id: uuid.UUID,
    role: str,
    *,
    direct: bool,
) -> Invited:
    """Invite `email` to the team as `role`; `direct` (a platform admin) puts them on it at once."""
    if role not in Role.ALL:
        raise tenancy.TenancyError(N_("Choose a role: admin, editor or viewer"))
    service = await tenancy.get_service(uow, service_id)
    if direct:
        user, token = await staff.create_user(uow, actor, hash_secret, email, hours, service_id=service.id, role=role)
        return Invited(user, token, joined=True)
    user, token = await staff.create_user(uow, actor, hash_secret, email, hours)
    if await uow.session.get(ServiceMembership, (user.id, service.id)) is not None:
        await staff.set_role(uow, actor, service.id, user.id, role)
        return Invited(user, token, joined=True)
    invitation = await uow.session.get(TeamInvitation, (service.id, user.id))
    if invitation is None:
        invitation = TeamInvitation(service_id=service.id, user_id=user.id)
        uow.session.add(invitation)
    invitation.role = role
    invitation.invited_by = actor.label[:320]
    invitation.created_at = utcnow()
    invitation.expires_at = utcnow() + dt.timedelta(hours=hours)
    audit.record(uow, actor, "team_member.invited", "staff_user", user.id, service.id, role=role)
    return Invited(user, token, joined=False)


async def _pending(uow: UnitOfWork, service_id: uuid.UUID, user_id: uuid.UUID) -> TeamInvitation:
    invitation = await uow.session.get(TeamInvitation, (service_id, user_id))
    if invitation is None or invitation.expires_at <= utcnow():
        raise tenancy.NotFound(N_("There is no invitation to that service, or it has expired"))
    return invitation


async def accept(uow: UnitOfWork, actor: Actor, user_id: uuid.UUID, service_id: uuid.UUID) -> ServiceRef:
    """The invitee accepts: they join the team with the invitation's role, and the invitation is used up."""
    invitation = await _pending(uow, service_id, user_id)
    await staff.set_role(uow, actor, service_id, user_id, invitation.role)
    await uow.session.delete(invitation)
    audit.record(uow, actor, "team_member.accepted", "staff_user", user_id, service_id, role=invitation.role)
    return await tenancy.get_service(uow, service_id)


async def decline(uow: UnitOfWork, actor: Actor, user_id: uuid.UUID, service_id: uuid.UUID) -> None:
    await uow.session.delete(await _pending(uow, service_id, user_id))
    audit.record(uow, actor, "team_member.declined", "staff_user", user_id, service_id)


async def cancel(uow: UnitOfWork, actor: Actor, service_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """A service admin takes an invitation back before it is accepted."""
    result = await uow.session.execute(
        delete(TeamInvitation).where(TeamInvitation.service_id == service_id, TeamInvitation.user_id == user_id)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise tenancy.NotFound(N_("There is no invitation to that service, or it has expired"))
    audit.record(uow, actor, "team_member.invitation_cancelled", "staff_user", user_id, service_id)


async def _listed(uow: UnitOfWork, *conditions: object) -> list[Pending]:
    rows = await uow.session.execute(
        select(TeamInvitation, StaffUser.email)
        .join(StaffUser, StaffUser.id == TeamInvitation.user_id)
        .where(TeamInvitation.expires_at > utcnow(), *conditions)  # type: ignore[arg-type]
        .order_by(TeamInvitation.created_at)
    )
    found = rows.all()
    services = {ref.id: ref for ref in await tenancy.list_services(uow, list({row.service_id for row, _ in found}))}
    return [
        Pending(services[row.service_id], row.user_id, email, row.role, row.invited_by, row.expires_at)
        for row, email in found
        if row.service_id in services
    ]


async def for_user(uow: UnitOfWork, user_id: uuid.UUID) -> list[Pending]:
    """The invitations waiting for this person, oldest first."""
    return await _listed(uow, TeamInvitation.user_id == user_id)


async def for_service(uow: UnitOfWork, service_id: uuid.UUID) -> list[Pending]:
    """The invitations to this service's team that no one has accepted yet."""
    return await _listed(uow, TeamInvitation.service_id == service_id)


async def email_invitee(
    uow: UnitOfWork,
    messages: Messages | None,
    invited: Invited,
    service: ServiceRef,
    invited_by: str,
    base_url: str,
    hours: int,
    language: str = "en",
) -> bool:
    """Queue the invitee's email in the invitation's unit of work; False if none was sent (or none was needed).

    A message the platform service refuses (a template someone archived) leaves the invitation as it is: the
    admin's page shows the set-up link and says that no email went.
    """
    if messages is None or (invited.joined and not invited.setup_token):
        return False
    values: dict[str, object] = {"service_name": service.name, "invited_by": invited_by, "hours": hours}
    if invited.setup_token:
        template = PlatformTemplate.STAFF_INVITATION
        values["setup_link"] = f"{base_url.rstrip('/')}/setup/{invited.setup_token}"
    else:
        template = PlatformTemplate.SERVICE_INVITATION
        values["sign_in_link"] = f"{base_url.rstrip('/')}/sign-in"
    try:
        await messages.send_email(uow, template, invited.user.email, values, language=language)
    except MessageRefused:
        return False
    return True
