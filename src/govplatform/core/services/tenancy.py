"""Organisations (public bodies), their services, and who is on a service's team.

A person joins a team only by an invitation they accept or by a platform
admin (issue 13 fault 7); changing a member's role or removing them must
never add someone, so those changes first check that the person is a member.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from govplatform.core.interfaces import N_, Actor, ServiceRef, UserFacingError
from govplatform.core.models import Organisation, Service, ServiceMembership
from govplatform.core.services import audit
from govplatform.core.unit_of_work import UnitOfWork


class TenancyError(UserFacingError):
    """A tenancy rule was broken; the message is safe to show to the user."""


class NotFound(TenancyError):
    pass


def _clean_name(name: str, empty: str, too_long: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise TenancyError(empty)
    if len(name) > 255:
        raise TenancyError(too_long)
    return name


async def create_organisation(uow: UnitOfWork, actor: Actor, name: str) -> Organisation:
    name = _clean_name(
        name, N_("Enter the organisation name"), N_("The organisation name must be 255 characters or fewer")
    )
    exists = await uow.session.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.lower()))
    if exists:
        raise TenancyError(N_("An organisation called %(name)s already exists"), name=name)
    organisation = Organisation(id=uuid.uuid4(), name=name)
    uow.session.add(organisation)
    audit.record(uow, actor, "organisation.created", "organisation", organisation.id, name=name)
    return organisation


async def create_service(uow: UnitOfWork, actor: Actor, organisation_id: uuid.UUID, name: str) -> Service:
    name = _clean_name(name, N_("Enter the service name"), N_("The service name must be 255 characters or fewer"))
    organisation = await uow.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(N_("There is no organisation with that ID"))
    exists = await uow.session.scalar(
        select(Service.id).where(Service.organisation_id == organisation_id, func.lower(Service.name) == name.lower())
    )
    if exists:
        raise TenancyError(
            N_("%(organisation)s already has a service called %(name)s"), organisation=organisation.name, name=name
        )
    service = Service(id=uuid.uuid4(), organisation_id=organisation_id, name=name)
    uow.session.add(service)
    audit.record(uow, actor, "service.created", "service", service.id, service.id, name=name)
    return service


async def list_organisations(uow: UnitOfWork, only: list[uuid.UUID] | None = None) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.name)
    if only is not None:
        query = query.where(Organisation.id.in_(only))
    return list((await uow.session.scalars(query)).all())


async def list_services(uow: UnitOfWork, only: list[uuid.UUID] | None = None) -> list[ServiceRef]:
    query = (
        select(Service, Organisation)
        .join(Organisation, Service.organisation_id == Organisation.id)
        .order_by(Organisation.name, Service.name)
    )
    if only is not None:
        query = query.where(Service.id.in_(only))
    rows = (await uow.session.execute(query)).all()
    return [ServiceRef(s.id, s.name, o.id, o.name) for s, o in rows]


async def get_service(uow: UnitOfWork, service_id: uuid.UUID) -> ServiceRef:
    found = await list_services(uow, only=[service_id])
    if not found:
        raise NotFound(N_("There is no service with that ID"))
    return found[0]


async def require_member(uow: UnitOfWork, service_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Raises NotFound unless the user is on the service's team (the same answer for no such user)."""
    if await uow.session.get(ServiceMembership, (user_id, service_id)) is None:
        raise NotFound(N_("That person is not on this service's team"))
