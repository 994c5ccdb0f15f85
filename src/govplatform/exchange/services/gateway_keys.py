"""The gateway's own Ed25519 keys: made on first use, published before they sign, rotated by command.

The gateway key signs the member directory, every answer the exchange gives (for a record store, on the
provider's behalf, saying so), and requests the platform makes for its own services (issue 18 item 6). As
identity's ID token keys (identity/services/keys.py, ADR 0017), there is always one signing key and one
published "next" key, so a client that cached the directory already holds the key that signs after a
rotation. Unlike ID token keys, retired keys are never removed: an auditor checking an answer years later
still finds the key in the directory.

Private keys are AES-GCM encrypted under core's field cipher, the kid as associated data. Keys are read through
a short ReadCache (ADR 0009); a process may sign with the old key for up to `CACHE_SECONDS` after a rotation
elsewhere, which is safe because that key stays published.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from govplatform.core.interfaces import ReadCache, SecretBox, UnitOfWork, forget_after_change, utcnow
from govplatform.exchange.keys import KeyId, b64url, raw_public, thumbprint, unb64url
from govplatform.exchange.models import GatewayKey

CACHE_SECONDS = 30.0
NEXT, SIGNING, RETIRED = "next", "signing", "retired"


@dataclasses.dataclass(frozen=True)
class PublishedKey:
    key_id: str
    public_key: str  # raw, base64url
    state: str
    created_at: str
    retired_at: str | None


@dataclasses.dataclass(frozen=True)
class GatewayRing:
    """What is published and what signs, as read at one moment."""

    published: list[PublishedKey]
    key_id: str
    signer: Ed25519PrivateKey


def _new_row(box: SecretBox, state: str) -> GatewayKey:
    private = Ed25519PrivateKey.generate()
    raw = raw_public(private.public_key())
    kid = thumbprint(raw)
    secret = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    now = utcnow()
    return GatewayKey(
        kid=kid,
        state=state,
        public_key=b64url(raw),
        private_key_encrypted=box.encrypt_text(b64url(secret), kid),
        created_at=now,
        signing_since=now if state == SIGNING else None,
    )


class GatewayKeys:
    def __init__(self, box: SecretBox, uow: Callable[..., UnitOfWork], cache_seconds: float = CACHE_SECONDS) -> None:
        self._box = box
        self._uow = uow
        self._cache: ReadCache[str, GatewayRing] = ReadCache(ttl_seconds=cache_seconds, size=1)

    async def ring(self) -> GatewayRing:
        """The published keys and the one that signs, making the first pair if there is none.

        Read in units of work of its own (call it before opening a writing one: SQLite has one writer).
        """
        return await self._cache.get("ring", self._read)

    async def _read(self) -> GatewayRing:
        rows = await self._rows()
        if not any(row.state == SIGNING for row in rows):
            async with self._uow() as own:
                await self._make_first(own)
                await own.commit()
            rows = await self._rows()
        signing = [row for row in rows if row.state == SIGNING][-1]  # two processes made keys at once: the newest
        secret = self._box.decrypt_text(signing.private_key_encrypted, signing.kid)
        signer = Ed25519PrivateKey.from_private_bytes(unb64url(secret))
        return GatewayRing([_published(row) for row in rows], str(KeyId(None, signing.kid)), signer)

    async def _rows(self) -> list[GatewayKey]:
        async with self._uow(read_only=True) as uow:
            query = select(GatewayKey).order_by(GatewayKey.created_at, GatewayKey.kid)
            return list(await uow.session.scalars(query))

    async def _make_first(self, uow: UnitOfWork) -> None:
        rows = list(await uow.session.scalars(select(GatewayKey)))
        if not any(row.state == SIGNING for row in rows):
            uow.session.add(await asyncio.to_thread(_new_row, self._box, SIGNING))
        if not any(row.state == NEXT for row in rows):
            uow.session.add(await asyncio.to_thread(_new_row, self._box, NEXT))

    async def rotate(self, uow: UnitOfWork) -> str:
        """Retire the signing key (it stays published), promote the next key, publish a new next key.

        Returns the new signing key's id. The caller commits.
        """
        await self._make_first(uow)
        await uow.session.flush()
        now = utcnow()
        rows = list(await uow.session.scalars(select(GatewayKey).order_by(GatewayKey.created_at)))
        for row in rows:
            if row.state == SIGNING:
                row.state, row.retired_at = RETIRED, now
        waiting = [row for row in rows if row.state == NEXT][-1]
        waiting.state, waiting.signing_since = SIGNING, now
        uow.session.add(await asyncio.to_thread(_new_row, self._box, NEXT))
        forget_after_change(uow, lambda: self._cache.forget("ring"))
        return str(KeyId(None, waiting.kid))


def _published(row: GatewayKey) -> PublishedKey:
    return PublishedKey(
        str(KeyId(None, row.kid)),
        row.public_key,
        row.state,
        row.created_at.isoformat(),
        row.retired_at.isoformat() if row.retired_at else None,
    )
