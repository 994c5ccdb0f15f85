"""Issue 15's "Bad input and attacks" cases that the per-endpoint test files left open (the audit is in the
lead's notes, badinput-map.md): each gets One Login's error, never a 500, and, as the issue asks, nothing
changes. So each test also looks at what an attacker would want changed: a refused request object starts no
sign-in, a refused token request leaves its code redeemable, an internal JWKS URL is never connected to, a
throttled known email reads exactly as an unknown one."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import http.server
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import func, select, update

from govplatform.app import build_app
from govplatform.core.outbound import OutboundGuard
from govplatform.core.platform import Platform
from govplatform.identity.models import AuthorisationCode, RelyingParty, SignIn, SignUp
from govplatform.identity.services.client_keys import ClientKeys
from govplatform.identity.services.tokens import code_hash
from tests.helpers import post_form
from tests.integration.identity.support import (
    PASSWORD,
    REDIRECT_URI,
    Client,
    a_citizen,
    a_client,
    a_code,
    assertion,
    authorise_query,
    identity_of,
    token_form,
)
from tests.integration.identity.test_sign_up_pages import start

EMAIL, PASSWORD_PAGE = "/identity/sign-in/email", "/identity/sign-in/password"
SIGNED_OUT = "https://parking.example.gov.uk/signed-out"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())}"


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def _sign_ins(platform: Platform) -> int:
    async with platform.uow(read_only=True) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(SignIn)) or 0)


async def _set_active(platform: Platform, rp: Client, active: bool) -> None:
    async with platform.uow() as uow:
        await uow.session.execute(
            update(RelyingParty).where(RelyingParty.client_id == rp.client_id).values(active=active)
        )
        await uow.commit()


def _refused(answer: httpx.Response, error: str) -> str:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == error and body["error_description"], body
    return str(body["error_description"])


def _redirected(answer: httpx.Response, error: str, state: str | None) -> str:
    """A 302 to the registered redirect URI only, with the error and the state and never a code."""
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    values = {name: found[0] for name, found in parse_qs(urlsplit(location).query).items()}
    assert values["error"] == error and values.get("state") == state and "code" not in values, values
    return values["error_description"]


async def _redeemable(client: httpx.AsyncClient, platform: Platform, rp: Client, code: str, **extra: str) -> None:
    answer = await client.post("/token", data=token_form(rp, code, identity_of(platform).token_endpoint, **extra))
    assert answer.status_code == 200, answer.text


class _Counted(http.server.BaseHTTPRequestHandler):
    body = b""
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@contextlib.contextmanager
def _serving(document: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """A key set on 127.0.0.1, and the paths it was asked for."""
    hits: list[str] = []
    handler = type("Handler", (_Counted,), {"body": json.dumps(document).encode(), "hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", hits
    finally:
        server.shutdown()
        server.server_close()


# Unknown, inactive and revoked clients -------------------------------------------------------------------


async def test_an_unknown_client_starts_no_sign_in_and_is_invalid_client_at_token(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    before = await _sign_ins(platform)
    for client_id in ("no-such-client", rp.client_id + "x", "x" * 65, "\x00"):
        answer = await client.get("/authorize", params=authorise_query(rp, client_id=client_id))
        assert answer.status_code == 400 and "location" not in answer.headers, answer.text
    assert await _sign_ins(platform) == before
    code, _ = await a_code(platform, rp, person)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "client_id": "no-such-client", "client_secret": "guess"}  # fmt: skip
    assert _refused(await client.post("/token", data=form), "invalid_client") == "Client authentication failed"
    await _redeemable(client, platform, rp, code)


async def test_an_inactive_client_starts_no_sign_in_and_its_refused_code_works_once_it_is_turned_on_again(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    secret_rp = await a_client(platform, token_auth_method="client_secret_post")
    code, _ = await a_code(platform, rp, person)
    secret_code, _ = await a_code(platform, secret_rp, person)
    for each in (rp, secret_rp):
        await _set_active(platform, each, False)
    before = await _sign_ins(platform)
    query = authorise_query(rp)
    assert _redirected(await client.get("/authorize", params=query), "unauthorized_client", query["state"]) == (
        "client deactivated"
    )
    assert await _sign_ins(platform) == before
    endpoint = identity_of(platform).token_endpoint
    assert _refused(await client.post("/token", data=token_form(rp, code, endpoint)), "unauthorized_client") == (
        "client deactivated"
    )
    assert secret_rp.secret is not None
    secret_form = {"grant_type": "authorization_code", "code": secret_code, "redirect_uri": REDIRECT_URI,
                   "client_id": secret_rp.client_id, "client_secret": secret_rp.secret}  # fmt: skip
    _refused(await client.post("/token", data=secret_form), "unauthorized_client")
    # Turned on again within the code's 300 seconds: the refusals used nothing up.
    for each in (rp, secret_rp):
        await _set_active(platform, each, True)
    await _redeemable(client, platform, rp, code)
    assert (await client.post("/token", data=secret_form)).status_code == 200


async def test_a_pkce_enforcing_clients_request_without_a_challenge_starts_no_sign_in(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform, pkce_required=True)
    before = await _sign_ins(platform)
    query = authorise_query(rp)
    assert "PKCE" in _redirected(await client.get("/authorize", params=query), "invalid_request", query["state"])
    assert await _sign_ins(platform) == before


# Tampered request objects ---------------------------------------------------------------------------------


def _request_claims(platform: Platform, rp: Client, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    inner: dict[str, Any] = {**authorise_query(rp), "vtr": ["Cl.Cm"], "state": "inner-state"}
    claims = {"iss": rp.client_id, "aud": identity_of(platform).issuer + "authorize", "exp": now + 300,
              "iat": now, **inner, **overrides}  # fmt: skip
    return {name: value for name, value in claims.items() if value is not None}


def _signed(claims: dict[str, Any], key: RSAKey, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg}, claims, key, algorithms=[alg])


def _tampered_objects(platform: Platform, rp: Client, other: Client) -> dict[str, str]:
    assert rp.key is not None and other.key is not None
    good = _request_claims(platform, rp)
    signed = _signed(good, rp.key)
    head, _payload, signature = signed.split(".")
    changed = _b64(json.dumps({**good, "scope": "openid email", "state": "changed"}).encode())
    now = int(time.time())
    public_pem = rp.key.as_pem(private=False)
    return {
        "a changed payload": f"{head}.{changed}.{signature}",
        "alg none": _unsigned({"alg": "none"}, good),
        "alg none, no signature dot": _unsigned({"alg": "none"}, good)[:-1],
        "HS256 keyed with the client's public key": _hs256({"alg": "HS256", "typ": "JWT"}, good, public_pem),
        "ES256": jwt.encode({"alg": "ES256"}, good, ECKey.generate_key("P-256"), algorithms=["ES256"]),
        "another RSA key": _signed(good, RSAKey.generate_key(2048)),
        "another client's key and iss": _signed(_request_claims(platform, rp, iss=other.client_id), other.key),
        "a wrong aud": _signed(_request_claims(platform, rp, aud="https://elsewhere.example.com/"), rp.key),
        "expired": _signed(_request_claims(platform, rp, exp=now - 60, iat=now - 400), rp.key),
        "no exp": _signed(_request_claims(platform, rp, exp=None), rp.key),
        "not valid before an hour from now": _signed(_request_claims(platform, rp, nbf=now + 3600), rp.key),
        "issued in the future": _signed(_request_claims(platform, rp, iat=now + 600, exp=now + 900), rp.key),
        "a day's lifetime": _signed(_request_claims(platform, rp, exp=now + 86400), rp.key),
        "another client_id inside": _signed(_request_claims(platform, rp, client_id=other.client_id), rp.key),
        "another redirect_uri inside": _signed(
            _request_claims(platform, rp, redirect_uri="https://evil.example.com/oidc/callback"), rp.key
        ),
        "another response_type inside": _signed(_request_claims(platform, rp, response_type="token"), rp.key),
        "not a JWT": "not-a-jwt",
        "a JSON array payload": _signed({"x": 1}, rp.key).split(".")[0] + "." + _b64(b"[1]") + ".c2ln",
    }


TAMPERINGS = [
    "a changed payload",
    "alg none",
    "alg none, no signature dot",
    "HS256 keyed with the client's public key",
    "ES256",
    "another RSA key",
    "another client's key and iss",
    "a wrong aud",
    "expired",
    "no exp",
    "not valid before an hour from now",
    "issued in the future",
    "a day's lifetime",
    "another client_id inside",
    "another redirect_uri inside",
    "another response_type inside",
    "not a JWT",
    "a JSON array payload",
]


@pytest.mark.parametrize("tampering", TAMPERINGS)
async def test_a_tampered_request_object_is_sent_back_as_invalid_request_and_starts_no_sign_in(
    platform: Platform, client: httpx.AsyncClient, tampering: str
) -> None:
    rp, other = await a_client(platform), await a_client(platform)
    forged = _tampered_objects(platform, rp, other)[tampering]
    outer = {"response_type": "code", "scope": "openid email", "client_id": rp.client_id,
             "redirect_uri": REDIRECT_URI, "state": "outer-state", "request": forged}  # fmt: skip
    before = await _sign_ins(platform)
    answer = await client.get("/authorize", params=outer)
    # Only a genuine object's own state is believed (its redirect_uri is not, and the registered one is used).
    state = "inner-state" if tampering == "another redirect_uri inside" else "outer-state"
    assert _redirected(answer, "invalid_request", state).startswith("Request object")
    assert await _sign_ins(platform) == before
    # The same client's genuine request object still starts one: the refusals were about the objects.
    assert rp.key is not None
    genuine = await client.get(
        "/authorize", params={**outer, "request": _signed(_request_claims(platform, rp), rp.key)}
    )
    assert genuine.status_code == 302 and genuine.headers["location"].startswith("/identity/sign-in/email")
    assert await _sign_ins(platform) == before + 1


async def test_a_request_object_from_a_client_secret_client_is_refused_and_starts_no_sign_in(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform, token_auth_method="client_secret_post")
    assert rp.key is not None and rp.secret is not None
    claims = _request_claims(platform, rp)
    before = await _sign_ins(platform)
    for forged in (_signed(claims, rp.key), _hs256({"alg": "HS256"}, claims, rp.secret.encode())):
        query = {**authorise_query(rp), "state": "outer-state", "request": forged}
        assert "RSA key" in _redirected(await client.get("/authorize", params=query), "invalid_request", "outer-state")
    assert await _sign_ins(platform) == before


# Algorithm confusion at /token beyond alg none and HS256 --------------------------------------------------


async def test_an_assertion_naming_its_own_key_in_jwk_jku_or_x5u_is_refused_and_nothing_is_fetched(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    attacker = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    now = int(time.time())
    claims = {"iss": rp.client_id, "sub": rp.client_id, "aud": endpoint, "jti": uuid.uuid4().hex,
              "iat": now, "exp": now + 300}  # fmt: skip
    with _serving({"keys": [attacker.as_dict(private=False)]}) as (url, hits):
        headers: list[dict[str, Any]] = [
            {"alg": "RS256", "jwk": attacker.as_dict(private=False)},
            {"alg": "RS256", "jku": url, "kid": "attacker"},
            {"alg": "RS256", "x5u": url},
            {"alg": "PS256", "jwk": attacker.as_dict(private=False), "kid": "attacker"},
        ]
        forged = [jwt.encode(header, claims, attacker, algorithms=[header["alg"]]) for header in headers]
        forged += [_unsigned({"alg": alg}, claims) for alg in ("None", "NONE", "nOnE", "")]
        forged += [_unsigned({}, claims), _unsigned({"alg": ["RS256"]}, claims)]
        for each in forged:
            answer = await client.post("/token", data=token_form(rp, code, endpoint, client_assertion=each))
            _refused(answer, "invalid_client")
        assert hits == [], "a URL named in an assertion's header was fetched"
    await _redeemable(client, platform, rp, code)


async def test_a_logout_hint_in_hs256_keyed_with_our_public_key_or_signed_by_the_client_is_never_followed(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform, post_logout_redirect_uris=[SIGNED_OUT]), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    issued = await client.post("/token", data=token_form(rp, code, identity_of(platform).token_endpoint))
    hint = issued.json()["id_token"]
    header = json.loads(base64.urlsafe_b64decode(hint.split(".")[0] + "=="))
    claims = json.loads(base64.urlsafe_b64decode(hint.split(".")[1] + "=="))
    jwks = (await client.get("/.well-known/jwks.json")).json()
    [published] = [key for key in jwks["keys"] if key["kid"] == header["kid"]]
    public_pem = ECKey.import_key(published).as_pem(private=False)
    assert rp.key is not None
    forgeries = [
        _hs256({"alg": "HS256", "kid": header["kid"]}, claims, public_pem),
        _hs256({"alg": "HS256", "kid": header["kid"]}, claims, json.dumps(published).encode()),
        jwt.encode({"alg": "RS256", "kid": header["kid"]}, claims, rp.key, algorithms=["RS256"]),
        _unsigned({"alg": "none", "kid": header["kid"]}, claims),
    ]
    for forged in forgeries:
        answer = await client.get("/logout", params={"id_token_hint": forged, "post_logout_redirect_uri": SIGNED_OUT})
        assert answer.status_code == 200 and "location" not in answer.headers, answer.text
        assert "You have signed out" in answer.text
    followed = await client.get("/logout", params={"id_token_hint": hint, "post_logout_redirect_uri": SIGNED_OUT})
    assert followed.status_code == 302 and followed.headers["location"].startswith(SIGNED_OUT)


# A JWKS URL on an internal address ------------------------------------------------------------------------


async def test_a_jwks_url_on_an_internal_address_is_never_connected_to_and_its_code_stays_unused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "rp-key-1"})
    with _serving({"keys": [key.as_dict(private=False)]}) as (url, hits):
        identity = identity_of(platform)
        identity.client_keys = ClientKeys(OutboundGuard(require_https=False, allowed_hosts=""))
        rp = await a_client(platform, jwks_url=url)
        rp.key = key
        code, _ = await a_code(platform, rp, await a_citizen(platform))
        endpoint = identity.token_endpoint
        form = token_form(rp, code, endpoint, client_assertion=assertion(rp, endpoint, kid="rp-key-1"))
        assert _refused(await client.post("/token", data=form), "invalid_client") == (
            "The client's JWKS URL is not allowed"
        )
        outer = {**authorise_query(rp), "state": "outer-state",
                 "request": jwt.encode({"alg": "RS256", "kid": "rp-key-1"}, _request_claims(platform, rp), key,
                                       algorithms=["RS256"])}  # fmt: skip
        before = await _sign_ins(platform)
        refused = await client.get("/authorize", params=outer)
        assert _redirected(refused, "invalid_request", "outer-state").startswith("Request object")
        assert await _sign_ins(platform) == before
        assert hits == [], "the internal address was connected to"
        # The operator allows the host: the same code, still unused, now works.
        identity.client_keys = ClientKeys(OutboundGuard(require_https=False, allowed_hosts="127.0.0.1"))
        form = token_form(rp, code, endpoint, client_assertion=assertion(rp, endpoint, kid="rp-key-1"))
        answer = await client.post("/token", data=form)
        assert answer.status_code == 200, answer.text
        assert hits == ["/jwks.json"]


# Email enumeration through the throttle ------------------------------------------------------------------


async def _guess_until_throttled(
    http: httpx.AsyncClient, platform: Platform, email: str, password: str
) -> tuple[list[int], str]:
    rp = await a_client(platform)
    assert (await http.get("/authorize", params=authorise_query(rp))).status_code == 302
    assert (await post_form(http, EMAIL, EMAIL, {"email": email})).status_code == 303
    statuses = []
    for _ in range(14):
        answer = await post_form(http, PASSWORD_PAGE, PASSWORD_PAGE, {"password": "not the password"})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    # While it waits, even the right password (for the known email) gets the same page as a wrong one.
    waited = await post_form(http, PASSWORD_PAGE, PASSWORD_PAGE, {"password": password})
    assert waited.status_code == 429 and "location" not in waited.headers
    page = re.sub(r'(value|nonce)="[^"]*"', "", waited.text.replace(email, "EMAIL"))
    return statuses, re.sub(r"\d+ (seconds?|minutes?|eiliad|munud)", "N", page)


async def test_guessing_the_password_of_a_known_and_an_unknown_email_is_throttled_alike(platform: Platform) -> None:
    person = await a_citizen(platform)
    results = []
    for email, address in ((person.email, "203.0.113.21"), ("nobody-at-all@example.com", "203.0.113.22")):
        transport = httpx.ASGITransport(
            app=build_app(platform.settings, platform), raise_app_exceptions=False, client=(address, 50000)
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as browser:
            results.append(await _guess_until_throttled(browser, platform, email, PASSWORD))
    known, unknown = results
    assert known[0][-1] == 429 and set(known[0][:-1]) == {400}
    assert known == unknown, "the throttle tells a known email from an unknown one"


# Codes are short-lived ------------------------------------------------------------------------------------


async def test_an_authorisation_code_lives_300_seconds_and_a_sign_up_code_15_minutes(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    issued = dt.datetime.now(dt.UTC)
    code, _ = await a_code(platform, rp, person)
    async with platform.uow(read_only=True) as uow:
        row = await uow.session.scalar(
            select(AuthorisationCode).where(AuthorisationCode.code_hash == code_hash(identity_of(platform), code))
        )
    assert row is not None
    lifetime = (_utc(row.expires_at) - issued).total_seconds()
    assert 295 <= lifetime <= 330, lifetime
    issued = dt.datetime.now(dt.UTC)
    await start(client, platform, "short-lived@example.com")
    async with platform.uow(read_only=True) as uow:
        sign_up = await uow.session.scalar(select(SignUp).where(SignUp.email == "short-lived@example.com"))
    assert sign_up is not None
    lifetime = (_utc(sign_up.code_expires_at) - issued).total_seconds()
    assert 895 <= lifetime <= 930, lifetime


# A code replayed by someone else, and a revoked key ----------------------------------------------------


async def test_a_used_code_presented_by_another_client_revokes_nothing(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, other, person = await a_client(platform), await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    access = (await client.post("/token", data=token_form(rp, code, endpoint))).json()["access_token"]
    assert _refused(await client.post("/token", data=token_form(other, code, endpoint)), "invalid_grant") == (
        "Invalid authorisation code"
    )
    info = await client.get("/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert info.status_code == 200 and info.json()["email"] == person.email, "another client revoked the tokens"


async def test_a_key_the_client_has_replaced_is_refused_and_the_code_works_with_the_new_one(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    assert (
        await client.post("/token", data=token_form(rp, (await a_code(platform, rp, person))[0], endpoint))
    ).status_code == 200
    old, new = rp.key, RSAKey.generate_key(2048)
    async with platform.uow() as uow:
        await uow.session.execute(
            update(RelyingParty)
            .where(RelyingParty.client_id == rp.client_id)
            .values(public_key_pem=new.as_pem(private=False).decode())
        )
        await uow.commit()
    revoked = token_form(rp, code, endpoint, client_assertion=assertion(rp, endpoint, key=old))
    assert "signature" in _refused(await client.post("/token", data=revoked), "invalid_client")
    rp.key = new
    await _redeemable(client, platform, rp, code)
