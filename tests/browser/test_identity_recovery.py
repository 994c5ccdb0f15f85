"""Recovery in the browser, in English and Welsh, every new page axe-clean: a citizen who lost their password
(the link from the email the server's worker delivered, their app's code, a new password, back to the service,
then a sign-in with the new password), and one who lost their only second factor (the emailed code after the
password, the wait with its cancel link, then a new authenticator app). During the wait neither path reaches
Cl.Cm: the account pages send the browser to sign in and a service asking for Cl.Cm gets the sign-in pages, not
a code. The live server's wait is tests/browser/server.py's RECOVERY_WAIT_SECONDS."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import re
import secrets
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.conftest import new_context
from tests.browser.pages import LANGUAGES, Authenticator
from tests.browser.server import RECOVERY_WAIT_SECONDS, LiveServer

pytestmark = pytest.mark.browser

PASSWORD, NEW_PASSWORD = "a long passphrase for recovery", "another passphrase after recovery"
WORDS = {
    "en": {"email": "Enter your email address to sign in", "password": "Password", "continue": "Continue",
           "code": "Enter the 6-digit security code shown in your authenticator app",
           "forgot": "I have forgotten my password", "reset": "Reset your password", "address": "Email address",
           "send": "Send the link", "check": "Check your email", "wrong": "not correct",
           "choose": "Choose a new password", "new": "New password", "again": "Re-type your new password",
           "change": "Change password", "used": "already been used", "reset_subject": "Reset your password",
           "lost": "I cannot use my authenticator app", "lost_heading": "If you cannot use your authenticator app",
           "email_me": "Email me a code", "email_code": "Enter the 6-digit code", "code_subject": "Your sign-in code",
           "wait": "You need to wait before you can set up a new way to get security codes",
           "notice_subject": "Someone asked to replace your way to get security codes",
           "cancel": "Cancel the request", "too_early": "You cannot set up a new way to get security codes yet",
           "new_way": "Set up a new way to get security codes", "app": "Set up an authenticator app",
           "completed": "already been completed", "cancelled": "The request has been cancelled",
           "already": "already been cancelled"},
    "cy": {"email": "Rhowch eich cyfeiriad e-bost i fewngofnodi", "password": "Cyfrinair", "continue": "Parhau",
           "code": "Rhowch y cod diogelwch 6 digid a ddangosir yn eich ap dilysu",
           "forgot": "Rwyf wedi anghofio fy nghyfrinair", "reset": "Ailosod eich cyfrinair",
           "address": "Cyfeiriad e-bost", "send": "Anfon y ddolen", "check": "Gwiriwch eich e-bost",
           "wrong": "Nid yw’r cod a roesoch yn gywir", "choose": "Dewiswch gyfrinair newydd",
           "new": "Cyfrinair newydd", "again": "Teipiwch eich cyfrinair newydd eto", "change": "Newid cyfrinair",
           "used": "wedi’i defnyddio’n barod", "reset_subject": "Ailosod eich cyfrinair",
           "lost": "Ni allaf ddefnyddio fy ap dilysu", "lost_heading": "Os na allwch ddefnyddio eich ap dilysu",
           "email_me": "Anfonwch god ataf drwy e-bost", "email_code": "Rhowch y cod 6 digid",
           "code_subject": "Eich cod mewngofnodi",
           "wait": "Mae angen i chi aros cyn y gallwch sefydlu ffordd newydd o gael codau diogelwch",
           "notice_subject": "Gofynnodd rhywun am newid eich ffordd o gael codau diogelwch",
           "cancel": "Canslo’r cais", "too_early": "Ni allwch sefydlu ffordd newydd o gael codau diogelwch eto",
           "new_way": "Sefydlu ffordd newydd o gael codau diogelwch", "app": "Sefydlu ap dilysu",
           "completed": "wedi’i gwblhau’n barod", "cancelled": "Mae’r cais wedi’i ganslo",
           "already": "wedi’i ganslo’n barod"},
}  # fmt: skip
DELIVERY_SECONDS = 20.0


@pytest.fixture(scope="module")
def relying_party(live_server: LiveServer) -> tuple[str, str]:
    redirect_uri = f"{live_server.url}/"  # the platform's start page stands in for the service's callback
    made = json.loads(
        live_server.cli("identity", "client", "create", "--service", live_server.demo.service_id,
                        "--name", "Parking permits", "--redirect-uri", redirect_uri,
                        "--token-auth-method", "client_secret_post", "--json")
    )  # fmt: skip
    return made["client_id"], redirect_uri


def _citizen(live_server: LiveServer) -> tuple[str, Authenticator]:
    secret = pyotp.random_base32()
    address = f"recovering-{secrets.token_hex(4)}@example.com"
    live_server.cli(
        "identity", "citizen", "create", "--email", address, "--password", PASSWORD, "--totp-secret", secret
    )
    return address, Authenticator(secret)


def _authorize(relying_party: tuple[str, str], language: str, state: str) -> str:
    client_id, redirect_uri = relying_party
    query = {"response_type": "code", "scope": "openid email", "client_id": client_id, "redirect_uri": redirect_uri,
             "state": state, "nonce": "n", "ui_locales": language}  # fmt: skip
    return "/authorize?" + urlencode(query)


async def mail_to(live_server: LiveServer, address: str, subject: str) -> str:
    """The plain text of the email with `subject` the server's worker delivered to `address`."""
    folder = Path(live_server.env["GOVPLATFORM_VAR_DIR"]) / "notify" / "email"
    deadline = time.monotonic() + DELIVERY_SECONDS
    while time.monotonic() < deadline:
        for path in folder.glob("*.eml"):
            with path.open("rb") as file:
                message = email.message_from_binary_file(file, policy=email.policy.default)
            if isinstance(message, email.message.EmailMessage) and message["To"] == address:
                body = message.get_body(("plain",))
                if subject in str(message["Subject"]) and body is not None:
                    return str(body.get_content())
        await asyncio.sleep(0.2)
    raise AssertionError(f"no email '{subject}' to {address} within {DELIVERY_SECONDS:.0f} s")


