"""A constraint the database enforces is the caller's error (4xx in the API's format), never an outage.

Issue 13 fault 7: an integrity error was answered 503 with Retry-After, as if
the database were down, so a client retried what can never succeed and the
operator was paged for a caller's mistake. Each route here makes the database
itself refuse a write (a name that must be unique, a value too long for its
column on PostgreSQL), under each machine API's path prefix and on a page.
"""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from structlog.testing import capture_logs

from govplatform.app import build_app
from govplatform.core.models import Organisation
from govplatform.core.platform import Platform
from tests.conftest import is_postgres
from tests.helpers import service_with_org

PREFIXES = ["/v2/", "/v1/", "/api/", "/transparency/", "/admin/"]


async def app_with_refused_writes(platform: Platform) -> httpx.AsyncClient:
    """The app, with routes whose writes the database refuses: a duplicate unique name, an over-long one."""
    app = build_app(platform.settings, platform)

    async def duplicate(request: Request) -> JSONResponse:
        async with platform.uow() as uow:
            uow.session.add(Organisation(id=uuid.uuid4(), name=request.query_params["name"]))
            await uow.commit()
        return JSONResponse({"stored": True})

    async def too_long(_request: Request) -> JSONResponse:
        async with platform.uow() as uow:
            uow.session.add(Organisation(id=uuid.uuid4(), name="x" * 300))  # String(255)
            await uow.commit()
        return JSONResponse({"stored": True})

    for prefix in PREFIXES:
        app.add_api_route(f"{prefix}test-duplicate", duplicate, methods=["GET"])
        app.add_api_route(f"{prefix}test-too-long", too_long, methods=["GET"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def logged_failures(logs: list[MutableMapping[str, Any]]) -> list[str]:
    return [
        str(entry.get("event"))
        for entry in logs
        if entry.get("exc_info") or entry.get("log_level") in ("error", "critical")
    ]


def in_format(prefix: str, response: httpx.Response) -> bool:
    if prefix == "/admin/":
        return "<html" in response.text
    body = response.json()
    if prefix == "/v1/":
        return isinstance(body.get("description"), str)
    return body["status_code"] == response.status_code and bool(body["errors"][0]["message"])


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_a_duplicate_that_the_database_refuses_is_a_409_in_the_apis_format_and_the_first_is_kept(
    platform: Platform, prefix: str
) -> None:
    await service_with_org(platform, org="Shire Council")
    async with await app_with_refused_writes(platform) as client:
        with capture_logs() as logs:
            response = await client.get(f"{prefix}test-duplicate", params={"name": "Shire Council"})
    assert response.status_code == 409, response.text
    assert "retry-after" not in response.headers
    assert in_format(prefix, response)
    assert not logged_failures(logs)
    async with platform.uow(read_only=True) as uow:
        kept = (await uow.session.scalars(select(Organisation).where(Organisation.name == "Shire Council"))).all()
    assert len(kept) == 1, "what was already accepted is still there"


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_a_value_too_long_for_its_column_is_never_an_outage(platform: Platform, prefix: str) -> None:
    async with await app_with_refused_writes(platform) as client:
        with capture_logs() as logs:
            response = await client.get(f"{prefix}test-too-long")
    # SQLite does not enforce lengths and stores it; PostgreSQL refuses it, and that is the caller's error.
    assert response.status_code == (400 if is_postgres() else 200), response.text
    assert "retry-after" not in response.headers
    assert response.status_code == 200 or in_format(prefix, response)
    assert not logged_failures(logs)
