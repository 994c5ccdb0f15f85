"""The citizen's signed-in devices: each live session listed by its browser and operating system in plain words,
"This device" marked; signing one out ends only it (and tells its services), signing out everywhere ends every
session and queues one back-channel logout token per service and session; another citizen's session cannot be
ended by posting its id; sessions past their idle or absolute limit are neither listed nor answered."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select, update

from govplatform.core.jobs.worker import Worker
from govplatform.core.models import AuditEvent, Job
from govplatform.core.platform import Platform
from govplatform.identity.models import Citizen, CitizenSession
from govplatform.identity.services import sessions
from govplatform.identity.services.back_channel import EVENT, LOGOUT_TASK
from tests.helpers import another_browser, csrf_from, post_form
from tests.integration.identity.support import (
    Client,
    Person,
    a_citizen,
    a_client,
    authorise_query,
    code_from,
    identity_of,
    token_form,
)
from tests.integration.identity.test_account_pages import _sign_in_to as _through_sign_in
from tests.integration.notify.receiver import callback_receiver
from tests.outbound_support import use_guard

DEVICES, SIGN_OUT = "/identity/account/devices", "/identity/account/devices/sign-out"
EVERYWHERE = "/identity/account/devices/sign-out-everywhere"
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)


@asynccontextmanager
async def _browser(client: httpx.AsyncClient, user_agent: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the same platform: its own cookies, its own User-Agent."""
    other = another_browser(client, **{"User-Agent": user_agent})
    async with other:
        yield other


async def _sign_in_to(platform: Platform, http: httpx.AsyncClient, page: str, person: Person) -> httpx.Response:
    """Sign in in this browser and open `page`; the authenticator is as if it had moved on to its next code
    (a code is accepted once, RFC 6238 5.2, and the tests sign one citizen in several times a minute)."""
    async with platform.uow() as uow:
        await uow.session.execute(update(Citizen).where(Citizen.id == person.id).values(totp_last_step=None))
        await uow.commit()
    return await _through_sign_in(http, page, person)


def _sids(page: str) -> list[str]:
    """The devices listed, by the id each "Sign out" button sends, in the page's order."""
    return re.findall(r'name="device" value="([^"]+)"', page)


async def _rows(platform: Platform) -> list[CitizenSession]:
    async with platform.uow(read_only=True) as uow:
        return list((await uow.session.scalars(select(CitizenSession))).all())


async def _use(platform: Platform, http: httpx.AsyncClient, rp: Client) -> dict[str, object]:
    """The signed-in browser uses a service (single sign-on) and the service exchanges its code: the ID token."""
    query = authorise_query(rp)
    answer = await http.get("/authorize", params=query)
    assert answer.status_code == 302 and "code=" in answer.headers["location"], answer.text
    code = code_from(answer.headers["location"])["code"]
    issued = await http.post("/token", data=token_form(rp, code, identity_of(platform).token_endpoint))
    keys = KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())
    return dict(jwt.decode(issued.json()["id_token"], keys, algorithms=["ES256", "RS256"]).claims)


def _signed_out_of_pages(answer: httpx.Response) -> None:
    assert answer.status_code == 303 and answer.headers["location"].startswith("/identity/sign-in/start?"), answer


async def _authorize_needs_sign_in(http: httpx.AsyncClient, rp: Client) -> None:
    answer = await http.get("/authorize", params=authorise_query(rp))
    assert answer.status_code == 302 and answer.headers["location"].startswith("/identity/sign-in/email")


