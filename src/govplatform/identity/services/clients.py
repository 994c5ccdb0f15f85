"""Relying parties: a service's OpenID Connect clients, registered with One Login's client registry fields.

Rules checked when one is made or changed (the CLI and the admin pages both come here, so they cannot
disagree), so that /authorize and /token can trust what is stored:
- redirect and post-logout URIs are absolute https URLs without a fragment (http only on a loopback host,
  for development), compared later by exact string (One Login's rule: no prefix or pattern matching);
- the client authenticates with private_key_jwt (an RSA public key as PEM, or a JWKS URL) or, for platforms
  One Login approves, client_secret_post; a client_secret_post client may not ask for identity (P0 only);
  a JWKS URL must be one core's outbound guard would fetch (it decides again at each fetch);
- the sector (whose host pairwise subjects are computed for) defaults to the redirect URIs' one host; with
  several hosts and no sector, One Login refuses the registration, and so do we.
Every broken rule is collected (`ClientRefused.problems`), so a form shows them all; the CLI prints the first.
The client secret is shown once and stored as a keyed hash (HMAC-SHA256 with the platform's hash secret):
it carries 256 random bits, so a slow password hash would add cost and no safety (DESIGN.md, API keys).
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from govplatform.core.interfaces import (
    N_,
    Actor,
    OutboundGuard,
    OutboundRefused,
    ServiceDirectory,
    UnitOfWork,
    keyed_hash,
    random_token,
    record_audit,
)
from govplatform.identity.errors import ClientRefused, IdentityError
from govplatform.identity.models import RelyingParty
from govplatform.identity.profile import USERINFO_CLAIMS
from govplatform.identity.services.subjects import sector_host
from govplatform.identity.services.vectors import LEVELS

SCOPES = ("openid", "email", "phone")
ID_TOKEN_ALGS = ("ES256", "RS256")
AUTH_METHODS = ("private_key_jwt", "client_secret_post")
LOOPBACK = ("localhost", "127.0.0.1", "::1")
SECRET_PURPOSE = "identity-client-secret"
MAX_URIS = 20  # of each kind, per client
MAX_URI = 2000  # characters, as the columns hold
MAX_NAME = 255
MAX_PEM = 10_000  # characters: a 4096-bit RSA public key is about 800
URI_RULE = {
    "redirect_uris": N_(
        "Each redirect URI must be a full https address without a fragment (http only on localhost): %(uri)s"
    ),
    "post_logout_redirect_uris": N_(
        "Each post-logout redirect URI must be a full https address without a fragment (http only on localhost): "
        "%(uri)s"
    ),
    "back_channel_logout_uri": N_(
        "The back-channel logout URI must be a full https address without a fragment (http only on localhost)"
    ),
    "jwks_url": N_("The JWKS URL must be a full https address without a fragment (http only on localhost)"),
}


def secret_hash(hash_secret: str, secret: str) -> str:
    return keyed_hash(hash_secret, secret, SECRET_PURPOSE)


def check_uri(uri: str, field: str) -> str:
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:  # a broken IPv6 literal: "https://[::1"
        raise IdentityError(URI_RULE[field], field=field, uri=uri[:200]) from None
    loopback_http = parts.scheme == "http" and host in LOOPBACK
    if len(uri) > MAX_URI or not host or parts.fragment or (parts.scheme != "https" and not loopback_http):
        raise IdentityError(URI_RULE[field], field=field, uri=uri[:200])
    return uri


def check_public_key(pem: str) -> str:
    field = "public_key_pem"
    if "PRIVATE KEY" in pem:
        raise IdentityError(
            N_("That is a private key: give the client's public key only, and keep its private key secret"),
            field=field,
        )
    if len(pem) > MAX_PEM:
        raise IdentityError(N_("The public key must be 10,000 characters or fewer"), field=field)
    try:
        key = load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError, UnicodeError):
        raise IdentityError(N_("The public key must be an RSA public key in PEM format"), field=field) from None
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise IdentityError(
            N_("The public key must be an RSA public key of 2048 bits or more (One Login's rule)"), field=field
        )
    return pem.strip() + "\n"


@dataclasses.dataclass
class Registration:
    """What staff or the CLI ask a client to be, before the rules are checked."""

    name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str] = dataclasses.field(default_factory=list)
    back_channel_logout_uri: str | None = None
    public_key_pem: str | None = None
    jwks_url: str | None = None
    token_auth_method: str = "private_key_jwt"
    sector: str | None = None
    scopes: list[str] | None = None
    claims: list[str] | None = None
    levels: list[str] | None = None
    id_token_alg: str = "ES256"
    pkce_required: bool = False
    max_age_enabled: bool = False  # One Login's MaxAgeEnabled: honour a request's max_age


class _Problems:
    def __init__(self) -> None:
        self.found: list[IdentityError] = []

    def add(self, template: str, field: str, **params: object) -> None:
        self.found.append(IdentityError(template, field=field, **params))

    def checked(self, check: Any, *args: Any) -> Any:
        try:
            return check(*args)
        except IdentityError as error:
            self.found.append(error)
            return None


def _uris(problems: _Problems, uris: list[str], field: str) -> list[str]:
    uris = [uri.strip() for uri in uris if uri.strip()]
    if len(uris) > MAX_URIS:
        problems.add(N_("Give no more than %(count)s URIs of each kind"), field, count=MAX_URIS)
        return []
    return [uri for uri in (problems.checked(check_uri, uri, field) for uri in uris) if uri]


async def check_registration(wanted: Registration, outbound: OutboundGuard | None = None) -> dict[str, Any]:
    """The client's columns as they will be stored, or ClientRefused with every rule the request breaks.

    With `outbound`, a JWKS URL is checked as core's outbound guard will check it when it is fetched (an
    internal address is refused now, rather than at the client's first sign-in)."""
    problems = _Problems()
    name = wanted.name.strip()
    if not name or len(name) > MAX_NAME:
        problems.add(N_("Give the client a name of 255 characters or fewer"), "name")
    if not [uri for uri in wanted.redirect_uris if uri.strip()]:
        problems.add(N_("Give at least one redirect URI"), "redirect_uris")
    redirects = _uris(problems, wanted.redirect_uris, "redirect_uris")
    post_logout = _uris(problems, wanted.post_logout_redirect_uris, "post_logout_redirect_uris")
    back_channel = (wanted.back_channel_logout_uri or "").strip() or None
    if back_channel:
        back_channel = problems.checked(check_uri, back_channel, "back_channel_logout_uri")
    method = wanted.token_auth_method
    if method not in AUTH_METHODS:
        problems.add(N_("The token auth method must be private_key_jwt or client_secret_post"), "token_auth_method")
    if wanted.id_token_alg not in ID_TOKEN_ALGS:
        problems.add(N_("The ID token algorithm must be ES256 or RS256"), "id_token_alg")
    scopes = wanted.scopes or ["openid", "email"]
    if "openid" not in scopes or any(scope not in SCOPES for scope in scopes):
        problems.add(N_("Scopes must include openid and may add email and phone"), "scopes")
    claims = list(dict.fromkeys(wanted.claims or []))
    if any(claim not in USERINFO_CLAIMS for claim in claims):
        problems.add(
            N_("Claims must be among One Login's userinfo claims (https://vocab.account.gov.uk/v1/...)"), "claims"
        )
    levels = wanted.levels or ["P0"]
    if any(level not in LEVELS for level in levels):
        problems.add(N_("Levels of confidence must be among P0, P1, P2, P3 and P4"), "levels")
    pem = (wanted.public_key_pem or "").strip() or None
    jwks = (wanted.jwks_url or "").strip() or None
    if method == "private_key_jwt":
        if bool(pem) == bool(jwks):
            problems.add(N_("Give the client's public key as PEM or a JWKS URL, one of the two"), "public_key_pem")
        elif pem:
            pem = problems.checked(check_public_key, pem)
        else:
            jwks = await _jwks_url(problems, str(jwks), outbound)
    elif method == "client_secret_post":
        if pem or jwks:
            problems.add(N_("A client_secret_post client has a secret, not a public key"), "public_key_pem")
        if levels != ["P0"]:
            problems.add(N_("A client_secret_post client may not ask for identity: its only level is P0"), "levels")
    sector = _sector(wanted.sector) if wanted.sector and wanted.sector.strip() else None
    if wanted.sector and wanted.sector.strip() and (not sector or len(sector) > 255):
        problems.add(N_("The sector must be a host name of 255 characters or fewer"), "sector")
    if not sector and redirects:
        hosts = {sector_host(uri) for uri in redirects}
        if len(hosts) != 1:
            problems.add(N_("Redirect URIs on more than one host need a sector"), "sector")
        sector = hosts.pop()
    if problems.found:
        raise ClientRefused(problems.found)
    return {
        "name": name,
        "redirect_uris": redirects,
        "post_logout_redirect_uris": post_logout,
        "back_channel_logout_uri": back_channel,
        "public_key_pem": pem if method == "private_key_jwt" else None,
        "jwks_url": jwks if method == "private_key_jwt" else None,
        "sector": sector,
        "scopes": list(dict.fromkeys(scopes)),
        "claims": claims,
        "levels": list(dict.fromkeys(levels)),
        "id_token_alg": wanted.id_token_alg,
        "token_auth_method": method,
        "pkce_required": wanted.pkce_required,
        "max_age_enabled": wanted.max_age_enabled,
    }


