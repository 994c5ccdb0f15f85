"""Attacks on passkeys, each built with a real key and one thing changed: an assertion for another origin or
another relying party id, a counter that did not go up, an unknown credential id, a challenge used twice or
from another sign-in, another citizen's passkey as the second factor, an unverified user. Each is refused with
a clear page, changes nothing (no session, no code, the passkey's counter and last use as they were), and is
recorded in the account history where a citizen is known; guessing meets core's throttle."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from govplatform.core.platform import Platform
from govplatform.identity.models import AccountEvent, CitizenSession, Passkey
from govplatform.identity.services import sessions
from tests.helpers import csrf_from
from tests.integration.identity.passkey_support import (
    SoftAuthenticator,
    a_passkey,
    ceremony,
    device_for,
    options_on,
)
from tests.integration.identity.support import a_citizen, a_client, authorise_query
from tests.integration.identity.test_passkeys import SECOND, WITHOUT, _past_the_password

REFUSED = "Your passkey could not be checked"
NOT_YOURS = "This passkey is not set up for this account"
UNKNOWN = "This passkey is not set up for an account"
EXPIRED = "has expired or has already been used"
COPIED = "This passkey may have been copied"


async def _state(platform: Platform, citizen_id: object) -> tuple[list[tuple[int, object]], int, list[str]]:
    """What must not change: each passkey's counter and last use, the sessions, and the history's refusals."""
    async with platform.uow(read_only=True) as uow:
        keys = await uow.session.scalars(select(Passkey).where(Passkey.citizen_id == citizen_id).order_by(Passkey.id))
        counters = [(key.sign_count, key.last_used_at) for key in keys]
        open_sessions = await uow.session.scalars(select(CitizenSession).where(CitizenSession.citizen_id == citizen_id))
        live = len(list(open_sessions))
        events = await uow.session.scalars(select(AccountEvent.kind).where(AccountEvent.citizen_id == citizen_id))
        return counters, live, [kind for kind in events if kind == "refused_second_factor"]


def _refused(answer: httpx.Response, message: str) -> None:
    assert answer.status_code == 400, answer.text
    assert message in answer.text and "Error:" in answer.text.split("</title>")[0]
    assert "location" not in answer.headers and sessions.COOKIE not in answer.cookies


def _impostor(device: SoftAuthenticator) -> SoftAuthenticator:
    """A device that claims the passkey's credential id but holds another key."""
    return SoftAuthenticator(device.rp_id, device.origin, credential_id=device.credential_id,
                             user_handle=device.user_handle)  # fmt: skip


