"""The citizen's session at the provider (single sign-on): once signed in, another service's /authorize is
answered at once in the same session, unless the service forces a fresh sign-in (prompt=login, only as One
Login allows it), its max_age has passed, or it asks for a higher level; the session ends when idle too
long, at its absolute limit, and at /logout."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select, update

from govplatform.core.interfaces import utcnow
from govplatform.core.jobs.worker import Worker
from govplatform.core.platform import Platform
from govplatform.identity.models import Citizen, CitizenSession, ServiceUse
from govplatform.identity.schedule import purge_expired
from govplatform.identity.services import sessions
from tests.helpers import post_form
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
    sign_in_through_pages,
    token_form,
)
from tests.integration.notify.receiver import callback_receiver
from tests.outbound_support import use_guard

EMAIL_PAGE = "/identity/sign-in/email"


async def _id_token(platform: Platform, http: httpx.AsyncClient, rp: Client, location: str) -> dict[str, Any]:
    """The claims of the ID token for the code in a redirect back to the service."""
    code = code_from(location)["code"]
    issued = await http.post("/token", data=token_form(rp, code, identity_of(platform).token_endpoint))
    assert issued.status_code == 200, issued.text
    keys = KeySet.import_key_set((await http.get("/.well-known/jwks.json")).json())
    token = issued.json()["id_token"]
    return {"raw": token, **jwt.decode(token, keys, algorithms=["ES256", "RS256"]).claims}


def _answered_at_once(answer: httpx.Response, query: dict[str, str]) -> str:
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT_URI + "?"), location
    values = code_from(location)
    assert values["state"] == query["state"] and values["code"] and "error" not in values
    return location


def _sent_to_sign_in(answer: httpx.Response) -> None:
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"].startswith(EMAIL_PAGE), answer.headers["location"]


def _refused(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 302, answer.text
    values = {name: found[0] for name, found in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    assert "code" not in values
    return values


async def _signed_in(platform: Platform, http: httpx.AsyncClient, rp: Client, person: Person) -> dict[str, Any]:
    """Through the pages at `rp`; the ID token's claims."""
    back = await sign_in_through_pages(http, authorise_query(rp), person)
    assert back.status_code == 302, back.text
    return await _id_token(platform, http, rp, back.headers["location"])


async def _next_code_step(platform: Platform, person: Person) -> None:
    """As if the authenticator had moved on to its next code (a code is accepted once, RFC 6238 5.2)."""
    async with platform.uow() as uow:
        await uow.session.execute(update(Citizen).where(Citizen.id == person.id).values(totp_last_step=None))
        await uow.commit()


async def _session_rows(platform: Platform) -> list[CitizenSession]:
    async with platform.uow(read_only=True) as uow:
        return list((await uow.session.scalars(select(CitizenSession))).all())


async def _age_session(platform: Platform, **changes: dt.timedelta) -> None:
    """Move the session's times back, as if that much time had passed."""
    async with platform.uow() as uow:
        for row in (await uow.session.scalars(select(CitizenSession))).all():
            for name, delta in changes.items():
                setattr(row, name, getattr(row, name) - delta)
        await uow.commit()


