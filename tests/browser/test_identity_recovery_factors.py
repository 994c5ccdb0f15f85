"""Recovery in Chromium for a citizen whose only second factor is a phone or a passkey, in English and Welsh, each
new page axe-clean: a lost password proven with a code texted on the reset link (after pressing "Text me a code",
read from the SMS sandbox the live server's worker writes) or with the passkey on Chromium's virtual authenticator;
a lost phone from "I cannot use my phone" on the text-code page into the lost-factor recovery, whose wait leaves
the browser with nothing that needs Cl.Cm; and "I cannot use my passkey" on the passkey page."""

from __future__ import annotations

import re
import secrets
import sqlite3
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.onelogin_django_server import DjangoService
from tests.browser.pages import LANGUAGES
from tests.browser.server import LiveServer
from tests.browser.test_identity_passkeys import PASSWORD as PASSKEY_PASSWORD
from tests.browser.test_identity_passkeys import WORDS as PASSKEY_SIGN_UP_WORDS
from tests.browser.test_identity_passkeys import (
    _back_at_django,
    _sign_out_of_django,
    _to_the_platform,
    django_service,
    passkey_page,
    platform_on_localhost,
)
from tests.browser.test_identity_recovery import WORDS as RECOVERY_WORDS
from tests.browser.test_identity_recovery import _authorize, link_in, mail_to, relying_party
from tests.browser.test_identity_text_codes import WORDS as TEXT_WORDS
from tests.browser.test_identity_text_codes import _a_number, _code, _sandbox
from tests.browser.test_invitation_email import email_to, text_to

pytestmark = pytest.mark.browser
__all__ = ["django_service", "passkey_page", "platform_on_localhost", "relying_party"]  # fixtures used here too

PASSWORD, NEW_PASSWORD = "a long passphrase for recovery", "another passphrase after recovery"
WORDS = {
    "en": {"by_text": "Get a security code by text message", "text_me": "Text me a code",
           "lost_phone": "I cannot use my phone", "lost_phone_heading": "If you cannot use your phone"},
    "cy": {"by_text": "Cael cod diogelwch mewn neges destun", "text_me": "Anfonwch god ataf mewn neges destun",
           "lost_phone": "Ni allaf ddefnyddio fy ffôn", "lost_phone_heading": "Os na allwch ddefnyddio eich ffôn"},
}  # fmt: skip


def _texting_citizen(live_server: LiveServer) -> tuple[str, str]:
    """A citizen whose only second factor is a phone: made by the command (with an app), then the app swapped
    for a phone as sign-up by text would have kept it. Returns the email and the number in E.164."""
    address = f"texting-{secrets.token_hex(4)}@example.com"
    typed, e164 = _a_number()
    live_server.cli("identity", "citizen", "create", "--email", address, "--password", PASSWORD,
                    "--totp-secret", pyotp.random_base32())  # fmt: skip
    with sqlite3.connect(Path(live_server.env["GOVPLATFORM_VAR_DIR"]) / "browser.db") as database:
        database.execute(
            "UPDATE identity_citizens SET phone_number = ?, phone_number_as_typed = ?, totp_secret_encrypted = NULL"
            " WHERE email = ?",
            (e164, typed, address),
        )
    return address, e164


