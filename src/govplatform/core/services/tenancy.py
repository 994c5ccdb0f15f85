"""Organisations (public bodies) and their services."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from govplatform.core.interfaces import Actor, ServiceRef
from govplatform.core.models import Organisation, Service
from govplatform.core.services import audit
from govplatform.core.unit_of_work import UnitOfWork


class TenancyError(Exception):
    """A tenancy rule was broken; the message is safe to show to the user."""


class NotFound(TenancyError):
    pass


def _clean_name(name: str, what: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise TenancyError(f"Enter the {what} name")
    if len(name) > 255:
        raise TenancyError(f"The {what} name must be 255 characters or fewer")
    return name


async def create_organisation(uow: UnitOfWork, actor: Actor, name: str) -> Organisation:
    name = _clean_name(name, "organisation")
    exists = await uow.session.scalar(select(Organisation.id).where(func.lower(Organisation.name) == name.lower()))
    if exists:
        raise TenancyError(f"An organisation called {name} already exists")
    organisation = Organisation(id=uuid.uuid4(), name=name)
    uow.session.add(organisation)
    audit.record(uow, actor, "organisation.created", "organisation", organisation.id, name=name)
    return organisation


async def create_service(uow: UnitOfWork, actor: Actor, organisation_id: uuid.UUID, name: str) -> Service:
    name = _clean_name(name, "service")
    organisation = await uow.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound("There is no organisation with that ID")
    exists = await uow.session.scalar(
        select(Service.id).where(Service.organisation_id == organisation_id, func.lower(Service.name) == name.lower())
    )
    if exists:
        raise TenancyError(f"{organisation.name} already has a service called {name}")
    service = Service(id=uuid.uuid4(), organisation_id=organisation_id, name=name)
    uow.session.add(service)
    audit.record(uow, actor, "service.created", "service", service.id, service.id, name=name)
    return service


async def list_organisations(uow: UnitOfWork) -> list[Organisation]:
    return list((await uow.session.scalars(select(Organisation).order_by(Organisation.name))).all())


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
        raise NotFound("There is no service with that ID")
    return found[0]
