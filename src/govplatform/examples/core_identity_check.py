"""How a service checks the coreIdentityJWT it gets from /userinfo before it believes who someone is: what
One Login asks of its relying parties, against the platform's provider over HTTP, importing nothing from it.

The checks run in this order, and the order matters: the header names the key, the key must be one the
provider publishes in its DID document (at `{base}/.well-known/did.json`, read directly, as One Login says,
never through a generic DID resolver), the signature is verified over the bytes as received before any claim
is read, and only then are the claims believed: `iss` the provider's, `aud` this service's client id, `sub` the
same subject as the ID token and userinfo, the credential current (`nbf`, `exp`), `vot` at least the level the
service asked for, and `vc` an identity credential naming someone with a birth date. Each refusal says which
check failed (`CredentialRefused.reason`), so a service can log it and tell the person to try again.

The DID document is kept for its `Cache-Control: max-age`, as One Login's own relying-party stub keeps it; a
kid not found in a kept copy fetches it again, at most once a minute, since keys are published before they
sign. A key that rotation has removed from the document verifies nothing once the kept copy is renewed, within
the hour its max-age allows, as for every relying party of One Login.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey

LEVELS = ("P1", "P2", "P3", "P4")  # One Login's levels of confidence, lowest first
CREDENTIAL_TYPES = {"IdentityCheckCredential", "VerifiableIdentityCredential"}  # live, and the docs' example
LEEWAY_SECONDS = 30
REFETCH_AFTER_SECONDS = 60


class CredentialRefused(Exception):
    """The coreIdentityJWT must not be believed; `reason` says which check it failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class VerifiedIdentity:
    """Who the provider vouches for, once every check has passed: the current name and the first birth date."""

    sub: str
    level: str
    given_names: str
    family_name: str
    birth_date: dt.date


def did_for(base_url: str) -> str:
    """The provider's did:web identifier: its host, a port's colon written %3A (W3C did:web)."""
    host = base_url.split("://", 1)[-1].split("/", 1)[0]
    return "did:web:" + host.replace(":", "%3A")


