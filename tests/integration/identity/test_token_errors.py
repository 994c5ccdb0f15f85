"""Bad input and attacks at /token (issue 15's list): each gets One Login's error with status 400, never a
500, and changes nothing: the code stays unused and redeemable by its own client, unless it was replayed."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import uuid

import httpx
import pytest
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import update

from govplatform.core.platform import Platform
from govplatform.identity.models import AuthorisationCode, RelyingParty
from govplatform.identity.services.tokens import code_hash
from tests.integration.identity.support import (
    a_citizen,
    a_client,
    a_code,
    assertion,
    identity_of,
    token_form,
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unsigned(claims: dict, header: dict) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def _claims(client_id: str, audience: str) -> dict:
    now = int(time.time())
    return {"iss": client_id, "sub": client_id, "aud": audience, "jti": uuid.uuid4().hex, "iat": now, "exp": now + 300}


async def _redeemable(client: httpx.AsyncClient, platform: Platform, rp, code: str, **extra: str) -> None:
    """The code still works for its own client: the refused request changed nothing."""
    answer = await client.post("/token", data=token_form(rp, code, identity_of(platform).token_endpoint, **extra))
    assert answer.status_code == 200, answer.text


def _refused(answer: httpx.Response, error: str) -> dict:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["error"] == error and body["error_description"], body
    return body


async def test_a_replayed_code_is_refused_and_the_tokens_issued_with_it_are_revoked(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    first = await client.post("/token", data=token_form(rp, code, endpoint))
    access = first.json()["access_token"]
    assert (await client.get("/userinfo", headers={"Authorization": f"Bearer {access}"})).status_code == 200
    _refused(await client.post("/token", data=token_form(rp, code, endpoint)), "invalid_grant")
    after = await client.get("/userinfo", headers={"Authorization": f"Bearer {access}"})
    assert after.status_code == 401 and after.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_a_code_used_by_another_client_or_with_another_redirect_uri_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, other, person = await a_client(platform), await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    _refused(await client.post("/token", data=token_form(other, code, endpoint)), "invalid_grant")
    wrong_uri = token_form(rp, code, endpoint, redirect_uri="https://parking.example.gov.uk/oidc/callback/")
    _refused(await client.post("/token", data=wrong_uri), "invalid_grant")
    await _redeemable(client, platform, rp, code)


async def test_an_unknown_code_and_an_expired_code_are_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    endpoint = identity_of(platform).token_endpoint
    _refused(await client.post("/token", data=token_form(rp, "not-a-code", endpoint)), "invalid_grant")
    code, _ = await a_code(platform, rp, person)
    async with platform.uow() as uow:
        stale = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        hashed = code_hash(identity_of(platform), code)
        await uow.session.execute(
            update(AuthorisationCode).where(AuthorisationCode.code_hash == hashed).values(expires_at=stale)
        )
        await uow.commit()
    body = _refused(await client.post("/token", data=token_form(rp, code, endpoint)), "invalid_grant")
    assert "expired" in body["error_description"]


async def test_a_wrong_or_missing_pkce_verifier_is_refused_and_the_right_one_then_works(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    verifier = base64.urlsafe_b64encode(b"v" * 40).decode().rstrip("=")
    challenge = _b64(hashlib.sha256(verifier.encode()).digest())
    code, _ = await a_code(platform, rp, person, code_challenge=challenge, code_challenge_method="S256")
    endpoint = identity_of(platform).token_endpoint
    _refused(await client.post("/token", data=token_form(rp, code, endpoint)), "invalid_grant")
    wrong = token_form(rp, code, endpoint, code_verifier=verifier[:-1] + ("A" if verifier[-1] != "A" else "B"))
    _refused(await client.post("/token", data=wrong), "invalid_grant")
    await _redeemable(client, platform, rp, code, code_verifier=verifier)


async def test_alg_none_hs256_with_the_public_key_and_es256_assertions_are_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    claims = _claims(rp.client_id, endpoint)
    none = _unsigned(claims, {"alg": "none"})
    assert rp.key is not None
    public_pem = rp.key.as_pem(private=False)
    signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(claims).encode())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    hs256 = f"{signing_input}.{_b64(mac)}"
    es256 = assertion(rp, endpoint, alg="ES256", key=ECKey.generate_key("P-256"))
    for forged in (none, hs256, es256, "not.a.jwt", "x" * 9000):
        _refused(
            await client.post("/token", data=token_form(rp, code, endpoint, client_assertion=forged)), "invalid_client"
        )
    await _redeemable(client, platform, rp, code)


async def test_an_assertion_signed_with_another_key_is_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    forged = assertion(rp, endpoint, key=RSAKey.generate_key(2048))
    _refused(
        await client.post("/token", data=token_form(rp, code, endpoint, client_assertion=forged)), "invalid_client"
    )
    await _redeemable(client, platform, rp, code)


TIMES = ("exp", "iat", "nbf")


@pytest.mark.parametrize(
    ("claims", "described"),
    [
        ({"aud": "https://elsewhere.example.com/token"}, "aud"),
        ({"exp": -120, "iat": -400}, "expired"),
        ({"iat": 600, "exp": 900}, "not valid yet"),
        ({"nbf": 600}, "not valid yet"),
        ({"exp": 7200}, "longer than an hour"),
        ({"exp": None}, "no exp"),
        ({"jti": None}, "no jti"),
        ({"iss": "someone-else"}, "iss"),
        ({"sub": "no-such-client", "iss": "no-such-client"}, "Client authentication failed"),
    ],
)
async def test_an_assertion_with_a_bad_claim_is_refused(
    platform: Platform, client: httpx.AsyncClient, claims: dict, described: str
) -> None:
    # Times are seconds from when the test runs, not from collection: a long run before it would age them.
    now = int(time.time())
    claims = {name: now + value if name in TIMES and value is not None else value for name, value in claims.items()}
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    bad = assertion(rp, claims.pop("aud", endpoint), **claims)
    body = _refused(
        await client.post("/token", data=token_form(rp, code, endpoint, client_assertion=bad)), "invalid_client"
    )
    assert described in body["error_description"]
    await _redeemable(client, platform, rp, code)


async def test_a_jti_is_never_accepted_twice(platform: Platform, client: httpx.AsyncClient) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    first, _ = await a_code(platform, rp, person)
    second, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    signed = assertion(rp, endpoint, jti="the-same-jti")
    assert (
        await client.post("/token", data=token_form(rp, first, endpoint, client_assertion=signed))
    ).status_code == 200
    body = _refused(
        await client.post("/token", data=token_form(rp, second, endpoint, client_assertion=signed)), "invalid_client"
    )
    assert "jti" in body["error_description"]
    await _redeemable(client, platform, rp, second)


async def test_a_client_id_that_differs_from_the_assertions_sub_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, other, person = await a_client(platform), await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    _refused(
        await client.post("/token", data=token_form(rp, code, endpoint, client_id=other.client_id)), "invalid_client"
    )
    await _redeemable(client, platform, rp, code, client_id=rp.client_id)


async def test_an_inactive_client_is_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    async with platform.uow() as uow:
        await uow.session.execute(
            update(RelyingParty).where(RelyingParty.client_id == rp.client_id).values(active=False)
        )
        await uow.commit()
    endpoint = identity_of(platform).token_endpoint
    body = _refused(await client.post("/token", data=token_form(rp, code, endpoint)), "unauthorized_client")
    assert body["error_description"] == "client deactivated"


async def test_ps256_assertions_with_a_kid_and_the_issuer_as_audience_are_accepted(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    identity = identity_of(platform)
    signed = assertion(rp, identity.issuer, alg="PS256", kid="any-kid")
    answer = await client.post("/token", data=token_form(rp, code, identity.token_endpoint, client_assertion=signed))
    assert answer.status_code == 200, answer.text


async def test_client_secret_post_works_with_the_secret_and_a_wrong_secret_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform, token_auth_method="client_secret_post"), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    assert rp.secret is not None
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "https://parking.example.gov.uk/oidc/callback",
            "client_id": rp.client_id}  # fmt: skip
    _refused(await client.post("/token", data={**form, "client_secret": rp.secret[:-1]}), "invalid_client")
    answer = await client.post("/token", data={**form, "client_secret": rp.secret})
    assert answer.status_code == 200, answer.text


async def test_malformed_token_requests_get_invalid_request_or_unsupported_grant_type(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    form = token_form(rp, code, endpoint)
    _refused(await client.post("/token", data={**form, "grant_type": "password"}), "unsupported_grant_type")
    _refused(await client.post("/token", data={k: v for k, v in form.items() if k != "grant_type"}), "invalid_request")
    _refused(await client.post("/token", json=form), "invalid_request")
    repeated = str(httpx.QueryParams([*form.items(), ("code", "another")]))
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    _refused(await client.post("/token", content=repeated, headers=form_type), "invalid_request")
    no_auth = {k: v for k, v in form.items() if not k.startswith("client_assertion")}
    _refused(await client.post("/token", data=no_auth), "invalid_request")
    await _redeemable(client, platform, rp, code)


async def test_userinfo_without_a_valid_bearer_token_is_401_with_www_authenticate(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}):
        answer = await client.get("/userinfo", headers=headers)
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert answer.json()["error"] == "invalid_token"
