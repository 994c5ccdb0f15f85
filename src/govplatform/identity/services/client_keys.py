"""The keys a relying party's client assertions are checked with: its static PEM, or its JWKS URL.

As One Login: a static key may be used with or without a `kid`; a JWKS key is chosen by the assertion's
`kid`, which is then required. A JWKS is fetched through core's outbound guard (so a URL leading to an
internal address is refused when it is fetched, whatever it resolved to when registered), answers within
5 seconds, and is kept for an hour; an unknown `kid` fetches it again at once, at most every 60 seconds,
so a relying party's own key rotation works without waiting.
"""

from __future__ import annotations

import json
import time
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from govplatform.core.interfaces import OutboundGuard, OutboundRefused, OutboundUnreachable, ReadCache
from govplatform.identity.errors import OAuthError

JWKS_SECONDS = 3600.0
REFETCH_SECONDS = 60.0
MAX_KEYS = 20


def _refused(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, 400)


class ClientKeys:
    def __init__(self, outbound: OutboundGuard) -> None:
        self._outbound = outbound
        self._static: ReadCache[str, RSAKey] = ReadCache(ttl_seconds=JWKS_SECONDS, size=1024)
        self._sets: ReadCache[str, list[RSAKey]] = ReadCache(ttl_seconds=JWKS_SECONDS, size=1024)
        self._fetched_at: dict[str, float] = {}

    async def key_for(
        self, client_id: str, public_key_pem: str | None, jwks_url: str | None, kid: str | None
    ) -> RSAKey:
        """The RSA key to check this client's assertion with, or OAuthError(invalid_client)."""
        if public_key_pem:
            pem = public_key_pem

            async def read_static() -> RSAKey:
                return RSAKey.import_key(pem)

            return await self._static.get(client_id + "\x00" + pem, read_static)
        if not jwks_url:
            raise _refused("Client has no public key")
        if not kid:
            raise _refused("Client assertion header has no kid, which a JWKS key needs")
        keys = await self._sets.get(jwks_url, lambda: self._fetch(jwks_url))
        found = [key for key in keys if key.kid == kid]
        last = self._fetched_at.get(jwks_url, 0.0)
        if not found and time.monotonic() - last >= REFETCH_SECONDS:
            keys = await self._sets.refresh(jwks_url, lambda: self._fetch(jwks_url))
            found = [key for key in keys if key.kid == kid]
        if not found:
            raise _refused("No key in the client's JWKS has the assertion's kid")
        return found[0]

    async def _fetch(self, url: str) -> list[RSAKey]:
        self._fetched_at[url] = time.monotonic()
        try:
            answer = await self._outbound.request("GET", url, headers={"Accept": "application/json"}, seconds=5.0)
        except OutboundRefused:
            raise _refused("The client's JWKS URL is not allowed") from None
        except OutboundUnreachable:
            raise _refused("The client's JWKS URL did not answer") from None
        if answer.status_code != 200:
            raise _refused("The client's JWKS URL did not answer with its keys")
        try:
            document: Any = json.loads(answer.body)
            entries = [entry for entry in document["keys"] if isinstance(entry, dict) and entry.get("kty") == "RSA"]
            keys = KeySet.import_key_set({"keys": entries[:MAX_KEYS]}).keys
        except (ValueError, KeyError, TypeError, JoseError):
            raise _refused("The client's JWKS is not a JSON Web Key Set") from None
        return [key for key in keys if isinstance(key, RSAKey)]
