"""Demo data for `make run`: one public body, one service, one staff user who can sign in.

Seeded once: a second run finds the organisation and leaves everything as it is.
The demo user's password and TOTP secret are kept in var/demo-credentials.json
(owner-only) so every run can print how to sign in; a real deployment never
runs `govplatform demo`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import uuid
from pathlib import Path

from sqlalchemy import select

from govplatform.core.crypto import FieldCipher, random_token
from govplatform.core.interfaces import Actor, Role
from govplatform.core.models import Organisation, Service, utcnow
from govplatform.core.services import staff, tenancy
from govplatform.core.unit_of_work import UnitOfWork

DEMO_ORGANISATION = "Demo Borough Council"
DEMO_SERVICE = "Apply for a resident parking permit"
DEMO_EMAIL = "demo@example.gov.uk"
CREDENTIALS_FILE = "demo-credentials.json"


@dataclasses.dataclass(frozen=True)
class DataUseExample:
    """The fields of the transparency log's DataUse; core cannot import that higher component."""

    organisation_id: uuid.UUID
    organisation_name: str
    service_id: uuid.UUID
    service_name: str
    data_items: tuple[str, ...]
    subject: str
    purpose: str
    legal_basis: str
    occurred_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str
    totp_secret: str
    organisation_id: str
    service_id: str


async def seed(uow: UnitOfWork, cipher: FieldCipher) -> DemoCredentials | None:
    """Seed the demo once: the new credentials, or None if the demo was already there."""
    existing = await uow.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
    if existing is not None:
        return None
    actor = Actor("cli", None, "govplatform demo")
    organisation = await tenancy.create_organisation(uow, actor, DEMO_ORGANISATION)
    await uow.session.flush()
    service = await tenancy.create_service(uow, actor, organisation.id, DEMO_SERVICE)
    password = random_token(12)
    user, secret = await staff.create_ready_user(uow, actor, cipher, DEMO_EMAIL, password, platform_admin=True)
    await uow.session.flush()
    await staff.set_role(uow, actor, service.id, user.id, Role.ADMIN)
    return DemoCredentials(DEMO_EMAIL, password, secret, str(organisation.id), str(service.id))


def save_credentials(var_dir: Path, credentials: DemoCredentials) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(var_dir / CREDENTIALS_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(dataclasses.asdict(credentials), handle)


def load_credentials(var_dir: Path) -> DemoCredentials | None:
    path = var_dir / CREDENTIALS_FILE
    return DemoCredentials(**json.loads(path.read_text())) if path.exists() else None


async def example_data_uses(uow: UnitOfWork) -> list[DataUseExample]:
    """Three plausible uses of a resident's data by the demo service, for the transparency log."""
    row = (
        await uow.session.execute(
            select(Organisation, Service)
            .join(Service, Service.organisation_id == Organisation.id)
            .where(Organisation.name == DEMO_ORGANISATION)
        )
    ).first()
    if row is None:
        return []
    organisation, service = row
    when = utcnow().replace(microsecond=0)
    basis = "UK GDPR Article 6(1)(e): a task in the public interest"

    def use(items: tuple[str, ...], subject: str, purpose: str) -> DataUseExample:
        return DataUseExample(
            organisation.id, organisation.name, service.id, service.name, items, subject, purpose, basis, when
        )

    return [
        use(("address",), "demo-resident-1", "Check the address is in a permit zone"),
        use(("vehicle registration",), "demo-resident-1", "Check the vehicle is registered to the applicant"),
        use(("name", "address"), "demo-resident-2", "Issue a parking permit"),
    ]
