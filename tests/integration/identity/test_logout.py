"""Front-channel logout: the browser goes back to a registered post-logout URI only with a valid ID token
hint of that client; every other request gets the default "You have signed out" page and no redirect."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from govplatform.core.platform import Platform
from tests.integration.identity.support import (
    Client,
    a_citizen,
    a_client,
    a_code,
    authorise_query,
    identity_of,
    token_form,
)

SIGNED_OUT = "https://parking.example.gov.uk/signed-out"
OTHER_SIGNED_OUT = "https://permits.example.gov.uk/signed-out"


async def _id_token(platform: Platform, client: httpx.AsyncClient, rp: Client) -> str:
    identity = identity_of(platform)
    code, _ = await a_code(platform, rp, await a_citizen(platform))
    issued = await client.post("/token", data=token_form(rp, code, identity.token_endpoint))
    assert issued.status_code == 200, issued.text
    token: str = issued.json()["id_token"]
    return token


async def _our_token(platform: Platform, **claims: Any) -> str:
    """A token signed with the provider's own ES256 key, with the claims given (to make an expired one)."""
    kid, key = (await identity_of(platform).signing_keys.ring()).signers["ES256"]
    return jwt.encode({"alg": "ES256", "kid": kid}, claims, key, algorithms=["ES256"])


def _signed_out(answer: httpx.Response) -> None:
    assert answer.status_code == 200, answer.text
    assert "location" not in answer.headers
    assert "You have signed out" in answer.text


async def test_discovery_advertises_the_end_session_endpoint(platform: Platform, client: httpx.AsyncClient) -> None:
    config = (await client.get("/.well-known/openid-configuration")).json()
    assert config["end_session_endpoint"] == identity_of(platform).base_url + "/logout"


async def test_a_valid_hint_and_a_registered_uri_go_back_to_the_service_with_the_state(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform, post_logout_redirect_uris=[SIGNED_OUT])
    hint = await _id_token(platform, client, rp)
    query = {"id_token_hint": hint, "post_logout_redirect_uri": SIGNED_OUT, "state": "a b&c"}
    answer = await client.get("/logout", params=query)
    assert answer.status_code == 302 and answer.headers["location"] == SIGNED_OUT + "?state=a+b%26c"
    without_state = await client.get("/logout", params={"id_token_hint": hint, "post_logout_redirect_uri": SIGNED_OUT})
    assert without_state.status_code == 302 and without_state.headers["location"] == SIGNED_OUT


async def test_an_expired_hint_of_ours_is_accepted(platform: Platform, client: httpx.AsyncClient) -> None:
    rp = await a_client(platform, post_logout_redirect_uris=[SIGNED_OUT])
    long_ago = int(time.time()) - 86400
    hint = await _our_token(
        platform, iss=identity_of(platform).issuer, aud=rp.client_id, sub="urn:fdc:gov.uk:2022:x",
        iat=long_ago, exp=long_ago + 120,
    )  # fmt: skip
    answer = await client.get("/logout", params={"id_token_hint": hint, "post_logout_redirect_uri": SIGNED_OUT})
    assert answer.status_code == 302 and answer.headers["location"] == SIGNED_OUT


async def test_without_a_hint_or_a_uri_the_default_page_is_shown_in_english_and_welsh(
    client: httpx.AsyncClient,
) -> None:
    _signed_out(await client.get("/logout"))
    _signed_out(await client.get("/logout", params={"post_logout_redirect_uri": SIGNED_OUT, "state": "s"}))
    welsh = await client.get("/logout", params={"lang": "cy"})
    assert welsh.status_code == 200 and "Rydych wedi allgofnodi" in welsh.text


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.example.com/signed-out",
        SIGNED_OUT + "/",
        SIGNED_OUT.upper(),
        SIGNED_OUT + "?next=https://evil.example.com",
        "https://parking.example.gov.uk.evil.example.com/signed-out",
        "//evil.example.com/signed-out",
        "javascript:alert(1)",
        OTHER_SIGNED_OUT,
    ],
)
async def test_a_uri_not_registered_for_the_hints_client_is_never_followed(
    platform: Platform, client: httpx.AsyncClient, uri: str
) -> None:
    rp = await a_client(platform, post_logout_redirect_uris=[SIGNED_OUT])
    await a_client(platform, post_logout_redirect_uris=[OTHER_SIGNED_OUT])  # another client's URI
    hint = await _id_token(platform, client, rp)
    _signed_out(await client.get("/logout", params={"id_token_hint": hint, "post_logout_redirect_uri": uri}))


async def test_a_tampered_a_foreign_or_a_malformed_hint_is_never_followed(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform, post_logout_redirect_uris=[SIGNED_OUT])
    other = await a_client(platform, post_logout_redirect_uris=[OTHER_SIGNED_OUT])
    hint = await _id_token(platform, client, rp)
    head, body, signature = hint.split(".")
    other_hint = await _id_token(platform, client, other)
    tampered = f"{head}.{other_hint.split('.')[1]}.{signature}"  # another client's claims under rp's signature
    kid, ours = (await identity_of(platform).signing_keys.ring()).signers["ES256"]
    claims = jwt.decode(hint, ours, algorithms=["ES256"]).claims
    # The same claims and our kid, signed by a key that is not ours.
    foreign = jwt.encode({"alg": "ES256", "kid": kid}, claims, ECKey.generate_key("P-256"), algorithms=["ES256"])
    unsigned = f"{head}.{body}."
    wrong_issuer = await _our_token(platform, iss="https://evil.example.com/", aud=rp.client_id, sub="s")
    for bad in (tampered, foreign, unsigned, wrong_issuer, "not-a-token", "a.b.c", hint + "x"):
        for uri in (SIGNED_OUT, OTHER_SIGNED_OUT):
            _signed_out(await client.get("/logout", params={"id_token_hint": bad, "post_logout_redirect_uri": uri}))
    # The good hint and another client's registered URI: still the default page.
    mismatched = {"id_token_hint": hint, "post_logout_redirect_uri": OTHER_SIGNED_OUT}
    _signed_out(await client.get("/logout", params=mismatched))


async def test_a_repeated_uri_is_not_followed(platform: Platform, client: httpx.AsyncClient) -> None:
    rp = await a_client(platform, post_logout_redirect_uris=[SIGNED_OUT])
    hint = await _id_token(platform, client, rp)
    query = [("id_token_hint", hint), ("post_logout_redirect_uri", SIGNED_OUT),
             ("post_logout_redirect_uri", "https://evil.example.com/")]  # fmt: skip
    _signed_out(await client.get("/logout", params=query))


async def test_a_query_string_over_2048_characters_is_refused_with_403(client: httpx.AsyncClient) -> None:
    answer = await client.get("/logout", params={"state": "x" * 2100})
    assert answer.status_code == 403 and "location" not in answer.headers
    assert (await client.get("/logout", params={"state": "x" * 2000})).status_code == 200


async def test_signing_out_ends_the_sign_in_the_browser_holds(platform: Platform, client: httpx.AsyncClient) -> None:
    rp = await a_client(platform)
    started = await client.get("/authorize", params=authorise_query(rp))
    assert started.status_code == 302
    assert (await client.get("/identity/sign-in/email")).status_code == 200
    cookie = client.cookies.get("govplatform_identity_sign_in")
    answer = await client.get("/logout")
    _signed_out(answer)
    assert "govplatform_identity_sign_in" in answer.headers.get("set-cookie", "")
    client.cookies.set("govplatform_identity_sign_in", cookie or uuid.uuid4().hex)  # the old cookie, kept anyway
    assert (await client.get("/identity/sign-in/email")).status_code == 400