ATTACKS: dict[str, tuple[Callable[[SoftAuthenticator], Callable[[dict[str, Any]], str]], str]] = {
    "another origin": (lambda device: lambda o: device.get(o, origin="https://evil.example.com"), REFUSED),
    "another relying party id": (lambda device: lambda o: device.get(o, rp_id="evil.example.com"), REFUSED),
    "an unknown credential id": (lambda device: lambda o: device.get(o, credential_id=os.urandom(32)), NOT_YOURS),
    "a user not verified": (lambda device: lambda o: device.get(o, verified=False), REFUSED),
    "a signature by another key": (lambda device: lambda o: _impostor(device).get(o), REFUSED),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_a_forged_second_factor_is_refused_recorded_and_changes_nothing(
    platform: Platform, client: httpx.AsyncClient, attack: str
) -> None:
    person = await a_citizen(platform)
    device = await a_passkey(platform, person.id)
    await _past_the_password(client, platform, person.email)
    before = await _state(platform, person.id)
    forge, message = ATTACKS[attack]
    _refused(await ceremony(client, SECOND, forge(device)), message)
    counters, live, refusals = await _state(platform, person.id)
    assert (counters, live) == before[:2] and len(refusals) == len(before[2]) + 1
    assert (await ceremony(client, SECOND, device.get)).status_code == 302  # the real passkey still works


async def test_a_counter_that_does_not_go_up_is_refused_as_a_copied_passkey(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    device = await a_passkey(platform, person.id)
    async with platform.uow() as uow:
        await uow.session.execute(update(Passkey).where(Passkey.citizen_id == person.id).values(sign_count=7))
        await uow.commit()
    await _past_the_password(client, platform, person.email)
    for replayed in (7, 3, 0):
        _refused(await ceremony(client, SECOND, lambda o, n=replayed: device.get(o, count=n)), COPIED)
    counters, live, refusals = await _state(platform, person.id)
    assert counters == [(7, None)] and live == 0 and len(refusals) == 3
    assert (await ceremony(client, SECOND, lambda o: device.get(o, count=8))).status_code == 302


async def test_a_synced_passkey_whose_counter_stays_zero_is_accepted_each_time(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    device = await a_passkey(platform, person.id, counts=False)
    for _ in range(2):
        client.cookies.clear()
        await _past_the_password(client, platform, person.email)
        assert (await ceremony(client, SECOND, device.get)).status_code == 302


async def test_another_citizens_passkey_is_refused_as_the_second_factor(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    victim, attacker = await a_citizen(platform), await a_citizen(platform)
    await a_passkey(platform, victim.id)
    attackers_device = await a_passkey(platform, attacker.id)
    await _past_the_password(client, platform, victim.email)
    attackers_before = await _state(platform, attacker.id)
    _refused(await ceremony(client, SECOND, attackers_device.get), NOT_YOURS)
    _, live, refusals = await _state(platform, victim.id)
    assert live == 0 and len(refusals) == 1
    assert await _state(platform, attacker.id) == attackers_before


async def test_a_challenge_is_single_use_even_when_its_first_answer_was_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    device = await a_passkey(platform, person.id)
    await _past_the_password(client, platform, person.email)
    page = await client.get(SECOND)
    options, token = options_on(page.text), csrf_from(page.text)
    first = {"csrf_token": token, "problem": "", "credential": device.get(options, origin="https://evil.example.com")}
    _refused(await client.post(SECOND, data=first), REFUSED)
    again = {"csrf_token": token, "problem": "", "credential": device.get(options)}
    _refused(await client.post(SECOND, data=again), EXPIRED)
    counters, live, refusals = await _state(platform, person.id)
    assert counters == [(0, None)] and live == 0 and len(refusals) == 2


async def test_an_assertion_replayed_in_another_sign_in_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    device = await a_passkey(platform, person.id)
    rp = await a_client(platform)
    await client.get("/authorize", params=authorise_query(rp))
    page = await client.get(WITHOUT)
    captured = device.get(options_on(page.text))
    signed_in = await client.post(WITHOUT, data={"csrf_token": csrf_from(page.text), "credential": captured})
    assert signed_in.status_code == 302
    before = await _state(platform, person.id)

    client.cookies.clear()  # the attacker's browser, with the assertion they captured
    await client.get("/authorize", params=authorise_query(rp))
    token = csrf_from((await client.get(WITHOUT)).text)
    _refused(await client.post(WITHOUT, data={"csrf_token": token, "credential": captured}), EXPIRED)
    counters, live, refusals = await _state(platform, person.id)
    assert (counters, live) == before[:2] and len(refusals) == len(before[2]) + 1


async def test_an_unknown_passkey_without_a_password_is_refused_and_guessing_meets_the_throttle(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    stranger = device_for(platform)
    stranger.user_handle = os.urandom(32)
    rp = await a_client(platform)
    await client.get("/authorize", params=authorise_query(rp))
    statuses = []
    for _ in range(12):
        answer = await ceremony(client, WITHOUT, stranger.get)
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["Retry-After"]) >= 1 and "location" not in answer.headers
            break
        _refused(answer, UNKNOWN)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}


async def test_guessing_the_second_factor_meets_the_throttle_and_then_even_the_right_passkey_waits(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    device = await a_passkey(platform, person.id)
    await _past_the_password(client, platform, person.email)
    statuses = []
    for _ in range(12):
        answer = await ceremony(client, SECOND, lambda o: device.get(o, origin="https://evil.example.com"))
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}
    waited = await ceremony(client, SECOND, device.get)
    assert waited.status_code == 429 and "location" not in waited.headers
    counters, live, _ = await _state(platform, person.id)
    assert counters == [(0, None)] and live == 0


async def test_a_passkey_without_a_password_for_another_origin_is_recorded_in_its_owners_history(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    person = await a_citizen(platform)
    device = await a_passkey(platform, person.id)
    rp = await a_client(platform)
    await client.get("/authorize", params=authorise_query(rp))
    _refused(await ceremony(client, WITHOUT, lambda o: device.get(o, origin="http://localhost:8000")), REFUSED)
    wrong_handle = SoftAuthenticator(device.rp_id, device.origin, key=device.key, credential_id=device.credential_id,
                                     user_handle=os.urandom(32))  # fmt: skip
    _refused(await ceremony(client, WITHOUT, wrong_handle.get), REFUSED)
    counters, live, refusals = await _state(platform, person.id)
    assert counters == [(0, None)] and live == 0 and len(refusals) == 2
