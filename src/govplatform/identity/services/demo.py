"""The demo resident for `make run`: a citizen account anyone trying the platform can sign in as.

Seeded once, like core's demo staff user (core/services/demo.py): the email is fixed, the password and the
authenticator secret are made here and kept in var/demo-resident.json (owner-only) so that every run can
print them again. A real deployment never runs `govplatform demo`.

The resident has proved their identity at P2 with a GB driving licence (recorded as the licence route would
record it: identity/proofing/command.py), whose number the demo's vehicle licensing agency holds in its
records, so the example service can fill in their vehicle through the exchange.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path

import pyotp

from govplatform.core.interfaces import Actor, UnitOfWork, random_token
from govplatform.identity.component import IdentityComponent
from govplatform.identity.proofing.command import command_proof
from govplatform.identity.services import citizens, proven

DEMO_RESIDENT_EMAIL = "resident@example.com"
RESIDENT_FILE = "demo-resident.json"
GIVEN_NAME, FAMILY_NAME, BORN = "Demo", "Resident", dt.date(1985, 4, 19)
DEMO_LICENCE = "RESID804195D99AB"  # DVLA's form for Demo Resident, born 19 April 1985


@dataclasses.dataclass(frozen=True)
class DemoResident:
    email: str
    password: str
    totp_secret: str


async def seed_resident(
    uow: UnitOfWork, actor: Actor, identity: IdentityComponent, var_dir: Path
) -> DemoResident | None:
    """The demo resident, made now if there is none; None if the account exists but its file is gone.

    The file is written before the caller commits: if the commit fails, the next run makes and saves it again.
    """
    saved = load_resident(var_dir)
    if saved is not None:
        return saved
    if await citizens.find_by_email(uow, DEMO_RESIDENT_EMAIL) is not None:
        return None
    resident = DemoResident(DEMO_RESIDENT_EMAIL, random_token(12), pyotp.random_base32())
    citizen = await citizens.create_citizen(
        uow,
        actor,
        identity.box,
        email=resident.email,
        password=resident.password,
        totp_secret=resident.totp_secret,
        given_name=GIVEN_NAME,
        family_name=FAMILY_NAME,
        birth_date=BORN,
    )
    proved = command_proof("P2", GIVEN_NAME, FAMILY_NAME, BORN, None, DEMO_LICENCE)
    await proven.record(uow, identity, citizen.id, proved)
    save_resident(var_dir, resident)
    return resident


def save_resident(var_dir: Path, resident: DemoResident) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(var_dir / RESIDENT_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(dataclasses.asdict(resident), handle)


def load_resident(var_dir: Path) -> DemoResident | None:
    try:
        value = json.loads((var_dir / RESIDENT_FILE).read_text())
        return DemoResident(str(value["email"]), str(value["password"]), str(value["totp_secret"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