async def test_a_citizen_signed_in_at_one_service_is_signed_in_at_another_without_the_pages_in_one_session(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    parking, permits = await a_client(platform), await a_client(platform, sector="permits.example.gov.uk")
    person = await a_citizen(platform)
    back = await sign_in_through_pages(client, authorise_query(parking), person)
    cookie = next(value for value in back.headers.get_list("set-cookie") if value.startswith(sessions.COOKIE + "="))
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    first = await _id_token(platform, client, parking, back.headers["location"])

    query = authorise_query(permits)
    location = _answered_at_once(await client.get("/authorize", params=query), query)
    second = await _id_token(platform, client, permits, location)
    assert second["sid"] == first["sid"] and second["auth_time"] == first["auth_time"]
    assert second["vot"] == "Cl.Cm" and second["sub"] != first["sub"]  # pairwise: another sector
    rows = await _session_rows(platform)
    assert len(rows) == 1 and rows[0].citizen_id == person.id and rows[0].credential == "Cl.Cm"
    assert str(rows[0].token_hash) not in cookie  # the cookie's token is kept only as its keyed hash


async def test_a_session_is_not_used_by_another_browser(platform: Platform, client: httpx.AsyncClient) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await _signed_in(platform, client, rp, person)
    client.cookies.clear()
    _sent_to_sign_in(await client.get("/authorize", params=authorise_query(rp)))
    client.cookies.set(sessions.COOKIE, "forged-" + "a" * 40)
    _sent_to_sign_in(await client.get("/authorize", params=authorise_query(rp)))


async def test_prompt_login_is_refused_unless_signed_with_an_id_token_hint_and_then_forces_the_pages(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, other = await a_client(platform), await a_client(platform)
    person = await a_citizen(platform)
    hint = (await _signed_in(platform, client, rp, person))["raw"]
    other_query = authorise_query(other)
    answered = _answered_at_once(await client.get("/authorize", params=other_query), other_query)
    other_hint = (await _id_token(platform, client, other, answered))["raw"]
    identity = identity_of(platform)

    def request_object(**claims: object) -> str:
        now = int(time.time())
        body = {"iss": rp.client_id, "aud": identity.issuer + "authorize", "exp": now + 300, "iat": now, **claims}
        return jwt.encode({"alg": "RS256"}, body, rp.key, algorithms=["RS256"])

    plain = authorise_query(rp, prompt="login")
    refused = _refused(await client.get("/authorize", params=plain))
    assert refused["error"] == "invalid_request" and "prompt=login" in refused["error_description"]
    refused = _refused(await client.get("/authorize", params={**plain, "id_token_hint": hint}))
    assert refused["error"] == "invalid_request"
    outer = {"response_type": "code", "scope": "openid email", "client_id": rp.client_id, "redirect_uri": REDIRECT_URI}
    inner = authorise_query(rp, prompt="login")
    for bad_hint in (None, "not-a-token", other_hint):  # none, forged, another client's
        signed = request_object(**inner, **({"id_token_hint": bad_hint} if bad_hint else {}))
        refused = _refused(await client.get("/authorize", params={**outer, "request": signed}))
        assert refused["error"] == "invalid_request" and refused["state"] == inner["state"]
    signed = request_object(**inner, id_token_hint=hint)
    _sent_to_sign_in(await client.get("/authorize", params={**outer, "request": signed}))
    # Without prompt=login the same session answers at once.
    query = authorise_query(rp)
    _answered_at_once(await client.get("/authorize", params=query), query)


async def test_max_age_makes_an_opted_in_client_s_citizen_sign_in_again_and_the_id_token_says_when(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    strict = await a_client(platform, max_age_enabled=True)
    lax = await a_client(platform)  # not opted in: max_age is ignored, as One Login ignores it
    person = await a_citizen(platform)
    first = await _signed_in(platform, client, strict, person)
    await _age_session(platform, auth_time=dt.timedelta(minutes=10))

    query = authorise_query(strict, max_age="3600")
    claims = await _id_token(
        platform, client, strict, _answered_at_once(await client.get("/authorize", params=query), query)
    )
    assert claims["auth_time"] == first["auth_time"] - 600 and claims["sid"] == first["sid"]
    query = authorise_query(lax, max_age="60")
    _answered_at_once(await client.get("/authorize", params=query), query)
    _sent_to_sign_in(await client.get("/authorize", params=authorise_query(strict, max_age="300")))
    refused = _refused(await client.get("/authorize", params=authorise_query(strict, max_age="soon")))
    assert refused["error"] == "invalid_request" and "max_age" in refused["error_description"]

    # Signing in again: a fresh auth_time, the same session.
    await _next_code_step(platform, person)
    again = await sign_in_through_pages(client, authorise_query(strict, max_age="300"), person)
    renewed = await _id_token(platform, client, strict, again.headers["location"])
    assert renewed["sid"] == first["sid"] and abs(renewed["auth_time"] - time.time()) < 30


async def test_a_request_for_a_higher_level_than_the_session_s_steps_up_through_the_pages(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await client.get("/authorize", params=authorise_query(rp, vtr='["Cl"]'))
    await post_form(client, EMAIL_PAGE, EMAIL_PAGE, {"email": person.email})
    page = "/identity/sign-in/password"
    low = await post_form(client, page, page, {"password": PASSWORD})
    low_claims = await _id_token(platform, client, rp, low.headers["location"])
    assert low_claims["vot"] == "Cl" and (await _session_rows(platform))[0].credential == "Cl"

    query = authorise_query(rp, vtr='["Cl"]')
    _answered_at_once(await client.get("/authorize", params=query), query)
    _sent_to_sign_in(await client.get("/authorize", params=authorise_query(rp)))  # Cl.Cm: step up
    stepped = await sign_in_through_pages(client, authorise_query(rp), person)
    high = await _id_token(platform, client, rp, stepped.headers["location"])
    assert high["vot"] == "Cl.Cm" and high["sid"] == low_claims["sid"]
    rows = await _session_rows(platform)
    assert len(rows) == 1 and rows[0].credential == "Cl.Cm"
    query = authorise_query(rp)
    _answered_at_once(await client.get("/authorize", params=query), query)


async def test_a_session_ends_after_its_idle_limit_and_at_its_absolute_limit_however_often_used(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await _signed_in(platform, client, rp, person)
    await _age_session(platform, expires_at=dt.timedelta(minutes=20))
    query = authorise_query(rp)
    _answered_at_once(await client.get("/authorize", params=query), query)
    row = (await _session_rows(platform))[0]
    assert (row.expires_at - row.created_at).total_seconds() > sessions.IDLE_SECONDS - 60  # used: moved on

    await _age_session(platform, expires_at=dt.timedelta(seconds=sessions.IDLE_SECONDS + 1))
    _sent_to_sign_in(await client.get("/authorize", params=authorise_query(rp)))

    await _next_code_step(platform, person)
    await _signed_in(platform, client, rp, person)
    hours = dt.timedelta(seconds=sessions.ABSOLUTE_SECONDS - 60)
    await _age_session(platform, created_at=hours, ends_at=hours)
    query = authorise_query(rp)
    _answered_at_once(await client.get("/authorize", params=query), query)
    row = next(row for row in await _session_rows(platform) if row.expires_at > row.created_at + hours)
    assert row.expires_at <= row.ends_at  # the idle limit never passes the absolute one
    await _age_session(platform, ends_at=dt.timedelta(minutes=2))
    _sent_to_sign_in(await client.get("/authorize", params=authorise_query(rp)))


async def test_signing_out_ends_the_session(platform: Platform, client: httpx.AsyncClient) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    hint = (await _signed_in(platform, client, rp, person))["raw"]
    signed_out = await client.get("/logout", params={"id_token_hint": hint})
    assert signed_out.status_code == 200 and "You have signed out" in signed_out.text
    assert await _session_rows(platform) == []
    _sent_to_sign_in(await client.get("/authorize", params=authorise_query(rp)))


async def test_each_service_used_is_recorded_with_its_first_and_last_use(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    parking, permits = await a_client(platform), await a_client(platform)
    person = await a_citizen(platform)
    await _signed_in(platform, client, parking, person)
    async with platform.uow() as uow:
        for use in (await uow.session.scalars(select(ServiceUse))).all():
            use.first_used_at -= dt.timedelta(days=3)
            use.last_used_at -= dt.timedelta(days=3)
        await uow.commit()
    for rp in (permits, parking):
        query = authorise_query(rp)
        _answered_at_once(await client.get("/authorize", params=query), query)
    async with platform.uow(read_only=True) as uow:
        uses = {use.client_id: use for use in (await uow.session.scalars(select(ServiceUse))).all()}
    assert set(uses) == {parking.client_id, permits.client_id}
    assert all(use.citizen_id == person.id for use in uses.values())
    parked = uses[parking.client_id]
    assert (parked.last_used_at - parked.first_used_at).total_seconds() > 2 * 86400


async def test_signing_out_without_a_hint_tells_the_services_of_the_browser_s_session(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    identity_of(platform).outbound = use_guard(platform, allowed="127.0.0.1")
    person = await a_citizen(platform)
    with callback_receiver() as receiver:
        parking = await a_client(platform, back_channel_logout_uri=receiver.url + "/parking")
        permits = await a_client(platform, back_channel_logout_uri=receiver.url + "/permits")
        await _signed_in(platform, client, parking, person)
        query = authorise_query(permits)
        await _id_token(
            platform, client, permits, _answered_at_once(await client.get("/authorize", params=query), query)
        )
        assert (await client.get("/logout")).status_code == 200
        worker = Worker(
            platform.sessions, platform.tasks, platform.settings.model_copy(update={"worker_concurrency": 1})
        )
        assert await worker.run_until_idle() == 2
        assert sorted(item.path.rsplit("/", 1)[1] for item in receiver.received) == ["parking", "permits"]
    assert await _session_rows(platform) == []


async def test_the_worker_s_clean_up_deletes_ended_sessions_and_keeps_live_ones(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await _signed_in(platform, client, rp, person)
    assert len(await _session_rows(platform)) == 1
    async with platform.uow() as uow:
        await purge_expired(uow, utcnow())
        await uow.commit()
    assert len(await _session_rows(platform)) == 1
    async with platform.uow() as uow:
        await purge_expired(uow, utcnow() + dt.timedelta(seconds=sessions.IDLE_SECONDS + 1))
        await uow.commit()
    assert await _session_rows(platform) == []
