"""Demo data for `make run`: one public body, one service, one staff user who can sign in.

Seeded once: a second run finds the organisation and leaves everything as it is.
The demo user's password and TOTP secret are kept in var/demo-credentials.json
(owner-only) so every run can print how to sign in; a real deployment never
runs `govplatform demo`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from sqlalchemy import select

from govplatform.core.crypto import FieldCipher, random_token
from govplatform.core.interfaces import Actor, Role
from govplatform.core.models import Organisation
from govplatform.core.services import staff, tenancy
from govplatform.core.unit_of_work import UnitOfWork

DEMO_ORGANISATION = "Demo Borough Council"
DEMO_SERVICE = "Apply for a resident parking permit"
DEMO_EMAIL = "demo@example.gov.uk"
CREDENTIALS_FILE = "demo-credentials.json"


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
