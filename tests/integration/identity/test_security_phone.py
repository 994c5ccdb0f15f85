"""The phone for security codes on the account's security page: added or changed only once a code texted to the
new number comes back (a wrong, expired, replayed or other number's code changes nothing; sends and guesses
are throttled), removed unless it is the last second factor, each change emailed and recorded by its last
digits. Adding and removing a passkey need both factors proven just now too."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select, update

from govplatform.core.platform import Platform
from govplatform.identity.models import Citizen, Passkey, TextCode
from tests.helpers import another_browser, csrf_from, post_form
from tests.integration.identity.passkey_support import a_passkey
from tests.integration.identity.support import Person, a_citizen
from tests.integration.identity.test_security_page import SECURITY, _age_sessions, _citizen, _events, _signed_in
from tests.integration.identity.test_text_codes import a_number, code_in, other_than, texts_to
from tests.integration.test_platform_messages import delivered_email, plain_text, sent_to

PHONE, CHECK, REMOVE = SECURITY + "/phone", SECURITY + "/phone/check", SECURITY + "/phone/remove"
PASSKEYS, ADD = "/identity/account/passkeys", "/identity/account/passkeys/add"


async def _send(http: httpx.AsyncClient, typed: str) -> httpx.Response:
    return await post_form(http, PHONE, PHONE, {"phone": typed})


async def _confirm(http: httpx.AsyncClient, page: httpx.Response, typed: str, code: str) -> httpx.Response:
    return await http.post(CHECK, data={"phone": typed, "code": code, "csrf_token": csrf_from(page.text)})


async def _give_phone(platform: Platform, person: Person, typed: str, e164: str, keep_app: bool = True) -> None:
    values: dict[str, object] = {"phone_number": e164, "phone_number_as_typed": typed}
    if not keep_app:
        values["totp_secret_encrypted"] = None
    async with platform.uow() as uow:
        await uow.session.execute(update(Citizen).where(Citizen.id == person.id).values(**values))
        await uow.commit()


async def _notices(platform: Platform, person: Person) -> list[str]:
    return [plain_text(await delivered_email(platform, sent)) for sent in await sent_to(platform, person.email)]


async def test_a_phone_is_added_only_with_the_code_texted_to_it_then_emailed_and_recorded(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _signed_in(client, person)
    listing = await client.get(SECURITY)
    assert "Add a phone number" in listing.text and "No phone number" in listing.text
    assert REMOVE not in listing.text

    typed, e164 = a_number()
    empty = await _send(client, "")
    assert empty.status_code == 400 and "Enter a mobile phone number" in empty.text and "Error:" in empty.text
    landline = await _send(client, "020 7946 0000")
    assert landline.status_code == 400 and "landline" in landline.text
    check = await _send(client, typed)
    assert check.status_code == 200 and "Check your phone" in check.text and typed in check.text
    [text] = await texts_to(platform, e164)
    code = code_in(text)

    blank = await _confirm(client, check, typed, "")
    assert blank.status_code == 400 and "Enter the 6-digit code from the text message" in blank.text
    wrong = await _confirm(client, check, typed, other_than(code))
    assert wrong.status_code == 400 and "not correct" in wrong.text
    assert (await _citizen(platform, person)).phone_number is None

    done = await _confirm(client, check, typed, code)
    assert done.status_code == 303 and done.headers["location"] == SECURITY + "?done=phone-added"
    shown = await client.get(done.headers["location"])
    assert "Your phone number has been added" in shown.text and typed in shown.text and REMOVE in shown.text
    citizen = await _citizen(platform, person)
    assert (citizen.phone_number, citizen.phone_number_as_typed) == (e164, typed)
    assert ("factor_added", {"factor": "text", "ending": e164[-4:]}) in await _events(platform, person)
    notices = await _notices(platform, person)
    assert any("A phone number for security codes was added to your account." in n for n in notices)

    replayed = await _confirm(client, check, typed, code)
    assert replayed.status_code == 400 and "not correct" in replayed.text
    assert [kind for kind, _ in await _events(platform, person) if kind.startswith("factor_")] == ["factor_added"]


async def test_a_code_texted_to_another_number_or_for_another_account_does_not_change_the_phone(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person, someone = await a_citizen(platform), await a_citizen(platform)
    old_typed, old = a_number()
    await _give_phone(platform, person, old_typed, old)
    await _signed_in(client, person)
    assert "Change" in (await client.get(PHONE)).text

    first_typed, first = a_number()
    second_typed, second = a_number()
    check = await _send(client, first_typed)
    [first_text] = await texts_to(platform, first)
    # The code texted to the first number, posted as if for the second: the code is bound to its number.
    moved = await _confirm(client, check, second_typed, code_in(first_text))
    assert moved.status_code == 400 and "not correct" in moved.text
    assert (await _citizen(platform, person)).phone_number == old

    # Another citizen's code, in their own session, counts only there.
    theirs = another_browser(client)
    async with theirs:
        await _signed_in(theirs, someone)
        their_typed, their_number = a_number()
        await _send(theirs, their_typed)
        [their_text] = await texts_to(platform, their_number)
    stolen = await _confirm(client, check, their_typed, code_in(their_text))
    assert stolen.status_code == 400
    assert (await _citizen(platform, person)).phone_number == old

    check = await _send(client, second_typed)
    [second_text] = await texts_to(platform, second)
    done = await _confirm(client, check, second_typed, code_in(second_text))
    assert done.status_code == 303 and done.headers["location"] == SECURITY + "?done=phone-changed"
    assert (await _citizen(platform, person)).phone_number == second
    assert ("factor_changed", {"factor": "text", "ending": second[-4:]}) in await _events(platform, person)
    assert any("The phone number for security codes on your account was changed." in n
               for n in await _notices(platform, person))  # fmt: skip


async def test_an_expired_code_is_refused_and_too_many_sends_or_guesses_meet_the_throttle(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _signed_in(client, person)
    typed, e164 = a_number()
    check = await _send(client, typed)
    [text] = await texts_to(platform, e164)
    async with platform.uow() as uow:
        await uow.session.execute(update(TextCode).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        await uow.commit()
    expired = await _confirm(client, check, typed, code_in(text))
    assert expired.status_code == 400 and "The code has expired" in expired.text
    assert (await _citizen(platform, person)).phone_number is None

    statuses = [(await _send(client, typed)).status_code for _ in range(5)]
    assert statuses[-1] == 429 and 200 in statuses, statuses
    throttled = await _send(client, typed)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1 and "Error:" in throttled.text

    guesses = [(await _confirm(client, check, typed, "000000")).status_code for _ in range(12)]
    assert guesses[-1] == 429, guesses
    assert (await _citizen(platform, person)).phone_number is None


async def test_the_phone_is_removed_unless_it_is_the_last_second_factor(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _signed_in(client, person)
    typed, e164 = a_number()
    await _give_phone(platform, person, typed, e164, keep_app=False)  # the phone is now the only second factor
    listing = await client.get(SECURITY)
    assert typed in listing.text and REMOVE not in listing.text
    refused = await post_form(client, REMOVE, REMOVE, {})
    assert refused.status_code == 400 and "only way you have to prove it is you" in refused.text
    assert (await _citizen(platform, person)).phone_number == e164
    assert not [kind for kind, _ in await _events(platform, person) if kind == "factor_removed"]

    await _give_phone(platform, person, typed, e164)  # with the app again, the phone may go
    await a_passkey(platform, person.id, "Spare key")
    assert REMOVE in (await client.get(SECURITY)).text
    page = await client.get(REMOVE)
    assert page.status_code == 200 and typed in page.text
    removed = await post_form(client, REMOVE, REMOVE, {})
    assert removed.status_code == 303 and removed.headers["location"] == SECURITY + "?done=phone-removed"
    after = await client.get(removed.headers["location"])
    assert "Your phone number has been removed" in after.text and "Add a phone number" in after.text
    assert "Spare key" in after.text and PASSKEYS in after.text  # passkeys listed by name, managed on their page
    citizen = await _citizen(platform, person)
    assert (citizen.phone_number, citizen.phone_number_as_typed) == (None, None)
    assert ("factor_removed", {"factor": "text", "ending": e164[-4:]}) in await _events(platform, person)
    assert any("The phone number for security codes was removed from your account." in n
               for n in await _notices(platform, person))  # fmt: skip


async def test_a_session_not_proven_just_now_is_sent_to_prove_it_again_before_any_change(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    typed, e164 = a_number()
    await _give_phone(platform, person, typed, e164)
    await _signed_in(client, person)
    check = await _send(client, a_number()[0])
    token = csrf_from(check.text)
    await _age_sessions(platform, person, minutes=11)
    for method, path, back in (("GET", PHONE, PHONE), ("POST", PHONE, PHONE), ("POST", CHECK, PHONE),
                               ("GET", REMOVE, REMOVE), ("POST", REMOVE, REMOVE)):  # fmt: skip
        answer = await client.request(method, path, data={"csrf_token": token, "phone": typed, "code": "123456"}
                                      if method == "POST" else None)  # fmt: skip
        assert answer.status_code == 303, (method, path)
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert query == {"return_to": [back], "level": ["Cl.Cm"], "fresh": ["1"]}, (method, path)
    assert (await _citizen(platform, person)).phone_number == e164
    assert not [kind for kind, _ in await _events(platform, person) if kind.startswith("factor_")]


async def test_adding_or_removing_a_passkey_needs_both_factors_proven_just_now_renaming_does_not(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await a_passkey(platform, person.id, "Old laptop")
    await _signed_in(client, person)
    async with platform.uow(read_only=True) as uow:
        passkey = await uow.session.scalar(select(Passkey).where(Passkey.citizen_id == person.id))
    assert passkey is not None
    remove, rename = f"{PASSKEYS}/{passkey.id}/remove", f"{PASSKEYS}/{passkey.id}/rename"
    assert (await client.get(ADD)).status_code == 200 and (await client.get(remove)).status_code == 200
    token = csrf_from((await client.get(PASSKEYS)).text)
    await _age_sessions(platform, person, minutes=11)
    for method, path in (("GET", ADD), ("POST", ADD), ("GET", remove), ("POST", remove)):
        answer = await client.request(method, path, data={"csrf_token": token} if method == "POST" else None)
        assert answer.status_code == 303, (method, path)
        query = parse_qs(urlsplit(answer.headers["location"]).query)
        assert query == {"return_to": [path], "level": ["Cl.Cm"], "fresh": ["1"]}, (method, path)
    async with platform.uow(read_only=True) as uow:
        assert await uow.session.get(Passkey, passkey.id) is not None
    assert (await client.get(rename)).status_code == 200
    assert (await post_form(client, rename, rename, {"name": "Home laptop"})).status_code == 303


async def test_the_phone_pages_send_a_signed_out_browser_to_sign_in(client: httpx.AsyncClient) -> None:
    for page in (PHONE, CHECK, REMOVE):
        answer = await client.get(page)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/identity/sign-in/start?")
