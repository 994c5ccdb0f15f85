"""Text message codes in Chromium, in English and Welsh: a new citizen, sent by the Django relying party
(govuk-onelogin-django, unchanged), creates an account choosing text messages, reads each code from the SMS
sandbox's file that the live server's worker writes, lands back at the service signed in, signs out, and signs
in again with a texted code. A citizen with an app and a phone chooses a text on "Use another way to get a
security code". Every new page, with and without errors, is axe-clean."""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.browser.axe import assert_no_accessibility_violations
from tests.browser.onelogin_django_server import NO_VENV, PYTHON, DjangoService, running_django_service
from tests.browser.pages import LANGUAGES
from tests.browser.server import LiveServer, ServerDidNotStart
from tests.browser.test_identity_sign_up import WORDS as SIGN_UP_WORDS
from tests.browser.test_invitation_email import email_to, text_to

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"sign_in_email": "Enter your email address to sign in", "choose": "Choose how to get security codes",
           "text": "Text message", "select": "Select how you want to get security codes",
           "phone": "Enter your mobile phone number", "landline": "The number you entered is a landline",
           "check_phone": "Check your phone", "problems": "Problems with the code?",
           "send_again": "Send the code again", "new_code": "Get a new code", "send_new": "Send a new code",
           "text_code": "Enter the 6-digit security code", "ending": "We have sent a code to your phone number ending",
           "another_way": "Use another way to get a security code",
           "how": "How do you want to get a security code?", "by_text": "Text message to your phone number ending"},
    "cy": {"sign_in_email": "Rhowch eich cyfeiriad e-bost i fewngofnodi",
           "choose": "Dewiswch sut i gael codau diogelwch", "text": "Neges destun",
           "select": "Dewiswch sut rydych eisiau cael codau diogelwch",
           "phone": "Rhowch eich rhif ffôn symudol", "landline": "Mae’r rhif a roesoch yn rhif llinell dir",
           "check_phone": "Gwiriwch eich ffôn", "problems": "Problemau gyda’r cod?",
           "send_again": "Anfon y cod eto", "new_code": "Cael cod newydd", "send_new": "Anfon cod newydd",
           "text_code": "Rhowch y cod diogelwch 6 digid",
           "ending": "Rydym wedi anfon cod i’ch rhif ffôn sy’n gorffen gyda",
           "another_way": "Defnyddio ffordd arall o gael cod diogelwch",
           "how": "Sut ydych chi eisiau cael cod diogelwch?",
           "by_text": "Neges destun i’ch rhif ffôn sy’n gorffen gyda"},
}  # fmt: skip
PASSWORD = "copper lantern meadow tide"


@pytest.fixture(scope="module")
def django_service(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DjangoService]:
    if not PYTHON.exists():
        pytest.fail(NO_VENV)
    try:
        with running_django_service(live_server, tmp_path_factory.mktemp("django-text-codes")) as service:
            yield service
    except ServerDidNotStart as error:
        pytest.fail(str(error))


def _sandbox(live_server: LiveServer) -> Path:
    return Path(live_server.env["GOVPLATFORM_VAR_DIR"]) / "notify" / "sms.jsonl"


def _a_number() -> tuple[str, str]:
    """A UK mobile in Ofcom's drama range, as typed and in E.164, never one of notify's smoke-test numbers
    (07700 900000, 900111, 900222: accepted and never sent, so no text would arrive)."""
    last = secrets.choice([number for number in range(1000) if number not in (0, 111, 222)])
    return f"07700 900{last:03d}", f"+447700900{last:03d}"


