"""identity/interfaces.py in-process, as forms will call it: the signed-in citizen of a request, with their
verified claims and level, or None without a live session."""

from __future__ import annotations

import httpx
from fastapi import Request

from govplatform.app import build_app
from govplatform.core.platform import Platform
from govplatform.identity.interfaces import SignedInCitizen, signed_in_citizen
from govplatform.identity.services import sessions
from tests.integration.identity.support import a_citizen, a_client, authorise_query, sign_in_through_pages


def _request(platform: Platform, cookie: str | None) -> Request:
    app = build_app(platform.settings, platform)
    headers = [(b"cookie", f"{sessions.COOKIE}={cookie}".encode())] if cookie else []
    return Request({"type": "http", "app": app, "headers": headers, "method": "GET", "path": "/", "query_string": b""})


async def test_the_signed_in_citizen_is_known_from_the_session_with_their_claims_and_level(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await sign_in_through_pages(client, authorise_query(rp), person)
    token = client.cookies.get(sessions.COOKIE)
    assert token
    found = await signed_in_citizen(_request(platform, token))
    assert found == SignedInCitizen(
        account_id=person.id, level="Cl.Cm", email=person.email, given_name="Sam", family_name=None, birth_date=None
    )
    assert await signed_in_citizen(_request(platform, None)) is None
    assert await signed_in_citizen(_request(platform, token[:-2] + "xx")) is None
    await client.get("/logout")
    assert await signed_in_citizen(_request(platform, token)) is None  # signed out: the cookie is worth nothing
