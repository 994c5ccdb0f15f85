"""Checking an authorisation request (OpenID Connect Core 3.1.2), in the order One Login checks it.

The order decides where an error goes, so it may not be rearranged: until the client and its exact redirect
URI are known, an error is shown on a page and the browser is never sent anywhere (an unregistered or near-
miss redirect URI must not become an open redirect); after that, errors go back to the client's redirect URI
with `error`, `error_description` and `state` (RFC 6749 section 4.1.2.1). One Login's specifics: state and
nonce are required; `request_uri` is refused with request_uri_not_supported; PKCE is S256 only and may be
required per client; a signed request object (`request`, RFC 9101) is accepted when its `aud` is
`<issuer>authorize`, its `iss` is the client, it is within its `nbf`/`iat` and `exp`, and `response_type`,
`scope` and `client_id` must also be in the query. `prompt=login` is accepted only in a signed request
object with an `id_token_hint` that this provider issued to the client (One Login's rule: a service may
force a second sign-in only when it can prove which sign-in it means); `max_age` is read only for clients
that opted in (MaxAgeEnabled), and ignored, as One Login ignores it, for the others.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError

from govplatform.core.interfaces import UnitOfWork, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.errors import OAuthError
from govplatform.identity.models import RelyingParty
from govplatform.identity.profile import CLIENT_ASSERTION_ALGS, TRUSTMARK_LEVELS, USERINFO_CLAIMS
from govplatform.identity.services.logout import verify_hint
from govplatform.identity.services.vectors import VectorRefused, parse_vtr

MAX_QUERY = 4096  # One Login's firewall answers 403 beyond this
MAX_STATE = 1024
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 section 4.2: base64url of a SHA-256
STANDARD_CLAIMS = ("sub", "email", "email_verified", "phone_number", "phone_number_verified")
REQUEST_OBJECT_SECONDS = 3600
REQUEST_OBJECT_LEEWAY = 30  # seconds of clock difference allowed for a request object's nbf and iat


class ShownError(Exception):
    """An error shown on our own page: there is no redirect URI we may trust."""

    def __init__(self, description: str, status_code: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status_code = status_code


class RedirectedError(OAuthError):
    """An error sent back to the client's redirect URI."""

    def __init__(self, error: str, description: str, redirect_uri: str, state: str | None, mode: str = "query"):
        super().__init__(error, description, 302)
        self.redirect_uri = redirect_uri
        self.state = state
        self.mode = mode


@dataclasses.dataclass(frozen=True)
class AuthorisationRequest:
    """A checked request, as kept while the citizen signs in."""

    client_id: str
    client_name: str
    redirect_uri: str
    state: str
    nonce: str
    scopes: list[str]
    claims: list[str]
    credential: str  # Cl or Cl.Cm
    code_challenge: str | None
    response_mode: str
    language: str | None
    max_age: int | None = None  # seconds; only for a client with max_age_enabled (One Login's MaxAgeEnabled)
    prompt_login: bool = False  # the client asked for the citizen to sign in again, whatever their session
    return_to: str | None = None  # a sign-in for the platform's own pages (interfaces.py): where to go after
    level: str | None = None  # P1, P2: the identity the service asked for (None: none)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def single(query: Mapping[str, list[str]], name: str) -> str | None:
    """A parameter's one value; a repeated parameter is refused (RFC 6749 section 3.1)."""
    values = query.get(name) or []
    if len(values) > 1:
        raise ValueError(name)
    return values[0] if values else None