def _code(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, "the text holds the code"
    return found.group(1)


async def _to_platform(page: Page, service: DjangoService, language: str) -> None:
    """The Django service's "Sign in", on to the platform's email page, in the language wanted."""
    await page.goto(f"{service.url}/")
    await page.get_by_role("link", name="Sign in").click()
    await page.wait_for_url(re.compile(r"/identity/sign-in/email"))
    await page.goto(f"/identity/sign-in/email?lang={language}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(WORDS[language]["sign_in_email"])


async def _check_and_continue(page: Page, code: str, button: str) -> None:
    await page.get_by_label(re.compile(r"6")).fill(code)
    await page.get_by_role("button", name=button).click()


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_new_citizen_signs_up_with_text_messages_and_signs_in_to_the_django_service_with_a_texted_code(
    page: Page, live_server: LiveServer, django_service: DjangoService, language: str
) -> None:
    words, sign_up = WORDS[language], SIGN_UP_WORDS[language]
    sandbox = _sandbox(live_server)
    address = f"texter-{language}-{secrets.token_hex(4)}@example.com"
    typed, e164 = _a_number()

    await _to_platform(page, django_service, language)
    await page.get_by_role("link", name=sign_up["create"]).click()
    await page.get_by_label(sign_up["email"]).fill(address)
    await page.get_by_role("button", name=sign_up["continue"]).click()
    message = await email_to(Path(live_server.env["GOVPLATFORM_VAR_DIR"]) / "notify" / "email", address)
    body = message.get_body(("plain",))
    assert body is not None
    await _check_and_continue(page, _code(str(body.get_content())), sign_up["continue"])
    await page.get_by_label(sign_up["password"], exact=True).fill(PASSWORD)
    await page.get_by_label(sign_up["again"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=sign_up["continue"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["choose"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=sign_up["continue"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(words["select"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["text"], exact=True).check()
    await page.get_by_role("button", name=sign_up["continue"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["phone"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["phone"]).fill("020 7946 0000")
    await page.get_by_role("button", name=sign_up["continue"]).click()
    await expect(page.get_by_role("alert")).to_contain_text(words["landline"])
    await assert_no_accessibility_violations(page)
    await page.get_by_label(words["phone"]).fill(typed)
    await page.get_by_role("button", name=sign_up["continue"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["check_phone"])
    await expect(page.locator("#phone-number")).to_have_text(typed)
    await assert_no_accessibility_violations(page)
    first = _code(await text_to(sandbox, e164))
    await _check_and_continue(page, f"{(int(first) + 1) % 1_000_000:06d}", sign_up["finish"])
    await expect(page.get_by_role("alert")).to_contain_text(sign_up["wrong"])
    await assert_no_accessibility_violations(page)
    await page.get_by_text(words["problems"]).click()
    await page.get_by_role("link", name=words["send_again"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["new_code"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=words["send_new"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["check_phone"])
    second = _code(await text_to(sandbox, e164, after=1))
    await _check_and_continue(page, second, sign_up["finish"])
    await expect(page).to_have_url(f"{django_service.url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {address}")

    await page.get_by_role("link", name="Sign out").click()
    await expect(page).to_have_url(f"{django_service.url}/signed-out/")
    await _to_platform(page, django_service, language)
    await page.get_by_label(words["sign_in_email"]).fill(address)
    await page.get_by_role("button", name=sign_up["continue"]).click()
    await page.get_by_label(sign_up["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=sign_up["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(words["check_phone"])
    await expect(page.locator("#sent-to")).to_contain_text(f"{words['ending']} {e164[-4:]}")
    await assert_no_accessibility_violations(page)
    third = _code(await text_to(sandbox, e164, after=2))
    await _check_and_continue(page, f"{(int(third) + 1) % 1_000_000:06d}", sign_up["continue"])
    await expect(page.get_by_role("alert")).to_contain_text(sign_up["wrong"])
    await assert_no_accessibility_violations(page)
    await _check_and_continue(page, third, sign_up["continue"])
    await expect(page).to_have_url(f"{django_service.url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {address}")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_citizen_with_an_app_and_a_phone_chooses_a_text_on_an_axe_clean_page(
    page: Page, live_server: LiveServer, django_service: DjangoService, language: str
) -> None:
    words, sign_up = WORDS[language], SIGN_UP_WORDS[language]
    address = f"both-{language}-{secrets.token_hex(4)}@example.com"
    typed, e164 = _a_number()
    live_server.cli("identity", "citizen", "create", "--email", address, "--password", PASSWORD,
                    "--totp-secret", pyotp.random_base32())  # fmt: skip
    # The command makes citizens with an app; the phone is added as sign-up would have kept it.
    with sqlite3.connect(Path(live_server.env["GOVPLATFORM_VAR_DIR"]) / "browser.db") as database:
        database.execute(
            "UPDATE identity_citizens SET phone_number = ?, phone_number_as_typed = ? WHERE email = ?",
            (e164, typed, address),
        )

    await _to_platform(page, django_service, language)
    await page.get_by_label(words["sign_in_email"]).fill(address)
    await page.get_by_role("button", name=sign_up["continue"]).click()
    await page.get_by_label(sign_up["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=sign_up["continue"]).click()
    await expect(page.get_by_label(sign_up["app_code"])).to_be_visible()
    await page.get_by_role("link", name=words["another_way"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["how"])
    await assert_no_accessibility_violations(page)
    await page.get_by_role("button", name=sign_up["continue"]).click()
    await expect(page.get_by_role("alert")).to_be_visible()
    await assert_no_accessibility_violations(page)
    await page.get_by_label(f"{words['by_text']} {e164[-4:]}").check()
    await page.get_by_role("button", name=sign_up["continue"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(words["check_phone"])
    await assert_no_accessibility_violations(page)
    await _check_and_continue(page, _code(await text_to(_sandbox(live_server), e164)), sign_up["continue"])
    await expect(page).to_have_url(f"{django_service.url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {address}")
