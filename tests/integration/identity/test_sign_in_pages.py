"""The citizen sign-in pages: they never say whether an email has an account, guessing meets core's
throttle, a code works once, and a sign-in not started by a service goes nowhere."""

from __future__ import annotations

import re

import httpx

from govplatform.core.platform import Platform
from tests.helpers import post_form
from tests.integration.identity.support import (
    PASSWORD,
    REDIRECT_URI,
    a_citizen,
    a_client,
    authorise_query,
    code_from,
    sign_in_through_pages,
)

EMAIL, PASSWORD_PAGE, CODE = "/identity/sign-in/email", "/identity/sign-in/password", "/identity/sign-in/code"


async def _to_password(http: httpx.AsyncClient, platform: Platform, email: str) -> None:
    rp = await a_client(platform)
    started = await http.get("/authorize", params=authorise_query(rp))
    assert started.status_code == 302
    assert (await post_form(http, EMAIL, EMAIL, {"email": email})).status_code == 303


async def test_a_known_and_an_unknown_email_look_the_same_until_the_password_is_wrong_and_then_alike(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    answers = []
    for email in (person.email, "nobody-here@example.com"):
        await _to_password(client, platform, email)
        page = await client.get(PASSWORD_PAGE)
        assert page.status_code == 200 and email in page.text
        wrong = await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": "not the password"})
        text = re.sub(r'(value|nonce)="[^"]*"', "", wrong.text.replace(email, "EMAIL"))
        answers.append((wrong.status_code, text))
    assert answers[0][0] == answers[1][0] == 400
    assert "Enter the correct email address and password" in answers[0][1]
    assert answers[0][1] == answers[1][1], "the pages for a known and an unknown email differ"


async def test_guessing_passwords_meets_the_throttle_with_429_and_retry_after(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await _to_password(client, platform, "guessed@example.com")
    statuses = []
    for _ in range(14):
        answer = await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": "guess"})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["retry-after"]) >= 1 and "too many times" in answer.text
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}


async def test_a_wrong_code_is_refused_and_a_code_is_accepted_only_once(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    query = authorise_query(rp)
    await client.get("/authorize", params=query)
    await post_form(client, EMAIL, EMAIL, {"email": person.email})
    await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
    now = person.totp.now()
    wrong = str((int(now) + 1) % 1_000_000).zfill(6)
    refused = await post_form(client, CODE, CODE, {"code": wrong})
    assert refused.status_code == 400 and "not correct" in refused.text
    back = await post_form(client, CODE, CODE, {"code": now})
    assert back.status_code == 302 and code_from(back.headers["location"])["state"] == query["state"]
    # The same citizen, another sign-in, the same code within its 30 seconds: refused (RFC 6238 section 5.2).
    await client.get("/authorize", params=authorise_query(rp))
    await post_form(client, EMAIL, EMAIL, {"email": person.email})
    await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
    again = await post_form(client, CODE, CODE, {"code": now})
    assert again.status_code == 400 and "location" not in again.headers


async def test_the_code_page_needs_the_password_first(platform: Platform, client: httpx.AsyncClient) -> None:
    rp = await a_client(platform)
    await client.get("/authorize", params=authorise_query(rp))
    answer = await client.get(CODE)
    assert answer.status_code == 303 and answer.headers["location"] == EMAIL


async def test_pages_without_a_sign_in_started_by_a_service_say_so(client: httpx.AsyncClient) -> None:
    for path in (EMAIL, PASSWORD_PAGE, CODE):
        answer = await client.get(path)
        assert answer.status_code == 400 and "Go back to the service" in answer.text


async def test_a_password_alone_is_enough_when_the_client_asks_for_cl(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    query = authorise_query(rp, vtr='["Cl"]')
    await client.get("/authorize", params=query)
    await post_form(client, EMAIL, EMAIL, {"email": person.email})
    back = await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT_URI + "?code=")


async def test_the_fragment_response_mode_puts_the_code_in_the_fragment(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    back = await sign_in_through_pages(client, authorise_query(rp, response_mode="fragment"), person)
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT_URI + "#code=")


async def test_guessing_codes_meets_the_throttle_and_then_even_the_right_code_waits(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await client.get("/authorize", params=authorise_query(rp))
    await post_form(client, EMAIL, EMAIL, {"email": person.email})
    await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
    right = person.totp.now()
    wrong = str((int(right) + 500_000) % 1_000_000).zfill(6)
    statuses = []
    for _ in range(12):
        answer = await post_form(client, CODE, CODE, {"code": wrong})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}
    waited = await post_form(client, CODE, CODE, {"code": right})
    assert waited.status_code == 429 and "location" not in waited.headers


async def test_an_empty_or_malformed_email_is_asked_for_again_on_the_page(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp = await a_client(platform)
    await client.get("/authorize", params=authorise_query(rp))
    empty = await post_form(client, EMAIL, EMAIL, {"email": " "})
    assert empty.status_code == 400 and "Enter your email address" in empty.text and "Error:" in empty.text
    malformed = await post_form(client, EMAIL, EMAIL, {"email": "not-an-email"})
    assert (
        malformed.status_code == 400 and "correct format" in malformed.text and 'value="not-an-email"' in malformed.text
    )


async def test_the_sign_in_pages_let_their_forms_end_at_the_service_and_nowhere_else(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    # Browsers check the redirect after a form against the page's CSP form-action: without the service's
    # origin there, the citizen's last Continue could never take them back to a service on another site.
    await _to_password(client, platform, "csp@example.com")
    policy = (await client.get(PASSWORD_PAGE)).headers["content-security-policy"]
    origin = "/".join(REDIRECT_URI.split("/")[:3])
    assert f"form-action 'self' {origin};" in policy
    elsewhere = (await client.get("/")).headers["content-security-policy"]
    assert "form-action 'self';" in elsewhere
