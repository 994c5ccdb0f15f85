"""Hostile query strings and form posts on the pages: a 4xx page, never a 5xx, and no traceback in the log.

Issue 13 fault 6: `?before=99999999999999999999` on the audit log raised
OverflowError, and NUL (which PostgreSQL refuses in text) in a query string or a
form reached the database and came back as an outage. The walk takes every
admin route from the route table, signed in as a platform admin.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import MutableMapping
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from govplatform.app import build_app
from govplatform.core.platform import Platform
from govplatform.core.web.access import route_table
from tests.helpers import csrf_from, post_form, ready_user, service_with_org, sign_in

# Field names the admin and public forms use, each given NUL; whatever a form reads, it meets one.
FIELDS = [
    "name", "email", "password", "code", "role", "action", "recipient", "subject", "content", "body", "reference",
    "description", "amount", "organisation_id", "kind", "reply_to", "sender", "url", "title", "message", "search",
]  # fmt: skip
# Query parameters the pages read, all given one hostile value at a time (each value breaks a different thing).
QUERY_NAMES = [
    "page", "before", "saved", "changed", "removed", "added", "created", "refunded", "channel", "status", "search",
    "reference", "email", "state", "card_brand", "last_digits", "from-day", "from-month", "from-year", "to-day",
    "to-month", "to-year", "next", "lang",
]  # fmt: skip
QUERY_VALUES = ["%00", "9" * 5000, "99999999999999999999", "%C2%B2", "-1", "%ED%A0%80", "%FF"]


async def signed_in_admin(platform: Platform, client: httpx.AsyncClient) -> None:
    _, secret = await ready_user(platform, "admin@example.gov.uk", platform_admin=True)
    await sign_in(client, "admin@example.gov.uk", secret)


def failures(responses: list[tuple[str, httpx.Response]], logs: list[MutableMapping[str, Any]]) -> list[str]:
    found = [f"{label}: answered {answer.status_code}" for label, answer in responses if answer.status_code >= 500]
    found += [
        f"logged {entry.get('event')} ({entry.get('error')})"
        for entry in logs
        if entry.get("exc_info") or entry.get("log_level") in ("error", "critical")
    ]
    return found


@pytest.mark.parametrize("before", ["99999999999999999999", "-1", "9" * 5000, "x"])
async def test_the_audit_log_answers_an_impossible_event_number_with_a_400_page(
    platform: Platform, client: httpx.AsyncClient, before: str
) -> None:
    await signed_in_admin(platform, client)
    with capture_logs() as logs:
        response = await client.get(f"/admin/audit?before={before}")
    assert response.status_code == 400
    assert "<html" in response.text
    assert not failures([], logs)


async def test_nul_in_a_form_is_refused_with_a_400_page_and_nothing_is_stored(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await signed_in_admin(platform, client)
    with capture_logs() as logs:
        response = await post_form(client, "/admin/organisations", "/admin/organisations", {"name": "Shire\x00Council"})
    assert response.status_code == 400
    assert "<html" in response.text
    assert "Shire" not in (await client.get("/admin/organisations")).text
    assert not failures([], logs)


async def test_nul_in_the_sign_in_form_is_refused_with_a_400_page(client: httpx.AsyncClient) -> None:
    with capture_logs() as logs:
        response = await post_form(client, "/sign-in", "/sign-in", {"email": "a\x00@example.gov.uk", "password": "x"})
    assert response.status_code == 400
    assert not failures([], logs)


def _filled(path: str, values: dict[str, str], parameter: str = "", value: str = "") -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return value if name == parameter else values.get(name, str(uuid.uuid4()))

    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, path)


async def _walk(
    client: httpx.AsyncClient, routes: list[tuple[str, str]], values: dict[str, str], token: str
) -> list[tuple[str, httpx.Response]]:
    responses: list[tuple[str, httpx.Response]] = []
    for method, path in routes:
        url = _filled(path, values)
        if method == "GET":
            for value in QUERY_VALUES:
                names = QUERY_NAMES if len(value) < 100 else ["page", "before", "saved", "from-day", "to-year"]
                query = "&".join(f"{name}={value}" for name in names)
                responses.append((f"GET {path}?...={value[:20]}", await client.get(f"{url}?{query}")))
        else:
            form = {name: "a\x00b" for name in FIELDS} | {"csrf_token": token}
            responses.append((f"POST {path} NUL", await client.post(url, data=form)))
        for parameter in re.findall(r"\{(\w+)(?::\w+)?\}", path):
            for value in ("not-a-uuid", "%00", "9" * 5000, "%ED%A0%80"):
                data = {"csrf_token": token} if method == "POST" else None
                answer = await client.request(method, _filled(path, values, parameter, value), data=data)
                responses.append((f"{method} {path} {parameter}={value[:20]}", answer))
    return responses


async def test_every_page_answers_hostile_query_strings_forms_and_path_parameters_without_a_5xx(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await service_with_org(platform)
    await signed_in_admin(platform, client)
    app = build_app(platform.settings, platform)
    routes = [
        (method, path)
        for method, path in route_table(app.routes)
        if method in ("GET", "POST")
        and not path.startswith(("/v1/", "/v2/", "/api/", "/notifications/sms/"))
        and path != "/sign-out"
    ]
    # The parking example reaches the provider over HTTP at the base URL, where no server listens in this
    # process (an earlier test may have registered it): it gets this app as its transport, as its own tests do,
    # so its sign-in routes meet the hostile values too instead of failing to connect.
    served = client._transport.app  # type: ignore[attr-defined]
    served.state.examples_transport = httpx.ASGITransport(app=served)
    token = csrf_from((await client.get("/admin")).text)
    with capture_logs() as logs:
        responses = await _walk(client, routes, {"service_id": str(service_id)}, token)
    found = failures(responses, logs)
    assert len(responses) > 300
    assert not found, f"{len(found)} problems:\n" + "\n".join(found[:60])
