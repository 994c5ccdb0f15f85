"""The demo's exchange for `make run`: a vehicle licensing agency with a dataset of fictional keepers, an active
agreement with the demo council for resident parking permits, and the council's own exchange key; and the
agency's driving licences, with an agreement that lets the platform's identity proofing check a licence against
them (exchange/records_check.py).

Seeded once by `govplatform demo` (processes.py), through the same services and approvals any body would go
through: the dataset is declared and its records loaded under the parse limits, and the agreement is drafted,
approved by the agency's data owner and signed off by its chief data officer. The council's private key is
written under var/ (owner-only), as `exchange key create` would write it on the council's own machine, so the
documented client (docs/examples/exchange_client.py) can ask the demo straight away. The keepers and licences
are invented; the demo resident's licence number is among them, and the licences hold the sandbox's test
identity who proves with a licence (Bryn Howells, docs/identity-proofing.md), so proving him reads the agency's
record through the exchange.
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
from govplatform.exchange.records_check import PURPOSE as PROOFING_PURPOSE
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
LICENCES = "Driving licences"
LICENCE_FILE = Path(__file__).resolve().parent.parent / "data" / "demo_licences.csv"
LICENCE_FIELDS = ["given_names", "family_name", "birth_date", "expiry_date", "issue_number"]
LICENCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": LICENCE_FIELDS,
    "properties": {
        "given_names": {"type": "string", "maxLength": 100, "x-data-item": "given-names"},
        "family_name": {"type": "string", "maxLength": 100, "x-data-item": "family-name"},
        "birth_date": {"type": "string", "format": "date", "x-data-item": "date-of-birth"},
        "expiry_date": {"type": "string", "format": "date", "x-data-item": "driving-licence-expiry-date"},
        "issue_number": {"type": "string", "minLength": 2, "maxLength": 2,
                         "x-data-item": "driving-licence-issue-number"},
    },
}  # fmt: skip
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
    licences_id: str | None = None  # None in a demo seeded before the licences were (seeded on the next run)
    proofing_agreement_id: str | None = None


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


async def seed_licences(
    uow: UnitOfWork, actor: Actor, box: SecretBox, hash_secret: str, log: TransparencyLog, agency_id: uuid.UUID,
    platform_id: uuid.UUID, owner_email: str, officer_email: str,
) -> tuple[DatasetView, AgreementView]:  # fmt: skip
    """The agency's licences, loaded, and the agreement under which the platform's identity proofing checks a
    licence against them, taken through the agency's approvals (in the caller's unit of work); those already
    made, when a run stopped after making them or var/'s record of them was lost."""
    held = [found for found in await datasets.list_datasets(uow, agency_id) if found.name == LICENCES]
    dataset = held[0] if held else await datasets.declare(
        uow, actor, agency_id, LICENCES, LICENCE_SCHEMA, ["driving-licence"]
    )  # fmt: skip
    made_before = [view for view in await agreements.list_agreements(uow) if view.dataset.id == dataset.id]
    if made_before:
        return dataset, made_before[0]
    await uow.session.flush()
    if not held:
        await record_store.load(uow, actor, box, hash_secret, dataset.id, LICENCE_FILE.name, LICENCE_FILE.read_bytes())
    terms = Terms(
        consumer_id=platform_id, dataset_id=dataset.id, fields=LICENCE_FIELDS, purpose=PROOFING_PURPOSE,
        basis="public-task", description="Checking a driving licence that a person gives to prove their identity",
        retention="Only the check's outcome is kept, with the person's account",
        security="Encrypted at rest; asked only by the platform's identity service", review_on=_next_year(),
        dpia_reference="DEMO-DPIA-002",
    )  # fmt: skip
    made = await agreements.draft(uow, actor, log, terms)
    await uow.session.flush()
    await agreements.approve(uow, log, made.id, owner_email)
    return dataset, await agreements.sign_off(uow, log, made.id, officer_email)


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