def link_in(body: str, path: str) -> str:
    found = re.search(rf"https?://\S+{re.escape(path)}\?token=[A-Za-z0-9_\-]+", body)
    assert found, body
    parts = urlsplit(found.group(0))
    return f"{parts.path}?{parts.query}"


async def _email_and_password(page: Page, words: dict[str, str], address: str, password: str) -> None:
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["email"])
    await page.get_by_label(words["email"]).fill(address)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill(password)
    await page.get_by_role("button", name=words["continue"]).click()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_citizen_who_lost_their_password_recovers_it_with_the_emailed_link_and_their_app(
    page: Page, browser: Browser, live_server: LiveServer, relying_party: tuple[str, str], language: str
) -> None:
    words = WORDS[language]
    address, authenticator = _citizen(live_server)
    state = f"reset-{language}"
    await page.goto(_authorize(relying_party, language, state))
    await page.get_by_label(words["email"]).fill(address)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_role("link", name=words["forgot"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["reset"])
    await expect(page.get_by_label(words["address"])).to_have_value(address)
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["send"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["check"])
    await assert_no_accessibility_violations(page)

    link = link_in(await mail_to(live_server, address, words["reset_subject"]), "/identity/recovery/reset")
    await page.goto(link)
    await expect(page.get_by_label(words["code"])).to_be_visible()
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["code"]).fill("000000")
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(words["wrong"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["code"]).fill(await authenticator.code())
    await page.get_by_role("button", name=words["continue"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["choose"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["new"], exact=True).fill(NEW_PASSWORD)
    await page.get_by_label(words["again"], exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name=words["change"]).click()
    await expect(page).to_have_url(re.compile(rf"\?code=.+&state={state}$"))  # back at the service

    await page.goto("/identity/recovery/reset/done")  # the confirmation a reset with no service ends at
    await expect(page.locator("html")).to_have_attribute("lang", language)
    await assert_no_accessibility_violations(page)
    await page.goto(link)  # the link is spent
    await expect(page.locator("#why")).to_contain_text(words["used"])
    await assert_no_accessibility_violations(page)

    other = await new_context(browser, live_server)  # another browser signs in with the new password
    try:
        fresh = await other.new_page()
        await fresh.goto(_authorize(relying_party, language, state + "-again"))
        await _email_and_password(fresh, words, address, NEW_PASSWORD)
        await fresh.get_by_label(words["code"]).fill(await authenticator.code())
        await fresh.get_by_role("button", name=words["continue"]).click()
        await expect(fresh).to_have_url(re.compile(rf"\?code=.+&state={state}-again$"))
    finally:
        await other.close()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_citizen_who_lost_their_only_app_waits_then_sets_up_a_new_one_and_never_has_cl_cm_with_one_factor(
    page: Page, browser: Browser, live_server: LiveServer, relying_party: tuple[str, str], language: str
) -> None:
    words = WORDS[language]
    address, _lost = _citizen(live_server)
    await page.goto(_authorize(relying_party, language, "lost"))
    await _email_and_password(page, words, address, PASSWORD)
    await page.get_by_role("link", name=words["lost"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["lost_heading"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["email_me"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["check"])
    await page.get_by_label(words["email_code"]).fill("000000")
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(words["wrong"])
    await assert_no_accessibility_violations(page)
    found = re.search(r"\b(\d{6})\b", await mail_to(live_server, address, words["code_subject"]))
    assert found, "the email holds the code"
    await page.get_by_label(words["email_code"]).fill(found.group(1))
    await page.get_by_role("button", name=words["continue"]).click()
    waiting_since = time.monotonic()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["wait"])
    await assert_no_accessibility_violations(page)

    cancel_link = link_in(await mail_to(live_server, address, words["notice_subject"]), "/identity/recovery/cancel")
    elsewhere = await new_context(browser, live_server)  # the cancel link exists and offers its button
    try:
        mailbox = await elsewhere.new_page()
        await mailbox.goto(f"{cancel_link}&lang={language}")
        await expect(mailbox.get_by_role("button", name=words["cancel"])).to_be_visible()
        await assert_no_accessibility_violations(mailbox)

        # During the wait, nothing needs only one factor to reach Cl.Cm: the account pages send the browser to
        # sign in, a service asking for Cl.Cm gets the sign-in pages and no code, and the new app is refused.
        await page.goto("/identity/account")
        await expect(page.get_by_role("heading", level=1)).to_have_text(words["email"])
        await page.goto(_authorize(relying_party, language, "during-the-wait"))
        await expect(page.get_by_role("heading", level=1)).to_have_text(words["email"])
        assert "code=" not in page.url
        await _email_and_password(page, words, address, PASSWORD)
        await page.goto("/identity/recovery/factor/new")
        await expect(page.locator("#why")).to_contain_text(words["too_early"])
        await assert_no_accessibility_violations(page)
        assert time.monotonic() - waiting_since < RECOVERY_WAIT_SECONDS, "the checks above ran after the wait"

        await asyncio.sleep(max(0.0, RECOVERY_WAIT_SECONDS + 1 - (time.monotonic() - waiting_since)))
        await page.goto("/identity/sign-in/code")
        await page.get_by_role("link", name=words["new_way"]).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(words["app"])
        await assert_no_accessibility_violations(page)
        new_app = Authenticator("".join((await page.locator("#secret-key").inner_text()).split()))
        await page.get_by_label(words["code"]).fill(await new_app.code())
        await page.get_by_role("button", name=words["continue"]).click()
        await expect(page).to_have_url(re.compile(r"\?code=.+&state=during-the-wait$"))
        assert len(parse_qs(urlsplit(page.url).query)["code"][0]) >= 43

        await mailbox.goto(f"{cancel_link}&lang={language}")  # too late to cancel: said so
        await expect(mailbox.locator("#why")).to_contain_text(words["completed"])
        await assert_no_accessibility_violations(mailbox)
    finally:
        await elsewhere.close()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_the_cancel_link_from_the_notice_cancels_the_request_once(
    page: Page, live_server: LiveServer, relying_party: tuple[str, str], language: str
) -> None:
    words = WORDS[language]
    address, _lost = _citizen(live_server)
    await page.goto(_authorize(relying_party, language, "cancelled"))
    await _email_and_password(page, words, address, PASSWORD)
    await page.get_by_role("link", name=words["lost"]).click()
    await page.get_by_role("button", name=words["email_me"]).click()
    found = re.search(r"\b(\d{6})\b", await mail_to(live_server, address, words["code_subject"]))
    assert found, "the email holds the code"
    await page.get_by_label(words["email_code"]).fill(found.group(1))
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["wait"])

    cancel_link = link_in(await mail_to(live_server, address, words["notice_subject"]), "/identity/recovery/cancel")
    await page.goto(f"{cancel_link}&lang={language}")
    await page.get_by_role("button", name=words["cancel"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["cancelled"])
    await assert_no_accessibility_violations(page)
    await page.goto(cancel_link)
    await expect(page.locator("#why")).to_contain_text(words["already"])