async def test_the_devices_page_lists_each_signed_in_browser_in_plain_words_with_this_device_marked(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    client.headers["User-Agent"] = FIREFOX_WINDOWS
    async with _browser(client, SAFARI_IPHONE) as phone:
        await _sign_in_to(platform, phone, DEVICES, person)
        page = await _sign_in_to(platform, client, DEVICES, person)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    text = page.text
    assert "Firefox on Windows" in text and "Safari on iOS" in text
    assert text.count("This device") == 1
    assert text.index("Firefox on Windows") < text.index("This device") < text.index("Safari on iOS")
    month = dt.datetime.now(dt.UTC).strftime("%B")
    assert text.count("Last used") == 2 and f" {month} " in text and re.search(r"at \d{1,2}:\d\d[ap]m", text)
    rows = await _rows(platform)
    assert sorted((row.browser, row.operating_system) for row in rows) == [("Firefox", "Windows"), ("Safari", "iOS")]
    assert all("Mozilla" not in repr(vars(row)) for row in rows), "the User-Agent header itself is not kept"

    welsh = (await client.get(DEVICES + "?lang=cy")).text
    assert "Firefox ar Windows" in welsh and "Safari ar iOS" in welsh and "Y ddyfais hon" in welsh
    assert "Allgofnodi ar bob dyfais" in welsh and re.search(r"am \d{1,2}:\d\d(yb|yh)", welsh)
    home = (await client.get("/identity/account")).text
    assert 'href="/identity/account/devices"' in home and 'href="/identity/account/history"' in home


async def test_a_browser_whose_user_agent_names_nothing_is_an_unknown_browser(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    client.headers["User-Agent"] = "Mozilla/5.0 (compatible)"
    page = await _sign_in_to(platform, client, DEVICES, await a_citizen(platform))
    assert "An unknown browser on an unknown operating system" in page.text


async def test_signing_out_one_device_ends_only_that_session_and_tells_only_its_services(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    parking = await a_client(platform, back_channel_logout_uri="https://parking.example.gov.uk/logout")
    permits = await a_client(platform, back_channel_logout_uri="https://permits.example.gov.uk/logout")
    client.headers["User-Agent"] = FIREFOX_WINDOWS
    async with _browser(client, SAFARI_IPHONE) as phone:
        await _sign_in_to(platform, phone, DEVICES, person)
        phone_subject = (await _use(platform, phone, parking))["sub"]
        page = await _sign_in_to(platform, client, DEVICES, person)
        await _use(platform, client, permits)
        this, other = _sids(page.text)
        assert this != other

        ended = await post_form(client, DEVICES, SIGN_OUT, {"device": other})
        assert ended.status_code == 303 and ended.headers["location"] == DEVICES + "?done=device"
        after = await client.get(ended.headers["location"])
        assert "You have signed out of that device" in after.text and _sids(after.text) == [this]

        _signed_out_of_pages(await phone.get(DEVICES))
        _signed_out_of_pages(await phone.get("/identity/account"))
        await _authorize_needs_sign_in(phone, parking)
    assert (await client.get("/identity/account")).status_code == 200  # this browser is still signed in
    rows = await _rows(platform)
    assert [row.sid for row in rows] == [this]
    async with platform.uow(read_only=True) as uow:
        jobs = (await uow.session.scalars(select(Job).where(Job.kind == LOGOUT_TASK))).all()
        audited = set(await uow.session.scalars(select(AuditEvent.action)))
    assert [job.payload for job in jobs] == [{"client_id": parking.client_id, "subject": phone_subject, "sid": other}]
    assert "identity.citizen_session_ended" in audited


async def test_signing_out_this_device_from_the_list_lands_on_the_signed_out_page(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    page = await _sign_in_to(platform, client, DEVICES, await a_citizen(platform))
    (this,) = _sids(page.text)
    ended = await client.post(SIGN_OUT, data={"device": this, "csrf_token": csrf_from(page.text)})
    assert ended.status_code == 200 and "You have signed out" in ended.text
    assert sessions.COOKIE + '=""' in ended.headers["set-cookie"]
    assert await _rows(platform) == []
    _signed_out_of_pages(await client.get(DEVICES))


async def test_signing_out_everywhere_ends_every_session_and_queues_a_logout_token_per_service_and_session(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    identity_of(platform).outbound = use_guard(platform, allowed="127.0.0.1")
    person, someone_else = await a_citizen(platform), await a_citizen(platform)
    with callback_receiver() as receiver:
        parking = await a_client(platform, back_channel_logout_uri=receiver.url + "/parking")
        permits = await a_client(
            platform, back_channel_logout_uri=receiver.url + "/permits", sector="permits.example.gov.uk"
        )
        silent = await a_client(platform)  # takes no back-channel logout: nothing to queue
        client.headers["User-Agent"] = FIREFOX_WINDOWS
        async with _browser(client, SAFARI_IPHONE) as phone, _browser(client, FIREFOX_WINDOWS) as theirs:
            await _sign_in_to(platform, phone, DEVICES, person)
            phone_parking = await _use(platform, phone, parking)
            await _sign_in_to(platform, client, DEVICES, person)
            here_parking, here_permits = await _use(platform, client, parking), await _use(platform, client, permits)
            await _use(platform, client, silent)
            await _sign_in_to(platform, theirs, DEVICES, someone_else)
            await _use(platform, theirs, parking)

            done = await post_form(client, DEVICES, EVERYWHERE, {})
            assert done.status_code == 200 and "You have signed out of every device" in done.text
            assert sessions.COOKIE + '=""' in done.headers["set-cookie"]
            for browser in (client, phone):
                _signed_out_of_pages(await browser.get(DEVICES))
                await _authorize_needs_sign_in(browser, parking)
            assert (await theirs.get(DEVICES)).status_code == 200  # another citizen's session is untouched

        async with platform.uow(read_only=True) as uow:
            jobs = (await uow.session.scalars(select(Job).where(Job.kind == LOGOUT_TASK))).all()
            left = (await uow.session.scalars(select(CitizenSession.citizen_id))).all()
        assert left == [someone_else.id]
        expected = {
            (parking.client_id, phone_parking["sub"], phone_parking["sid"]),
            (parking.client_id, here_parking["sub"], here_parking["sid"]),
            (permits.client_id, here_permits["sub"], here_permits["sid"]),
        }
        queued = [(job.payload["client_id"], job.payload["subject"], job.payload["sid"]) for job in jobs]
        assert len(queued) == 3 and set(queued) == expected
        assert phone_parking["sid"] != here_parking["sid"] == here_permits["sid"]

        worker = Worker(
            platform.sessions, platform.tasks, platform.settings.model_copy(update={"worker_concurrency": 1})
        )
        assert await worker.run_until_idle() == 3
        keys = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
        told = []
        for item in receiver.received:
            claims = jwt.decode(item.body["logout_token"], keys, algorithms=["ES256", "RS256"]).claims
            assert claims["events"] == {EVENT: {}} and "sid" not in claims  # One Login's token: no sid
            told.append((item.path.rsplit("/", 1)[1], claims["sub"]))
    assert sorted(told) == sorted(
        [("parking", phone_parking["sub"]), ("parking", here_parking["sub"]), ("permits", here_permits["sub"])]
    )


async def test_a_citizen_cannot_end_another_citizen_s_session_by_posting_its_id(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person, someone_else = await a_citizen(platform), await a_citizen(platform)
    async with _browser(client, SAFARI_IPHONE) as theirs:
        theirs_page = await _sign_in_to(platform, theirs, DEVICES, someone_else)
        (their_sid,) = _sids(theirs_page.text)
        page = await _sign_in_to(platform, client, DEVICES, person)
        for chosen in (their_sid, "not-a-session", "x" * 5000, ""):
            refused = await client.post(SIGN_OUT, data={"device": chosen, "csrf_token": csrf_from(page.text)})
            assert refused.status_code == 400
            assert (
                "<title>Error: " in refused.text
                and "That device is no longer signed in to your account" in refused.text
            )
            assert 'href="#devices"' in refused.text
        no_token = await client.post(SIGN_OUT, data={"device": their_sid})
        assert no_token.status_code == 403
        assert (await theirs.get(DEVICES)).status_code == 200  # still signed in
    assert len(await _rows(platform)) == 2
    async with platform.uow(read_only=True) as uow:
        refusals = await uow.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "identity.citizen_session_end_refused")
        )
        jobs = await uow.session.scalar(select(func.count()).select_from(Job).where(Job.kind == LOGOUT_TASK))
    assert refusals == 4 and jobs == 0


async def _age(platform: Platform, sid: str, **changes: dt.timedelta) -> None:
    async with platform.uow() as uow:
        row = await uow.session.scalar(select(CitizenSession).where(CitizenSession.sid == sid))
        assert row is not None
        for name, delta in changes.items():
            setattr(row, name, getattr(row, name) - delta)
        await uow.commit()


async def test_sessions_past_their_idle_or_absolute_limit_are_not_listed_and_no_longer_open_the_account_pages(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    async with _browser(client, SAFARI_IPHONE) as phone, _browser(client, FIREFOX_WINDOWS) as laptop:
        (phone_sid,) = _sids((await _sign_in_to(platform, phone, DEVICES, person)).text)
        laptop_sid = _sids((await _sign_in_to(platform, laptop, DEVICES, person)).text)[0]  # this device first
        this = _sids((await _sign_in_to(platform, client, DEVICES, person)).text)[0]
        await _age(platform, phone_sid, expires_at=dt.timedelta(seconds=sessions.IDLE_SECONDS + 1))
        hours = dt.timedelta(seconds=sessions.ABSOLUTE_SECONDS + 1)
        await _age(platform, laptop_sid, auth_time=hours, created_at=hours, ends_at=hours)
        assert _sids((await client.get(DEVICES)).text) == [this]
        _signed_out_of_pages(await phone.get(DEVICES))
        _signed_out_of_pages(await laptop.get("/identity/account"))
        # A session ended by its limits cannot be signed out again: it is no longer there.
        refused = await post_form(client, DEVICES, SIGN_OUT, {"device": phone_sid})
        assert refused.status_code == 400


async def test_a_session_s_last_use_is_written_at_most_once_a_minute(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await _sign_in_to(platform, client, DEVICES, await a_citizen(platform))
    (first,) = await _rows(platform)
    await client.get(DEVICES)
    (again,) = await _rows(platform)
    assert again.last_used_at == first.last_used_at and again.expires_at == first.expires_at  # within the minute
    await _age(platform, first.sid, last_used_at=dt.timedelta(minutes=5), expires_at=dt.timedelta(minutes=5))
    await client.get(DEVICES)
    (later,) = await _rows(platform)
    assert later.last_used_at is not None and first.last_used_at is not None
    assert later.last_used_at >= first.last_used_at and later.expires_at >= first.expires_at


async def test_a_session_opened_without_a_user_agent_is_named_by_the_browser_that_shows_the_devices_page(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    async with platform.uow() as uow:  # a sign-in path that passed no User-Agent on
        token, _ = await sessions.open_session(uow, identity_of(platform), person.id, "Cl.Cm", None)
        await uow.commit()
    (row,) = await _rows(platform)
    assert row.browser is None and row.operating_system is None
    client.cookies.set(sessions.COOKIE, token)
    client.headers["User-Agent"] = FIREFOX_WINDOWS
    page = await client.get(DEVICES)
    assert page.status_code == 200 and "Firefox on Windows" in page.text
    (row,) = await _rows(platform)
    assert (row.browser, row.operating_system) == ("Firefox", "Windows")
    client.headers["User-Agent"] = SAFARI_IPHONE  # named once: a later browser with the cookie does not rename it
    assert "Firefox on Windows" in (await client.get(DEVICES)).text
