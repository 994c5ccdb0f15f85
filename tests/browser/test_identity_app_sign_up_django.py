"""The authenticator app, the first of the three second factors, end to end with the Django relying party
(govuk-onelogin-django, unchanged): a new citizen sent by the service creates an account choosing an app, is
back at the service signed in, signs out, and signs in again with the app's code. (Text messages and passkeys
have their own journeys: test_identity_text_codes.py, test_identity_passkeys.py.)"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.onelogin_django_server import NO_VENV, PYTHON, DjangoService, running_django_service
from tests.browser.pages import Authenticator
from tests.browser.server import LiveServer, ServerDidNotStart
from tests.browser.test_identity_sign_up import WORDS as SIGN_UP_WORDS
from tests.browser.test_identity_text_codes import WORDS as TEXT_WORDS
from tests.browser.test_identity_text_codes import _check_and_continue, _code, _to_platform
from tests.browser.test_invitation_email import email_to

pytestmark = pytest.mark.browser
PASSWORD = "amber signal orchard wren"


@pytest.fixture(scope="module")
def django_service(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DjangoService]:
    if not PYTHON.exists():
        pytest.fail(NO_VENV)
    try:
        with running_django_service(live_server, tmp_path_factory.mktemp("django-app-sign-up")) as service:
            yield service
    except ServerDidNotStart as error:
        pytest.fail(str(error))


async def test_a_new_citizen_signs_up_with_an_authenticator_app_and_signs_in_to_the_django_service_with_it(
    page: Page, live_server: LiveServer, django_service: DjangoService
) -> None:
    sign_up, words = SIGN_UP_WORDS["en"], TEXT_WORDS["en"]
    address = f"app-{secrets.token_hex(4)}@example.com"
    await _to_platform(page, django_service, "en")
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
    await page.get_by_label("An authenticator app", exact=True).check()
    await page.get_by_role("button", name=sign_up["continue"]).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(sign_up["app"])
    app = Authenticator(re.sub(r"\s", "", await page.locator("#secret-key").inner_text()))
    await page.get_by_label(sign_up["app_code"]).fill(await app.code())
    await page.get_by_role("button", name=sign_up["finish"]).click()
    await expect(page).to_have_url(f"{django_service.url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {address}")

    await page.get_by_role("link", name="Sign out").click()
    await expect(page).to_have_url(f"{django_service.url}/signed-out/")
    await _to_platform(page, django_service, "en")
    await page.get_by_label(words["sign_in_email"]).fill(address)
    await page.get_by_role("button", name=sign_up["continue"]).click()
    await page.get_by_label(sign_up["password"], exact=True).fill(PASSWORD)
    await page.get_by_role("button", name=sign_up["continue"]).click()
    await page.get_by_label(sign_up["app_code"]).fill(await app.code())
    await page.get_by_role("button", name=sign_up["continue"]).click()
    await expect(page).to_have_url(f"{django_service.url}/")
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Signed in as {address}")
