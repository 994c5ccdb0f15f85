"""The account's security page: changing how a citizen proves it is them needs both factors proven just now,
a new authenticator app replaces the old only when its own code is right, the last second factor cannot be
removed, and every change is announced by email and written in the citizen's history."""

from __future__ import annotations

import datetime as dt
import re
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
from sqlalchemy import select, update

from govplatform.core.interfaces import PlatformTemplate
from govplatform.core.platform import Platform
from govplatform.identity.models import AccountEvent, Citizen, CitizenSession
from govplatform.notify.services.platform_messages import PLATFORM_TEMPLATES
from tests.helpers import another_browser, csrf_from, post_form
from tests.integration.identity.support import PASSWORD, Person, a_citizen, a_client, authorise_query
from tests.integration.test_platform_messages import sent_to

SECURITY, APP, REMOVE = (
    "/identity/account/security",
    "/identity/account/security/app",
    "/identity/account/security/app/remove",
)
EMAIL, PASSWORD_PAGE, CODE = "/identity/sign-in/email", "/identity/sign-in/password", "/identity/sign-in/code"


def _later_code(totp: pyotp.TOTP) -> str:
    """The next time step's code: a code is accepted once, and one step of drift is allowed."""
    return totp.at(time.time() + totp.interval)


async def _signed_in(http: httpx.AsyncClient, person: Person) -> None:
    start = (await http.get(SECURITY)).headers["location"]
    assert (await http.get(start)).headers["location"] == EMAIL
    await post_form(http, EMAIL, EMAIL, {"email": person.email})
    await post_form(http, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
    back = await post_form(http, CODE, CODE, {"code": person.totp.now()})
    assert back.status_code == 303 and back.headers["location"] == SECURITY, back.text


async def _age_sessions(platform: Platform, person: Person, minutes: int) -> None:
    async with platform.uow() as uow:
        earlier = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes)
        await uow.session.execute(
            update(CitizenSession).where(CitizenSession.citizen_id == person.id).values(auth_time=earlier)
        )
        await uow.commit()


async def _events(platform: Platform, person: Person) -> list[tuple[str, dict[str, object]]]:
    async with platform.uow(read_only=True) as uow:
        rows = await uow.session.scalars(
            select(AccountEvent).where(AccountEvent.citizen_id == person.id).order_by(AccountEvent.at)
        )
        return [(row.kind, row.detail) for row in rows]


async def _citizen(platform: Platform, person: Person) -> Citizen:
    async with platform.uow(read_only=True) as uow:
        found = await uow.session.get(Citizen, person.id)
        assert found is not None
        return found


def _secret_and_sealed(page: str) -> tuple[str, str]:
    secret = re.search(r'<code id="secret-key"[^>]*>([A-Z2-7 ]+)</code>', page)
    sealed = re.search(r'name="sealed" value="([^"]+)"', page)
    assert secret and sealed, page
    return secret.group(1).replace(" ", ""), sealed.group(1)


