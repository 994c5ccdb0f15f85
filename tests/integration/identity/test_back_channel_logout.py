"""Back-channel logout: signing out at /logout sends every other service of the citizen's session that
registered a back_channel_logout_uri a logout token, through a job and core's outbound guard, to a real
receiver on loopback that checks it against the provider's JWKS. Failures are retried and logged without
the citizen's subject."""

from __future__ import annotations

import time
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select
from structlog.testing import capture_logs

from govplatform.core.jobs.worker import Worker
from govplatform.core.models import Job
from govplatform.core.platform import Platform
from govplatform.identity.services.back_channel import EVENT, LOGOUT_TASK
from tests.integration.identity.support import Client, Person, a_citizen, a_client, a_code, identity_of, token_form
from tests.integration.notify.receiver import callback_receiver
from tests.outbound_support import use_guard


def _worker(platform: Platform) -> Worker:
    """One job at a time: the test's units of work share one connection (savepoints), which jobs run side by
    side would interleave."""
    return Worker(platform.sessions, platform.tasks, platform.settings.model_copy(update={"worker_concurrency": 1}))


def _allow_loopback(platform: Platform) -> None:
    identity_of(platform).outbound = use_guard(platform, allowed="127.0.0.1")


async def _signed_in(platform: Platform, client: httpx.AsyncClient, rp: Client, person: Person) -> dict[str, Any]:
    """The ID token (and its claims) of a sign-in by `person` at `rp`."""
    code, _ = await a_code(platform, rp, person)
    issued = await client.post("/token", data=token_form(rp, code, identity_of(platform).token_endpoint))
    assert issued.status_code == 200, issued.text
    token = issued.json()["id_token"]
    return {"token": token, **jwt.decode(token, await _jwks(client), algorithms=["ES256", "RS256"]).claims}


async def _jwks(client: httpx.AsyncClient) -> KeySet:
    return KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())


async def test_discovery_advertises_back_channel_logout(client: httpx.AsyncClient) -> None:
    config = (await client.get("/.well-known/openid-configuration")).json()
    assert config["backchannel_logout_supported"] is True


async def test_signing_out_of_one_service_logs_the_citizen_out_of_the_others_with_signed_tokens(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    _allow_loopback(platform)
    person, someone_else = await a_citizen(platform), await a_citizen(platform)
    with callback_receiver() as receiver:
        leaving = await a_client(platform, back_channel_logout_uri=receiver.url + "/leaving")
        parking = await a_client(platform, back_channel_logout_uri=receiver.url + "/parking")
        permits = await a_client(
            platform, back_channel_logout_uri=receiver.url + "/permits", id_token_alg="RS256",
            sector="permits.example.gov.uk",
        )  # fmt: skip
        silent = await a_client(platform)  # no back-channel URI: told nothing
        not_used = await a_client(platform, back_channel_logout_uri=receiver.url + "/not-used")
        hint = (await _signed_in(platform, client, leaving, person))["token"]
        subjects = {
            parking.client_id: (await _signed_in(platform, client, parking, person))["sub"],
            permits.client_id: (await _signed_in(platform, client, permits, person))["sub"],
        }
        await _signed_in(platform, client, silent, person)
        await _signed_in(platform, client, not_used, someone_else)  # another citizen's session: untouched
        await a_code(platform, not_used, person)  # a code never exchanged is no session

        assert (await client.get("/logout", params={"id_token_hint": hint})).status_code == 200
        assert await _worker(platform).run_until_idle() == 2
        jwks = await _jwks(client)
        now = time.time()
        by_path = {item.path.rsplit("/", 1)[1]: item for item in receiver.received}
        assert sorted(by_path) == ["parking", "permits"]
        for name, rp in (("parking", parking), ("permits", permits)):
            received = by_path[name]
            assert received.headers["content-type"] == "application/x-www-form-urlencoded"
            assert set(received.body) == {"logout_token"}
            token = jwt.decode(received.body["logout_token"], jwks, algorithms=["ES256", "RS256"])
            assert token.header["alg"] == ("RS256" if rp is permits else "ES256") and token.header["kid"]
            claims = token.claims
            assert set(claims) == {"iss", "sub", "aud", "iat", "exp", "jti", "events"}
            assert claims["iss"] == identity_of(platform).issuer and claims["aud"] == rp.client_id
            assert claims["sub"] == subjects[rp.client_id]
            assert claims["exp"] - claims["iat"] == 120 and abs(claims["iat"] - now) < 30
            assert claims["events"] == {EVENT: {}} and len(claims["jti"]) >= 20
        assert subjects[parking.client_id] != subjects[permits.client_id]  # pairwise: one subject per sector


async def test_without_a_valid_hint_no_service_is_told(platform: Platform, client: httpx.AsyncClient) -> None:
    _allow_loopback(platform)
    person = await a_citizen(platform)
    with callback_receiver() as receiver:
        leaving = await a_client(platform)
        other = await a_client(platform, back_channel_logout_uri=receiver.url)
        hint = (await _signed_in(platform, client, leaving, person))["token"]
        await _signed_in(platform, client, other, person)
        head, body, _ = hint.split(".")
        for query in ({}, {"id_token_hint": f"{head}.{body}.AAAA"}, {"id_token_hint": "nonsense"}):
            assert (await client.get("/logout", params=query)).status_code == 200
        async with platform.uow(read_only=True) as uow:
            assert (await uow.session.scalars(select(Job).where(Job.kind == LOGOUT_TASK))).all() == []


async def test_a_refusing_receiver_is_retried_and_the_failure_logged_without_the_subject(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    _allow_loopback(platform)
    person = await a_citizen(platform)
    with callback_receiver(answers=[503]) as receiver:
        leaving = await a_client(platform)
        other = await a_client(platform, back_channel_logout_uri=receiver.url)
        hint = (await _signed_in(platform, client, leaving, person))["token"]
        subject = (await _signed_in(platform, client, other, person))["sub"]
        await client.get("/logout", params={"id_token_hint": hint})
        with capture_logs() as logs:
            await _worker(platform).run_until_idle()
        failed = [entry for entry in logs if entry["event"] == "identity.back_channel_logout_failed"]
        assert len(failed) == 1 and failed[0]["client_id"] == other.client_id and failed[0]["result"] == "HTTP 503"
        assert subject not in repr(logs) and str(person.id) not in repr(logs) and person.email not in repr(logs)
        async with platform.uow() as uow:
            job = (await uow.session.scalars(select(Job).where(Job.kind == LOGOUT_TASK))).one()
            assert job.status == "queued" and job.attempts == 1  # back on the queue with the worker's backoff
            job.run_at = job.created_at  # its backoff over
            await uow.commit()
        await _worker(platform).run_until_idle()
        assert len(receiver.received) == 2 and receiver.received[-1].body["logout_token"]
        async with platform.uow(read_only=True) as uow:
            assert (await uow.session.scalars(select(Job).where(Job.kind == LOGOUT_TASK))).one().status == "done"
