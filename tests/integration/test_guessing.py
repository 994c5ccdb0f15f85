"""Guessing passwords, codes and set-up links is slowed down per address and per account, never a lockout.

The old rule (five failures lock an account for 15 minutes) let anyone lock any
staff member out, and its message told which emails were staff accounts. Now
every place a person can guess goes through core's throttle: an address that
keeps failing waits longer each time, an account that fails from many addresses
waits a little, and a known and an unknown email get the same answers.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pyotp
import pytest
from argon2 import PasswordHasher

from govplatform.app import build_app
from govplatform.core.platform import Platform
from govplatform.core.services import staff
from tests.helpers import CLI, PASSWORD, csrf_from, ready_user
from tests.throttle_support import HeldClock

Client = Callable[[str], Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def client_at(platform: Platform) -> AsyncIterator[Client]:
    """Browsers at the client addresses a test names, all talking to one app whose throttle's clock stands still."""
    platform.throttle.clock = HeldClock()
    app = build_app(platform.settings, platform)
    opened: list[httpx.AsyncClient] = []

    async def at(address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        opened.append(client)
        return client

    yield at
    for client in opened:
        await client.aclose()


def shown_errors(response: httpx.Response) -> list[str]:
    """What the page tells the person: the error summary's items, as text."""
    items = re.findall(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', response.text, re.DOTALL)
    return [
        html.unescape(re.sub(r"<[^>]+>", "", item)).strip()
        for item in re.findall(r"<li>(.*?)</li>", "".join(items), re.DOTALL)
    ]


async def try_password(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    token = csrf_from((await client.get("/sign-in")).text)
    return await client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


async def test_a_staff_email_and_an_unknown_one_get_the_same_answers_however_often_they_are_tried(
    platform: Platform, client_at: Client
) -> None:
    await ready_user(platform, "known@example.gov.uk")
    answers = {}
    for email, address in (("known@example.gov.uk", "198.51.100.1"), ("nobody@example.gov.uk", "198.51.100.2")):
        client = await client_at(address)
        answers[email] = [
            (response.status_code, shown_errors(response))
            for response in [await try_password(client, email, "wrong password " + str(n)) for n in range(14)]
        ]
    assert answers["known@example.gov.uk"] == answers["nobody@example.gov.uk"]
    assert answers["known@example.gov.uk"][0] == (400, ["Enter a correct email address and password"])


async def test_a_staff_member_signs_in_from_their_own_address_while_someone_else_hammers_their_account(
    platform: Platform, client_at: Client
) -> None:
    _, secret = await ready_user(platform, "victim@example.gov.uk")
    attacker = await client_at("192.0.2.66")
    for attempt in range(40):
        await try_password(attacker, "victim@example.gov.uk", f"guess number {attempt}")
    victim = await client_at("203.0.113.20")
    first = await try_password(victim, "victim@example.gov.uk", PASSWORD)
    assert first.status_code == 303, shown_errors(first)
    token = csrf_from((await victim.get("/sign-in/code")).text)
    second = await victim.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert second.status_code == 303 and second.headers["location"] == "/admin"


async def test_an_address_that_keeps_guessing_is_made_to_wait_even_for_a_right_password(
    platform: Platform, client_at: Client
) -> None:
    await ready_user(platform, "real@example.gov.uk")
    sprayer = await client_at("192.0.2.77")
    answers = [await try_password(sprayer, f"guess{n}@example.gov.uk", "Spring2026!!") for n in range(30)]
    slowed = [response for response in answers if response.status_code == 429]
    assert slowed, "thirty wrong passwords in a row from one address are never slowed down"
    right = await try_password(sprayer, "real@example.gov.uk", PASSWORD)
    assert right.status_code == 429 and "Retry-After" in right.headers
    assert any("too many times" in error for error in shown_errors(right))


async def test_guessing_set_up_links_from_one_address_is_slowed_down_while_real_links_work_elsewhere(
    platform: Platform, client_at: Client
) -> None:
    async with platform.uow() as uow:
        _user, token = await staff.create_user(
            uow, CLI, platform.settings.api_key_hash_secret, "newcomer@example.gov.uk", 72
        )
        await uow.commit()
    guesser = await client_at("192.0.2.88")
    statuses = [(await guesser.get(f"/setup/{secrets.token_urlsafe(32)}")).status_code for _ in range(30)]
    assert statuses[0] == 404 and 429 in statuses, "guessing set-up links is never slowed down"
    assert (await guesser.get(f"/setup/{token}")).status_code == 429, "not even a real link is looked up"
    newcomer = await client_at("203.0.113.30")
    page = await newcomer.get(f"/setup/{token}")
    assert page.status_code == 200 and "newcomer@example.gov.uk" in page.text


async def test_guessing_codes_after_a_right_password_is_slowed_down(platform: Platform, client_at: Client) -> None:
    _, secret = await ready_user(platform, "codes@example.gov.uk")
    client = await client_at("192.0.2.99")
    assert (await try_password(client, "codes@example.gov.uk", PASSWORD)).status_code == 303
    statuses = []
    for _ in range(20):
        token = csrf_from((await client.get("/sign-in/code")).text)
        statuses.append((await client.post("/sign-in/code", data={"code": "000000", "csrf_token": token})).status_code)
    assert statuses[0] == 400 and 429 in statuses, "twenty wrong codes in a row are never slowed down"
    token = csrf_from((await client.get("/sign-in/code")).text)
    right = await client.post("/sign-in/code", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert right.status_code == 429 and "Retry-After" in right.headers


async def test_a_known_and_an_unknown_email_cost_the_same_argon2_work(
    platform: Platform, client_at: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ready_user(platform, "timed@example.gov.uk")
    verified: list[str] = []
    real = PasswordHasher.verify

    def counted(hasher: PasswordHasher, stored: str | bytes, password: str | bytes) -> bool:
        verified.append(str(stored))
        return real(hasher, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    client = await client_at("198.51.100.40")
    await try_password(client, "timed@example.gov.uk", "wrong password 1")
    await try_password(client, "nobody-at-all@example.gov.uk", "wrong password 2")
    assert len(verified) == 2, "one verification each"
    known, unknown = (stored.split("$")[1:4] for stored in verified)
    assert known == unknown and known[0] == "argon2id", "the same algorithm, version and cost"
