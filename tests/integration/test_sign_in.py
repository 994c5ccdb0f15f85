"""Staff sign in with a password and a TOTP code; guessing is slowed down, never locked out (test_guessing.py)."""

import datetime as dt
from collections.abc import Callable

import httpx
import pyotp
from argon2 import extract_parameters
from sqlalchemy import select, update

from govplatform.core.models import AuditEvent, StaffSession, StaffUser
from govplatform.core.platform import Platform
from govplatform.core.services import passwords
from govplatform.core.services.throttle import CODE_ACCOUNT
from tests.helpers import PASSWORD, post_form, ready_user, sign_in
from tests.throttle_support import HeldClock


async def test_a_user_signs_in_with_password_and_code_and_reaches_the_admin_pages(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    _, secret = await ready_user(platform, "ada@example.gov.uk", platform_admin=True)
    response = await sign_in(client, "ada@example.gov.uk", secret)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    admin = await client.get("/admin")
    assert admin.status_code == 200
    assert "Signed in as ada@example.gov.uk" in admin.text


async def test_the_admin_pages_send_anonymous_visitors_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/admin/services")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fadmin%2Fservices"


async def test_a_password_alone_does_not_sign_anyone_in(platform: Platform, client: httpx.AsyncClient) -> None:
    await ready_user(platform, "ben@example.gov.uk")
    first = await post_form(client, "/sign-in", "/sign-in", {"email": "ben@example.gov.uk", "password": PASSWORD})
    assert first.status_code == 303
    assert (await client.get("/admin")).status_code == 303


async def test_a_wrong_password_and_an_unknown_email_get_the_same_message(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await ready_user(platform, "cat@example.gov.uk")
    wrong = await post_form(client, "/sign-in", "/sign-in", {"email": "cat@example.gov.uk", "password": "nope" * 4})
    unknown = await post_form(client, "/sign-in", "/sign-in", {"email": "who@example.gov.uk", "password": "x" * 16})
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "Enter a correct email address and password" in response.text
        assert "<title>Error:" in response.text


async def test_empty_fields_are_named_in_the_error_summary(client: httpx.AsyncClient) -> None:
    response = await post_form(client, "/sign-in", "/sign-in", {"email": "", "password": ""})
    assert response.status_code == 400
    assert 'href="#email"' in response.text and "Enter your email address" in response.text
    assert 'href="#password"' in response.text and "Enter your password" in response.text


async def test_wrong_codes_make_the_next_try_wait_and_the_right_code_works_once_the_wait_is_over(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    clock = HeldClock()
    platform.throttle.clock = clock
    _user_id, secret = await ready_user(platform, "dan@example.gov.uk")
    await post_form(client, "/sign-in", "/sign-in", {"email": "dan@example.gov.uk", "password": PASSWORD})
    for _ in range(CODE_ACCOUNT.free + 1):
        bad = await post_form(client, "/sign-in/code", "/sign-in/code", {"code": "000000"})
        assert bad.status_code == 400
    good = await post_form(client, "/sign-in/code", "/sign-in/code", {"code": pyotp.TOTP(secret).now()})
    assert good.status_code == 429 and good.headers["retry-after"] == "1"
    assert "You have tried to sign in too many times. Wait a minute, then try again." in good.text
    clock.now += 1
    good = await post_form(client, "/sign-in/code", "/sign-in/code", {"code": pyotp.TOTP(secret).now()})
    assert good.status_code == 303 and good.headers["location"] == "/admin"
    async with platform.uow() as uow:
        failures = (await uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in.failed"))).all()
        assert len(failures) == CODE_ACCOUNT.free + 1
        assert all(event.detail == {"stage": "code"} for event in failures)


async def test_a_totp_code_cannot_be_used_twice(platform: Platform, client: httpx.AsyncClient) -> None:
    _, secret = await ready_user(platform, "eve@example.gov.uk")
    assert (await sign_in(client, "eve@example.gov.uk", secret)).status_code == 303
    client.cookies.clear()
    await post_form(client, "/sign-in", "/sign-in", {"email": "eve@example.gov.uk", "password": PASSWORD})
    replay = await post_form(client, "/sign-in/code", "/sign-in/code", {"code": pyotp.TOTP(secret).now()})
    assert replay.status_code == 400


async def test_an_idle_session_expires(platform: Platform, client: httpx.AsyncClient) -> None:
    _, secret = await ready_user(platform, "fay@example.gov.uk")
    await sign_in(client, "fay@example.gov.uk", secret)
    assert (await client.get("/admin")).status_code == 200
    async with platform.uow() as uow:
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
        await uow.session.execute(update(StaffSession).values(last_seen_at=long_ago))
        await uow.commit()
    assert (await client.get("/admin")).status_code == 303


async def test_signing_out_ends_the_session(platform: Platform, client: httpx.AsyncClient) -> None:
    _, secret = await ready_user(platform, "gus@example.gov.uk")
    await sign_in(client, "gus@example.gov.uk", secret)
    old_cookie = client.cookies.get("govplatform_session")
    out = await post_form(client, "/sign-out", "/sign-out", {})
    assert out.status_code == 303
    client.cookies.set("govplatform_session", old_cookie or "")
    assert (await client.get("/admin")).status_code == 303


async def test_the_session_cookie_is_http_only_and_same_site(platform: Platform, client: httpx.AsyncClient) -> None:
    _, secret = await ready_user(platform, "hal@example.gov.uk")
    response = await sign_in(client, "hal@example.gov.uk", secret)
    cookie = response.headers["set-cookie"].lower()
    assert "govplatform_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "max-age" not in cookie.split("govplatform_session=")[1].split(",")[0]


async def test_sign_in_errors_are_shown_in_welsh_to_welsh_users(client: httpx.AsyncClient) -> None:
    await client.get("/?lang=cy")
    response = await post_form(client, "/sign-in", "/sign-in", {"email": "x@example.gov.uk", "password": "y" * 12})
    assert response.status_code == 400
    assert "Rhowch gyfeiriad e-bost a chyfrinair cywir" in response.text
    assert "<title>Gwall:" in response.text


async def test_a_password_hashed_at_an_older_cost_is_hashed_again_at_todays_when_its_owner_signs_in(
    platform: Platform, client: httpx.AsyncClient, raise_password_cost: Callable[[], int]
) -> None:
    user_id, secret = await ready_user(platform, "cost@example.gov.uk")  # at the tests' cost: 32 KiB
    raised = raise_password_cost()
    wrong = await post_form(client, "/sign-in", "/sign-in", {"email": "cost@example.gov.uk", "password": "nope"})
    assert wrong.status_code == 400 and "Enter a correct email address and password" in wrong.text
    async with platform.uow() as uow:
        user = await uow.session.get(StaffUser, user_id)
        assert user is not None and extract_parameters(user.password_hash).memory_cost == 32, "not on a wrong one"
    response = await sign_in(client, "cost@example.gov.uk", secret)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    async with platform.uow() as uow:
        user = await uow.session.get(StaffUser, user_id)
        assert user is not None and extract_parameters(user.password_hash).memory_cost == raised
        assert passwords.verify_password(user.password_hash, PASSWORD), "the same password, hashed again"
