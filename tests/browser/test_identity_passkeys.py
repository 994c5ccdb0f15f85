"""Passkeys in Chromium, with a virtual WebAuthn authenticator added through the DevTools protocol (ctap2,
internal transport, resident keys, user verification): a new citizen signs up with a passkey from the Django
relying party (govuk-onelogin-django, as in test_onelogin_django.py), signs in to it again with password and
passkey, and then without a password; manages their passkeys on the account page. Every new page is axe-clean
in English and Welsh. Without JavaScript the passkey forms are hidden and explained, and the password and app
path is unchanged.

The platform here is addressed as http://localhost:PORT: browsers refuse an IP address as a relying party id,
so this module runs a server of its own rather than the session's 127.0.0.1 one.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.conftest import new_context
from tests.browser.onelogin_django_server import NO_VENV, PYTHON, DjangoService, running_django_service
from tests.browser.pages import LANGUAGES
from tests.browser.server import LiveServer, ServerDidNotStart, running_server
from tests.browser.test_invitation_email import email_to

pytestmark = pytest.mark.browser

PASSWORD = "amber lighthouse pebble song"
WORDS = {
    "en": {"email": "Enter your email address to sign in", "create": "Create an account",
           "new_email": "Enter your email address to create an account", "continue": "Continue",
           "code": "Enter the 6-digit code", "password": "Password", "again": "Re-type your password",
           "app": "Set up an authenticator app", "choose_app": "An authenticator app", "choose_passkey": "A passkey",
           "instead": "Use a passkey instead", "make": "Create a passkey",
           "make_button": "Create a passkey and your account", "use": "Use your passkey",
           "without": "Sign in with a passkey", "mine": "Your passkeys", "add": "Add a passkey",
           "already": "This passkey is already set up", "rename": "Rename", "rename_heading": "Rename your passkey",
           "save": "Save", "renamed": "Your passkey has been renamed", "remove": "Remove",
           "cannot": "You cannot remove this passkey", "default": "Passkey on this device",
           "no_js": "you need a browser that supports passkeys, with JavaScript turned on"},
    "cy": {"email": "Rhowch eich cyfeiriad e-bost i fewngofnodi", "create": "Creu cyfrif",
           "new_email": "Rhowch eich cyfeiriad e-bost i greu cyfrif", "continue": "Parhau",
           "code": "Rhowch y cod 6 digid", "password": "Cyfrinair", "again": "Teipiwch eich cyfrinair eto",
           "app": "Sefydlu ap dilysu", "choose_app": "Ap dilysu", "choose_passkey": "Allwedd mynediad",
           "instead": "Defnyddio allwedd mynediad yn lle hynny",
           "make": "Creu allwedd mynediad", "make_button": "Creu allwedd mynediad a’ch cyfrif",
           "use": "Defnyddio eich allwedd mynediad", "without": "Mewngofnodi gydag allwedd mynediad",
           "mine": "Eich allweddi mynediad", "add": "Ychwanegu allwedd mynediad",
           "already": "Mae’r allwedd mynediad hon wedi’i sefydlu’n barod", "rename": "Ailenwi",
           "rename_heading": "Ailenwi eich allwedd mynediad", "save": "Cadw",
           "renamed": "Mae eich allwedd mynediad wedi’i hailenwi", "remove": "Tynnu",
           "cannot": "Ni allwch dynnu’r allwedd mynediad hon", "default": "Allwedd mynediad ar y ddyfais hon",
           "no_js": "mae angen porwr sy’n cefnogi allweddi mynediad, gyda JavaScript wedi’i droi ymlaen"},
}  # fmt: skip


@pytest.fixture(scope="module")
def platform_on_localhost(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    try:
        with running_server(tmp_path_factory.mktemp("passkey-server"), host="localhost") as server:
            yield server
    except ServerDidNotStart as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def django_service(
    platform_on_localhost: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DjangoService]:
    if not PYTHON.exists():
        pytest.fail(NO_VENV)
    try:
        with running_django_service(platform_on_localhost, tmp_path_factory.mktemp("passkey-django")) as service:
            yield service
    except ServerDidNotStart as error:
        pytest.fail(str(error))


@pytest.fixture
async def passkey_page(browser: Browser, platform_on_localhost: LiveServer) -> AsyncIterator[Page]:
    """A page with a virtual authenticator: a platform authenticator that holds resident keys and verifies
    the user (as a phone's fingerprint reader does), added through Chromium's DevTools protocol."""
    context = await new_context(browser, platform_on_localhost)
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})
    await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield page
    await context.close()


async def _heading(page: Page, text: str) -> None:
    await expect(page.get_by_role("heading", level=1)).to_have_text(text)


async def _to_the_platform(page: Page, service: DjangoService, language: str) -> None:
    """From the Django service's "Sign in" to the platform's email page, in the language asked for."""
    await page.goto(f"{service.url}/")
    await _heading(page, "You are not signed in")
    await page.get_by_role("link", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/identity/sign-in/email"))
    await page.goto(page.url.split("?")[0] + f"?lang={language}")  # the web shell remembers it from here on
    await _heading(page, WORDS[language]["email"])


async def _back_at_django(page: Page, service: DjangoService, email: str) -> None:
    await expect(page).to_have_url(f"{service.url}/")
    await _heading(page, f"Signed in as {email}")


async def _sign_out_of_django(page: Page, service: DjangoService) -> None:
    await page.get_by_role("link", name="Sign out").click()
    await expect(page).to_have_url(f"{service.url}/signed-out/")


async def _sign_up_with_a_passkey(page: Page, server: LiveServer, words: dict[str, str], email: str) -> None:
    await page.get_by_role("link", name=words["create"]).click()
    await page.get_by_label(words["new_email"]).fill(email)
    await page.get_by_role("button", name=words["continue"]).click()
    message = await email_to(Path(server.env["GOVPLATFORM_VAR_DIR"]) / "notify" / "email", email)
    body = message.get_body(("plain",))
    found = re.search(r"\b(\d{6})\b", str(body.get_content() if body else ""))
    assert found, "the email holds the code"
    await page.get_by_label(words["code"]).fill(found.group(1))
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_label(words["again"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["continue"]).click()
    # "Choose how to get security codes": a passkey is one of the three.
    await page.get_by_label(words["choose_passkey"], exact=True).check()
    await page.get_by_role("button", name=words["continue"]).click()
    await _heading(page, words["make"])
    await expect(page.get_by_text(words["no_js"])).to_be_hidden()
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["make_button"]).click()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_citizen_signs_up_with_a_passkey_then_signs_in_with_password_and_passkey_and_without_a_password(
    passkey_page: Page, platform_on_localhost: LiveServer, django_service: DjangoService, language: str
) -> None:
    page, words = passkey_page, WORDS[language]
    email = f"passkey-{language}-{secrets.token_hex(4)}@example.com"
    await _to_the_platform(page, django_service, language)
    await _sign_up_with_a_passkey(page, platform_on_localhost, words, email)
    await _back_at_django(page, django_service, email)
    await _sign_out_of_django(page, django_service)

    # Password and passkey: a citizen with no authenticator app is asked for their passkey after the password.
    await _to_the_platform(page, django_service, language)
    await page.get_by_label(words["email"]).fill(email)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=words["continue"]).click()
    await _heading(page, words["use"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["use"]).click()
    await _back_at_django(page, django_service, email)
    await _sign_out_of_django(page, django_service)

    # Without a password: the discoverable passkey names the account, and user verification makes it Cl.Cm.
    await _to_the_platform(page, django_service, language)
    await assert_no_accessibility_violations(page)
    await page.get_by_role("link", name=words["without"]).click()
    await _heading(page, words["without"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["without"]).click()
    await _back_at_django(page, django_service, email)

    # The account's passkeys page: the one passkey, which cannot be removed, renamed; adding the same
    # authenticator again is refused by the browser and explained.
    await page.goto(f"{platform_on_localhost.url}/identity/account/passkeys?lang={language}")
    await _heading(page, words["mine"])
    await expect(page.get_by_role("term")).to_have_text(words["default"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["add"]).click()  # a link drawn as a button
    await _heading(page, words["add"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["add"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(words["already"])
    await assert_no_accessibility_violations(page)
    await page.goto(f"{platform_on_localhost.url}/identity/account/passkeys")
    await page.get_by_role("link", name=f"{words['rename']} {words['default']}").click()
    await page.get_by_label(words["rename_heading"]).fill("")
    await page.get_by_role("button", name=words["save"]).click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["rename_heading"]).fill("Phone")
    await page.get_by_role("button", name=words["save"]).click()
    await expect(page.get_by_text(words["renamed"])).to_be_visible()
    await page.get_by_role("link", name=f"{words['remove']} Phone").click()
    await _heading(page, words["cannot"])
    await assert_no_accessibility_violations(page)


async def test_without_javascript_the_passkey_ways_are_hidden_or_explained_and_the_password_path_is_unchanged(
    browser: Browser, platform_on_localhost: LiveServer
) -> None:
    server = platform_on_localhost
    redirect_uri = f"{server.url}/"
    made = json.loads(
        server.cli("identity", "client", "create", "--service", server.demo.service_id, "--name", "No script",
                   "--redirect-uri", redirect_uri, "--token-auth-method", "client_secret_post", "--json")
    )  # fmt: skip
    query = {"response_type": "code", "scope": "openid email", "client_id": made["client_id"],
             "redirect_uri": redirect_uri, "state": "no-js", "nonce": "no-js-nonce"}  # fmt: skip
    context: BrowserContext = await new_context(browser, server, javascript=False)
    page = await context.new_page()
    try:
        await page.goto("/authorize?" + urlencode(query))
        await _heading(page, WORDS["en"]["email"])
        await expect(page.get_by_role("link", name=WORDS["en"]["without"])).to_be_hidden()
        await page.goto("/identity/sign-in/with-passkey")
        await expect(page.get_by_text(WORDS["en"]["no_js"])).to_be_visible()
        await expect(page.get_by_role("button", name=WORDS["en"]["without"])).to_be_hidden()
        # (axe cannot run in a page without JavaScript; these pages are checked with it in the journey above.)
        await page.get_by_role("link", name="Sign in with your email address and password instead").click()
        await _heading(page, WORDS["en"]["email"])
    finally:
        await context.close()
