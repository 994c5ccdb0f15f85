"""The token exchange's database work, in prebuilt Core statements run on the unit of work's connection.

Kept apart from the exchange's rules (token_exchange.py), on the unit of work's data path
(`uow.execute`: Core on its own connection, without the ORM session's per-statement work; ADR 0015).
Each function is one round trip; the statements are built once, at import, with bound parameters
(DESIGN.md, "Hot paths"). Nothing in the exchange adds ORM objects before these run, so the session's
autoflush that `uow.execute` skips has nothing to flush.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from govplatform.core.interfaces import UnitOfWork
from govplatform.identity.models import AccessToken, AuthorisationCode, Citizen, RelyingParty, UsedAssertion

_clients = cast(Table, RelyingParty.__table__)
_codes = cast(Table, AuthorisationCode.__table__)
_tokens = cast(Table, AccessToken.__table__)
_citizens = cast(Table, Citizen.__table__)
_assertions = cast(Table, UsedAssertion.__table__)

CLIENT = select(
    _clients.c.client_id,
    _clients.c.active,
    _clients.c.token_auth_method,
    _clients.c.public_key_pem,
    _clients.c.jwks_url,
    _clients.c.client_secret_hash,
    _clients.c.sector,
    _clients.c.id_token_alg,
).where(_clients.c.client_id == bindparam("client_id"))

CODE = select(_codes).where(_codes.c.code_hash == bindparam("code_hash"))
CLAIM_CODE = (
    update(_codes)
    .where(_codes.c.code_hash == bindparam("hash"), _codes.c.used_at.is_(None))
    .values(used_at=bindparam("now"))
    .returning(_codes.c.code_hash)
)
REVOKE_TOKENS = update(_tokens).where(_tokens.c.code_hash == bindparam("hash")).values(revoked=True)
SUBJECT_SALT = select(_citizens.c.subject_salt).where(_citizens.c.id == bindparam("citizen_id"))
ADD_TOKEN = insert(_tokens)
TOKEN = (
    select(_tokens, _citizens.c.email, _citizens.c.email_verified, _citizens.c.phone_number)
    .join(_citizens, _citizens.c.id == _tokens.c.citizen_id)
    .where(_tokens.c.token_hash == bindparam("token_hash"))
)
_USE_JTI = {
    "postgresql": postgresql.insert(_assertions).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(_assertions).on_conflict_do_nothing(),
}


async def client(uow: UnitOfWork, client_id: str) -> Row[Any] | None:
    return (await uow.execute(CLIENT, {"client_id": client_id})).first()


async def code(uow: UnitOfWork, code_hash: str) -> Row[Any] | None:
    return (await uow.execute(CODE, {"code_hash": code_hash})).first()


async def claim_code(uow: UnitOfWork, code_hash: str, now: dt.datetime) -> bool:
    """Mark the code used; False if it already was (two exchanges at once: only one claims it)."""
    return (await uow.execute(CLAIM_CODE, {"hash": code_hash, "now": now})).first() is not None


async def revoke_tokens(uow: UnitOfWork, code_hash: str) -> None:
    await uow.execute(REVOKE_TOKENS, {"hash": code_hash})


async def use_jti(uow: UnitOfWork, client_id: str, jti: str, expires_at: dt.datetime) -> bool:
    """Record a client assertion's jti; False if the client used it before (RFC 7523 section 3, point 7)."""
    statement = _USE_JTI[uow.session.get_bind().dialect.name]
    result = await uow.execute(statement, {"client_id": client_id, "jti": jti, "expires_at": expires_at})
    return bool(getattr(result, "rowcount", 0))


async def subject_salt(uow: UnitOfWork, citizen_id: uuid.UUID) -> str | None:
    return (await uow.execute(SUBJECT_SALT, {"citizen_id": citizen_id})).scalar()


async def add_access_token(uow: UnitOfWork, **values: Any) -> None:
    await uow.execute(ADD_TOKEN, values)


async def access_token(uow: UnitOfWork, token_hash: str) -> Row[Any] | None:
    return (await uow.execute(TOKEN, {"token_hash": token_hash})).first()