async def _texts_so_far(live_server: LiveServer, e164: str) -> int:
    sandbox = _sandbox(live_server)
    lines = sandbox.read_text(encoding="utf-8").splitlines() if sandbox.exists() else []
    return sum(1 for line in lines if e164.lstrip("+") in line)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_text_only_citizen_resets_their_password_with_a_code_texted_on_the_reset_link(
    page: Page, live_server: LiveServer, relying_party: tuple[str, str], language: str
) -> None:
    words, recovery, text = WORDS[language], RECOVERY_WORDS[language], TEXT_WORDS[language]
    address, e164 = _texting_citizen(live_server)
    state = f"text-reset-{language}"
    await page.goto(_authorize(relying_party, language, state))
    await page.get_by_label(recovery["email"]).fill(address)
    await page.get_by_role("button", name=recovery["continue"]).click()
    await page.get_by_role("link", name=recovery["forgot"]).click()
    await page.get_by_role("button", name=recovery["send"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(recovery["check"])

    link = link_in(await mail_to(live_server, address, recovery["reset_subject"]), "/identity/recovery/reset")
    before = await _texts_so_far(live_server, e164)
    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["by_text"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["text_me"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(text["check_phone"])
    await assert_no_accessibility_violations(page)
    code = _code(await text_to(_sandbox(live_server), e164, before))
    await page.get_by_label(text["text_code"]).fill(f"{(int(code) + 1) % 1_000_000:06d}")
    await page.get_by_role("button", name=recovery["continue"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(recovery["wrong"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(text["text_code"]).fill(code)
    await page.get_by_role("button", name=recovery["continue"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(recovery["choose"])
    await page.get_by_label(recovery["new"], exact=True).fill(NEW_PASSWORD)
    await page.get_by_label(recovery["again"], exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name=recovery["change"]).click()
    await expect(page).to_have_url(re.compile(rf"\?code=.+&state={state}$"))  # back at the service


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_text_only_citizen_who_cannot_use_their_phone_waits_at_cl_only(
    page: Page, live_server: LiveServer, relying_party: tuple[str, str], language: str
) -> None:
    words, recovery, text = WORDS[language], RECOVERY_WORDS[language], TEXT_WORDS[language]
    address, _ = _texting_citizen(live_server)
    await page.goto(_authorize(relying_party, language, f"lost-phone-{language}"))
    await page.get_by_label(recovery["email"]).fill(address)
    await page.get_by_role("button", name=recovery["continue"]).click()
    await page.get_by_label(recovery["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=recovery["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(text["check_phone"])
    await page.get_by_role("link", name=words["lost_phone"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["lost_phone_heading"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=recovery["email_me"]).click()
    body = await mail_to(live_server, address, recovery["code_subject"])
    found = re.search(r"\b(\d{6})\b", body)
    assert found
    await page.get_by_label(re.compile(recovery["email_code"])).fill(found.group(1))
    await page.get_by_role("button", name=recovery["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(recovery["wait"])
    await assert_no_accessibility_violations(page)

    await page.goto("/identity/account")  # the wait gives nothing that needs Cl.Cm
    await expect(page).to_have_url(re.compile(r"/identity/sign-in/"))


PASSKEY_WORDS = {
    "en": {"lost_passkey": "I cannot use my passkey", "lost_passkey_heading": "If you cannot use your passkey",
           "an_app": "An authenticator app"},
    "cy": {"lost_passkey": "Ni allaf ddefnyddio fy allwedd mynediad",
           "lost_passkey_heading": "Os na allwch ddefnyddio eich allwedd mynediad", "an_app": "Ap dilysu"},
}  # fmt: skip


async def _sign_up_with_a_passkey(page: Page, server: LiveServer, language: str, email: str) -> None:
    """test_identity_passkeys' sign-up, with the choice of app or text that sign-up gained since: the app's
    set-up page offers the passkey."""
    words = PASSKEY_SIGN_UP_WORDS[language]
    await page.get_by_role("link", name=words["create"]).click()
    await page.get_by_label(words["new_email"]).fill(email)
    await page.get_by_role("button", name=words["continue"]).click()
    message = await email_to(Path(server.env["GOVPLATFORM_VAR_DIR"]) / "notify" / "email", email)
    body = message.get_body(("plain",))
    found = re.search(r"\b(\d{6})\b", str(body.get_content() if body else ""))
    assert found, "the email holds the code"
    await page.get_by_label(words["code"]).fill(found.group(1))
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(words["password"], exact=True).fill(PASSKEY_PASSWORD)
    await page.get_by_label(words["again"], exact=True).fill(PASSKEY_PASSWORD)
    await page.get_by_role("button", name=words["continue"]).click()
    await page.get_by_label(PASSKEY_WORDS[language]["an_app"], exact=True).check()
    await page.get_by_role("button", name=words["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["app"])
    await page.get_by_role("link", name=words["instead"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["make"])
    await page.get_by_role("button", name=words["make_button"]).click()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_passkey_only_citizen_resets_their_password_with_their_passkey_and_can_ask_to_replace_it(
    passkey_page: Page, platform_on_localhost: LiveServer, django_service: DjangoService, language: str
) -> None:
    page, server = passkey_page, platform_on_localhost
    words, recovery, passkey = PASSKEY_WORDS[language], RECOVERY_WORDS[language], PASSKEY_SIGN_UP_WORDS[language]
    address = f"passkey-reset-{language}-{secrets.token_hex(4)}@example.com"
    await _to_the_platform(page, django_service, language)
    await _sign_up_with_a_passkey(page, server, language, address)
    await _back_at_django(page, django_service, address)
    await _sign_out_of_django(page, django_service)

    await _to_the_platform(page, django_service, language)
    await page.get_by_label(recovery["email"]).fill(address)
    await page.get_by_role("button", name=recovery["continue"]).click()
    await page.get_by_role("link", name=recovery["forgot"]).click()
    await page.get_by_role("button", name=recovery["send"]).click()
    link = link_in(await mail_to(server, address, recovery["reset_subject"]), "/identity/recovery/reset")
    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_have_text(passkey["use"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=passkey["use"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(recovery["choose"])  # the passkey proven
    await page.get_by_label(recovery["new"], exact=True).fill(NEW_PASSWORD)
    await page.get_by_label(recovery["again"], exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name=recovery["change"]).click()
    # Back at the service on another origin: the form's redirect is allowed by the page's CSP form-action.
    await _back_at_django(page, django_service, address)
    await _sign_out_of_django(page, django_service)

    await _to_the_platform(page, django_service, language)
    await page.get_by_label(recovery["email"]).fill(address)
    await page.get_by_role("button", name=recovery["continue"]).click()
    await page.get_by_label(recovery["password"], exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name=recovery["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(passkey["use"])
    await page.get_by_role("link", name=words["lost_passkey"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["lost_passkey_heading"])
    await assert_no_accessibility_violations(page)