class CoreIdentityCheck:
    """One provider's credentials, checked for one service (its client id)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.issuer = self.base_url + "/"  # One Login's issuers end in a slash; `iss` must match exactly
        self.did = did_for(self.base_url)
        self.did_url = self.base_url + "/.well-known/did.json"
        self.client_id = client_id
        self._transport = transport
        self._clock = clock
        self._document: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._keep_until = 0.0

    async def verify(self, credential: str, subject: str, level: str = "P2") -> VerifiedIdentity:
        """Raises CredentialRefused unless every check passes. `subject` is the ID token's `sub`, and `level`
        the lowest one the service asked for."""
        try:
            header = jws.extract_compact(credential.encode()).headers()
        except (JoseError, ValueError, TypeError, UnicodeError):
            raise CredentialRefused("not a signed credential") from None
        if header.get("alg") != "ES256":
            raise CredentialRefused("not signed with ES256")
        kid = header.get("kid")
        if not isinstance(kid, str) or "#" not in kid:
            raise CredentialRefused("names no DID key")
        if kid.split("#", 1)[0] != self.did:
            raise CredentialRefused("signed by a key of another provider")
        key = await self._key(kid)
        try:
            payload = jws.deserialize_compact(credential, key, algorithms=["ES256"]).payload
        except BadSignatureError:
            raise CredentialRefused("signature does not verify") from None
        except (JoseError, ValueError):
            raise CredentialRefused("not a signed credential") from None
        try:
            claims = json.loads(payload)
        except ValueError:
            claims = None
        if not isinstance(claims, dict):
            raise CredentialRefused("its payload is not a set of claims")
        return self._believe(claims, subject, level)

    def _believe(self, claims: dict[str, Any], subject: str, level: str) -> VerifiedIdentity:
        now = self._clock()
        if claims.get("iss") != self.issuer:
            raise CredentialRefused("issued by another provider")
        audience = claims.get("aud")
        if audience != self.client_id and not (isinstance(audience, list) and self.client_id in audience):
            raise CredentialRefused("credential is for another service")
        if claims.get("sub") != subject:
            raise CredentialRefused("credential is for another subject")
        expires, not_before = claims.get("exp"), claims.get("nbf")
        if not isinstance(expires, int | float) or now > expires + LEEWAY_SECONDS:
            raise CredentialRefused("credential has expired")
        if not_before is not None and (not isinstance(not_before, int | float) or now < not_before - LEEWAY_SECONDS):
            raise CredentialRefused("credential is not valid yet")
        vot = claims.get("vot")
        if vot not in LEVELS or LEVELS.index(vot) < LEVELS.index(level):
            raise CredentialRefused("credential is below the level asked for")
        return VerifiedIdentity(subject, str(vot), *_person(claims.get("vc")))

    async def _key(self, kid: str) -> ECKey:
        method = _method(await self._did_document(), kid)
        if method is None and self._clock() - self._fetched_at >= REFETCH_AFTER_SECONDS:
            method = _method(await self._did_document(again=True), kid)
        if method is None:
            raise CredentialRefused("signed by a key not in the provider's DID document")
        if method.get("controller") != self.did:
            raise CredentialRefused("the DID document's key is controlled by another DID")
        jwk = method.get("publicKeyJwk")
        if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            raise CredentialRefused("the DID document's key is not a P-256 key")
        try:
            return ECKey.import_key(jwk)
        except (JoseError, ValueError, TypeError):
            raise CredentialRefused("the DID document's key cannot be read") from None

    async def _did_document(self, *, again: bool = False) -> dict[str, Any]:
        now = self._clock()
        if self._document is not None and not again and now < self._keep_until:
            return self._document
        try:
            async with httpx.AsyncClient(timeout=10.0, transport=self._transport) as http:
                answer = await http.get(self.did_url)
            document = answer.json() if answer.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            document = None
        if not isinstance(document, dict) or document.get("id") != self.did:
            raise CredentialRefused("the provider's DID document cannot be read")
        found = re.search(r"max-age=(\d+)", answer.headers.get("cache-control", ""))
        self._document, self._fetched_at = document, now
        self._keep_until = now + (int(found.group(1)) if found else 0)
        return document


def _method(document: dict[str, Any], kid: str) -> dict[str, Any] | None:
    """The assertion method named by the kid: ids written in full (ours, the simulator's) or as the fragment
    alone (One Login's own document)."""
    methods = document.get("assertionMethod")
    fragment = kid.split("#", 1)[1]
    for method in methods if isinstance(methods, list) else []:
        if isinstance(method, dict) and method.get("id") in (kid, fragment, "#" + fragment):
            return method
    return None


def _person(vc: Any) -> tuple[str, str, dt.date]:
    """The current name (the first without `validUntil`) and the first birth date, best first as One Login
    lists them."""
    types = vc.get("type") if isinstance(vc, dict) else None
    if not isinstance(types, list) or not CREDENTIAL_TYPES & {kind for kind in types if isinstance(kind, str)}:
        raise CredentialRefused("not an identity credential")
    subject = vc.get("credentialSubject")
    names = subject.get("name") if isinstance(subject, dict) else None
    births: Any = subject.get("birthDate") if isinstance(subject, dict) else None
    current = [name for name in names or [] if isinstance(name, dict) and not name.get("validUntil")]
    found = current[0].get("nameParts") if current else None
    parts = [part for part in found if isinstance(part, dict)] if isinstance(found, list) else []
    if not parts:
        raise CredentialRefused("the credential names no one")
    given = " ".join(str(part.get("value")) for part in parts if part.get("type") == "GivenName")
    family = " ".join(str(part.get("value")) for part in parts if part.get("type") == "FamilyName")
    try:
        born = dt.date.fromisoformat(births[0]["value"])
    except (TypeError, KeyError, IndexError, ValueError):
        raise CredentialRefused("the credential gives no birth date") from None
    return given, family, born
