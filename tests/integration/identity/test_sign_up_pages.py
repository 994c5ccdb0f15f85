"""Creating an account from the sign-in pages: the emailed code (read from the email the sandbox provider
delivered), a password, an authenticator app, then back to the relying party with a code that exchanges
for tokens. A known email is sent a notice instead and nothing shows it; codes are single use, short-lived,
limited and throttled; weak passwords and wrong app codes are refused; nothing is a 500."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from pathlib import Path

import httpx
import pyotp
from sqlalchemy import func, select, update

from govplatform.core.interfaces import PlatformTemplate
from govplatform.core.jobs.worker import Worker
from govplatform.core.platform import Platform
from govplatform.identity.models import Citizen, SignUp
from govplatform.identity.schedule import purge_expired
from govplatform.notify.models import Notification
from govplatform.notify.services.platform_messages import PLATFORM_TEMPLATES
from tests.helpers import csrf_from, post_form
from tests.integration.identity.support import (
    REDIRECT_URI,
    Client,
    a_citizen,
    a_client,
    assertion,
    authorise_query,
    code_from,
    identity_of,
)

SIGN_IN_EMAIL = "/identity/sign-in/email"
EMAIL, CHECK, RESEND = "/identity/sign-up/email", "/identity/sign-up/check-email", "/identity/sign-up/resend"
NEW_PASSWORD, APP = "/identity/sign-up/password", "/identity/sign-up/authenticator"
CHOOSE = "/identity/sign-up/security-codes"
GOOD_PASSWORD = "marble-otter-lantern-42"


async def emails_to(platform: Platform, address: str) -> list[email.message.EmailMessage]:
    """Delivers what is queued (the worker, the sandbox provider's .eml files), then reads the address's mail."""
    await Worker(platform.sessions, platform.tasks, platform.settings).run_until_idle()
    async with platform.uow(read_only=True) as uow:
        rows = await uow.session.scalars(
            select(Notification).where(Notification.normalised_recipient == address).order_by(Notification.created_at)
        )
        notifications = list(rows.all())
    folder = Path(platform.components["notify"].email_provider.folder)
    messages = []
    for notification in notifications:
        with (folder / f"{notification.id}.eml").open("rb") as file:
            message = email.message_from_binary_file(file, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        messages.append(message)
    return messages


def body_of(message: email.message.EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def code_in(message: email.message.EmailMessage) -> str:
    found = re.search(r"\b(\d{6})\b is your security code", body_of(message))
    assert found, body_of(message)
    return found.group(1)


async def start(http: httpx.AsyncClient, platform: Platform, address: str) -> tuple[Client, dict[str, str]]:
    """A relying party's /authorize, the "Create an account" link, and the email sent: on "check your email"."""
    rp = await a_client(platform)
    query = authorise_query(rp)
    started = await http.get("/authorize", params=query)
    assert started.status_code == 302
    sign_in_page = await http.get(started.headers["location"])
    assert 'href="/identity/sign-up/email"' in sign_in_page.text and "Create an account" in sign_in_page.text
    sent = await post_form(http, EMAIL, EMAIL, {"email": address})
    assert sent.status_code == 303 and sent.headers["location"] == CHECK, sent.text
    return rp, query


async def to_password(http: httpx.AsyncClient, platform: Platform, address: str) -> tuple[Client, dict[str, str]]:
    rp, query = await start(http, platform, address)
    [message] = await emails_to(platform, address)
    confirmed = await post_form(http, CHECK, CHECK, {"code": code_in(message)})
    assert confirmed.status_code == 303 and confirmed.headers["location"] == NEW_PASSWORD
    return rp, query


async def to_authenticator(http: httpx.AsyncClient, platform: Platform, address: str) -> tuple[Client, dict[str, str]]:
    rp, query = await to_password(http, platform, address)
    chosen = await post_form(
        http, NEW_PASSWORD, NEW_PASSWORD, {"password": GOOD_PASSWORD, "confirm-password": GOOD_PASSWORD}
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == CHOOSE
    app = await post_form(http, CHOOSE, CHOOSE, {"how": "app"})
    assert app.status_code == 303 and app.headers["location"] == APP
    return rp, query


def secret_on(page: str) -> str:
    found = re.search(r'<code id="secret-key"[^>]*>([A-Z2-7 ]+)</code>', page)
    assert found, "the page shows no secret key"
    return found.group(1).replace(" ", "")


async def citizens_with(platform: Platform, address: str) -> int:
    async with platform.uow(read_only=True) as uow:
        return int(await uow.session.scalar(select(func.count()).where(Citizen.email == address)) or 0)


async def test_a_citizen_creates_an_account_and_lands_back_at_the_service_with_a_code_that_gives_tokens(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    address = "new.resident@example.com"
    rp, query = await start(client, platform, "  New.Resident@Example.com ")
    check = await client.get(CHECK)
    assert check.status_code == 200 and "Check your email" in check.text and address in check.text
    [message] = await emails_to(platform, address)
    assert message["Subject"] == "Your security code to create an account"
    assert "Parking permits" in body_of(message) and "15 minutes" in body_of(message)
    async with platform.uow(read_only=True) as uow:
        [notification] = await uow.session.scalars(
            select(Notification).where(Notification.normalised_recipient == address)
        )
    assert notification.template_id == PLATFORM_TEMPLATES[(PlatformTemplate.CITIZEN_SIGN_UP_CODE, "email", "en")]

    confirmed = await post_form(client, CHECK, CHECK, {"code": code_in(message)})
    assert confirmed.status_code == 303 and confirmed.headers["location"] == NEW_PASSWORD
    chosen = await post_form(
        client, NEW_PASSWORD, NEW_PASSWORD, {"password": GOOD_PASSWORD, "confirm-password": GOOD_PASSWORD}
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == CHOOSE
    choices = await client.get(CHOOSE)
    assert "Choose how to get security codes" in choices.text and "Text message" in choices.text
    app = await post_form(client, CHOOSE, CHOOSE, {"how": "app"})
    assert app.status_code == 303 and app.headers["location"] == APP
    setup = await client.get(APP)
    assert setup.status_code == 200 and "<svg" in setup.text and "Set up an authenticator app" in setup.text
    secret = secret_on(setup.text)
    assert secret == secret_on((await client.get(APP)).text), "the secret stays the same when the page is reloaded"
    assert await citizens_with(platform, address) == 0, "no account until the app is confirmed"

    back = await post_form(client, APP, APP, {"code": pyotp.TOTP(secret).now()})
    assert back.status_code == 302 and back.headers["location"].startswith(REDIRECT_URI + "?")
    returned = code_from(back.headers["location"])
    assert returned["state"] == query["state"]
    assert await citizens_with(platform, address) == 1
    assert (await client.get(APP)).status_code == 400, "the sign-in has ended: its cookie is worth nothing"

    identity = identity_of(platform)
    form = {
        "grant_type": "authorization_code",
        "code": returned["code"],
        "redirect_uri": REDIRECT_URI,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion(rp, identity.token_endpoint),
    }
    exchanged = await client.post("/token", data=form)
    assert exchanged.status_code == 200, exchanged.text
    info = await client.get("/userinfo", headers={"Authorization": f"Bearer {exchanged.json()['access_token']}"})
    assert info.status_code == 200 and info.json()["email"] == address

    # Creating the account signed the citizen in: the service's next request is answered at once (single
    # sign-on), without the pages.
    again = await client.get("/authorize", params=authorise_query(rp))
    assert again.status_code == 302 and again.headers["location"].startswith(REDIRECT_URI + "?")
    assert "code" in code_from(again.headers["location"])

    # In another browser the new account signs in as any other: its password, and a later code from its app.
    client.cookies.clear()
    await client.get("/authorize", params=authorise_query(rp))
    await post_form(client, SIGN_IN_EMAIL, SIGN_IN_EMAIL, {"email": address})
    signed = await post_form(
        client, "/identity/sign-in/password", "/identity/sign-in/password", {"password": GOOD_PASSWORD}
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/identity/sign-in/code"


async def test_a_known_email_gets_the_same_page_and_a_notice_instead_of_a_code_and_its_account_is_unchanged(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    pages = []
    for address in (person.email, "someone-new@example.com"):
        await start(client, platform, address)
        page = await client.get(CHECK)
        pages.append((page.status_code, re.sub(r'(value|nonce)="[^"]*"', "", page.text.replace(address, "EMAIL"))))
    assert pages[0] == pages[1], "the check-your-email pages differ for a known and an unknown email"

    [notice] = await emails_to(platform, person.email)
    assert notice["Subject"] == "Someone tried to create an account with your email address"
    assert "already an account" in body_of(notice) and not re.search(r"\b\d{6}\b", body_of(notice))
    async with platform.uow(read_only=True) as uow:
        citizen = await uow.session.scalar(select(Citizen).where(Citizen.email == person.email))
        assert citizen is not None
        before = (citizen.password_hash, citizen.totp_secret_encrypted)

    # Every code is wrong for it, as a wrong code is for anyone; the account is not touched.
    await start(client, platform, person.email)
    refused = await post_form(client, CHECK, CHECK, {"code": "123456"})
    assert refused.status_code == 400 and "not correct" in refused.text
    assert (await client.get(NEW_PASSWORD)).headers["location"] == CHECK
    async with platform.uow(read_only=True) as uow:
        citizen = await uow.session.scalar(select(Citizen).where(Citizen.email == person.email))
        assert citizen is not None and (citizen.password_hash, citizen.totp_secret_encrypted) == before
    assert await citizens_with(platform, person.email) == 1


async def test_a_wrong_code_is_refused_and_the_right_one_then_works_once(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    address = "wrong-code@example.com"
    await start(client, platform, address)
    [message] = await emails_to(platform, address)
    code = code_in(message)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = await post_form(client, CHECK, CHECK, {"code": wrong})
    assert refused.status_code == 400 and "Error:" in refused.text and "not correct" in refused.text
    assert (await client.get(NEW_PASSWORD)).headers["location"] == CHECK, "no password before the email is checked"
    accepted = await post_form(client, CHECK, CHECK, {"code": code})
    assert accepted.status_code == 303 and accepted.headers["location"] == NEW_PASSWORD
    reused = await post_form(client, CHECK, CHECK, {"code": code})
    assert reused.status_code == 400 and "not correct" in reused.text


async def test_a_new_code_makes_the_old_one_worthless(platform: Platform, client: httpx.AsyncClient) -> None:
    address = "resend@example.com"
    await start(client, platform, address)
    resend_page = await client.get(RESEND)
    assert resend_page.status_code == 200 and address in resend_page.text
    again = await client.post(RESEND, data={"csrf_token": csrf_from(resend_page.text)})
    assert again.status_code == 303 and again.headers["location"] == CHECK
    first, second = await emails_to(platform, address)
    if code_in(first) != code_in(second):
        old = await post_form(client, CHECK, CHECK, {"code": code_in(first)})
        assert old.status_code == 400 and "not correct" in old.text
    assert (await post_form(client, CHECK, CHECK, {"code": code_in(second)})).status_code == 303


async def test_an_expired_code_is_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    address = "slow-reader@example.com"
    await start(client, platform, address)
    [message] = await emails_to(platform, address)
    async with platform.uow() as uow:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await uow.session.execute(update(SignUp).where(SignUp.email == address).values(code_expires_at=past))
        await uow.commit()
    refused = await post_form(client, CHECK, CHECK, {"code": code_in(message)})
    assert refused.status_code == 400 and "The code has expired" in refused.text


async def test_five_wrong_codes_void_the_code_and_then_guessing_meets_the_throttle(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    address = "guesser@example.com"
    await start(client, platform, address)
    [message] = await emails_to(platform, address)
    code = code_in(message)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    texts = [(await post_form(client, CHECK, CHECK, {"code": wrong})).text for _ in range(5)]
    assert all("not correct" in text for text in texts[:4]) and "too many times" in texts[4]
    voided = await post_form(client, CHECK, CHECK, {"code": code})
    assert voided.status_code == 400 and "Request a new code" in voided.text, "the right code no longer works"
    statuses = []
    for _ in range(12):
        answer = await post_form(client, CHECK, CHECK, {"code": wrong})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["retry-after"]) >= 1 and "too many times" in answer.text
            break
    assert statuses[-1] == 429


async def test_sending_codes_again_and_again_meets_the_throttle(platform: Platform, client: httpx.AsyncClient) -> None:
    address = "flooded@example.com"
    await start(client, platform, address)
    statuses = []
    for _ in range(10):
        page = await client.get(RESEND)
        answer = await client.post(RESEND, data={"csrf_token": csrf_from(page.text)})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["retry-after"]) >= 1
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {303}
    assert len(await emails_to(platform, address)) == len(statuses), "the refused send sent nothing"


async def test_weak_common_and_mismatched_passwords_are_refused_with_the_reason(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    address = "chooser@example.com"
    await to_password(client, platform, address)
    for password, again, reason in (
        ("short", "short", "at least 8 characters"),
        ("Password1", "Password1", "Do not use very common passwords"),
        ("chooser-2026", "chooser-2026", "must not contain your email address"),
        (GOOD_PASSWORD, GOOD_PASSWORD + "x", "Enter the same password in both fields"),
        ("a" * 300, "a" * 300, "256 characters or fewer"),
        ("", "", "Enter a password"),
    ):
        answer = await post_form(client, NEW_PASSWORD, NEW_PASSWORD, {"password": password, "confirm-password": again})
        assert answer.status_code == 400 and reason in answer.text, (password, answer.text)
        assert "Error:" in answer.text
    assert (await client.get(APP)).headers["location"] == NEW_PASSWORD


async def test_a_wrong_authenticator_code_makes_no_account(platform: Platform, client: httpx.AsyncClient) -> None:
    address = "app-user@example.com"
    await to_authenticator(client, platform, address)
    page = await client.get(APP)
    now = pyotp.TOTP(secret_on(page.text)).now()
    wrong = f"{(int(now) + 500_000) % 1_000_000:06d}"
    refused = await post_form(client, APP, APP, {"code": wrong})
    assert refused.status_code == 400 and "not correct" in refused.text and "<svg" in refused.text
    empty = await post_form(client, APP, APP, {"code": ""})
    assert empty.status_code == 400 and "Enter the 6-digit code" in empty.text
    assert await citizens_with(platform, address) == 0


async def test_forms_without_the_csrf_token_are_refused(platform: Platform, client: httpx.AsyncClient) -> None:
    await start(client, platform, "csrf@example.com")
    for path, data in (
        (EMAIL, {"email": "other@example.com"}),
        (CHECK, {"code": "123456"}),
        (RESEND, {}),
        (NEW_PASSWORD, {"password": GOOD_PASSWORD, "confirm-password": GOOD_PASSWORD}),
        (APP, {"code": "123456"}),
    ):
        answer = await client.post(path, data=data)
        assert answer.status_code == 403, (path, answer.status_code)


async def test_over_long_and_malformed_input_gets_a_clear_error_never_a_500(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await a_client(platform)
    rp = await a_client(platform)
    await client.get("/authorize", params=authorise_query(rp))
    for typed in ("x" * 5000 + "@example.com", "not an email", "a@b"):
        answer = await post_form(client, EMAIL, EMAIL, {"email": typed})
        assert answer.status_code == 400 and "Enter an email address in the correct format" in answer.text
    empty = await post_form(client, EMAIL, EMAIL, {"email": "  "})
    assert empty.status_code == 400 and "Enter your email address" in empty.text
    await post_form(client, EMAIL, EMAIL, {"email": "long-input@example.com"})
    long_code = await post_form(client, CHECK, CHECK, {"code": "1" * 10_000})
    assert long_code.status_code == 400 and "not correct" in long_code.text
    letters = await post_form(client, CHECK, CHECK, {"code": "abcdef"})
    assert letters.status_code == 400


async def test_the_steps_need_a_sign_in_started_by_a_service_and_go_in_order(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    for path in (EMAIL, CHECK, RESEND, NEW_PASSWORD, APP):
        answer = await client.get(path)
        assert answer.status_code == 400 and "Go back to the service" in answer.text
    rp = await a_client(platform)
    await client.get("/authorize", params=authorise_query(rp))
    for path in (CHECK, RESEND, NEW_PASSWORD, APP):
        answer = await client.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == EMAIL


async def test_the_pages_and_the_email_are_in_welsh_when_asked(platform: Platform, client: httpx.AsyncClient) -> None:
    rp = await a_client(platform)
    started = await client.get("/authorize", params=authorise_query(rp, ui_locales="cy"))
    await client.get(started.headers["location"])
    page = await client.get(EMAIL)
    assert 'lang="cy"' in page.text
    await post_form(client, EMAIL, EMAIL, {"email": "cymraeg@example.com"})
    check = await client.get(CHECK)
    assert "Gwiriwch eich e-bost" in check.text
    [message] = await emails_to(platform, "cymraeg@example.com")
    assert message["Subject"] == "Eich cod diogelwch i greu cyfrif"
    assert re.search(r"\b\d{6}\b yw eich cod diogelwch", body_of(message))


async def test_housekeeping_keeps_a_sign_up_in_progress_and_deletes_it_when_its_sign_in_has_expired(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    address = "forgotten@example.com"
    await start(client, platform, address)

    async def rows() -> int:
        async with platform.uow(read_only=True) as uow:
            return int(await uow.session.scalar(select(func.count()).where(SignUp.email == address)) or 0)

    for later, left in ((dt.timedelta(0), 1), (dt.timedelta(hours=2), 0)):
        async with platform.uow() as uow:
            await purge_expired(uow, dt.datetime.now(dt.UTC) + later)
            await uow.commit()
        assert await rows() == left
