"""The token exchange (OpenID Connect Core 3.1.3): a code for an ID token and an access token.

The order is One Login's: the grant type, the client's authentication (client_auth.py), then the code. A code
is checked fully (this client's, this redirect URI, not expired, the PKCE verifier) before it is used up, so a
request that fails changes nothing; it is then claimed by one conditional UPDATE, so of two exchanges at once
only one wins. A code presented again, by the client it was issued to, revokes the tokens issued with it
(RFC 6749 section 4.1.2). Every failure is `invalid_grant` with status 400, as One Login answers.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from joserfc import jwt

from govplatform.core.interfaces import UnitOfWork, constant_time_equal, keyed_hash, random_token, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.errors import OAuthError
from govplatform.identity.services import token_store
from govplatform.identity.services.client_auth import AuthenticatedClient, record_jti
from govplatform.identity.services.subjects import pairwise_subject

ID_TOKEN_SECONDS = 120
ACCESS_TOKEN_SECONDS = 180
CODE_PURPOSE = "identity-code"
TOKEN_PURPOSE = "identity-access-token"
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 section 4.1


def code_hash(identity: IdentityComponent, code: str) -> str:
    return keyed_hash(identity.hash_secret, code, CODE_PURPOSE)


def token_hash(identity: IdentityComponent, token: str) -> str:
    return keyed_hash(identity.hash_secret, token, TOKEN_PURPOSE)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def at_hash(access_token: str) -> str:
    """OpenID Connect Core 3.1.3.6: the left half of the SHA-256 of the token (ES256 and RS256 both use it)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


@dataclasses.dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str

    def body(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_SECONDS,
            "id_token": self.id_token,
        }


def _grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def _check_pkce(challenge: str | None, verifier: str | None) -> None:
    if challenge is None:
        if verifier is not None:
            raise _grant("PKCE code_verifier sent but the authorisation request had no code_challenge")
        return
    if verifier is None or not _VERIFIER.match(verifier) or not constant_time_equal(s256(verifier), challenge):
        raise _grant("PKCE code_verifier is missing or does not match the code_challenge")


def check_grant(form: Mapping[str, str]) -> tuple[str, str]:
    """The code and redirect URI of an authorization_code grant, or OAuthError (checked before the client)."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "Request is missing grant_type parameter")
    if grant_type != "authorization_code":
        raise OAuthError("unsupported_grant_type", "Unsupported grant type")
    code, redirect_uri = form.get("code"), form.get("redirect_uri")
    if not code or not redirect_uri:
        raise OAuthError("invalid_request", "Request is missing code or redirect_uri parameter")
    return code, redirect_uri


async def exchange(
    uow: UnitOfWork, identity: IdentityComponent, form: Mapping[str, str], client: AuthenticatedClient
) -> Tokens:
    """Issue the tokens to an authenticated client (client_auth.authenticate); raises OAuthError. The caller
    commits in either case (a replayed code's revocation and a used jti are kept)."""
    code, redirect_uri = check_grant(form)
    ring = await identity.signing_keys.ring()
    await record_jti(uow, client)
    hashed = code_hash(identity, code[:200])
    row = await token_store.code(uow, hashed)
    now = utcnow()
    if row is None or row.client_id != client.client_id:
        raise _grant("Invalid authorisation code")
    if row.used_at is not None:
        await token_store.revoke_tokens(uow, hashed)
        raise _grant("Invalid authorisation code: it has been used before; tokens issued with it are revoked")
    if row.expires_at <= now:
        raise _grant("Invalid authorisation code: it has expired")
    if row.redirect_uri != redirect_uri:
        raise _grant("Redirect URI does not match the authorisation request's")
    _check_pkce(row.code_challenge, form.get("code_verifier"))
    if not await token_store.claim_code(uow, hashed, now):
        await token_store.revoke_tokens(uow, hashed)
        raise _grant("Invalid authorisation code: it has been used before; tokens issued with it are revoked")
    salt = await token_store.subject_salt(uow, row.citizen_id)
    if salt is None:  # the account was deleted since the code was issued
        raise _grant("Invalid authorisation code")
    subject = pairwise_subject(client.sector, row.citizen_id, salt)
    access = random_token(32)
    await token_store.add_access_token(
        uow,
        token_hash=token_hash(identity, access),
        code_hash=hashed,
        client_id=client.client_id,
        citizen_id=row.citizen_id,
        subject=subject,
        scopes=row.scopes,
        claims=row.claims,
        level=row.level,
        return_code=row.return_code,
        expires_at=now + dt.timedelta(seconds=ACCESS_TOKEN_SECONDS),
        revoked=False,
    )
    issued = int(now.timestamp())
    claims = {
        "iss": identity.issuer,
        "sub": subject,
        "aud": client.client_id,
        "iat": issued,
        "exp": issued + ID_TOKEN_SECONDS,
        "nonce": row.nonce,
        "auth_time": int(row.auth_time.timestamp()),
        "at_hash": at_hash(access),
        "vot": row.credential,
        "vtm": identity.trustmark_url,
        "sid": row.sid,
    }
    kid, key = ring.signers[client.id_token_alg]
    header = {"alg": client.id_token_alg, "kid": kid, "typ": "JWT"}
    return Tokens(access, jwt.encode(header, claims, key, algorithms=[client.id_token_alg]))
