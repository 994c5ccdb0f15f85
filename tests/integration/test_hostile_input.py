"""Every machine API route, walked with hostile input: never a 5xx, always its API's error format, no traceback.

Issue 13 fault 6 and the platform's rule (DESIGN.md, "Security baseline"): bad
input gets a clear error in the API's own format, never a 500 or 503. The routes
come from the app's route table, so a route added later is walked too; each
POST route that reads a JSON body is sent a valid body with one leaf at a time
replaced by a hostile value, and whole hostile bodies; every route gets hostile
path parameters and query strings. Failures are collected per route, so one run
shows all of them.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from structlog.testing import capture_logs

from govplatform.app import build_app
from govplatform.core.platform import build_platform
from govplatform.core.services import api_keys
from govplatform.core.web.access import route_table
from tests.conftest import make_settings
from tests.helpers import CLI
from tests.integration import hostile_support as hostile
from tests.integration.exchange.world import World as ExchangeWorld
from tests.integration.exchange.world import make_world
from tests.integration.notify.support import bearer as notify_bearer
from tests.integration.notify.support import live_service, notify_key, template
from tests.integration.pay.support import bearer as pay_bearer
from tests.integration.pay.support import pay_key, pay_service, payment_body

MACHINE_PREFIXES = ("/v1/", "/v2/", "/api/", "/transparency/", "/notifications/sms/", "/healthz", "/metrics")
GATEWAY_SECRET = "gateway-secret-for-tests"


@dataclass
class World:
    client: httpx.AsyncClient
    notify_key: str
    pay_key: str
    platform_key: str
    values: dict[str, str]  # a valid value for each path parameter
    bodies: dict[str, dict[str, Any]]  # a valid JSON body for each POST route that reads one
    exchange: ExchangeWorld  # a member that signs each body it sends to the exchange, as the exchange requires

    def headers(self, path: str, body: bytes | None = None) -> dict[str, str]:
        if path.startswith("/api/exchange/"):
            return self.exchange.sign(body or b"")
        if path.startswith("/v2/"):
            return notify_bearer(self.notify_key)
        if path.startswith("/v1/"):
            return {**pay_bearer(self.pay_key), "Content-Type": "application/json"}
        if path.startswith("/notifications/sms/"):
            secret = base64.b64encode(f"gateway:{GATEWAY_SECRET}".encode()).decode()
            return {"Authorization": f"Basic {secret}", "Content-Type": "application/json"}
        return {"Authorization": f"Bearer {self.platform_key}", "Content-Type": "application/json"}


@pytest.fixture
async def world(var_dir: Path, database_url: str, sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[World]:
    # Limits high enough that the walk is never answered 429 instead of by the code under test.
    settings = make_settings(
        var_dir,
        database_url,
        pay_rate_limit_create_per_second=100_000,
        pay_rate_limit_post_per_second=100_000,
        pay_rate_limit_get_per_second=100_000,
        notify_provider_callback_secret=GATEWAY_SECRET,
    )
    platform = build_platform(settings, sessions=sessions)
    notify_service = await live_service(platform)
    email = await template(platform, notify_service, "email", "Hello ((name))", "Hi ((name))")
    sms = await template(platform, notify_service, "sms", "Hello ((name))")
    letter = await template(platform, notify_service, "letter", "Dear ((name))", "Letter")
    pay = await pay_service(platform)
    keys = (await notify_key(platform, notify_service, "test"), await pay_key(platform, pay))
    async with platform.uow() as uow:
        _, platform_key = await api_keys.create_key(uow, CLI, platform.platform_keys, pay, "Case system")
        await uow.commit()
    exchange = await make_world(platform)
    exchange.exchange.queries_per_second = 100_000
    app = build_app(settings, platform)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
        created = await client.post("/v1/payments", json=payment_body(), headers=pay_bearer(keys[1]))
        assert created.status_code == 201, created.text
        address = {"address_line_1": "A. Person", "address_line_2": "1 High Street", "address_line_3": "SW1A 1AA"}
        yield World(
            client,
            *keys,
            platform_key,
            values={
                "template_id": str(email),
                "payment_id": created.json()["payment_id"],
                "notification_id": str(uuid.uuid4()),
                "agreement_id": "a" * 26,
                "refund_id": "r" * 26,
                "version": "1",
                "provider": "sandbox",
                "index": "0",
                "path": "0/000",
                "leaf_hash": "0" * 64,
            },
            bodies={
                "/v2/notifications/email": {
                    "email_address": "someone@example.com",
                    "template_id": str(email),
                    "personalisation": {"name": "Ada"},
                    "reference": "ref-1",
                },
                "/v2/notifications/sms": {
                    "phone_number": "07700900123",
                    "template_id": str(sms),
                    "personalisation": {"name": "Ada"},
                    "reference": "ref-1",
                },
                "/v2/notifications/letter": {
                    "template_id": str(letter),
                    "personalisation": {**address, "name": "Ada"},
                    "reference": "ref-1",
                },
                "/v2/template/{template_id}/preview": {"personalisation": {"name": "Ada"}},
                "/v1/payments": payment_body(metadata={"ledger": "AB12", "count": 3}, email="a@example.com"),
                "/v1/payments/{payment_id}/refunds": {"amount": 100, "refund_amount_available": 2500},
                "/v1/agreements": {"reference": "ref-1", "description": "Rent", "user_identifier": "user-1"},
                "/api/transparency/v1/data-uses": {
                    "data_items": ["address"],
                    "subject": "resident-1",
                    "purpose": "Council tax",
                    "legal_basis": "Local Government Finance Act 1992",
                    "occurred_at": "2026-11-26T09:30:00Z",
                },
                "/notifications/sms/receipts/{provider}": {"reference": "ref-1", "status": "delivered"},
                "/notifications/sms/inbound/{provider}": {
                    "source": "07700900123",
                    "destination": "07700900000",
                    "message": "Hello",
                },
                "/api/exchange/v1/queries": exchange.body(),
            },
            exchange=exchange,
        )


def machine_routes() -> list[tuple[str, str]]:
    """The machine API routes of a freshly built app (without the trailing-slash twins)."""
    settings = make_settings(Path("/nonexistent"), "sqlite+aiosqlite:///:memory:")
    app = build_app(settings, build_platform(settings))
    return [
        (method, path)
        for method, path in route_table(app.routes)
        if method in ("GET", "POST") and path.startswith(MACHINE_PREFIXES) and not path.endswith("/")
    ]


ROUTES = machine_routes()


def concrete(path: str, values: dict[str, str], hostile_name: str | None = None, value: str = "") -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return value if name == hostile_name else values.get(name, "x")

    return re.sub(r"\{(\w+)(?::\w+)?\}", fill, path)


def problems_in(logs: list[MutableMapping[str, Any]]) -> list[str]:
    """Log lines that mean a request failed on our side: a traceback, or an error or worse."""
    return [
        f"logged {entry.get('event')} ({entry.get('error')})"
        for entry in logs
        if entry.get("exc_info") or entry.get("log_level") in ("error", "critical")
    ]


async def _walk(world: World, method: str, path: str) -> list[str]:
    found: list[str] = []
    client = world.client

    async def send(label: str, url: str, body: bytes | None = None, must_refuse: bool = False) -> None:
        response = await client.request(method, url, content=body, headers=world.headers(path, body))
        if response.status_code >= 500:
            found.append(f"{label}: answered {response.status_code}")
            return
        problem = hostile.format_problem(path, response) or (
            hostile.refusal_problem(path, response) if must_refuse else None
        )
        if problem:
            found.append(f"{label}: {problem}")

    url = concrete(path, world.values)
    valid = world.bodies.get(path)
    if method == "POST":
        for name, raw_body in hostile.REFUSED_BODIES.items():
            await send(f"body {name}", url, raw_body, must_refuse=valid is not None)
        for leaf in hostile.leaves(valid) if valid is not None else []:
            for name, raw in {**hostile.REFUSED_LEAVES, **hostile.OTHER_LEAVES}.items():
                must = name in hostile.REFUSED_LEAVES
                await send(f"{'.'.join(map(str, leaf))} = {name}", url, hostile.with_leaf(valid, leaf, raw), must)
    for parameter in re.findall(r"\{(\w+)(?::\w+)?\}", path):
        for value in hostile.PATH_VALUES:
            body = hostile.with_leaf(valid, hostile.leaves(valid)[0], '"x"') if valid else None
            await send(f"path {parameter}={value[:20]}", concrete(path, world.values, parameter, value), body)
    if method == "GET":
        for query in hostile.QUERIES:
            await send(f"query {query[:40]}", f"{url}?{query}")
    return found


def test_the_walk_covers_every_json_api_and_every_route_that_reads_a_body() -> None:
    paths = {path for _method, path in ROUTES}
    assert {"/v2/notifications/email", "/v1/payments", "/api/transparency/v1/data-uses"} <= paths
    posts = {path for method, path in ROUTES if method == "POST"}
    without_body = {"/v1/payments/{payment_id}/cancel", "/v1/payments/{payment_id}/capture"}
    without_body.add("/v1/agreements/{agreement_id}/cancel")
    # A new POST route needs a valid body in the `world` fixture (or a place in `without_body`), so it is walked.
    assert posts - without_body <= set(_BODY_ROUTES), posts - without_body - set(_BODY_ROUTES)


_BODY_ROUTES = [
    "/v2/notifications/email",
    "/v2/notifications/sms",
    "/v2/notifications/letter",
    "/v2/template/{template_id}/preview",
    "/v1/payments",
    "/v1/payments/{payment_id}/refunds",
    "/v1/agreements",
    "/api/transparency/v1/data-uses",
    "/notifications/sms/receipts/{provider}",
    "/notifications/sms/inbound/{provider}",
    "/api/exchange/v1/queries",
]


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_hostile_input_gets_a_4xx_in_the_apis_own_format_and_logs_no_traceback(
    world: World, method: str, path: str
) -> None:
    with capture_logs() as logs:
        found = await _walk(world, method, path)
    found += problems_in(logs)
    assert not found, f"{len(found)} problems:\n" + "\n".join(found[:60])
