"""Text message codes as a citizen's second factor: creating an account with a phone (UK and international
numbers, kept in E.164 and shown as typed), signing in with a code read from the text the SMS sandbox wrote,
choosing a text instead of the app, and every attack on the codes: replayed, expired, sent for another
account or sign-in, guessed too often, sent too often. Each is refused with a clear page, changes nothing,
and a refused code at sign-in is a line of the account's history."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import uuid
from pathlib import Path

import httpx
import pyotp
import pytest
from sqlalchemy import func, select, update

from govplatform.core.jobs.worker import Worker
from govplatform.core.platform import Platform
from govplatform.identity.models import AccountEvent, AuthorisationCode, Citizen, TextCode
from govplatform.identity.schedule import purge_expired
from govplatform.identity.services import accounts, citizens
from govplatform.notify.models import Notification
from tests.helpers import CLI, another_browser, csrf_from, post_form
from tests.integration.identity.support import (
    PASSWORD,
    REDIRECT_URI,
    a_client,
    authorise_query,
    code_from,
    identity_of,
    token_form,
)
from tests.integration.identity.test_sign_up_pages import GOOD_PASSWORD, NEW_PASSWORD, to_password

CHOOSE, PHONE = "/identity/sign-up/security-codes", "/identity/sign-up/phone"
CHECK_PHONE, RESEND_SIGN_UP = "/identity/sign-up/check-phone", "/identity/sign-up/check-phone/resend"
EMAIL, PASSWORD_PAGE, APP_CODE = "/identity/sign-in/email", "/identity/sign-in/password", "/identity/sign-in/code"
TEXT_CODE, RESEND = "/identity/sign-in/text-code", "/identity/sign-in/text-code/resend"
OTHER_WAY = "/identity/sign-in/other-way"


async def texts_to(platform: Platform, e164: str) -> list[str]:
    """Delivers what is queued (the worker, the SMS sandbox's file), then reads the texts to the number, oldest
    first."""
    await Worker(platform.sessions, platform.tasks, platform.settings).run_until_idle()
    async with platform.uow(read_only=True) as uow:
        rows = await uow.session.scalars(
            select(Notification.id)
            .where(Notification.normalised_recipient == e164.lstrip("+"))
            .order_by(Notification.created_at)
        )
        ids = [str(found) for found in rows.all()]
    sandbox = Path(platform.settings.var_dir) / "notify" / "sms.jsonl"
    lines = [json.loads(line) for line in sandbox.read_text().splitlines()] if sandbox.exists() else []
    by_id = {line["notification_id"]: line["content"] for line in lines}
    return [by_id[found] for found in ids]


def code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b is your sign-in code", text)
    assert found, text
    return found.group(1)


def other_than(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


_NUMBERS = itertools.count(uuid.uuid4().int % 1000)


def a_number() -> tuple[str, str]:
    """A UK mobile in Ofcom's drama range, as typed and in E.164: never the same twice in a run (up to 1,000), so
    two numbers of one test differ and throttles of different tests do not meet."""
    last = next(_NUMBERS) % 1000
    while last in (0, 111, 222):  # notify's smoke-test numbers: accepted and never sent, so no text would arrive
        last = next(_NUMBERS) % 1000
    return f"07700 900{last:03d}", f"+447700900{last:03d}"


async def to_choice(http: httpx.AsyncClient, platform: Platform, address: str) -> dict[str, str]:
    _, query = await to_password(http, platform, address)
    chosen = await post_form(
        http, NEW_PASSWORD, NEW_PASSWORD, {"password": GOOD_PASSWORD, "confirm-password": GOOD_PASSWORD}
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == CHOOSE
    return query


async def to_check_phone(http: httpx.AsyncClient, platform: Platform, address: str, typed: str) -> dict[str, str]:
    query = await to_choice(http, platform, address)
    text = await post_form(http, CHOOSE, CHOOSE, {"how": "text"})
    assert text.status_code == 303 and text.headers["location"] == PHONE
    sent = await post_form(http, PHONE, PHONE, {"phone": typed})
    assert sent.status_code == 303 and sent.headers["location"] == CHECK_PHONE, sent.text
    return query


async def a_texting_citizen(platform: Platform, typed: str, e164: str, app_secret: str | None = None) -> Citizen:
    identity = identity_of(platform)
    async with platform.uow() as uow:
        citizen = await citizens.create_citizen(
            uow, CLI, identity.box, email=f"texted-{uuid.uuid4().hex[:8]}@example.com", password=PASSWORD,
            totp_secret=app_secret,
        )  # fmt: skip
        citizen.phone_number, citizen.phone_number_as_typed = e164, typed
        await uow.commit()
    return citizen


async def to_text_code(http: httpx.AsyncClient, platform: Platform, email: str) -> httpx.Response:
    """/authorize, the email and the right password: on "Check your phone", a code texted."""
    rp = await a_client(platform)
    started = await http.get("/authorize", params=authorise_query(rp))
    assert started.status_code == 302
    assert (await post_form(http, started.headers["location"], EMAIL, {"email": email})).status_code == 303
    passed = await post_form(http, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
    assert passed.status_code == 303 and passed.headers["location"] == TEXT_CODE, passed.text
    return await http.get(TEXT_CODE)


async def events(platform: Platform, citizen_id: uuid.UUID, kind: str) -> list[AccountEvent]:
    async with platform.uow(read_only=True) as uow:
        rows = await uow.session.scalars(
            select(AccountEvent).where(AccountEvent.citizen_id == citizen_id, AccountEvent.kind == kind)
        )
        return list(rows.all())


async def codes_issued(platform: Platform, citizen_id: uuid.UUID) -> int:
    async with platform.uow(read_only=True) as uow:
        found = await uow.session.scalar(
            select(func.count()).select_from(AuthorisationCode).where(AuthorisationCode.citizen_id == citizen_id)
        )
        return int(found or 0)


async def post_code(http: httpx.AsyncClient, action: str, code: str) -> httpx.Response:
    """Posts a code with a CSRF token from a page that always has one (the code page may redirect)."""
    token = csrf_from((await http.get(EMAIL)).text) if action.startswith("/identity/sign-in") else None
    if token is None:
        token = csrf_from((await http.get(RESEND_SIGN_UP)).text)
    return await http.post(action, data={"code": code, "csrf_token": token})


async def test_a_citizen_creates_an_account_with_a_code_texted_to_their_uk_mobile_shown_as_they_typed_it(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    address = f"phone-{uuid.uuid4().hex[:8]}@example.com"
    typed, e164 = a_number()
    await to_check_phone(client, platform, address, f" {typed} ")
    check = await client.get(CHECK_PHONE)
    assert check.status_code == 200 and "Check your phone" in check.text
    assert f'id="phone-number">{typed}</strong>' in check.text, "the number is shown as typed"
    assert "Send the code again" in check.text and "Change the number" in check.text
    [text] = await texts_to(platform, e164)

    back = await post_form(client, CHECK_PHONE, CHECK_PHONE, {"code": code_in(text)})
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT_URI + "?code=")
    assert "code" in code_from(back.headers["location"])
    async with platform.uow(read_only=True) as uow:
        citizen = await uow.session.scalar(select(Citizen).where(Citizen.email == address))
    assert citizen is not None and citizen.totp_secret_encrypted is None
    assert (citizen.phone_number, citizen.phone_number_as_typed) == (e164, typed)
    [added] = await events(platform, citizen.id, "factor_added")
    assert added.detail == {"factor": "text", "ending": e164[-4:]}, "the history keeps the last digits only"
    security = await client.get("/identity/account/security")
    assert security.status_code == 200 and "Text message" in security.text and typed in security.text
    assert e164 not in security.text, "the account shows the number as typed, not in E.164"

    replayed = await post_code(client, CHECK_PHONE, code_in(text))
    assert replayed.status_code == 400 and "timed out" in replayed.text, "the sign-up is over: its code is worthless"
    async with platform.uow(read_only=True) as uow:
        assert await uow.session.scalar(select(func.count()).where(Citizen.email == address)) == 1


async def test_an_international_number_is_texted_in_e164_and_shown_as_typed(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    address = f"abroad-{uuid.uuid4().hex[:8]}@example.com"
    await to_check_phone(client, platform, address, "+33 6 12 34 56 78")
    assert ">+33 6 12 34 56 78</strong>" in (await client.get(CHECK_PHONE)).text
    texts = await texts_to(platform, "+33612345678")
    back = await post_form(client, CHECK_PHONE, CHECK_PHONE, {"code": code_in(texts[-1])})
    assert back.status_code == 302, back.text
    async with platform.uow(read_only=True) as uow:
        citizen = await uow.session.scalar(select(Citizen).where(Citizen.email == address))
    assert citizen is not None
    assert (citizen.phone_number, citizen.phone_number_as_typed) == ("+33612345678", "+33 6 12 34 56 78")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a mobile phone number"),
        ("020 7946 0000", "The number you entered is a landline"),
        ("0800 123 4567", "We cannot send a text message to this kind of number"),
        ("07700 9001", "Enter a mobile phone number in the correct format"),
        ("my mobile", "Enter a mobile phone number in the correct format"),
        ("+33 1 23 45 67 89", "The number you entered is a landline"),
        ("0" * 50, "Enter a mobile phone number in the correct format"),
    ],
)
async def test_a_number_that_cannot_get_a_text_is_refused_with_a_clear_message_and_nothing_is_sent(
    platform: Platform, client: httpx.AsyncClient, typed: str, message: str
) -> None:
    await to_choice(client, platform, f"refused-{uuid.uuid4().hex[:8]}@example.com")
    refused = await post_form(client, PHONE, PHONE, {"phone": typed})
    assert refused.status_code == 400 and "Error:" in refused.text and message in refused.text
    assert 'href="#phone"' in refused.text, "the error summary links to the field"
    assert (await client.get(CHECK_PHONE)).headers["location"] == PHONE, "no number was kept"
    async with platform.uow(read_only=True) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(TextCode)) == 0


async def test_choosing_nothing_on_the_choice_page_is_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    await to_choice(client, platform, f"undecided-{uuid.uuid4().hex[:8]}@example.com")
    refused = await post_form(client, CHOOSE, CHOOSE, {})
    assert refused.status_code == 400 and "Select how you want to get security codes" in refused.text


async def test_a_code_for_the_number_before_a_change_is_refused_at_sign_up(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    address = f"changed-{uuid.uuid4().hex[:8]}@example.com"
    first_typed, first = a_number()
    await to_check_phone(client, platform, address, first_typed)
    [old] = await texts_to(platform, first)
    second_typed, second = a_number()
    changed = await post_form(client, PHONE, PHONE, {"phone": second_typed})
    assert changed.status_code == 303
    [new] = await texts_to(platform, second)
    if code_in(old) != code_in(new):
        refused = await post_form(client, CHECK_PHONE, CHECK_PHONE, {"code": code_in(old)})
        assert refused.status_code == 400 and "not correct" in refused.text
    assert (await post_form(client, CHECK_PHONE, CHECK_PHONE, {"code": code_in(new)})).status_code == 302


async def test_a_citizen_whose_second_factor_is_a_phone_signs_in_with_a_texted_code(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    typed, e164 = a_number()
    citizen = await a_texting_citizen(platform, typed, e164)
    page = await to_text_code(client, platform, citizen.email)
    assert page.status_code == 200 and f"We have sent a code to your phone number ending {e164[-4:]}." in page.text
    assert "Use another way" not in page.text, "one second factor: no other way to offer"
    welsh = await client.get(TEXT_CODE + "?lang=cy")
    assert f"Rydym wedi anfon cod i’ch rhif ffôn sy’n gorffen gyda {e164[-4:]}." in welsh.text
    await client.get(TEXT_CODE + "?lang=en")
    [text] = await texts_to(platform, e164)
    back = await post_form(client, TEXT_CODE, TEXT_CODE, {"code": code_in(text)})
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT_URI + "?code=")
    assert len(await events(platform, citizen.id, "signed_in")) == 1
    assert await events(platform, citizen.id, "refused_second_factor") == []


async def test_a_used_text_code_is_refused_when_replayed_in_a_later_sign_in_and_recorded(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    typed, e164 = a_number()
    citizen = await a_texting_citizen(platform, typed, e164)
    await to_text_code(client, platform, citizen.email)
    [used] = await texts_to(platform, e164)
    assert (await post_form(client, TEXT_CODE, TEXT_CODE, {"code": code_in(used)})).status_code == 302
    client.cookies.clear()  # a new browser (or the same one signed out) signs in again
    await to_text_code(client, platform, citizen.email)
    _, fresh = await texts_to(platform, e164)
    if code_in(fresh) == code_in(used):
        pytest.skip("the new code happens to equal the old one (one chance in a million)")
    replayed = await post_form(client, TEXT_CODE, TEXT_CODE, {"code": code_in(used)})
    assert replayed.status_code == 400 and "Error:" in replayed.text and "not correct" in replayed.text
    assert await codes_issued(platform, citizen.id) == 1, "no code for the service from a replay"
    [refusal] = await events(platform, citizen.id, "refused_second_factor")
    assert refusal.detail == {"factor": "text", "ending": e164[-4:]}


async def test_an_expired_text_code_is_refused_and_a_new_one_offered(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    typed, e164 = a_number()
    citizen = await a_texting_citizen(platform, typed, e164)
    await to_text_code(client, platform, citizen.email)
    [text] = await texts_to(platform, e164)
    async with platform.uow() as uow:
        await uow.session.execute(update(TextCode).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        await uow.commit()
    assert (await client.get(TEXT_CODE)).headers["location"] == RESEND, "the page offers a new code"
    refused = await post_code(client, TEXT_CODE, code_in(text))
    assert refused.status_code == 400 and "The code has expired. Request a new code" in refused.text
    assert await codes_issued(platform, citizen.id) == 0
    assert len(await events(platform, citizen.id, "refused_second_factor")) == 1


async def test_a_code_texted_for_another_account_or_another_sign_in_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    mine_typed, mine = a_number()
    theirs_typed, theirs = a_number()
    me = await a_texting_citizen(platform, mine_typed, mine)
    them = await a_texting_citizen(platform, theirs_typed, theirs)
    other = another_browser(client)  # another browser
    async with other:
        await to_text_code(client, platform, me.email)
        [my_code] = [code_in(text) for text in await texts_to(platform, mine)]  # one send at a time: one worker
        await to_text_code(other, platform, them.email)
        [their_code] = [code_in(text) for text in await texts_to(platform, theirs)]
        if my_code != their_code:
            refused = await post_form(client, TEXT_CODE, TEXT_CODE, {"code": their_code})
            assert refused.status_code == 400 and "not correct" in refused.text
            assert await codes_issued(platform, me.id) == 0
        # The same account's code from another sign-in (another browser) counts only there.
        await to_text_code(other, platform, me.email)
        _, mine_elsewhere = [code_in(text) for text in await texts_to(platform, mine)]
        if mine_elsewhere != my_code:
            refused = await post_form(client, TEXT_CODE, TEXT_CODE, {"code": mine_elsewhere})
            assert refused.status_code == 400 and "not correct" in refused.text
        assert await codes_issued(platform, me.id) == 0
        assert len(await events(platform, me.id, "refused_second_factor")) >= 1
        assert (await post_form(client, TEXT_CODE, TEXT_CODE, {"code": my_code})).status_code == 302


async def test_too_many_wrong_text_codes_void_the_code_then_meet_the_throttle_with_retry_after(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    typed, e164 = a_number()
    citizen = await a_texting_citizen(platform, typed, e164)
    await to_text_code(client, platform, citizen.email)
    [text] = await texts_to(platform, e164)
    wrong = other_than(code_in(text))
    answers = [await post_form(client, TEXT_CODE, TEXT_CODE, {"code": wrong}) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [400] * 4
    fifth = await post_form(client, TEXT_CODE, TEXT_CODE, {"code": wrong})
    assert fifth.status_code == 400 and "You entered the wrong code too many times" in fifth.text
    right_too_late = await post_form(client, TEXT_CODE, TEXT_CODE, {"code": code_in(text)})
    assert right_too_late.status_code in (400, 429), "the code is void: even the right one is refused now"
    assert "Error:" in right_too_late.text
    throttled = await post_form(client, TEXT_CODE, TEXT_CODE, {"code": code_in(text)})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert "Error:" in throttled.text
    assert await codes_issued(platform, citizen.id) == 0
    assert len(await events(platform, citizen.id, "refused_second_factor")) >= 5


async def test_sending_the_code_again_is_throttled_per_number(platform: Platform, client: httpx.AsyncClient) -> None:
    typed, e164 = a_number()
    citizen = await a_texting_citizen(platform, typed, e164)
    await to_text_code(client, platform, citizen.email)
    again = await client.get(RESEND)
    assert again.status_code == 200 and f"ending {e164[-4:]}" in again.text
    statuses = []
    for _ in range(6):
        sent = await post_form(client, RESEND, RESEND, {})
        statuses.append(sent.status_code)
        if sent.status_code == 429:
            assert int(sent.headers["Retry-After"]) >= 1 and "Error:" in sent.text
            break
    assert statuses[-1] == 429 and statuses[:-1] == [303] * (len(statuses) - 1)
    async with platform.uow(read_only=True) as uow:
        queued = await uow.session.scalar(
            select(func.count()).where(Notification.normalised_recipient == e164.lstrip("+"))
        )
    assert queued == len(statuses), "the refused send texted nothing"


async def test_a_citizen_with_an_app_and_a_phone_uses_the_app_first_and_may_choose_a_text_instead(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    typed, e164 = a_number()
    citizen = await a_texting_citizen(platform, typed, e164, app_secret=pyotp.random_base32())
    rp = await a_client(platform)
    started = await client.get("/authorize", params=authorise_query(rp))
    await post_form(client, started.headers["location"], EMAIL, {"email": citizen.email})
    passed = await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
    assert passed.headers["location"] == APP_CODE
    assert await texts_to(platform, e164) == [], "no text while the app is the way chosen"
    app_page = await client.get(APP_CODE)
    assert "Use another way to get a security code" in app_page.text
    choices = await client.get(OTHER_WAY)
    assert "Use your authenticator app" in choices.text
    assert f"Text message to your phone number ending {e164[-4:]}" in choices.text
    none_chosen = await post_form(client, OTHER_WAY, OTHER_WAY, {})
    assert none_chosen.status_code == 400 and "Select how you want to get a security code" in none_chosen.text
    chosen = await post_form(client, OTHER_WAY, OTHER_WAY, {"how": "text"})
    assert chosen.status_code == 303 and chosen.headers["location"] == TEXT_CODE
    page = await client.get(TEXT_CODE)
    assert "Use another way to get a security code" in page.text
    [text] = await texts_to(platform, e164)
    back = await post_form(client, TEXT_CODE, TEXT_CODE, {"code": code_in(text)})
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT_URI + "?code=")


async def text_codes_of(platform: Platform, citizen_id: uuid.UUID) -> int:
    async with platform.uow(read_only=True) as uow:
        found = await uow.session.scalar(
            select(func.count()).select_from(TextCode).where(TextCode.citizen_id == citizen_id)
        )
        return int(found or 0)


async def test_expired_text_codes_are_purged_and_a_deleted_account_takes_its_codes_with_it(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    kept = await a_texting_citizen(platform, *a_number())
    await to_text_code(client, platform, kept.email)
    client.cookies.clear()
    deleted = await a_texting_citizen(platform, *a_number())
    await to_text_code(client, platform, deleted.email)
    assert await text_codes_of(platform, kept.id) == 1 and await text_codes_of(platform, deleted.id) == 1

    async with platform.uow() as uow:
        await accounts.delete_account(uow, identity_of(platform), deleted.id, PASSWORD, None)
        await uow.commit()
    assert await text_codes_of(platform, deleted.id) == 0
    async with platform.uow() as uow:
        await purge_expired(uow, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60))
        await uow.commit()
    assert await text_codes_of(platform, kept.id) == 1, "a live code is kept"
    async with platform.uow() as uow:
        await purge_expired(uow, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=901))
        await uow.commit()
    assert await text_codes_of(platform, kept.id) == 0, "an expired code is deleted"


async def test_a_service_asking_for_the_phone_scope_is_told_the_number_texted_in_e164(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    typed, e164 = a_number()
    citizen = await a_texting_citizen(platform, typed, e164)
    rp = await a_client(platform, scopes=["openid", "email", "phone"])
    query = authorise_query(rp, scope="openid email phone")
    started = await client.get("/authorize", params=query)
    await post_form(client, started.headers["location"], EMAIL, {"email": citizen.email})
    await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
    [text] = await texts_to(platform, e164)
    back = await post_form(client, TEXT_CODE, TEXT_CODE, {"code": code_in(text)})
    identity = identity_of(platform)
    exchanged = await client.post("/token", data=token_form(rp, code_from(back.headers["location"])["code"],
                                                            identity.token_endpoint))  # fmt: skip
    assert exchanged.status_code == 200, exchanged.text
    info = await client.get("/userinfo", headers={"Authorization": f"Bearer {exchanged.json()['access_token']}"})
    assert info.json()["phone_number"] == e164 and info.json()["phone_number_verified"] is True
