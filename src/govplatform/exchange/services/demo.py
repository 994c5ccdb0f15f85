"""The demo's exchange for `make run`: a vehicle licensing agency with a dataset of fictional keepers, an active
agreement with the demo council for resident parking permits, and the council's own exchange key.

Seeded once by `govplatform demo` (processes.py), through the same services and approvals any body would go
through: the dataset is declared and its records loaded under the parse limits, and the agreement is drafted,
approved by the agency's data owner and signed off by its chief data officer. The council's private key is
written under var/ (owner-only), as `exchange key create` would write it on the council's own machine, so the
documented client (docs/examples/exchange_client.py) can ask the demo straight away. The keepers are invented;
the demo resident's licence number is among them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govplatform.core.interfaces import Actor, SecretBox, UnitOfWork
from govplatform.exchange.keys import private_pem, raw_public
from govplatform.exchange.services import agreements, datasets, members, record_store
from govplatform.exchange.services.agreements import AgreementView, Terms
from govplatform.exchange.services.datasets import DatasetView
from govplatform.transparency.interfaces import TransparencyLog

AGENCY = "Vehicle Licensing Agency (demo)"
DATASET = "Vehicle keepers"
PURPOSE = "resident-parking-permits"
KEY_FILE = "demo-council-exchange.pem"
SEED_FILE = "demo-exchange.json"
KEEPERS = Path(__file__).resolve().parent.parent / "data" / "demo_keepers.csv"
FIELDS = ["registration", "make", "colour"]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["registration", "make"],
    "properties": {
        "registration": {"type": "string", "maxLength": 8, "x-data-item": "vehicle-registration"},
        "make": {"type": "string", "maxLength": 40, "x-data-item": "vehicle-make", "x-personal": False},
        "model": {"type": "string", "maxLength": 40, "x-data-item": "vehicle-model", "x-personal": False},
        "colour": {"type": "string", "maxLength": 20, "x-data-item": "vehicle-colour"},
        "fuel_type": {
            "type": "string", "x-data-item": "vehicle-fuel-type", "x-personal": False,
            "enum": ["petrol", "diesel", "electricity", "hybrid"],
        },
    },
}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class DemoExchange:
    agency_id: str
    dataset_id: str
    agreement_id: str
    council_key_id: str
    council_key_file: str


async def seed_dataset(
    uow: UnitOfWork, actor: Actor, box: SecretBox, hash_secret: str, agency_id: uuid.UUID
) -> DatasetView:
    """The agency's dataset, declared and loaded from the fictional keepers (in the caller's unit of work)."""
    dataset = await datasets.declare(uow, actor, agency_id, DATASET, SCHEMA, ["driving-licence", "nino"])
    await uow.session.flush()
    await record_store.load(uow, actor, box, hash_secret, dataset.id, KEEPERS.name, KEEPERS.read_bytes())
    return dataset


async def seed_agreement(
    uow: UnitOfWork, actor: Actor, log: TransparencyLog, council_id: uuid.UUID, dataset_id: uuid.UUID,
    owner_email: str, officer_email: str,
) -> AgreementView:  # fmt: skip
    """The parking agreement, drafted for the council and taken through the agency's approvals."""
    terms = Terms(
        consumer_id=council_id, dataset_id=dataset_id, fields=FIELDS, purpose=PURPOSE, basis="public-task",
        description="Checking the vehicle of a resident who applies for a parking permit",
        retention="Kept with the permit, deleted a year after it ends", security="Encrypted at rest; staff use MFA",
        review_on=_next_year(), dpia_reference="DEMO-DPIA-001",
    )  # fmt: skip
    made = await agreements.draft(uow, actor, log, terms)
    await uow.session.flush()
    await agreements.approve(uow, log, made.id, owner_email)
    return await agreements.sign_off(uow, log, made.id, officer_email)


async def seed_council_key(uow: UnitOfWork, actor: Actor, council_id: uuid.UUID, var_dir: Path) -> tuple[str, Path]:
    """The council's key pair: the private half to var/ (owner-only), only the public half registered."""
    private = Ed25519PrivateKey.generate()
    path = _write_key(var_dir, private)
    registered = await members.register_key(uow, actor, council_id, raw_public(private.public_key()))
    return registered.key_id, path


def _write_key(var_dir: Path, private: Ed25519PrivateKey) -> Path:
    path = var_dir / KEY_FILE
    var_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_pem(private))
    return path


def save(var_dir: Path, seeded: DemoExchange) -> None:
    descriptor = os.open(var_dir / SEED_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(dataclasses.asdict(seeded), file)


def load(var_dir: Path) -> DemoExchange | None:
    try:
        return DemoExchange(**json.loads((var_dir / SEED_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _next_year() -> dt.date:
    return dt.date.today() + dt.timedelta(days=365)