async def test_the_security_page_lists_the_password_and_the_authenticator_app_behind_the_session(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _signed_in(client, person)
    page = await client.get(SECURITY)
    assert page.status_code == 200
    assert "Authenticator app" in page.text and "Password" in page.text
    assert REMOVE not in page.text  # the only second factor: no "Remove" offered


async def test_a_change_after_the_last_few_minutes_needs_the_password_and_a_code_again(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _signed_in(client, person)
    await _age_sessions(platform, person, minutes=11)
    sent = await client.get(APP)
    assert sent.status_code == 303
    start = sent.headers["location"]
    assert parse_qs(urlsplit(start).query) == {"return_to": [APP], "level": ["Cl.Cm"], "fresh": ["1"]}
    begun = await client.get(start)
    assert begun.headers["location"] == PASSWORD_PAGE  # the email is known: straight to the password
    assert person.email in (await client.get(PASSWORD_PAGE)).text
    wrong = await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": "not the password at all"})
    assert wrong.status_code == 400
    assert (await client.get(APP)).status_code == 303  # still not proven
    await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
    back = await post_form(client, CODE, CODE, {"code": _later_code(person.totp)})
    assert back.status_code == 303 and back.headers["location"] == APP
    assert (await client.get(APP)).status_code == 200


async def test_a_new_app_replaces_the_old_only_with_its_own_code_and_the_change_is_emailed_and_recorded(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _signed_in(client, person)
    shown = await client.get(APP)
    assert shown.status_code == 200 and "Change your authenticator app" in shown.text
    secret, sealed = _secret_and_sealed(shown.text)
    new_app = pyotp.TOTP(secret)
    before = (await _citizen(platform, person)).totp_secret_encrypted

    wrong = await client.post(
        APP, data={"code": person.totp.now(), "sealed": sealed, "csrf_token": csrf_from(shown.text)}
    )
    assert wrong.status_code == 400 and "not correct" in wrong.text
    assert _secret_and_sealed(wrong.text)[0] == secret  # the same new app, to try again
    assert (await _citizen(platform, person)).totp_secret_encrypted == before

    done = await client.post(APP, data={"code": new_app.now(), "sealed": sealed, "csrf_token": csrf_from(shown.text)})
    assert done.status_code == 303 and done.headers["location"] == SECURITY + "?done=app-added"
    assert "Your authenticator app has been set up" in (await client.get(done.headers["location"])).text
    assert (await _citizen(platform, person)).totp_secret_encrypted != before
    assert ("factor_changed", {"factor": "app"}) in await _events(platform, person)
    notices = [
        n for n in await sent_to(platform, person.email)
        if n.template_id == PLATFORM_TEMPLATES[(PlatformTemplate.CITIZEN_ACCOUNT_CHANGED, "email", "en")]
    ]  # fmt: skip
    assert len(notices) == 1

    # The old app no longer signs in; the new one does.
    rp = await a_client(platform)
    other = another_browser(client)
    async with other:
        await other.get("/authorize", params=authorise_query(rp))
        await post_form(other, EMAIL, EMAIL, {"email": person.email})
        await post_form(other, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
        refused = await post_form(other, CODE, CODE, {"code": _later_code(person.totp)})
        assert refused.status_code == 400
        accepted = await post_form(other, CODE, CODE, {"code": _later_code(new_app)})
        assert accepted.status_code == 302 and "code=" in accepted.headers["location"]


async def test_a_new_app_secret_sealed_for_another_session_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person, someone = await a_citizen(platform), await a_citizen(platform)
    await _signed_in(client, person)
    theirs = another_browser(client)
    async with theirs:
        await _signed_in(theirs, someone)
        _, sealed_for_them = _secret_and_sealed((await theirs.get(APP)).text)
    mine = await client.get(APP)
    before = (await _citizen(platform, person)).totp_secret_encrypted
    answer = await client.post(
        APP, data={"code": "123456", "sealed": sealed_for_them, "csrf_token": csrf_from(mine.text)}
    )
    assert answer.status_code == 400 and "This page has expired" in answer.text
    assert (await _citizen(platform, person)).totp_secret_encrypted == before


async def test_the_last_second_factor_cannot_be_removed_and_another_can(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _signed_in(client, person)
    refused = await post_form(client, REMOVE, REMOVE, {})
    assert refused.status_code == 400 and "only way you have to prove it is you" in refused.text
    assert (await _citizen(platform, person)).totp_secret_encrypted is not None
    assert not [kind for kind, _ in await _events(platform, person) if kind == "factor_removed"]

    async with platform.uow() as uow:  # a phone as well (the text-message factor's own tests add it by the pages)
        await uow.session.execute(update(Citizen).where(Citizen.id == person.id).values(phone_number="+447700900123"))
        await uow.commit()
    assert REMOVE in (await client.get(SECURITY)).text
    removed = await post_form(client, REMOVE, REMOVE, {})
    assert removed.status_code == 303 and removed.headers["location"] == SECURITY + "?done=app-removed"
    assert (await _citizen(platform, person)).totp_secret_encrypted is None
    assert ("factor_removed", {"factor": "app"}) in await _events(platform, person)


async def test_the_security_pages_send_a_signed_out_browser_to_sign_in(client: httpx.AsyncClient) -> None:
    for page in (SECURITY, APP, REMOVE):
        answer = await client.get(page)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/identity/sign-in/start?")
