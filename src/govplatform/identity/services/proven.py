"""The identity a citizen proved, kept with their account: the level, and sealed, what was proved.

A proof is recorded only from scored evidence (proofing/scoring.py): the level stored is the one the evidence
meets, never one asked for, so nothing is signed that was not proved. Each document that proved an identity is
bound to that one account by a keyed hash of its kind and number (`identity_document_bindings`); the same
passport or licence offered for a second account is refused, as One Login refuses a document already used.
Proving again replaces the previous proof (and its bindings). Deleting the account deletes both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy import delete, select

from govplatform.core.interfaces import N_, UnitOfWork, UserFacingError, keyed_hash, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import DocumentBinding, ProvenIdentity
from govplatform.identity.proofing.gpg45 import Evidence, IdentityScores, one_login_level

IN_USE = N_("This document has already been used to prove the identity of another account")


class DocumentInUse(UserFacingError):
    """The document proved another account's identity; nothing was recorded."""


@dataclasses.dataclass(frozen=True)
class Proved:
    """What a proof established. Dates are ISO strings in the vocabulary's shapes (YYYY-MM-DD)."""

    level: str
    route: str
    given_names: str
    family_name: str
    birth_date: dt.date
    evidence: tuple[Evidence, ...]
    scores: IdentityScores
    passport: dict[str, str] | None = None  # documentNumber, icaoIssuerCode, expiryDate
    driving_permit: dict[str, str] | None = None  # personalNumber, expiryDate, issueNumber, issuedBy
    address: dict[str, str] | None = None

    def as_json(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["birth_date"] = self.birth_date.isoformat()
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> Proved:
        values = dict(values)
        values["birth_date"] = dt.date.fromisoformat(values["birth_date"])
        values["evidence"] = tuple(Evidence(**piece) for piece in values["evidence"])
        values["scores"] = IdentityScores(**values["scores"])
        return cls(**values)

    def documents(self) -> list[tuple[str, str]]:
        found = []
        if self.passport:
            found.append(("uk_passport", self.passport["documentNumber"]))
        if self.driving_permit:
            found.append(("uk_photocard_driving_licence", self.driving_permit["personalNumber"]))
        return found


def binding(identity: IdentityComponent, kind: str, number: str) -> str:
    return keyed_hash(identity.hash_secret, f"{kind}:{number.upper()}", "identity-document")


async def record(uow: UnitOfWork, identity: IdentityComponent, citizen_id: uuid.UUID, proved: Proved) -> None:
    """Keep a proof for the account; raises DocumentInUse, or ValueError if its level is not the one its own
    evidence meets (a bug, never the citizen's doing). The caller commits."""
    if proved.level != one_login_level(proved.evidence, proved.scores) or proved.level == "P0":
        raise ValueError("a proof's level must be the one its evidence meets, and above P0")
    hashes = [binding(identity, kind, number) for kind, number in proved.documents()]
    if hashes:
        taken = await uow.session.scalars(
            select(DocumentBinding.citizen_id).where(DocumentBinding.document_hash.in_(hashes))
        )
        if any(owner != citizen_id for owner in taken):
            raise DocumentInUse(IN_USE)
    await forget(uow, citizen_id)
    await uow.session.flush()
    uow.session.add_all(DocumentBinding(document_hash=hashed, citizen_id=citizen_id) for hashed in hashes)
    sealed = identity.box.encrypt_text(json.dumps(proved.as_json()), str(citizen_id))
    uow.session.add(
        ProvenIdentity(
            citizen_id=citizen_id, level=proved.level, route=proved.route, proved_encrypted=sealed, proven_at=utcnow()
        )
    )


async def find(uow: UnitOfWork, identity: IdentityComponent, citizen_id: uuid.UUID) -> Proved | None:
    row = await uow.session.get(ProvenIdentity, citizen_id)
    if row is None:
        return None
    return Proved.from_json(json.loads(identity.box.decrypt_text(row.proved_encrypted, str(citizen_id))))


async def level_of(uow: UnitOfWork, citizen_id: uuid.UUID) -> str:
    """The level the citizen proved, or P0."""
    row = await uow.session.get(ProvenIdentity, citizen_id)
    return row.level if row is not None else "P0"


async def forget(uow: UnitOfWork, citizen_id: uuid.UUID) -> None:
    """The proof and its document bindings go (proving again, or the account deleted). The caller commits."""
    await uow.session.execute(delete(ProvenIdentity).where(ProvenIdentity.citizen_id == citizen_id))
    await uow.session.execute(delete(DocumentBinding).where(DocumentBinding.citizen_id == citizen_id))
