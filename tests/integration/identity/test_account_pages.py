"""The citizen's account pages: behind the session (sign-in, then back), the services they used with first
and last use, changing the password (current one required, throttled, new one checked), and deleting the
account, which tells every service it was used with by back-channel logout and leaves nothing about them."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from govplatform.core.interfaces import PlatformTemplate
from govplatform.core.jobs.worker import Worker
from govplatform.core.models import AuditEvent
from govplatform.core.platform import Platform
from govplatform.identity.models import AccessToken, AuthorisationCode, Citizen, CitizenSession, ServiceUse
from govplatform.identity.services import sessions
from govplatform.identity.services.back_channel import EVENT
from govplatform.notify.services.platform_messages import PLATFORM_TEMPLATES
from tests.helpers import another_browser, csrf_from, post_form
from tests.integration.identity.support import (
    PASSWORD,
    Client,
    Person,
    a_citizen,
    a_client,
    authorise_query,
    code_from,
    identity_of,
    sign_in_through_pages,
    token_form,
)
from tests.integration.notify.receiver import callback_receiver
from tests.integration.test_platform_messages import delivered_email, plain_text, sent_to
from tests.outbound_support import use_guard

ACCOUNT, CHANGE, DELETE = "/identity/account", "/identity/account/password", "/identity/account/delete"
EMAIL, PASSWORD_PAGE, CODE = "/identity/sign-in/email", "/identity/sign-in/password", "/identity/sign-in/code"
NEW_PASSWORD = "a different long passphrase"


async def _sign_in_to(http: httpx.AsyncClient, page: str, person: Person, password: str = PASSWORD) -> httpx.Response:
    """Open a page while signed out: to sign-in, through the pages, and back; returns the page."""
    sent = await http.get(page)
    assert sent.status_code == 303, sent.text
    start = sent.headers["location"]
    assert parse_qs(urlsplit(start).query) == {"return_to": [page], "level": ["Cl.Cm"]}
    begun = await http.get(start)
    assert begun.status_code == 302 and begun.headers["location"] == EMAIL
    assert (await post_form(http, EMAIL, EMAIL, {"email": person.email})).status_code == 303
    assert (await post_form(http, PASSWORD_PAGE, PASSWORD_PAGE, {"password": password})).status_code == 303
    back = await post_form(http, CODE, CODE, {"code": person.totp.now()})
    assert back.status_code == 303 and back.headers["location"] == page, back.text
    return await http.get(page)


async def _use(platform: Platform, http: httpx.AsyncClient, rp: Client) -> str:
    """The signed-in citizen uses a service (single sign-on) and it exchanges its code; the ID token's sub."""
    query = authorise_query(rp)
    answer = await http.get("/authorize", params=query)
    assert answer.status_code == 302 and "code=" in answer.headers["location"], answer.text
    code = code_from(answer.headers["location"])["code"]
    issued = await http.post("/token", data=token_form(rp, code, identity_of(platform).token_endpoint))
    keys = KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())
    claims = jwt.decode(issued.json()["id_token"], keys, algorithms=["ES256", "RS256"]).claims
    return str(claims["sub"])