def _sector(text: str) -> str | None:
    try:
        return sector_host(text)
    except ValueError:  # a URL that does not parse
        return None


async def _jwks_url(problems: _Problems, url: str, outbound: OutboundGuard | None) -> str | None:
    checked: str | None = problems.checked(check_uri, url, "jwks_url")
    if checked is None or outbound is None:
        return checked
    try:
        return await outbound.check(checked)
    except OutboundRefused as refused:
        if refused.kind == "address":
            problems.add(N_("The JWKS URL must lead to a server on the public internet"), "jwks_url")
        else:
            problems.add(N_("The JWKS URL must start with https://"), "jwks_url")
        return None


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
    active: bool = True,
    outbound: OutboundGuard | None = None,
    max_age_enabled: bool = False,
) -> tuple[RelyingParty, str | None]:
    """Register a client; returns it and, for client_secret_post, the secret to show once. The caller commits."""
    if await directory.describe(uow, service_id) is None:
        raise IdentityError(N_("There is no service with the ID %(id)s"), id=str(service_id))
    wanted = Registration(
        name, list(redirect_uris), list(post_logout_redirect_uris or []), back_channel_logout_uri, public_key_pem,
        jwks_url, token_auth_method, sector, scopes, claims, levels, id_token_alg, pkce_required,
        max_age_enabled,
    )  # fmt: skip
    values = await check_registration(wanted, outbound)
    secret = random_token(32) if values["token_auth_method"] == "client_secret_post" else None
    client = RelyingParty(
        client_id=secrets.token_urlsafe(24),
        service_id=service_id,
        client_secret_hash=secret_hash(hash_secret, secret) if secret else None,
        active=active,
        **values,
    )
    uow.session.add(client)
    record_audit(uow, actor, "identity.client_created", "relying_party", client.client_id, service_id, name=client.name)
    return client, secret
