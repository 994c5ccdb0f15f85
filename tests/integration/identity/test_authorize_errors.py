"""Bad input at /authorize (issue 15's list), answered where One Login answers it: a page of our own, with no
redirect, until the client and its exact redirect URI are known; after that a redirect back to the client
with `error`, `error_description` and `state`. No sign-in is started by any of them."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from sqlalchemy import func, select, update

from govplatform.core.platform import Platform
from govplatform.identity.models import RelyingParty, SignIn
from tests.integration.identity.support import REDIRECT_URI, a_client, authorise_query, identity_of


async def _sign_ins(platform: Platform) -> int:
    async with platform.uow(read_only=True) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(SignIn)) or 0)


def _redirected(answer: httpx.Response, error: str, state: str | None) -> str:
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    values = {name: found[0] for name, found in parse_qs(urlsplit(location).query).items()}
    assert values["error"] == error and values.get("state") == state and "code" not in values
    return values["error_description"]


@pytest.mark.parametrize(
    "redirect_uri",
    [
        None,
        "https://evil.example.com/oidc/callback",
        REDIRECT_URI + "/",
        REDIRECT_URI.upper(),
        REDIRECT_URI.replace("https", "http"),
        REDIRECT_URI + "?next=https://evil.example.com",
        "https://parking.example.gov.uk.evil.example.com/oidc/callback",
    ],
)
async def test_an_unregistered_or_near_miss_redirect_uri_is_shown_a_page_and_never_redirected_to(
    platform: Platform, client: httpx.AsyncClient, redirect_uri: str | None
) -> None:
    rp = await a_client(platform)
    before = await _sign_ins(platform)
    answer = await client.get("/authorize", params=authorise_query(rp, redirect_uri=redirect_uri))
    assert answer.status_code == 400 and "location" not in answer.headers
    assert "redirect_uri" in answer.text and await _sign_ins(platform) == before


async def test_an_unknown_client_is_shown_a_page_and_never_redirected(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform)
    answer = await client.get("/authorize", params=authorise_query(rp, client_id="no-such-client"))
    assert answer.status_code == 400 and "location" not in answer.headers and "unknown client_id" in answer.text
    missing = await client.get("/authorize", params=authorise_query(rp, client_id=None))
    assert missing.status_code == 400 and "location" not in missing.headers


async def test_a_query_over_4096_characters_is_refused_with_403(platform: Platform, client: httpx.AsyncClient) -> None:
    rp = await a_client(platform)
    answer = await client.get("/authorize", params=authorise_query(rp, state="s" * 4200))
    assert answer.status_code == 403 and "location" not in answer.headers


async def test_a_missing_state_is_sent_back_as_invalid_request_without_state(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform)
    before = await _sign_ins(platform)
    answer = await client.get("/authorize", params=authorise_query(rp, state=None))
    assert "state" in _redirected(answer, "invalid_request", None)
    assert await _sign_ins(platform) == before


@pytest.mark.parametrize(
    ("overrides", "error", "described"),
    [
        ({"nonce": None}, "invalid_request", "nonce"),
        ({"request_uri": "https://parking.example.gov.uk/request.jwt"}, "request_uri_not_supported", "not supported"),
        ({"response_type": "token"}, "unsupported_response_type", "code"),
        ({"response_type": None}, "unsupported_response_type", "code"),
        ({"scope": "email"}, "invalid_scope", "scope"),
        ({"scope": "openid phone"}, "invalid_scope", "scope"),
        ({"vtr": '["Cl.P2"]'}, "invalid_request", "Request vtr not valid"),
        ({"vtr": '["Cl.Cm.P0", "Cl.Cm.P2"]'}, "invalid_request", "Request vtr not valid"),
        ({"vtr": '["Cl.Cm.P1.P2"]'}, "invalid_request", "Request vtr not valid"),
        ({"vtr": '["Cl.Cm.P2"]'}, "invalid_request", "Request vtr not valid"),
        ({"vtr": "not json"}, "invalid_request", "Request vtr not valid"),
        ({"claims": "{not json"}, "invalid_request", "invalid claims"),
        ({"claims": '{"userinfo": {"https://vocab.account.gov.uk/v1/passport": null}}'}, "invalid_request", "claims"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request", "S256"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request", "code_challenge"),
        ({"prompt": "none"}, "login_required", "Login required"),
    ],
)
async def test_a_bad_request_from_a_known_client_is_sent_back_to_it_with_the_error(
    platform: Platform, client: httpx.AsyncClient, overrides: dict, error: str, described: str
) -> None:
    rp = await a_client(platform)
    before = await _sign_ins(platform)
    query = authorise_query(rp, **overrides)
    assert described in _redirected(await client.get("/authorize", params=query), error, query["state"])
    assert await _sign_ins(platform) == before


async def test_an_identity_level_no_proofing_route_reaches_is_access_denied_at_once(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    # P2 is reachable (test_core_identity.py: access_denied only after sign-in, for a citizen who has not
    # proved it); P3 is not, by any route the platform has (docs/identity-proofing.md), so no sign-in starts.
    rp = await a_client(platform, levels=["P0", "P2", "P3"])
    before = await _sign_ins(platform)
    query = authorise_query(rp, vtr='["Cl.Cm.P3"]')
    _redirected(await client.get("/authorize", params=query), "access_denied", query["state"])
    assert await _sign_ins(platform) == before


async def test_pkce_enforced_for_a_client_refuses_a_request_without_a_challenge(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform, pkce_required=True)
    query = authorise_query(rp)
    assert "PKCE is enforced" in _redirected(
        await client.get("/authorize", params=query), "invalid_request", query["state"]
    )


async def test_an_inactive_client_is_told_client_deactivated(platform: Platform, client: httpx.AsyncClient) -> None:
    rp = await a_client(platform)
    async with platform.uow() as uow:
        await uow.session.execute(
            update(RelyingParty).where(RelyingParty.client_id == rp.client_id).values(active=False)
        )
        await uow.commit()
    query = authorise_query(rp)
    assert (
        _redirected(await client.get("/authorize", params=query), "unauthorized_client", query["state"])
        == "client deactivated"
    )


async def test_a_repeated_parameter_is_shown_a_page(platform: Platform, client: httpx.AsyncClient) -> None:
    rp = await a_client(platform)
    params = [*list(authorise_query(rp).items()), ("redirect_uri", "https://evil.example.com/cb")]
    answer = await client.get("/authorize", params=params)
    assert answer.status_code == 400 and "location" not in answer.headers


async def test_a_good_request_starts_a_sign_in_and_ui_locales_cy_asks_for_welsh(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform)
    before = await _sign_ins(platform)
    answer = await client.get("/authorize", params=authorise_query(rp, ui_locales="cy en"))
    assert answer.status_code == 302 and answer.headers["location"] == "/identity/sign-in/email?lang=cy"
    assert await _sign_ins(platform) == before + 1
    page = await client.get(answer.headers["location"])
    assert page.status_code == 200 and '<html lang="cy"' in page.text
    assert "Rhowch eich cyfeiriad e-bost i fewngofnodi" in page.text


def _request_object(rp, platform: Platform, **claims: object) -> str:
    identity = identity_of(platform)
    now = int(time.time())
    body = {"iss": rp.client_id, "aud": identity.issuer + "authorize", "exp": now + 300, "iat": now, **claims}
    return jwt.encode({"alg": "RS256"}, {k: v for k, v in body.items() if v is not None}, rp.key, algorithms=["RS256"])


async def test_a_signed_request_object_is_used_and_a_tampered_one_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform)
    inner = authorise_query(rp)
    signed = _request_object(rp, platform, **{**inner, "vtr": ["Cl.Cm"]})
    outer = {"response_type": "code", "scope": inner["scope"], "client_id": rp.client_id, "redirect_uri": REDIRECT_URI}
    accepted = await client.get("/authorize", params={**outer, "request": signed})
    assert accepted.status_code == 302 and accepted.headers["location"].startswith("/identity/sign-in/email")
    head, payload, signature = signed.split(".")
    tampered = ".".join([head, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), signature])
    refused = await client.get("/authorize", params={**outer, "state": "outer", "request": tampered})
    assert "signature" in _redirected(refused, "invalid_request", "outer")
    wrong_aud = _request_object(rp, platform, **inner, aud="https://elsewhere.example.com/")
    refused = await client.get("/authorize", params={**outer, "state": "outer", "request": wrong_aud})
    assert "aud" in _redirected(refused, "invalid_request", "outer")
