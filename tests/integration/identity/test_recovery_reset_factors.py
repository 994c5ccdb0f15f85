"""A lost password for an account whose second factor is not (only) an authenticator app: a text-only account
proves a code texted on the reset link, a passkey-only account answers a challenge of the reset link with one of
its passkeys; each then chooses a new password and is signed in at Cl.Cm. A code or a challenge of another reset
or of a sign-in counts for nothing; the account's other kinds are offered on each page."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from govplatform.core.interfaces import verify_password
from govplatform.core.platform import Platform
from govplatform.identity.models import Citizen, CitizenSession
from tests.helpers import another_browser, post_form
from tests.integration.identity.passkey_support import ceremony, options_on
from tests.integration.identity.support import PASSWORD, Person, a_citizen
from tests.integration.identity.test_passkeys import _passkey_only_citizen
from tests.integration.identity.test_recovery import (
    NEW_PASSWORD,
    RESET_CODE,
    RESET_PASSWORD,
    path_of,
    reset_link,
)
from tests.integration.identity.test_recovery_factors import a_number, deliver, past_the_password
from tests.integration.identity.test_text_codes import a_texting_citizen, code_in, other_than, texts_to

RESET_TEXT, RESET_TEXT_SEND = "/identity/recovery/reset/text", "/identity/recovery/reset/text/send"
RESET_PASSKEY = "/identity/recovery/reset/passkey"


async def open_link(platform: Platform, http: httpx.AsyncClient, person: Person) -> None:
    link = await reset_link(platform, http, person)
    opened = await http.get(path_of(link))
    assert opened.status_code == 303 and opened.headers["location"] == RESET_CODE


async def new_password_at_cl_cm(platform: Platform, http: httpx.AsyncClient, person: Person) -> None:
    early = await http.get(RESET_PASSWORD)
    assert early.status_code == 200, "the second factor was proven"
    done = await post_form(
        http, RESET_PASSWORD, RESET_PASSWORD, {"password": NEW_PASSWORD, "confirm-password": NEW_PASSWORD}
    )
    assert done.status_code == 303, done.text
    async with platform.uow(read_only=True) as uow:
        citizen = await uow.session.get(Citizen, person.id)
        assert citizen is not None and verify_password(citizen.password_hash, NEW_PASSWORD)
        levels = await uow.session.scalars(
            select(CitizenSession.credential).where(CitizenSession.citizen_id == person.id)
        )
        assert list(levels.all()) == ["Cl.Cm"]


async def test_a_text_only_citizen_resets_their_password_with_a_code_texted_on_the_reset_link(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    typed, e164 = a_number()
    citizen = await a_texting_citizen(platform, typed, e164)
    person = Person(citizen.id, citizen.email, None)  # type: ignore[arg-type]
    await open_link(platform, client, person)
    to_text = await client.get(RESET_CODE)
    assert to_text.status_code == 303 and to_text.headers["location"] == RESET_TEXT, "no app: the phone's page"
    first = await client.get(RESET_TEXT + "?lang=cy")  # the language is kept (a cookie): the text is in Welsh
    assert first.status_code == 200 and "Anfonwch god ataf" in first.text and e164[-4:] in first.text
    await deliver(platform)
    assert await texts_to(platform, e164) == [], "opening the pages texts nothing: the citizen presses the button"
    assert (await post_form(client, RESET_TEXT, RESET_TEXT_SEND, {})).headers["location"] == RESET_TEXT
    page = await client.get(RESET_TEXT + "?lang=en")
    assert "Check your phone" in page.text and "Send the code again" in page.text
    [text] = await texts_to(platform, e164)
    assert "yw eich cod mewngofnodi" in text, "texted in the language of the page that sent it"
    code = text.split(": ")[1][:6]
    skipped = await client.get(RESET_PASSWORD)
    assert skipped.status_code == 303 and skipped.headers["location"] == RESET_CODE
    wrong = await post_form(client, RESET_TEXT, RESET_TEXT, {"code": other_than(code)})
    assert wrong.status_code == 400 and "Error: " in wrong.text and "not correct" in wrong.text
    proven = await post_form(client, RESET_TEXT, RESET_TEXT, {"code": code})
    assert proven.status_code == 303 and proven.headers["location"] == RESET_PASSWORD
    await new_password_at_cl_cm(platform, client, person)

    # The code is spent: a new reset link cannot use it (the code is bound to the link it was texted on).
    client.cookies.clear()
    await open_link(platform, client, Person(citizen.id, citizen.email, None))  # type: ignore[arg-type]
    await client.get(RESET_TEXT)
    replayed = await post_form(client, RESET_TEXT, RESET_TEXT, {"code": code})
    assert replayed.status_code == 400 and "not correct" in replayed.text
    assert (await client.get(RESET_PASSWORD)).status_code == 303


async def test_a_passkey_only_citizen_resets_their_password_with_a_passkey_on_the_reset_link(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person, device = await _passkey_only_citizen(platform)
    await open_link(platform, client, person)
    to_passkey = await client.get(RESET_CODE)
    assert to_passkey.status_code == 303 and to_passkey.headers["location"] == RESET_PASSKEY
    page = await client.get(RESET_PASSKEY)
    assert page.status_code == 200 and "Use your passkey" in page.text and options_on(page.text)["challenge"]
    assert "Use your authenticator app instead" not in page.text, "only the kinds the account has are offered"
    proven = await ceremony(client, RESET_PASSKEY, device.get)
    assert proven.status_code == 303 and proven.headers["location"] == RESET_PASSWORD, proven.text
    await new_password_at_cl_cm(platform, client, person)


async def test_a_passkey_answer_to_a_sign_in_s_challenge_does_not_prove_the_reset(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person, device = await _passkey_only_citizen(platform)
    other = another_browser(client)
    async with other:
        await past_the_password(other, platform, person.email)
        sign_in_page = await other.get("/identity/sign-in/passkey")
        sign_in_options = options_on(sign_in_page.text)
    await open_link(platform, client, person)
    refused = await ceremony(client, RESET_PASSKEY, lambda _options: device.get(sign_in_options))
    assert refused.status_code == 400 and "Error: " in refused.text
    assert (await client.get(RESET_PASSWORD)).status_code == 303, "not proven"
    async with platform.uow(read_only=True) as uow:
        citizen = await uow.session.get(Citizen, person.id)
        assert citizen is not None and verify_password(citizen.password_hash, PASSWORD)
    own = await ceremony(client, RESET_PASSKEY, device.get)
    assert own.status_code == 303 and own.headers["location"] == RESET_PASSWORD, "the same passkey, this reset's"


async def test_a_citizen_with_an_app_and_a_phone_is_asked_for_the_app_and_may_choose_a_text(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    typed, e164 = a_number()
    async with platform.uow() as uow:
        citizen = await uow.session.get(Citizen, person.id)
        assert citizen is not None
        citizen.phone_number, citizen.phone_number_as_typed = e164, typed
        await uow.commit()
    await open_link(platform, client, person)
    app_page = await client.get(RESET_CODE)
    assert app_page.status_code == 200 and f'href="{RESET_TEXT}"' in app_page.text
    assert (await post_form(client, RESET_TEXT, RESET_TEXT_SEND, {})).status_code == 303
    [text] = await texts_to(platform, e164)
    proven = await post_form(client, RESET_TEXT, RESET_TEXT, {"code": code_in(text)})
    assert proven.status_code == 303 and proven.headers["location"] == RESET_PASSWORD
