"""Members' public keys: registered, listed and retired; the private halves stay with the members.

An organisation takes part in the exchange by registering a key (and, as a provider, declaring a dataset).
Several current keys may stand at once (one per system that asks, or old and new during a rotation); retiring
one stops it signing new requests from the moment it commits (queries read keys through a 2-second cache that
the retirement clears in every process: services/query_cache.py), and keeps it published so signatures it made
stay checkable. Every change is in core's audit log.
"""

from __future__ import annotations

import dataclasses
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from govplatform.core.interfaces import (
    N_,
    Actor,
    UnitOfWork,
    UserFacingError,
    find_organisations,
    record_audit,
    utcnow,
)
from govplatform.exchange.keys import KeyId, b64url, public_jwk, thumbprint, unb64url
from govplatform.exchange.models import MemberKey
from govplatform.exchange.services import changes

CURRENT, RETIRED = "current", "retired"


class MemberError(UserFacingError):
    """A key the exchange cannot register or retire as asked."""


@dataclasses.dataclass(frozen=True)
class MemberKeyView:
    key_id: str
    organisation_id: uuid.UUID
    kid: str
    public_key: str  # raw, base64url
    state: str
    created_at: str
    retired_at: str | None

    @property
    def jwk(self) -> dict[str, str]:
        return public_jwk(unb64url(self.public_key), self.key_id)


def _view(row: MemberKey) -> MemberKeyView:
    return MemberKeyView(
        str(KeyId(row.organisation_id, row.kid)),
        row.organisation_id,
        row.kid,
        row.public_key,
        row.state,
        row.created_at.isoformat(),
        row.retired_at.isoformat() if row.retired_at else None,
    )


async def register_key(uow: UnitOfWork, actor: Actor, organisation_id: uuid.UUID, raw_public: bytes) -> MemberKeyView:
    """Register an Ed25519 public key (its 32 raw bytes) as current for the organisation. The caller commits."""
    if len(raw_public) != 32:
        raise MemberError(N_("An Ed25519 public key is 32 bytes"))
    Ed25519PublicKey.from_public_bytes(raw_public)  # refuses what is not a key
    if not await find_organisations(uow, [organisation_id]):
        raise MemberError(N_("There is no organisation with that ID"))
    kid = thumbprint(raw_public)
    if await uow.session.get(MemberKey, (organisation_id, kid)) is not None:
        raise MemberError(N_("That key is already registered for this organisation"))
    row = MemberKey(
        organisation_id=organisation_id,
        kid=kid,
        public_key=b64url(raw_public),
        state=CURRENT,
        created_at=utcnow(),
        created_by=actor.label,
    )
    uow.session.add(row)
    view = _view(row)
    # the target is the thumbprint (a whole key id is longer than the audit log's target column)
    record_audit(
        uow,
        actor,
        "exchange.key_registered",
        "exchange_key",
        view.kid,
        key_id=view.key_id,
        organisation_id=str(view.organisation_id),
    )
    return view


async def retire_key(uow: UnitOfWork, actor: Actor, key_id: str) -> MemberKeyView:
    """Stop a key signing new requests; it stays published. The caller commits."""
    row = await _find(uow, key_id)
    if row is None:
        raise MemberError(N_("There is no registered key with that key ID"))
    if row.state == RETIRED:
        raise MemberError(N_("That key is already retired"))
    row.state, row.retired_at = RETIRED, utcnow()
    await changes.changed(uow)  # refused at once in every process
    view = _view(row)
    # the target is the thumbprint (a whole key id is longer than the audit log's target column)
    record_audit(
        uow,
        actor,
        "exchange.key_retired",
        "exchange_key",
        view.kid,
        key_id=view.key_id,
        organisation_id=str(view.organisation_id),
    )
    return view


async def _find(uow: UnitOfWork, key_id: str) -> MemberKey | None:
    try:
        parsed = KeyId.parse(key_id)
    except ValueError:
        return None
    if parsed.organisation_id is None:
        return None
    return await uow.session.get(MemberKey, (parsed.organisation_id, parsed.kid))


async def find_key(uow: UnitOfWork, key_id: str) -> MemberKeyView | None:
    row = await _find(uow, key_id)
    return _view(row) if row is not None else None


async def list_keys(uow: UnitOfWork, organisation_id: uuid.UUID | None = None) -> list[MemberKeyView]:
    query = select(MemberKey).order_by(MemberKey.organisation_id, MemberKey.created_at, MemberKey.kid)
    if organisation_id is not None:
        query = query.where(MemberKey.organisation_id == organisation_id)
    return [_view(row) for row in await uow.session.scalars(query)]
