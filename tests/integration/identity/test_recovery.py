"""Recovery that keeps two factors: a lost password (an emailed single-use link, the authenticator app's code,
a new password) and a lost authenticator app (an emailed code after the password, a wait with notice and a
cancel link, then a new app). Neither path issues anything above Cl before two factors are proven; every
refusal is a clear page, changes nothing and is recorded; guessing meets core's throttle."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from urllib.parse import urlsplit

import httpx
import pyotp
from sqlalchemy import select, update

from govplatform.core.interfaces import PlatformTemplate, utcnow, verify_password
from govplatform.core.models import AuditEvent
from govplatform.core.platform import Platform
from govplatform.identity.models import AccountEvent, Citizen, CitizenSession, FactorRecovery, PasswordReset
from govplatform.identity.services import sessions
from govplatform.notify.models import Notification
from govplatform.notify.services.platform_messages import PLATFORM_TEMPLATES
from tests.helpers import another_browser, post_form
from tests.integration.identity.support import (
    PASSWORD,
    REDIRECT_URI,
    Client,
    Person,
    a_citizen,
    a_client,
    authorise_query,
    code_from,
    identity_of,
)
from tests.integration.identity.test_sign_up_pages import body_of, emails_to, secret_on

EMAIL, PASSWORD_PAGE, CODE = "/identity/sign-in/email", "/identity/sign-in/password", "/identity/sign-in/code"
FORGOTTEN, SENT = "/identity/recovery/password", "/identity/recovery/password/sent"
RESET_CODE, RESET_PASSWORD = "/identity/recovery/reset/code", "/identity/recovery/reset/password"
FACTOR, FACTOR_EMAIL, FACTOR_NEW = (
    "/identity/recovery/factor",
    "/identity/recovery/factor/email",
    "/identity/recovery/factor/new",
)
CANCEL, ACCOUNT = "/identity/recovery/cancel", "/identity/account"
NEW_PASSWORD = "a brand new long passphrase"


def link_in(body: str, path: str) -> str:
    found = re.search(rf"https?://[^\s]+{re.escape(path)}\?token=[A-Za-z0-9_\-]+", body)
    assert found, body
    return found.group(0)


async def events_of(platform: Platform, person: Person) -> list[str]:
    async with platform.uow(read_only=True) as uow:
        rows = await uow.session.scalars(
            select(AccountEvent.kind).where(AccountEvent.citizen_id == person.id).order_by(AccountEvent.at)
        )
        return list(rows.all())


async def refusals(platform: Platform) -> list[dict[str, object]]:
    async with platform.uow(read_only=True) as uow:
        rows = await uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "identity.recovery_refused"))
        return [dict(row.detail or {}) for row in rows.all()]


async def account_of(platform: Platform, person: Person) -> Citizen:
    async with platform.uow(read_only=True) as uow:
        citizen = await uow.session.get(Citizen, person.id)
        assert citizen is not None
        return citizen


async def to_code_page(http: httpx.AsyncClient, rp: Client, person: Person, **query: str) -> dict[str, str]:
    """A service's /authorize, the email and the password: on the second-factor page."""
    asked = authorise_query(rp, **query)
    assert (await http.get("/authorize", params=asked)).status_code == 302
    assert (await post_form(http, EMAIL, EMAIL, {"email": person.email})).status_code == 303
    assert (await post_form(http, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})).status_code == 303
    return asked


async def reset_link(platform: Platform, http: httpx.AsyncClient, person: Person) -> str:
    """Ask for a reset link for the person's email; returns the link from the email the worker delivered."""
    asked = await post_form(http, FORGOTTEN, FORGOTTEN, {"email": person.email})
    assert asked.status_code == 303 and asked.headers["location"] == SENT, asked.text
    mail = [m for m in await emails_to(platform, person.email) if m["Subject"] == "Reset your password"]
    return link_in(body_of(mail[-1]), "/identity/recovery/reset")


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


# A lost password ---------------------------------------------------------------------------------------------------


