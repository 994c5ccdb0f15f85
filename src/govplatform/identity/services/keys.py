"""The provider's signing keys: made on first use, published before they sign, rotated by command.

Two sets, told apart by `purpose`: the ID token keys (ES256 and RS256, published in the JWKS) and the DID keys
that sign coreIdentityJWTs (ES256 only, published in /.well-known/did.json, as One Login keeps them apart so
an identity credential can never be passed off as an ID token or the other way round). Each set rotates alone.

Each algorithm (ES256 on P-256, RS256 on RSA 2048) always has one key that signs and one published "next"
key. `rotate` retires the signing key (it stays published, so tokens it signed still verify), promotes the
next key, which relying parties have had in their cached JWKS since the previous rotation, and publishes a
new next key; keys retired at the previous rotation are removed. The kid is the key's RFC 7638 thumbprint.
Private keys are PEM, AES-GCM encrypted under core's field cipher with the kid as associated data.

Keys are read through a short cache (ADR 0009's ReadCache): a process may sign with the old key for up to
`CACHE_SECONDS` after a rotation elsewhere, which is safe because that key is still published. If two
processes make the first keys at once, each algorithm has two signing keys for a moment; both are
published, and every process signs with the newest (docs/adr/0017-identity-provider.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import delete, select

from govplatform.core.interfaces import ReadCache, SecretBox, UnitOfWork, forget_after_change, utcnow
from govplatform.identity.models import SigningKey

ALGORITHMS = ("ES256", "RS256")
ID_TOKEN, CORE_IDENTITY = "id_token", "core_identity"
PURPOSE_ALGORITHMS = {ID_TOKEN: ALGORITHMS, CORE_IDENTITY: ("ES256",)}
CACHE_SECONDS = 30.0
NEXT, SIGNING, RETIRED = "next", "signing", "retired"


@dataclasses.dataclass(frozen=True)
class KeyRing:
    """What is published and what signs, as read at one moment."""

    published: list[dict[str, Any]]
    signers: dict[str, tuple[str, ECKey | RSAKey]]  # alg -> (kid, private key)


def _generate(alg: str) -> ECKey | RSAKey:
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters={"alg": alg, "use": "sig"}, auto_kid=True)
    return RSAKey.generate_key(2048, parameters={"alg": alg, "use": "sig"}, auto_kid=True)


def _row(box: SecretBox, alg: str, state: str, purpose: str) -> SigningKey:
    key = _generate(alg)
    kid = key.kid or key.thumbprint()
    public = key.as_dict(private=False)
    public.update({"kid": kid, "alg": alg, "use": "sig"})
    pem = key.as_pem(private=True).decode()
    now = utcnow()
    return SigningKey(
        kid=kid,
        alg=alg,
        purpose=purpose,
        state=state,
        public_jwk=public,
        private_key_encrypted=box.encrypt_text(pem, kid),
        created_at=now,
        signing_since=now if state == SIGNING else None,
    )


class SigningKeys:
    def __init__(
        self,
        box: SecretBox,
        uow: Callable[..., UnitOfWork],
        cache_seconds: float = CACHE_SECONDS,
        purpose: str = ID_TOKEN,
    ) -> None:
        self._box = box
        self._uow = uow
        self.purpose = purpose
        self._algorithms = PURPOSE_ALGORITHMS[purpose]
        self._cache: ReadCache[str, KeyRing] = ReadCache(ttl_seconds=cache_seconds, size=1)

    async def ring(self) -> KeyRing:
        """The published keys and the signing key of each algorithm, making the first keys if there are none.

        Read in units of work of its own (call it before opening a writing one: SQLite has one writer), and
        made in one that commits before anything signs, so no token is signed with a key never published.
        """
        return await self._cache.get("ring", self._read)

    async def _read(self) -> KeyRing:
        rows = await self._rows()
        if not {row.alg for row in rows if row.state == SIGNING} >= set(self._algorithms):
            async with self._uow() as own:
                await self._make_first(own)
                await own.commit()
            rows = await self._rows()
        signers: dict[str, tuple[str, ECKey | RSAKey]] = {}
        for row in rows:  # oldest first: the newest signing key of each algorithm wins
            if row.state == SIGNING:
                signers[row.alg] = (row.kid, await asyncio.to_thread(self._private, row))
        return KeyRing([dict(row.public_jwk) for row in rows], signers)

    async def _rows(self) -> list[SigningKey]:
        async with self._uow(read_only=True) as uow:
            mine = select(SigningKey).where(SigningKey.purpose == self.purpose)
            return list(await uow.session.scalars(mine.order_by(SigningKey.created_at, SigningKey.kid)))

    def _private(self, row: SigningKey) -> ECKey | RSAKey:
        pem = self._box.decrypt_text(row.private_key_encrypted, row.kid)
        key_type = ECKey if row.alg == "ES256" else RSAKey
        return key_type.import_key(pem, parameters={"kid": row.kid, "alg": row.alg})

    async def _make_first(self, uow: UnitOfWork) -> None:
        """The first keys of each algorithm that has none signing: one signing, one next."""
        rows = list(await uow.session.scalars(select(SigningKey).where(SigningKey.purpose == self.purpose)))
        made = []
        for alg in self._algorithms:
            if any(row.alg == alg and row.state == SIGNING for row in rows):
                continue
            made.append(await asyncio.to_thread(_row, self._box, alg, SIGNING, self.purpose))
            if not any(row.alg == alg and row.state == NEXT for row in rows):
                made.append(await asyncio.to_thread(_row, self._box, alg, NEXT, self.purpose))
        uow.session.add_all(made)

    async def rotate(self, uow: UnitOfWork) -> dict[str, str]:
        """Retire each algorithm's signing key, promote its next key and publish a new next key.

        Returns the new signing kid of each algorithm. The caller commits.
        """
        await self._make_first(uow)  # the first keys, if there were none
        await uow.session.flush()
        now = utcnow()
        mine = SigningKey.purpose == self.purpose
        await uow.session.execute(delete(SigningKey).where(mine, SigningKey.state == RETIRED))
        rows = list(await uow.session.scalars(select(SigningKey).where(mine).order_by(SigningKey.created_at)))
        promoted = {}
        for alg in self._algorithms:
            for row in rows:
                if row.alg == alg and row.state == SIGNING:
                    row.state, row.retired_at = RETIRED, now
            waiting = [row for row in rows if row.alg == alg and row.state == NEXT]
            if waiting:
                waiting[-1].state, waiting[-1].signing_since = SIGNING, now
                promoted[alg] = waiting[-1].kid
            else:  # no key was waiting (made by hand?): sign with a new one at once
                fresh = await asyncio.to_thread(_row, self._box, alg, SIGNING, self.purpose)
                uow.session.add(fresh)
                promoted[alg] = fresh.kid
            uow.session.add(await asyncio.to_thread(_row, self._box, alg, NEXT, self.purpose))
        forget_after_change(uow, lambda: self._cache.forget("ring"))
        return promoted