async def check_request(
    uow: UnitOfWork, identity: IdentityComponent, query: Mapping[str, list[str]], query_length: int
) -> AuthorisationRequest:
    if query_length > MAX_QUERY:
        raise ShownError("Request is too long", 403)
    try:
        params = {name: single(query, name) for name in query}
    except ValueError as error:
        raise ShownError(f"Request has a repeated {str(error)[:40]} parameter") from None
    client_id = params.get("client_id")
    known = client_id and len(client_id) <= 64 and client_id.isprintable()
    client = await uow.session.get(RelyingParty, client_id) if known else None
    if client is None:
        raise ShownError("Client authentication failed: unknown client_id")
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None or redirect_uri not in client.redirect_uris:
        raise ShownError("Invalid redirect_uri: it is not registered for this client")
    mode = params.get("response_mode") or "query"
    if mode not in ("query", "fragment"):
        raise ShownError("Invalid response_mode")
    state = params.get("state")

    def refuse(error: str, description: str) -> RedirectedError:
        return RedirectedError(error, description, redirect_uri, state, mode)

    if params.get("request_uri") is not None:
        raise refuse("request_uri_not_supported", "Request URI parameter is not supported")
    signed = params.get("request") is not None
    if signed:
        params = await _merge_request_object(identity, client, params, refuse)
        state = params.get("state")
        if params.get("redirect_uri") != redirect_uri:
            raise refuse("invalid_request", "Request object redirect_uri does not match the query's")
    if not client.active:
        raise refuse("unauthorized_client", "client deactivated")
    if params.get("response_type") != "code":
        raise refuse("unsupported_response_type", "Unsupported response type: only code is supported")
    scopes = (params.get("scope") or "").split()
    if "openid" not in scopes or any(scope not in client.scopes for scope in scopes):
        raise refuse("invalid_scope", "Invalid, unknown or malformed scope")
    if not state:
        raise refuse("invalid_request", "Request is missing state parameter")
    if len(state) > MAX_STATE or not state.isprintable():
        raise RedirectedError("invalid_request", "Invalid state parameter", redirect_uri, None, mode)
    nonce = params.get("nonce")
    if not nonce:
        raise refuse("invalid_request", "Request is missing nonce parameter")
    if len(nonce) > 512 or not nonce.isprintable():
        raise refuse("invalid_request", "Invalid nonce parameter")
    try:
        vector = parse_vtr(params.get("vtr"), client.levels)
    except VectorRefused:
        raise refuse("invalid_request", "Request vtr not valid") from None
    claims = _claims(params.get("claims"), client, refuse)
    challenge, method = params.get("code_challenge"), params.get("code_challenge_method")
    if challenge is None and method is not None:
        raise refuse("invalid_request", "Request is missing code_challenge parameter")
    if challenge is not None:
        if (method or "plain") != "S256":
            raise refuse("invalid_request", "Invalid value for code_challenge_method parameter: only S256")
        if not _CHALLENGE.match(challenge):
            raise refuse("invalid_request", "Invalid value for code_challenge parameter")
    elif client.pkce_required:
        raise refuse("invalid_request", "Request is missing code_challenge parameter, but PKCE is enforced")
    prompts = (params.get("prompt") or "").split()
    if "none" in prompts:
        raise refuse("login_required", "Login required")
    prompt_login = "login" in prompts
    if prompt_login and not (signed and await _hint_names(identity, client, params.get("id_token_hint"))):
        raise refuse("invalid_request", "prompt=login needs a signed request object with an id_token_hint")
    max_age = _max_age(params.get("max_age"), client, refuse)
    if vector.identity and vector.level not in TRUSTMARK_LEVELS:
        # A level no proofing route here can reach (P3, P4): One Login reports it as access_denied.
        raise refuse("access_denied", "Level of confidence not reached")
    locales = [locale.split("-")[0].lower() for locale in (params.get("ui_locales") or "").split()]
    language = next((locale for locale in locales if locale in ("en", "cy")), None)
    return AuthorisationRequest(
        client_id=client.client_id,
        client_name=client.name,
        redirect_uri=redirect_uri,
        state=state,
        nonce=nonce,
        scopes=scopes,
        claims=claims,
        credential=vector.credential,
        level=vector.level if vector.identity else None,
        code_challenge=challenge,
        response_mode=mode,
        language=language,
        max_age=max_age,
        prompt_login=prompt_login,
    )


