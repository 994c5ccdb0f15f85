"""Client authentication at /token: private_key_jwt (RFC 7523, OpenID Connect Core 9) and client_secret_post.

The checks run in this order, and it matters: the algorithm is checked against the header before any key is
chosen, so `alg: none`, HMAC signed with the client's public key, and every other algorithm confusion fail
before verification (RSA only, as One Login: no ES256 for client assertions); the client is found from the
unverified `sub` only to pick its key; every claim is checked only after the signature; and the jti is
recorded last, in the exchange's own unit of work (`record_jti`), so a forged assertion cannot use up a jti.
As One Login and authlib's PrivateKeyJWT: `aud` may be the token endpoint or the issuer, `kid` is optional
with a static key, and an assertion may live an hour.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from govplatform.core.interfaces import UnitOfWork, constant_time_equal, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.errors import OAuthError
from govplatform.identity.profile import CLIENT_ASSERTION_ALGS
from govplatform.identity.services import token_store
from govplatform.identity.services.clients import secret_hash

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_LIFETIME = 3600  # seconds from iat to exp: what authlib sends
LEEWAY = 30  # seconds of clock difference allowed
MAX_ASSERTION = 8192


@dataclasses.dataclass(frozen=True)
class AuthenticatedClient:
    client_id: str
    sector: str
    id_token_alg: str
    jti: str | None = None  # a checked assertion's jti, recorded by `record_jti` in the exchange's unit of work
    jti_expires: dt.datetime | None = None


async def record_jti(uow: UnitOfWork, client: AuthenticatedClient) -> None:
    """Record the assertion's jti; invalid_client if the client used it before (RFC 7523 section 3, point 7)."""
    if client.jti is None or client.jti_expires is None:
        return
    if not await token_store.use_jti(uow, client.client_id, client.jti, client.jti_expires):
        raise _invalid("Client assertion jti has been used before")


def _invalid(description: str) -> OAuthError:
    return OAuthError("invalid_client", description)


async def authenticate(uow: UnitOfWork, identity: IdentityComponent, form: Mapping[str, str]) -> AuthenticatedClient:
    """Who the client is, checked without writing anything: call it in a read-only unit of work, since a
    JWKS URL may be fetched on the way (up to 5 s) and no transaction should be held open meanwhile."""
    if "client_assertion" in form or "client_assertion_type" in form:
        return await _private_key_jwt(uow, identity, form)
    if "client_secret" in form:
        return await _client_secret_post(uow, identity, form)
    raise OAuthError("invalid_request", "Request is missing client authentication")


def _usable(row: Any) -> None:
    if not row.active:
        raise OAuthError("unauthorized_client", "client deactivated")


async def _client_secret_post(
    uow: UnitOfWork, identity: IdentityComponent, form: Mapping[str, str]
) -> AuthenticatedClient:
    client_id = form.get("client_id", "")
    known = client_id and len(client_id) <= 64 and client_id.isprintable()
    row = await token_store.client(uow, client_id) if known else None
    presented = secret_hash(identity.hash_secret, form.get("client_secret", ""))
    if row is None or row.client_secret_hash is None or row.token_auth_method != "client_secret_post":
        raise _invalid("Client authentication failed")
    if not constant_time_equal(presented, row.client_secret_hash):
        raise _invalid("Client authentication failed")
    _usable(row)
    return AuthenticatedClient(row.client_id, row.sector, row.id_token_alg)


def _unverified(assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if len(assertion) > MAX_ASSERTION:
        raise _invalid("Invalid client assertion")
    try:
        compact = jws.extract_compact(assertion.encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeDecodeError):
        raise _invalid("Invalid client assertion") from None
    if not isinstance(claims, dict):
        raise _invalid("Invalid client assertion")
    return dict(compact.headers()), claims


async def _private_key_jwt(
    uow: UnitOfWork, identity: IdentityComponent, form: Mapping[str, str]
) -> AuthenticatedClient:
    if form.get("client_assertion_type") != JWT_BEARER or not form.get("client_assertion"):
        raise OAuthError("invalid_request", "Invalid client_assertion_type or missing client_assertion")
    assertion = form["client_assertion"]
    header, claims = _unverified(assertion)
    alg = header.get("alg")
    if alg not in CLIENT_ASSERTION_ALGS:
        raise _invalid("Client assertion must be signed with RS256, RS384, RS512, PS256, PS384 or PS512")
    client_id = claims.get("sub")
    if not isinstance(client_id, str) or not client_id or len(client_id) > 64 or not client_id.isprintable():
        raise _invalid("Client assertion has no sub")
    if "client_id" in form and form["client_id"] != client_id:
        raise _invalid("client_id does not match the client assertion's sub")
    row = await token_store.client(uow, client_id)
    if row is None or row.token_auth_method != "private_key_jwt":
        raise _invalid("Client authentication failed")
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    key = await identity.client_keys.key_for(row.client_id, row.public_key_pem, row.jwks_url, kid)
    try:
        jws.deserialize_compact(assertion, key, algorithms=[alg])
    except (JoseError, ValueError):
        raise _invalid("Client assertion signature is not valid") from None
    expires = _check_claims(identity, claims, client_id)
    _usable(row)
    return AuthenticatedClient(row.client_id, row.sector, row.id_token_alg, claims["jti"], expires)


def _number(claims: dict[str, Any], name: str) -> int | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid(f"Client assertion {name} is not a number")
    return int(value)


def _check_claims(identity: IdentityComponent, claims: dict[str, Any], client_id: str) -> dt.datetime:
    """The checked assertion's expiry (to keep its jti until then), or OAuthError."""
    if claims.get("iss") != client_id:
        raise _invalid("Client assertion iss must equal its sub, the client_id")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if not any(item in (identity.token_endpoint, identity.issuer) for item in audiences):
        raise _invalid("Client assertion aud must be the token endpoint")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 255 or not jti.isprintable():
        raise _invalid("Client assertion has no jti")
    now = int(utcnow().timestamp())
    exp, iat, nbf = _number(claims, "exp"), _number(claims, "iat"), _number(claims, "nbf")
    if exp is None:
        raise _invalid("Client assertion has no exp")
    if exp <= now - LEEWAY:
        raise _invalid("Client assertion has expired")
    if exp > now + MAX_LIFETIME + LEEWAY or (iat is not None and exp - iat > MAX_LIFETIME):
        raise _invalid("Client assertion lives longer than an hour")
    if (iat is not None and iat > now + LEEWAY) or (nbf is not None and nbf > now + LEEWAY):
        raise _invalid("Client assertion is not valid yet")
    return dt.datetime.fromtimestamp(exp + LEEWAY, dt.UTC)