async def test_a_citizen_who_forgot_their_password_proves_their_app_chooses_a_new_one_and_goes_on_to_the_service(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    async with platform.uow() as uow:  # another browser's session for the same citizen
        await sessions.open_session(uow, identity_of(platform), person.id, "Cl.Cm", None)
        await uow.commit()
    asked = authorise_query(rp)
    await client.get("/authorize", params=asked)
    await post_form(client, EMAIL, EMAIL, {"email": person.email})
    password_page = await client.get(PASSWORD_PAGE)
    assert f'href="{FORGOTTEN}"' in password_page.text and "I have forgotten my password" in password_page.text
    form = await client.get(FORGOTTEN)
    assert form.status_code == 200 and person.email in form.text  # the email typed at sign-in, filled in

    link = await reset_link(platform, client, person)
    sent = await client.get(SENT)
    assert "If an account uses the email address you entered" in sent.text
    opened = await client.get(path_of(link))
    assert opened.status_code == 303 and opened.headers["location"] == RESET_CODE
    assert "token" not in opened.headers["location"]
    early = await client.get(RESET_PASSWORD)
    assert early.status_code == 303 and early.headers["location"] == RESET_CODE, "the second factor comes first"
    skipped = await post_form(
        client, RESET_CODE, RESET_PASSWORD, {"password": NEW_PASSWORD, "confirm-password": NEW_PASSWORD}
    )
    assert skipped.status_code == 403 and "security code" in skipped.text
    assert verify_password((await account_of(platform, person)).password_hash, PASSWORD), "nothing changed"

    wrong = await post_form(client, RESET_CODE, RESET_CODE, {"code": "000000"})
    assert wrong.status_code == 400 and "Error: " in wrong.text and "not correct" in wrong.text
    proven = await post_form(client, RESET_CODE, RESET_CODE, {"code": person.totp.now()})
    assert proven.status_code == 303 and proven.headers["location"] == RESET_PASSWORD
    weak = await post_form(
        client, RESET_PASSWORD, RESET_PASSWORD, {"password": "password", "confirm-password": "password"}
    )
    assert weak.status_code == 400 and "stronger password" in weak.text
    differ = await post_form(
        client, RESET_PASSWORD, RESET_PASSWORD, {"password": NEW_PASSWORD, "confirm-password": "x" + NEW_PASSWORD}
    )
    assert differ.status_code == 400 and "Enter the same password in both fields" in differ.text
    done = await post_form(
        client, RESET_PASSWORD, RESET_PASSWORD, {"password": NEW_PASSWORD, "confirm-password": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done.headers["location"].startswith(REDIRECT_URI + "?"), done.text
    assert code_from(done.headers["location"])["state"] == asked["state"]

    citizen = await account_of(platform, person)
    assert verify_password(citizen.password_hash, NEW_PASSWORD)
    async with platform.uow(read_only=True) as uow:
        left = (await uow.session.scalars(select(CitizenSession).where(CitizenSession.citizen_id == person.id))).all()
    assert [row.credential for row in left] == ["Cl.Cm"], "the other browser's session ended; this one is Cl.Cm"
    kinds = await events_of(platform, person)
    after_request = kinds[kinds.index("password_reset_requested") :]
    assert after_request == [
        "password_reset_requested", "recovery_refused", "refused_second_factor", "password_reset", "signed_in"
    ]  # fmt: skip
    notices = [m for m in await emails_to(platform, person.email) if m["Subject"] == "A change to your account"]
    assert len(notices) == 1 and "password for your account was reset" in body_of(notices[0])
    assert (await client.get(ACCOUNT)).status_code == 200, "signed in at Cl.Cm"


async def test_a_reset_link_opened_with_no_sign_in_ends_signed_in_at_the_confirmation(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    link = await reset_link(platform, client, person)
    client.cookies.clear()  # the link opened in another browser
    assert (await client.get(path_of(link))).status_code == 303
    await post_form(client, RESET_CODE, RESET_CODE, {"code": person.totp.now()})
    done = await post_form(
        client, RESET_PASSWORD, RESET_PASSWORD, {"password": NEW_PASSWORD, "confirm-password": NEW_PASSWORD}
    )
    assert done.status_code == 303 and done.headers["location"] == "/identity/recovery/reset/done"
    page = await client.get(done.headers["location"])
    assert "Your password has been changed" in page.text
    assert (await client.get(ACCOUNT)).status_code == 200


async def test_an_unknown_email_gets_nothing_and_the_same_page(platform: Platform, client: httpx.AsyncClient) -> None:
    person = await a_citizen(platform)
    pages = []
    for address in (person.email, "nobody-here@example.com"):
        asked = await post_form(client, FORGOTTEN, FORGOTTEN, {"email": address})
        pages.append((asked.status_code, asked.headers.get("location"), (await client.get(SENT)).text.count("csrf")))
    assert pages[0] == pages[1]
    assert await emails_to(platform, "nobody-here@example.com") == []
    empty = await post_form(client, FORGOTTEN, FORGOTTEN, {"email": ""})
    assert empty.status_code == 400 and "Enter your email address" in empty.text
    bad = await post_form(client, FORGOTTEN, FORGOTTEN, {"email": "not an email"})
    assert bad.status_code == 400 and "Error: " in bad.text


async def _reset(client: httpx.AsyncClient, link: str, person: Person, password: str = NEW_PASSWORD) -> httpx.Response:
    opened = await client.get(path_of(link))
    if opened.status_code != 303:
        return opened
    await post_form(client, RESET_CODE, RESET_CODE, {"code": person.totp.now()})
    return await post_form(client, RESET_PASSWORD, RESET_PASSWORD, {"password": password, "confirm-password": password})


async def test_a_reset_link_used_twice_is_refused_and_recorded(platform: Platform, client: httpx.AsyncClient) -> None:
    person = await a_citizen(platform)
    link = await reset_link(platform, client, person)
    assert (await _reset(client, link, person)).status_code == 303
    again = await client.get(path_of(link))
    assert again.status_code == 400 and "already been used" in again.text and "Ask for a new link" in again.text
    assert verify_password((await account_of(platform, person)).password_hash, NEW_PASSWORD)
    assert {"step": "password_reset_link", "reason": "used"} in await refusals(platform)
    assert (await events_of(platform, person))[-1] == "recovery_refused"


async def test_a_reset_link_is_refused_after_the_password_changed_after_expiry_and_after_a_newer_link(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    changed = await reset_link(platform, client, person)
    async with platform.uow() as uow:  # the password changes by another route (the account page, say)
        from govplatform.core.interfaces import hash_password

        await uow.session.execute(
            update(Citizen).where(Citizen.id == person.id).values(password_hash=hash_password(PASSWORD))
        )
        await uow.commit()
    refused = await client.get(path_of(changed))
    assert refused.status_code == 400 and "Your password has changed since this link was sent" in refused.text

    older = await reset_link(platform, client, person)
    newest = await reset_link(platform, client, person)
    superseded = await client.get(path_of(older))
    assert superseded.status_code == 400 and "A newer link has been sent" in superseded.text

    async with platform.uow() as uow:
        await uow.session.execute(update(PasswordReset).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        await uow.commit()
    expired = await client.get(path_of(newest))
    assert expired.status_code == 400 and "This link has expired" in expired.text
    # Mid-way too: a link that expires after its code page was opened is refused at the next step.
    assert (await client.get(RESET_CODE)).status_code == 400
    assert verify_password((await account_of(platform, person)).password_hash, PASSWORD), "nothing changed"
    reasons = {str(detail.get("reason")) for detail in await refusals(platform)}
    assert {"password_changed", "superseded", "expired"} <= reasons


async def test_a_forged_token_or_another_account_s_link_resets_nothing_it_does_not_name(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    mine, theirs = await a_citizen(platform), await a_citizen(platform)
    for forged in ("x" * 43, "", "a" * 500):
        answer = await client.get(f"/identity/recovery/reset?token={forged}")
        assert answer.status_code == 400 and "This link does not work" in answer.text
    client.cookies.set("govplatform_identity_reset", "forged-token", path="/identity/recovery")
    assert (await client.get(RESET_CODE)).status_code == 400
    assert {"step": "password_reset_link", "reason": "unknown"} in await refusals(platform)

    # My own link, with someone else's email in the sign-in and their app's code: their code does not prove mine.
    link = await reset_link(platform, client, mine)
    client.cookies.clear()
    assert (await client.get(path_of(link))).status_code == 303
    wrong = await post_form(client, RESET_CODE, RESET_CODE, {"code": theirs.totp.now()})
    assert wrong.status_code == 400
    assert verify_password((await account_of(platform, theirs)).password_hash, PASSWORD)
    assert verify_password((await account_of(platform, mine)).password_hash, PASSWORD)


async def test_guessing_the_code_on_a_reset_link_meets_the_throttle(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    link = await reset_link(platform, client, person)
    await client.get(path_of(link))
    statuses = []
    for guess in range(12):
        answer = await post_form(client, RESET_CODE, RESET_CODE, {"code": f"{guess:06d}"})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["retry-after"]) >= 1
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}
    assert (await client.get(RESET_PASSWORD)).status_code == 303, "still no new password without the code"


# A lost second factor ----------------------------------------------------------------------------------------------


async def request_replacement(platform: Platform, http: httpx.AsyncClient, rp: Client, person: Person) -> str:
    """From the code page: "I cannot use my authenticator app", the emailed code; returns the cancel link."""
    await to_code_page(http, rp, person)
    code_page = await http.get(CODE)
    assert f'href="{FACTOR}"' in code_page.text and "I cannot use my authenticator app" in code_page.text
    start = await http.get(FACTOR)
    assert start.status_code == 200 and person.email in start.text
    sent = await post_form(http, FACTOR, FACTOR, {})
    assert sent.status_code == 303 and sent.headers["location"] == FACTOR_EMAIL
    [mail] = [m for m in await emails_to(platform, person.email) if m["Subject"] == "Your sign-in code"][-1:]
    code = re.search(r"\b(\d{6})\b", body_of(mail))
    assert code
    confirmed = await post_form(http, FACTOR_EMAIL, FACTOR_EMAIL, {"code": code.group(1)})
    assert confirmed.status_code == 303 and confirmed.headers["location"] == FACTOR
    notices = [m for m in await emails_to(platform, person.email) if "replace your way" in str(m["Subject"])]
    assert len(notices) == 1
    return link_in(body_of(notices[0]), CANCEL)


async def wait_is_over(platform: Platform, person: Person) -> None:
    async with platform.uow() as uow:
        await uow.session.execute(
            update(FactorRecovery)
            .where(FactorRecovery.citizen_id == person.id)
            .values(ready_at=utcnow() - dt.timedelta(seconds=1))
        )
        await uow.commit()


async def test_a_lost_app_is_replaced_only_after_the_wait_and_never_reaches_cl_cm_with_one_factor(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    before = (await account_of(platform, person)).totp_secret_encrypted
    cancel_link = await request_replacement(platform, client, rp, person)
    waiting = await client.get(FACTOR)
    assert waiting.status_code == 200 and "You need to wait" in waiting.text
    assert "factor_recovery_requested" in await events_of(platform, person)

    # During the wait: the account is unchanged, no session above Cl exists, the new app cannot be set up.
    assert (await account_of(platform, person)).totp_secret_encrypted == before
    assert sessions.COOKIE not in client.cookies
    too_early = await client.get(FACTOR_NEW)
    assert too_early.status_code == 403 and "waiting period" in too_early.text
    posted = await post_form(client, FACTOR, FACTOR_NEW, {"code": "123456"})
    assert posted.status_code == 403
    assert {"step": "factor_recovery_set_up", "reason": "not_ready"} in await refusals(platform)
    assert (await client.get(ACCOUNT)).status_code == 303
    asked = await client.get("/authorize", params=authorise_query(rp))
    assert asked.status_code == 302 and asked.headers["location"].startswith(EMAIL), "no code: the pages again"
    assert "/identity/recovery/cancel?token=" in cancel_link

    # After the wait, a sign-in with email and password is offered a new app, and only its first code finishes.
    await wait_is_over(platform, person)
    other = another_browser(client)
    async with other:
        unproven = await other.get(FACTOR_NEW)
        assert unproven.status_code == 400, "no sign-in, no password proven: nothing"
        asked_now = await to_code_page(other, rp, person)
        code_page = await other.get(CODE)
        assert "Set up a new way to get security codes" in code_page.text
        assert (await other.get(FACTOR)).headers["location"] == FACTOR_NEW
        setup = await other.get(FACTOR_NEW)
        assert setup.status_code == 200 and "<svg" in setup.text
        app = pyotp.TOTP(secret_on(setup.text))
        wrong = await post_form(other, FACTOR_NEW, FACTOR_NEW, {"code": "000000"})
        assert wrong.status_code == 400 and "not correct" in wrong.text
        assert sessions.COOKIE not in other.cookies
        done = await post_form(other, FACTOR_NEW, FACTOR_NEW, {"code": app.now()})
        assert done.status_code == 302 and done.headers["location"].startswith(REDIRECT_URI + "?"), done.text
        assert code_from(done.headers["location"])["state"] == asked_now["state"]
        assert (await other.get(ACCOUNT)).status_code == 200

    citizen = await account_of(platform, person)
    assert citizen.totp_secret_encrypted != before
    kinds = await events_of(platform, person)
    assert "factor_recovery_completed" in kinds
    told = [m for m in await emails_to(platform, person.email) if m["Subject"] == "A change to your account"]
    assert len(told) == 1 and "new authenticator app" in body_of(told[0])
    # The old app no longer signs in.
    client.cookies.clear()
    await to_code_page(client, rp, person)
    assert (await post_form(client, CODE, CODE, {"code": person.totp.now()})).status_code == 400


async def test_signing_in_with_the_old_app_during_the_wait_cancels_the_request(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await request_replacement(platform, client, rp, person)
    client.cookies.clear()
    await to_code_page(client, rp, person)
    assert (await post_form(client, CODE, CODE, {"code": person.totp.now()})).status_code == 302
    assert "factor_recovery_cancelled" in await events_of(platform, person)
    await wait_is_over(platform, person)
    client.cookies.clear()
    await to_code_page(client, rp, person)
    refused = await client.get(FACTOR_NEW)
    assert refused.status_code == 403 and "There is no request" in refused.text


async def test_the_cancel_link_cancels_once_and_is_refused_after(platform: Platform, client: httpx.AsyncClient) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    cancel_link = await request_replacement(platform, client, rp, person)
    other = another_browser(client)
    async with other:
        shown = await other.get(path_of(cancel_link))
        assert shown.status_code == 200 and "Cancel the request" in shown.text
        async with platform.uow(read_only=True) as uow:  # opening the link changed nothing (mail scanners open it)
            row = await uow.session.scalar(select(FactorRecovery).where(FactorRecovery.citizen_id == person.id))
            assert row is not None and row.cancelled_at is None
        token = path_of(cancel_link).split("token=")[1]
        cancelled = await post_form(other, path_of(cancel_link), CANCEL, {"token": token})
        assert cancelled.status_code == 200 and "The request has been cancelled" in cancelled.text
        again = await other.get(path_of(cancel_link))
        assert again.status_code == 400 and "already been cancelled" in again.text
        from tests.helpers import csrf_from

        replayed = await other.post(CANCEL, data={"token": token, "csrf_token": csrf_from(shown.text)})
        assert replayed.status_code == 400 and "already been cancelled" in replayed.text
        forged = await other.get(f"{CANCEL}?token={uuid.uuid4().hex}")
        assert forged.status_code == 400 and "This link does not work" in forged.text
    kinds = await events_of(platform, person)
    assert kinds.count("factor_recovery_cancelled") == 1 and kinds[-1] == "recovery_refused"
    await wait_is_over(platform, person)
    await to_code_page(client, rp, person)
    assert (await client.get(FACTOR_NEW)).status_code == 403
    reasons = [detail.get("reason") for detail in await refusals(platform)]
    assert reasons.count("cancelled") == 2 and "unknown" in reasons


async def test_a_password_only_session_during_the_wait_reaches_nothing_that_needs_cl_cm(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await request_replacement(platform, client, rp, person)
    client.cookies.clear()
    await client.get("/authorize", params=authorise_query(rp, vtr='["Cl"]'))
    await post_form(client, EMAIL, EMAIL, {"email": person.email})
    low = await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
    assert low.status_code == 302 and "code=" in low.headers["location"], "a password alone is Cl, as before"
    account = await client.get(ACCOUNT)
    assert account.status_code == 303 and account.headers["location"].startswith("/identity/sign-in/start?")
    high = await client.get("/authorize", params=authorise_query(rp))
    assert high.status_code == 302 and high.headers["location"].startswith(EMAIL)
    assert (await client.get(FACTOR_NEW)).status_code == 303, "the new sign-in has no password proven yet"
    async with platform.uow(read_only=True) as uow:
        levels = (
            await uow.session.scalars(select(CitizenSession.credential).where(CitizenSession.citizen_id == person.id))
        ).all()
    assert list(levels) == ["Cl"]


async def test_guessing_the_emailed_code_meets_the_throttle_and_sends_no_notice(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await to_code_page(client, rp, person)
    await post_form(client, FACTOR, FACTOR, {})
    statuses = []
    for guess in range(12):
        answer = await post_form(client, FACTOR_EMAIL, FACTOR_EMAIL, {"code": f"{guess:06d}"})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["retry-after"]) >= 1
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}
    async with platform.uow(read_only=True) as uow:
        sent = (
            await uow.session.scalars(
                select(Notification.template_id).where(Notification.normalised_recipient == person.email)
            )
        ).all()
    assert PLATFORM_TEMPLATES[(PlatformTemplate.CITIZEN_FACTOR_RECOVERY, "email", "en")] not in sent
    assert "factor_recovery_requested" not in await events_of(platform, person)


async def test_a_sign_in_for_another_email_in_the_browser_is_not_finished_as_the_reset_account(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    link = await reset_link(platform, client, person)
    await client.get("/authorize", params=authorise_query(rp))  # a sign-in someone else's link started
    await post_form(client, EMAIL, EMAIL, {"email": "someone-else@example.com"})
    done = await _reset(client, link, person)
    assert done.status_code == 303 and done.headers["location"] == "/identity/recovery/reset/done", "no code to rp"
    async with platform.uow(read_only=True) as uow:
        from govplatform.identity.models import ServiceUse

        assert (await uow.session.scalars(select(ServiceUse).where(ServiceUse.citizen_id == person.id))).all() == []


async def test_recovery_rows_go_with_the_account_and_when_they_expire(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    from govplatform.identity.schedule import purge_expired
    from govplatform.identity.services import accounts

    rp, person, other = await a_client(platform), await a_citizen(platform), await a_citizen(platform)
    await reset_link(platform, client, person)
    await request_replacement(platform, client, rp, person)
    client.cookies.clear()
    await reset_link(platform, client, other)

    async def count(citizen: Person) -> int:
        async with platform.uow(read_only=True) as uow:
            links = (
                await uow.session.scalars(select(PasswordReset).where(PasswordReset.citizen_id == citizen.id))
            ).all()
            asked = (
                await uow.session.scalars(select(FactorRecovery).where(FactorRecovery.citizen_id == citizen.id))
            ).all()
            return len(links) + len(asked)

    assert await count(person) == 2 and await count(other) == 1
    async with platform.uow() as uow:
        await accounts.delete_account(uow, identity_of(platform), person.id, PASSWORD, None)
        await uow.commit()
    assert await count(person) == 0 and await count(other) == 1
    async with platform.uow() as uow:
        await purge_expired(uow, utcnow() + dt.timedelta(minutes=61))
        await uow.commit()
    assert await count(other) == 0


async def test_after_too_many_wrong_emailed_codes_a_new_code_can_be_sent_and_the_old_one_is_void(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    import asyncio

    rp, person = await a_client(platform), await a_citizen(platform)
    await to_code_page(client, rp, person)
    await post_form(client, FACTOR, FACTOR, {})
    [first] = [m for m in await emails_to(platform, person.email) if m["Subject"] == "Your sign-in code"]
    old = re.search(r"\b(\d{6})\b", body_of(first))
    assert old
    wrong = f"{(int(old.group(1)) + 1) % 1_000_000:06d}"
    answers = [await post_form(client, FACTOR_EMAIL, FACTOR_EMAIL, {"code": wrong}) for _ in range(5)]
    assert "wrong code too many times" in answers[-1].text
    page = await client.get(FACTOR_EMAIL)
    assert "Send a new code" in page.text
    await asyncio.sleep(1.5)  # the throttle's first wait after five wrong guesses
    void = await post_form(client, FACTOR_EMAIL, FACTOR_EMAIL, {"code": old.group(1)})
    assert void.status_code == 400, "the code is void after too many wrong guesses"
    resent = await post_form(client, FACTOR_EMAIL, FACTOR, {})
    assert resent.status_code == 303 and resent.headers["location"] == FACTOR_EMAIL
    latest = [m for m in await emails_to(platform, person.email) if m["Subject"] == "Your sign-in code"][-1]
    new = re.search(r"\b(\d{6})\b", body_of(latest))
    assert new
    await asyncio.sleep(2.5)
    confirmed = await post_form(client, FACTOR_EMAIL, FACTOR_EMAIL, {"code": new.group(1)})
    assert confirmed.status_code == 303 and confirmed.headers["location"] == FACTOR, confirmed.text