async def _hint_names(identity: IdentityComponent, client: RelyingParty, hint: str | None) -> bool:
    """Whether an id_token_hint is an ID token this provider signed for this client (expired or not)."""
    verified = await verify_hint(identity, hint)
    return verified is not None and verified.client_id == client.client_id


def _max_age(text: str | None, client: RelyingParty, refuse: Any) -> int | None:
    """OpenID Connect Core 3.1.2.1's max_age, in seconds, for a client that opted in; else ignored."""
    if text is None or not client.max_age_enabled:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise refuse("invalid_request", "Invalid max_age parameter")
    return int(text)


def _claims(text: str | None, client: RelyingParty, refuse: Any) -> list[str]:
    """The userinfo claims asked for (OpenID Connect Core 5.5); One Login puts none in the ID token."""
    if text is None:
        return []
    try:
        asked = json.loads(text)
    except ValueError:
        raise refuse("invalid_request", "Request contains invalid claims") from None
    if not isinstance(asked, dict) or set(asked) - {"userinfo"} or not isinstance(asked.get("userinfo", {}), dict):
        raise refuse("invalid_request", "Request contains invalid claims")
    names = list(asked.get("userinfo", {}))
    allowed = set(STANDARD_CLAIMS) | {claim for claim in client.claims if claim in USERINFO_CLAIMS}
    if any(name not in allowed for name in names):
        raise refuse("invalid_request", "Request contains invalid claims")
    return names


async def _merge_request_object(
    identity: IdentityComponent, client: RelyingParty, params: dict[str, str | None], refuse: Any
) -> dict[str, str | None]:
    """The query's parameters with those of a signed request object over them (RFC 9101 section 6.3)."""
    text = params["request"] or ""
    try:
        header = jws.extract_compact(text.encode()).headers()
    except (JoseError, ValueError):
        raise refuse("invalid_request", "Request object is not a signed JWT") from None
    alg = header.get("alg")
    if alg not in CLIENT_ASSERTION_ALGS or client.token_auth_method != "private_key_jwt":
        raise refuse("invalid_request", "Request object must be signed with the client's RSA key")
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        key = await identity.client_keys.key_for(client.client_id, client.public_key_pem, client.jwks_url, kid)
        claims = json.loads(jws.deserialize_compact(text, key, algorithms=[alg]).payload)
    except (JoseError, ValueError, OAuthError):
        raise refuse("invalid_request", "Request object signature is not valid") from None
    if not isinstance(claims, dict):
        raise refuse("invalid_request", "Request object is not valid")
    now = int(utcnow().timestamp())
    exp = claims.get("exp")
    if claims.get("aud") != identity.issuer + "authorize" or claims.get("iss") != client.client_id:
        raise refuse("invalid_request", "Request object aud or iss is not valid")
    if not isinstance(exp, int) or exp <= now or exp > now + REQUEST_OBJECT_SECONDS:
        raise refuse("invalid_request", "Request object has expired or lives too long")
    # RFC 7519 sections 4.1.5 and 4.1.6: an object not valid yet, or issued in the future, is not accepted now.
    for name in ("nbf", "iat"):
        moment = claims.get(name)
        if moment is not None and (not isinstance(moment, int) or moment > now + REQUEST_OBJECT_LEEWAY):
            raise refuse("invalid_request", "Request object is not valid yet")
    for name in ("response_type", "scope", "client_id"):
        if name in claims and claims[name] != params.get(name):
            raise refuse("invalid_request", f"Request object {name} does not match the query's")
    merged = dict(params)
    for name, value in claims.items():
        if name in ("iss", "aud", "exp", "iat", "nbf", "jti", "request", "request_uri"):
            continue
        merged[name] = value if isinstance(value, str) else json.dumps(value)
    merged.pop("request")
    return merged
