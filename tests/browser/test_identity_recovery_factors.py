"""Recovery in Chromium for a citizen whose only second factor is a phone, in English and Welsh, each new page
axe-clean: a lost password proven with a code texted on the reset link (after pressing "Text me a code", read
from the SMS sandbox the live server's worker writes), and a lost phone from "I cannot use my phone" on the
text-code page into the lost-factor recovery, whose wait leaves the browser with nothing that needs Cl.Cm."""

from __future__ import annotations

import re
import secrets
import sqlite3
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.pages import LANGUAGES
from tests.browser.server import LiveServer
from tests.browser.test_identity_recovery import WORDS as RECOVERY_WORDS
from tests.browser.test_identity_recovery import _authorize, link_in, mail_to, relying_party
from tests.browser.test_identity_text_codes import WORDS as TEXT_WORDS
from tests.browser.test_identity_text_codes import _code, _sandbox
from tests.browser.test_invitation_email import text_to

pytestmark = pytest.mark.browser
__all__ = ["relying_party"]  # the module's fixture, used here too

PASSWORD, NEW_PASSWORD = "a long passphrase for recovery", "another passphrase after recovery"
WORDS = {
    "en": {"by_text": "Get a security code by text message", "text_me": "Text me a code",
           "lost_phone": "I cannot use my phone", "lost_phone_heading": "If you cannot use your phone"},
    "cy": {"by_text": "Cael cod diogelwch mewn neges destun", "text_me": "Anfonwch god ataf mewn neges destun",
           "lost_phone": "Ni allaf ddefnyddio fy ffôn", "lost_phone_heading": "Os na allwch ddefnyddio eich ffôn"},
}  # fmt: skip


def _a_number() -> tuple[str, str]:
    """A UK mobile in Ofcom's drama range, as typed and in E.164, never one of notify's smoke-test numbers
    (07700 900000, 900111, 900222: accepted and never sent, so no text would arrive)."""
    last = secrets.choice([number for number in range(1000) if number not in (0, 111, 222)])
    return f"07700 900{last:03d}", f"+447700900{last:03d}"


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
