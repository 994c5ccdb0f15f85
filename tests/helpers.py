"""Helpers that act as a person would: read the CSRF token off a page, sign in with TOTP."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pyotp

from govplatform.core.interfaces import Actor
from govplatform.core.platform import Platform
from govplatform.core.services import staff, tenancy

CLI = Actor("cli", None, "test")
PASSWORD = "correct horse battery staple"


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token field"
    return match.group(1)


async def post_form(client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Load `page` (for its CSRF token and cookie), then post the form to `action`."""
    shown = await client.get(page)
    return await client.post(action, data={**data, "csrf_token": csrf_from(shown.text)})


async def ready_user(platform: Platform, email: str, platform_admin: bool = False) -> tuple[uuid.UUID, str]:
    """A staff user who has finished set-up; returns their id and TOTP secret."""
    async with platform.uow() as uow:
        user, secret = await staff.create_ready_user(uow, CLI, platform.cipher, email, PASSWORD, platform_admin)
        await uow.commit()
    return user.id, secret


async def service_with_org(platform: Platform, org: str = "Test Council", name: str = "Test service") -> uuid.UUID:
    async with platform.uow() as uow:
        organisation = await tenancy.create_organisation(uow, CLI, org)
        await uow.session.flush()
        service = await tenancy.create_service(uow, CLI, organisation.id, name)
        await uow.commit()
    return service.id


async def sign_in(
    client: httpx.AsyncClient, email: str, secret: str, password: str = PASSWORD, at_offset: int = 0
) -> httpx.Response:
    first = await post_form(client, "/sign-in", "/sign-in", {"email": email, "password": password})
    assert first.status_code == 303, first.text
    assert first.headers["location"].startswith("/sign-in/code")
    code = pyotp.TOTP(secret).at(time.time() + at_offset)
    return await post_form(client, "/sign-in/code", "/sign-in/code", {"code": code})


def another_browser(client: httpx.AsyncClient, **headers: str) -> httpx.AsyncClient:
    """A second browser on the same app as `client` (its own cookies): another device, or another person."""
    transport = client._transport
    return httpx.AsyncClient(transport=transport, base_url=str(client.base_url), headers=headers)
