"""A new staff user sets up their account from a one-time link: password, then authenticator."""

import re

import httpx
import pyotp

from govplatform.core.platform import Platform
from govplatform.core.services import staff
from tests.helpers import CLI, csrf_from, sign_in


async def invite(platform: Platform, email: str) -> str:
    async with platform.uow() as uow:
        _user, token = await staff.create_user(
            uow, CLI, platform.settings.api_key_hash_secret, email, 72, platform_admin=True
        )
        await uow.commit()
    return token


async def test_a_new_user_chooses_a_password_enrols_totp_and_signs_in(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    token = await invite(platform, "new@example.gov.uk")
    page = await client.get(f"/setup/{token}")
    assert page.status_code == 200 and "new@example.gov.uk" in page.text
    password = "a long enough passphrase"
    shown = await client.post(
        f"/setup/{token}", data={"password": password, "confirm": password, "csrf_token": csrf_from(page.text)}
    )
    assert shown.status_code == 303 and shown.headers["location"] == f"/setup/{token}/authenticator"
    shown = await client.get(shown.headers["location"])
    assert shown.status_code == 200
    assert "<svg" in shown.text, "a QR code is shown"
    welsh = await client.get(f"/setup/{token}/authenticator?lang=cy")
    assert "Sefydlu eich ap dilysu" in welsh.text, "switching language keeps the step"
    await client.get(f"/setup/{token}/authenticator?lang=en")
    secret = re.search(r'<code class="govuk-!-font-weight-bold">([A-Z2-7 ]+)</code>', shown.text)
    assert secret
    secret_text = secret.group(1).replace(" ", "")
    done = await client.post(
        f"/setup/{token}/authenticator",
        data={"code": pyotp.TOTP(secret_text).now(), "csrf_token": csrf_from(shown.text)},
    )
    assert done.status_code == 200 and "Your account is ready" in done.text
    again = await client.get(f"/setup/{token}")
    assert again.status_code == 404, "the link works once"
    client.cookies.clear()
    # The code used during set-up cannot be replayed; the next time step's code (within the
    # one-step drift allowance) signs in.
    signed = await sign_in(client, "new@example.gov.uk", secret_text, password, at_offset=30)
    assert signed.status_code == 303 and signed.headers["location"] == "/admin"


async def test_a_short_password_is_refused_with_a_clear_message(platform: Platform, client: httpx.AsyncClient) -> None:
    token = await invite(platform, "short@example.gov.uk")
    page = await client.get(f"/setup/{token}")
    response = await client.post(
        f"/setup/{token}", data={"password": "short", "confirm": "short", "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 400
    assert "Password must be 12 characters or more" in response.text


async def test_an_unknown_link_says_it_has_expired(client: httpx.AsyncClient) -> None:
    response = await client.get("/setup/not-a-real-token")
    assert response.status_code == 404
    assert "This link has expired" in response.text
