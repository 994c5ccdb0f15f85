"""Relying parties: a service's OpenID Connect clients, registered with One Login's client registry fields.

Rules checked when one is made, so that /authorize and /token can trust what is stored:
- redirect and post-logout URIs are absolute https URLs without a fragment (http only on a loopback host,
  for development), compared later by exact string (One Login's rule: no prefix or pattern matching);
- the client authenticates with private_key_jwt (an RSA public key as PEM, or a JWKS URL) or, for platforms
  One Login approves, client_secret_post; a client_secret_post client may not ask for identity (P0 only);
- the sector (whose host pairwise subjects are computed for) defaults to the redirect URIs' one host; with
  several hosts and no sector, One Login refuses the registration, and so do we.
The client secret is shown once and stored as a keyed hash (HMAC-SHA256 with the platform's hash secret):
it carries 256 random bits, so a slow password hash would add cost and no safety (DESIGN.md, API keys).
"""

from __future__ import annotations

import secrets
import uuid
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from govplatform.core.interfaces import (
    N_,
    Actor,
    ServiceDirectory,
    UnitOfWork,
    keyed_hash,
    random_token,
    record_audit,
)
from govplatform.identity.errors import IdentityError
from govplatform.identity.models import RelyingParty
from govplatform.identity.profile import USERINFO_CLAIMS
from govplatform.identity.services.subjects import sector_host
from govplatform.identity.services.vectors import LEVELS

SCOPES = ("openid", "email", "phone")
ID_TOKEN_ALGS = ("ES256", "RS256")
AUTH_METHODS = ("private_key_jwt", "client_secret_post")
LOOPBACK = ("localhost", "127.0.0.1", "::1")
SECRET_PURPOSE = "identity-client-secret"


def secret_hash(hash_secret: str, secret: str) -> str:
    return keyed_hash(hash_secret, secret, SECRET_PURPOSE)


def check_uri(uri: str, what: str) -> str:
    parts = urlsplit(uri)
    loopback_http = parts.scheme == "http" and parts.hostname in LOOPBACK
    if len(uri) > 2000 or not parts.hostname or parts.fragment or (parts.scheme != "https" and not loopback_http):
        raise IdentityError(
            N_("%(what)s must be a full https address without a fragment (http only on localhost): %(uri)s"),
            what=what,
            uri=uri[:200],
        )
    return uri


def check_public_key(pem: str) -> str:
    try:
        key = load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        raise IdentityError(N_("The public key must be an RSA public key in PEM format")) from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise IdentityError(N_("The public key must be an RSA public key of 2048 bits or more (One Login's rule)"))
    return pem.strip() + "\n"


async def create_relying_party(
    uow: UnitOfWork,
    actor: Actor,
    directory: ServiceDirectory,
    hash_secret: str,
    *,
    service_id: uuid.UUID,
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str] | None = None,
    back_channel_logout_uri: str | None = None,
    public_key_pem: str | None = None,
    jwks_url: str | None = None,
    token_auth_method: str = "private_key_jwt",
    sector: str | None = None,
    scopes: list[str] | None = None,
    claims: list[str] | None = None,
    levels: list[str] | None = None,
    id_token_alg: str = "ES256",
    pkce_required: bool = False,
    max_age_enabled: bool = False,
) -> tuple[RelyingParty, str | None]:
    """Register a client; returns it and, for client_secret_post, the secret to show once. The caller commits."""
    if await directory.describe(uow, service_id) is None:
        raise IdentityError(N_("There is no service with the ID %(id)s"), id=str(service_id))
    name = name.strip()
    if not name or len(name) > 255:
        raise IdentityError(N_("Give the client a name of 255 characters or fewer"))
    if not redirect_uris:
        raise IdentityError(N_("Give at least one redirect URI"))
    redirects = [check_uri(uri, "A redirect URI") for uri in redirect_uris]
    post_logout = [check_uri(uri, "A post-logout redirect URI") for uri in post_logout_redirect_uris or []]
    back_channel = (
        check_uri(back_channel_logout_uri, "The back-channel logout URI") if back_channel_logout_uri else None
    )
    if token_auth_method not in AUTH_METHODS:
        raise IdentityError(N_("The token auth method must be private_key_jwt or client_secret_post"))
    if id_token_alg not in ID_TOKEN_ALGS:
        raise IdentityError(N_("The ID token algorithm must be ES256 or RS256"))
    chosen_scopes = scopes or ["openid", "email"]
    if "openid" not in chosen_scopes or any(scope not in SCOPES for scope in chosen_scopes):
        raise IdentityError(N_("Scopes must include openid and may add email and phone"))
    if any(claim not in USERINFO_CLAIMS for claim in claims or []):
        raise IdentityError(
            N_("Claims must be among One Login's userinfo claims (https://vocab.account.gov.uk/v1/...)")
        )
    chosen_levels = levels or ["P0"]
    if any(level not in LEVELS for level in chosen_levels):
        raise IdentityError(N_("Levels of confidence must be among P0, P1, P2, P3 and P4"))
    key_pem, jwks, secret = None, None, None
    if token_auth_method == "private_key_jwt":
        if bool(public_key_pem) == bool(jwks_url):
            raise IdentityError(N_("Give the client's public key as PEM or a JWKS URL, one of the two"))
        key_pem = check_public_key(public_key_pem) if public_key_pem else None
        jwks = check_uri(jwks_url, "The JWKS URL") if jwks_url else None
    else:
        if public_key_pem or jwks_url:
            raise IdentityError(N_("A client_secret_post client has a secret, not a public key"))
        if chosen_levels != ["P0"]:
            raise IdentityError(N_("A client_secret_post client may not ask for identity: its only level is P0"))
        secret = random_token(32)
    hosts = {sector_host(uri) for uri in redirects}
    chosen_sector = sector_host(sector) if sector else None
    if not chosen_sector:
        if len(hosts) != 1:
            raise IdentityError(N_("Redirect URIs on more than one host need a sector"))
        chosen_sector = hosts.pop()
    client = RelyingParty(
        client_id=secrets.token_urlsafe(24),
        service_id=service_id,
        name=name,
        redirect_uris=redirects,
        post_logout_redirect_uris=post_logout,
        back_channel_logout_uri=back_channel,
        public_key_pem=key_pem,
        jwks_url=jwks,
        sector=chosen_sector,
        scopes=chosen_scopes,
        claims=list(claims or []),
        levels=chosen_levels,
        id_token_alg=id_token_alg,
        token_auth_method=token_auth_method,
        client_secret_hash=secret_hash(hash_secret, secret) if secret else None,
        pkce_required=pkce_required,
        max_age_enabled=max_age_enabled,
        active=True,
    )
    uow.session.add(client)
    record_audit(uow, actor, "identity.client_created", "relying_party", client.client_id, service_id, name=name)
    return client, secret