async def test_the_account_page_needs_a_session_and_lists_the_services_used(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    parking = await a_client(platform, name="Parking permits")
    bins = await a_client(platform, name="Bulky waste collection")
    person = await a_citizen(platform)
    page = await _sign_in_to(client, ACCOUNT, person)
    assert page.status_code == 200 and person.email in page.text
    assert "You have not signed in to any services with this account yet." in page.text
    await _use(platform, client, parking)
    await _use(platform, client, bins)
    page = await client.get(ACCOUNT)
    assert "Parking permits" in page.text and "Bulky waste collection" in page.text
    assert page.text.count('<tr class="govuk-table__row">') == 3  # the head and one row a service
    welsh = await client.get(ACCOUNT + "?lang=cy")
    assert '<html lang="cy"' in welsh.text and "Eich gwasanaethau" in welsh.text


async def test_the_account_pages_header_has_the_citizen_s_links_and_signing_out_ends_the_session(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    page = await _sign_in_to(client, ACCOUNT, person)
    header = page.text.split("</header>")[0]
    assert 'href="/logout"' in header and 'href="/identity/account"' in header
    assert 'href="/sign-in"' not in header and 'href="/admin"' not in header, "no staff links on a citizen's page"
    email_page = await client.get(EMAIL)
    assert 'href="/sign-in"' not in email_page.text.split("</header>")[0]
    signed_out = await client.get("/logout")
    assert signed_out.status_code == 200 and "signed out" in signed_out.text.lower()
    again = await client.get(ACCOUNT)
    assert again.status_code == 303 and again.headers["location"].startswith("/identity/sign-in/start?")


async def test_a_session_at_a_password_alone_must_step_up_for_the_account_pages(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await client.get("/authorize", params=authorise_query(rp, vtr='["Cl"]'))
    await post_form(client, EMAIL, EMAIL, {"email": person.email})
    low = await post_form(client, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
    assert low.status_code == 302 and "code=" in low.headers["location"]
    sent = await client.get(ACCOUNT)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/identity/sign-in/start?")
    assert (await client.get(sent.headers["location"])).headers["location"] == EMAIL  # the pages again


async def test_a_sign_in_link_to_another_site_is_refused(client: httpx.AsyncClient) -> None:
    for return_to in ("https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com"):
        answer = await client.get("/identity/sign-in/start", params={"return_to": return_to, "level": "Cl.Cm"})
        assert answer.status_code == 400 and "location" not in answer.headers


async def test_changing_the_password_needs_the_current_one_checks_the_new_one_and_ends_other_sessions(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _sign_in_to(client, ACCOUNT, person)
    async with platform.uow() as uow:  # another browser's session for the same citizen
        from govplatform.identity.services.sessions import open_session

        await open_session(uow, identity_of(platform), person.id, "Cl.Cm", None)
        await uow.commit()

    wrong = await post_form(client, CHANGE, CHANGE, {"current-password": "not it", "new-password": NEW_PASSWORD})
    assert wrong.status_code == 400 and "Your current password is not correct" in wrong.text
    assert "Error: " in wrong.text and 'href="#current-password"' in wrong.text
    short = await post_form(client, CHANGE, CHANGE, {"current-password": PASSWORD, "new-password": "short"})
    assert short.status_code == 400 and "Your password must be 8 characters or more" in short.text
    empty = await post_form(client, CHANGE, CHANGE, {"current-password": "", "new-password": ""})
    assert empty.status_code == 400 and "Enter your current password" in empty.text
    no_token = await client.post(CHANGE, data={"current-password": PASSWORD, "new-password": NEW_PASSWORD})
    assert no_token.status_code == 403

    changed = await post_form(client, CHANGE, CHANGE, {"current-password": PASSWORD, "new-password": NEW_PASSWORD})
    assert changed.status_code == 303 and changed.headers["location"] == ACCOUNT + "?done=password"
    assert "Your password has been changed" in (await client.get(changed.headers["location"])).text
    async with platform.uow(read_only=True) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(CitizenSession)) == 1  # this one only
        events = (await uow.session.scalars(select(AuditEvent).where(AuditEvent.action.like("identity.%")))).all()
    assert "identity.citizen_password_changed" in {event.action for event in events}
    assert person.email not in repr([vars(event) for event in events])

    # The new password signs in; the old one no longer does.
    other = another_browser(client)  # another browser
    async with other:
        rp = await a_client(platform)
        await other.get("/authorize", params=authorise_query(rp))
        await post_form(other, EMAIL, EMAIL, {"email": person.email})
        old = await post_form(other, PASSWORD_PAGE, PASSWORD_PAGE, {"password": PASSWORD})
        assert old.status_code == 400
        assert (await post_form(other, PASSWORD_PAGE, PASSWORD_PAGE, {"password": NEW_PASSWORD})).status_code == 303


async def test_guessing_the_current_password_meets_the_throttle(platform: Platform, client: httpx.AsyncClient) -> None:
    person = await a_citizen(platform)
    await _sign_in_to(client, CHANGE, person)
    statuses = []
    for _ in range(14):
        answer = await post_form(client, CHANGE, CHANGE, {"current-password": "guess", "new-password": NEW_PASSWORD})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["retry-after"]) >= 1
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}


async def test_deleting_the_account_tells_every_service_it_was_used_with_and_leaves_nothing_of_the_citizen(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    identity_of(platform).outbound = use_guard(platform, allowed="127.0.0.1")
    person, someone_else = await a_citizen(platform), await a_citizen(platform)
    with callback_receiver() as receiver:
        parking = await a_client(platform, back_channel_logout_uri=receiver.url + "/parking")
        permits = await a_client(
            platform, back_channel_logout_uri=receiver.url + "/permits", sector="permits.example.gov.uk"
        )
        silent = await a_client(platform)  # no back-channel URI: nothing to send
        not_used = await a_client(platform, back_channel_logout_uri=receiver.url + "/not-used")
        await _sign_in_to(client, ACCOUNT, person)
        subjects = {"parking": await _use(platform, client, parking), "permits": await _use(platform, client, permits)}
        await _use(platform, client, silent)
        await sign_in_through_pages(
            another_browser(client),
            authorise_query(not_used),
            someone_else,
        )

        wrong = await post_form(client, DELETE, DELETE, {"password": "not it"})
        assert wrong.status_code == 400 and "Your password is not correct" in wrong.text
        shown = await client.get(DELETE)
        deleted = await client.post(DELETE, data={"password": PASSWORD, "csrf_token": csrf_from(shown.text)})
        assert deleted.status_code == 200 and "Your account has been deleted" in deleted.text
        assert any(value.startswith(sessions.COOKIE + '=""') for value in deleted.headers.get_list("set-cookie"))

        worker = Worker(
            platform.sessions, platform.tasks, platform.settings.model_copy(update={"worker_concurrency": 1})
        )
        assert await worker.run_until_idle() == 2
        keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
        by_path = {item.path.rsplit("/", 1)[1]: item for item in receiver.received}
        assert sorted(by_path) == ["parking", "permits"]
        for name, rp in (("parking", parking), ("permits", permits)):
            claims = jwt.decode(by_path[name].body["logout_token"], keys, algorithms=["ES256", "RS256"]).claims
            assert claims["sub"] == subjects[name] and claims["aud"] == rp.client_id and claims["events"] == {EVENT: {}}

    async with platform.uow(read_only=True) as uow:
        assert await uow.session.get(Citizen, person.id) is None
        assert await uow.session.get(Citizen, someone_else.id) is not None
        for table, column in (
            (CitizenSession, CitizenSession.citizen_id),
            (ServiceUse, ServiceUse.citizen_id),
            (AuthorisationCode, AuthorisationCode.citizen_id),
            (AccessToken, AccessToken.citizen_id),
        ):
            left = await uow.session.scalar(select(func.count()).select_from(table).where(column == person.id))
            assert left == 0, table.__tablename__
        events = (
            await uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "identity.citizen_deleted"))
        ).all()
    assert len(events) == 1 and person.email not in repr(vars(events[0]))
    assert (await client.get(ACCOUNT)).status_code == 303  # signed out


EMAIL_CHANGE, EMAIL_CODE = "/identity/account/email", "/identity/account/email/code"


async def _code_emailed(platform: Platform, address: str) -> str:
    [notification] = await sent_to(platform, address)
    assert notification.template_id == PLATFORM_TEMPLATES[(PlatformTemplate.CITIZEN_EMAIL_CHANGE_CODE, "email", "en")]
    text = plain_text(await delivered_email(platform, notification))
    found = re.search(r"\b(\d{6})\b", text)
    assert found and "15 minutes" in text
    return found.group(1)


async def test_changing_the_email_address_needs_the_code_sent_to_the_new_one_once(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    await _sign_in_to(client, EMAIL_CHANGE, person)
    for typed, message in (("", "Enter your new email address"), ("not-an-address", "correct format"),
                           (person.email.upper(), "already your email address")):  # fmt: skip
        refused = await post_form(client, EMAIL_CHANGE, EMAIL_CHANGE, {"email": typed})
        assert refused.status_code == 400 and message in refused.text and "Error: " in refused.text
    sent = await post_form(client, EMAIL_CHANGE, EMAIL_CHANGE, {"email": " New.Address@Example.com "})
    assert sent.status_code == 303 and sent.headers["location"] == EMAIL_CODE
    page = await client.get(EMAIL_CODE)
    assert "new.address@example.com" in page.text
    code = await _code_emailed(platform, "new.address@example.com")
    wrong = await post_form(client, EMAIL_CODE, EMAIL_CODE, {"code": str((int(code) + 1) % 1_000_000).zfill(6)})
    assert wrong.status_code == 400 and "not correct" in wrong.text
    done = await post_form(client, EMAIL_CODE, EMAIL_CODE, {"code": code})
    assert done.status_code == 303 and done.headers["location"] == ACCOUNT + "?done=email"
    home = await client.get(done.headers["location"])
    assert "Your email address has been changed" in home.text and "new.address@example.com" in home.text
    again = await post_form(client, EMAIL_CHANGE, EMAIL_CODE, {"code": code})  # single use: nothing is waiting
    assert again.status_code == 303 and again.headers["location"] == EMAIL_CHANGE
    async with platform.uow(read_only=True) as uow:
        citizen = await uow.session.get(Citizen, person.id)
        assert citizen is not None and citizen.email == "new.address@example.com"


async def test_an_address_that_has_an_account_is_sent_a_notice_and_the_pages_read_the_same(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person, owner = await a_citizen(platform), await a_citizen(platform)
    await _sign_in_to(client, EMAIL_CHANGE, person)
    pages = []
    for address in (owner.email, "free-address@example.com"):
        sent = await post_form(client, EMAIL_CHANGE, EMAIL_CHANGE, {"email": address})
        assert sent.status_code == 303 and sent.headers["location"] == EMAIL_CODE
        shown = await client.get(EMAIL_CODE)
        refused = await post_form(client, EMAIL_CODE, EMAIL_CODE, {"code": "123456"})
        pages.append(
            [re.sub(r'(value|nonce)="[^"]*"', "", page.text.replace(address, "ADDRESS")) for page in (shown, refused)]
        )
    assert pages[0] == pages[1], "a taken address and a free one look different"
    [notice] = await sent_to(platform, owner.email)
    assert notice.template_id == PLATFORM_TEMPLATES[(PlatformTemplate.CITIZEN_EMAIL_IN_USE, "email", "en")]
    assert "already has an account" in plain_text(await delivered_email(platform, notice))
    async with platform.uow(read_only=True) as uow:
        citizen = await uow.session.get(Citizen, person.id)
        assert citizen is not None and citizen.email == person.email


async def test_sending_codes_and_guessing_them_meet_the_throttle(platform: Platform, client: httpx.AsyncClient) -> None:
    person = await a_citizen(platform)
    await _sign_in_to(client, EMAIL_CHANGE, person)
    statuses = [
        (await post_form(client, EMAIL_CHANGE, EMAIL_CHANGE, {"email": f"try-{n}@example.com"})).status_code
        for n in range(7)
    ]
    assert statuses[:5] == [303] * 5 and statuses[-1] == 429
    async with platform.uow() as uow:
        from govplatform.identity.models import EmailChange

        row = await uow.session.get(EmailChange, person.id)
        assert row is not None
    guesses = []
    for n in range(12):
        answer = await post_form(client, EMAIL_CODE, EMAIL_CODE, {"code": f"{n:06d}"})
        guesses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["retry-after"]) >= 1
            break
    assert guesses[-1] == 429 and set(guesses[:-1]) == {400}
