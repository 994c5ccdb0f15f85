"""govuk-onelogin-django, from PyPI and unchanged, in a minimal Django service (onelogin_django/rp_service)
against the platform in Chromium: a citizen signs in at Cl.Cm.P0 with email, password and authenticator code,
the service shows the email it got from userinfo, and signing out goes through the platform's /logout and
back to the service. A back-channel logout from the platform, sent when the citizen signs out of another
service, ends the Django session: the service's next page shows them signed out."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.browser.onelogin_django_server import NO_VENV, PYTHON, DjangoService, running_django_service
from tests.browser.pages import Authenticator
from tests.browser.server import LiveServer, ServerDidNotStart

pytestmark = pytest.mark.browser

PASSWORD = "a long passphrase for the django service"
EMAIL_HEADING = "Enter your email address to sign in"
CODE_LABEL = "Enter the 6-digit security code shown in your authenticator app"
BACK_CHANNEL_SECONDS = 30.0  # the platform's worker sends the logout token within a poll or two


@pytest.fixture(scope="module")
def django_service(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DjangoService]:
    if not PYTHON.exists():
        pytest.fail(NO_VENV)
    try:
        with running_django_service(live_server, tmp_path_factory.mktemp("django-service")) as service:
            yield service
    except ServerDidNotStart as error:
        pytest.fail(str(error))


def _citizen(live_server: LiveServer) -> tuple[str, Authenticator]:
    secret = pyotp.random_base32()
    email = f"django-{secrets.token_hex(4)}@example.com"
    live_server.cli("identity", "citizen", "create", "--email", email, "--password", PASSWORD, "--totp-secret", secret)
    return email, Authenticator(secret)


async def _sign_in_at_the_platform(page: Page, email: str, authenticator: Authenticator) -> None:
    await expect(page.get_by_role("heading", level=1)).to_have_text(EMAIL_HEADING)
    await page.get_by_label(EMAIL_HEADING).fill(email)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label(CODE_LABEL).fill(await authenticator.code())
    await page.get_by_role("button", name="Continue").click()


async def _sign_in_to_django(page: Page, service: DjangoService, email: str, authenticator: Authenticator) -> None:
    await page.goto(f"{service.url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("You are not signed in")
    async with page.expect_request(lambda request: urlsplit(request.url).path == "/authorize") as sent:
        await page.get_by_role("link", name="Sign in").click()
    authorize = parse_qs(urlsplit((await sent.value).url).query)
    assert authorize["vtr"] == ['["Cl.Cm.P0"]'] and authorize["client_id"] == [service.client_id]
    await _sign_in_at_the_platform(page, email, authenticator)
    await expect(page).to_have_url(f"{service.url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {email}")


async def test_a_citizen_signs_in_to_the_django_service_and_signs_out_through_the_platform(
    page: Page, live_server: LiveServer, django_service: DjangoService
) -> None:
    email, authenticator = _citizen(live_server)
    await _sign_in_to_django(page, django_service, email, authenticator)

    await page.get_by_role("link", name="Sign out").click()
    await expect(page).to_have_url(f"{django_service.url}/signed-out/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out of the service")
    await page.get_by_role("link", name="Start again").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("You are not signed in")


def _other_service(live_server: LiveServer) -> tuple[str, str, str]:
    redirect_uri = f"{live_server.url}/"  # the platform's start page stands in for the other service's callback
    made = json.loads(
        live_server.cli("identity", "client", "create", "--service", live_server.demo.service_id,
                        "--name", "Another service", "--redirect-uri", redirect_uri,
                        "--token-auth-method", "client_secret_post", "--json")
    )  # fmt: skip
    return made["client_id"], made["client_secret"], redirect_uri


async def test_a_back_channel_logout_from_the_platform_ends_the_django_session(
    page: Page, live_server: LiveServer, django_service: DjangoService
) -> None:
    email, authenticator = _citizen(live_server)
    await _sign_in_to_django(page, django_service, email, authenticator)

    # The citizen signs in to another service, then signs out of it at the platform's /logout.
    client_id, client_secret, redirect_uri = _other_service(live_server)
    query = {"response_type": "code", "scope": "openid email", "client_id": client_id,
             "redirect_uri": redirect_uri, "state": "other", "nonce": "other-nonce"}  # fmt: skip
    # Single sign-on: the citizen's session at the platform answers at once, without the sign-in pages.
    await page.goto(f"{live_server.url}/authorize?{urlencode(query)}")
    await expect(page).to_have_url(f"{redirect_uri}?code={parse_qs(urlsplit(page.url).query)['code'][0]}&state=other")
    code = parse_qs(urlsplit(page.url).query)["code"][0]
    tokens = httpx.post(
        f"{live_server.url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "client_secret": client_secret,
        },
        headers={"User-Agent": "govplatform-browser-tests"},
    )
    assert tokens.status_code == 200, tokens.text
    await page.goto(f"{live_server.url}/logout?{urlencode({'id_token_hint': tokens.json()['id_token']})}")
    await expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")

    # The platform's worker posts the logout token to the Django service, which deletes the citizen's session.
    deadline = time.monotonic() + BACK_CHANNEL_SECONDS
    while True:
        await page.goto(f"{django_service.url}/")
        heading = await page.get_by_role("heading", level=1).text_content()
        if heading == "You are not signed in" or time.monotonic() > deadline:
            break
        await page.wait_for_timeout(500)
    assert heading == "You are not signed in", django_service.log.read_text()[-3000:]
