"""Control characters sent to identity's routes get One Login's error or the page's own, never a 500, on
SQLite and PostgreSQL alike. Core refuses NUL in a query or form before any route runs (input_rules.py); a
NUL inside a signed JWT's claims gets past that, and identity refuses it itself."""

from __future__ import annotations

import httpx

from govplatform.core.platform import Platform
from tests.helpers import post_form
from tests.integration.identity.support import (
    a_citizen,
    a_client,
    a_code,
    assertion,
    authorise_query,
    identity_of,
    token_form,
)


async def test_control_characters_at_authorize_are_refused_without_a_500(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform)
    shown = await client.get("/authorize", params=authorise_query(rp, client_id="abc\x00def"))
    assert shown.status_code == 400 and "location" not in shown.headers
    for name in ("state", "nonce", "code_challenge"):
        answer = await client.get("/authorize", params=authorise_query(rp, **{name: "a\x01" + "b" * 50}))
        assert answer.status_code == 302 and "error=invalid_request" in answer.headers["location"], name
        assert "%01" not in answer.headers["location"]


async def test_control_characters_at_token_are_refused_without_a_500(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    code, _ = await a_code(platform, rp, person)
    endpoint = identity_of(platform).token_endpoint
    secret_post = {"grant_type": "authorization_code", "code": code, "redirect_uri": "x", "client_id": "a\x00",
                   "client_secret": "s"}  # fmt: skip
    refused = await client.post("/token", data=secret_post)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"  # core's NUL rule, our format
    secret_post["client_id"] = "a\x01"
    assert (await client.post("/token", data=secret_post)).json()["error"] == "invalid_client"
    bad_sub = assertion(rp, endpoint, sub="a\x00b")
    assert (
        await client.post("/token", data=token_form(rp, code, endpoint, client_assertion=bad_sub))
    ).status_code == 400
    bad_jti = assertion(rp, endpoint, jti="\x00")
    answer = await client.post("/token", data=token_form(rp, code, endpoint, client_assertion=bad_jti))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client"
    odd_code = await client.post("/token", data=token_form(rp, "\x01", endpoint))
    assert odd_code.status_code == 400 and odd_code.json()["error"] == "invalid_grant"
    assert (await client.post("/token", data=token_form(rp, code, endpoint))).status_code == 200


async def test_an_email_with_a_nul_is_refused_on_the_page(platform: Platform, client: httpx.AsyncClient) -> None:
    rp = await a_client(platform)
    await client.get("/authorize", params=authorise_query(rp))
    email = "/identity/sign-in/email"
    answer = await post_form(client, email, email, {"email": "resident\x01@example.com"})
    assert answer.status_code == 400 and "correct format" in answer.text
