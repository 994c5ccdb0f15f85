"""Public routes that create something are rate-limited (issue 13, fault 9).

A payment link's page made 60 payments in 1.3 seconds for anyone without
signing in. Now each client address may start only so many payments a minute
(across every link), and each link takes only so many a minute from everyone,
counted in the database (or Redis) so that every web process shares the
counts. Over a limit the citizen gets a GOV.UK-style page with 429. An
`X-Forwarded-For` header is believed only from a configured proxy.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from govplatform.app import build_app
from govplatform.core.platform import Platform, build_platform
from govplatform.pay.models import Payment, PublicRateCount
from govplatform.pay.services import payment_links, public_limits
from govplatform.pay.services.public_limits import DatabaseCounts, PublicLimiter, PublicLimits
from govplatform.processes import proxy_options
from tests.conftest import make_settings
from tests.helpers import CLI, csrf_from
from tests.integration.pay.support import pay_of, pay_service


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def _link(platform: Platform, title: str = "Pay for a parking permit") -> str:
    service_id = await pay_service(platform)
    details = payment_links.LinkDetails(title, None, "", 1250, "Permit number", "en", live=False)
    async with platform.uow() as uow:
        link = await payment_links.create_link(uow, CLI, service_id, details)
        await uow.commit()
    return link.slug


def _limit(platform: Platform, per_address: int, per_link: int) -> Clock:
    clock = Clock()
    pay_of(platform).public_limiter = PublicLimiter(
        DatabaseCounts(platform.uow), PublicLimits(per_address=per_address, per_link=per_link), "secret", clock
    )
    return clock


def _client(app: object, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _pay(client: httpx.AsyncClient, slug: str, headers: dict[str, str] | None = None) -> httpx.Response:
    page = await client.get(f"/pay/{slug}")
    assert page.status_code == 200, page.text
    form = {"csrf_token": csrf_from(page.text), "reference": "PERMIT-99"}
    return await client.post(f"/pay/{slug}", data=form, headers=headers or {})


async def _payments(platform: Platform) -> int:
    async with platform.uow(read_only=True) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one())


async def test_one_address_may_start_only_so_many_link_payments_a_minute(platform: Platform) -> None:
    slug, other_slug = await _link(platform), await _link(platform, "Pay for bulky waste")
    clock = _limit(platform, per_address=3, per_link=100)
    app = build_app(platform.settings, platform)
    async with _client(app, "203.0.113.7") as citizen, _client(app, "198.51.100.20") as neighbour:
        answers = [await _pay(citizen, slug) for _ in range(3)]
        assert [answer.status_code for answer in answers] == [303, 303, 303]
        refused = await _pay(citizen, other_slug)  # the count is the address's, across every link
        assert refused.status_code == 429
        assert "text/html" in refused.headers["content-type"]
        assert "Sorry, there have been too many attempts to pay" in refused.text
        assert 0 < int(refused.headers["retry-after"]) <= 60
        assert await _payments(platform) == 3
        assert (await _pay(neighbour, slug)).status_code == 303
        clock.now += 60  # the next minute
        assert (await _pay(citizen, slug)).status_code == 303
    assert await _payments(platform) == 5


async def test_a_link_takes_only_so_many_payments_a_minute_from_everyone(platform: Platform) -> None:
    slug, other_slug = await _link(platform), await _link(platform, "Pay for bulky waste")
    _limit(platform, per_address=100, per_link=4)
    app = build_app(platform.settings, platform)
    statuses = []
    for n in range(5):
        async with _client(app, f"192.0.2.{n + 1}") as citizen:
            statuses.append((await _pay(citizen, slug)).status_code)
    assert statuses == [303, 303, 303, 303, 429]
    async with _client(app, "192.0.2.99") as citizen:
        assert (await _pay(citizen, other_slug)).status_code == 303


async def test_a_forged_forwarded_for_header_does_not_escape_the_limit(platform: Platform) -> None:
    slug = await _link(platform)
    _limit(platform, per_address=2, per_link=100)
    app = build_app(platform.settings, platform)
    async with _client(app, "203.0.113.7") as citizen:
        statuses = [(await _pay(citizen, slug, {"X-Forwarded-For": f"10.0.0.{n}"})).status_code for n in range(1, 4)]
    assert statuses == [303, 303, 429]


async def test_a_forwarded_for_header_is_believed_only_from_a_configured_proxy(platform: Platform) -> None:
    """What `govplatform serve` tells uvicorn: with GOVPLATFORM_TRUSTED_PROXIES, their header names the client."""
    slug = await _link(platform)
    _limit(platform, per_address=1, per_link=100)
    settings = platform.settings.model_copy(update={"trusted_proxies": "10.1.0.0/16"})
    options = proxy_options(settings)
    assert options["proxy_headers"] is True
    app = ProxyHeadersMiddleware(build_app(platform.settings, platform), trusted_hosts=options["forwarded_allow_ips"])
    async with _client(app, "10.1.2.3") as proxy, _client(app, "203.0.113.50") as stranger:
        # Two citizens behind the proxy are two addresses...
        assert (await _pay(proxy, slug, {"X-Forwarded-For": "198.51.100.1"})).status_code == 303
        assert (await _pay(proxy, slug, {"X-Forwarded-For": "198.51.100.2"})).status_code == 303
        assert (await _pay(proxy, slug, {"X-Forwarded-For": "198.51.100.1"})).status_code == 429
        # ...but a stranger's header is ignored: it is one address however it names itself.
        assert (await _pay(stranger, slug, {"X-Forwarded-For": "198.51.100.3"})).status_code == 303
        assert (await _pay(stranger, slug, {"X-Forwarded-For": "198.51.100.4"})).status_code == 429


def test_without_configured_proxies_the_server_believes_no_forwarded_header(platform: Platform) -> None:
    assert platform.settings.trusted_proxies == ""
    assert proxy_options(platform.settings) == {"proxy_headers": False}


@pytest.fixture
async def two_processes(var_dir: Path, fresh_database: str) -> AsyncIterator[tuple[Platform, Platform]]:
    """Two platforms on one database, as two web processes are."""
    settings = make_settings(var_dir, fresh_database, pay_link_payments_per_address_per_minute=2)
    first, second = build_platform(settings), build_platform(settings)
    yield first, second
    await first.dispose()
    await second.dispose()


async def test_the_counts_hold_across_web_processes(two_processes: tuple[Platform, Platform]) -> None:
    first, second = two_processes
    slug = await _link(first)
    address = f"203.0.113.{uuid.uuid4().int % 200 + 1}"
    async with (
        _client(build_app(first.settings, first), address) as via_first,
        _client(build_app(second.settings, second), address) as via_second,
    ):
        statuses = [(await _pay(via_first, slug)).status_code, (await _pay(via_second, slug)).status_code]
        statuses.append((await _pay(via_first, slug)).status_code)
        statuses.append((await _pay(via_second, slug)).status_code)
    assert statuses == [303, 303, 429, 429]


async def test_counts_of_minutes_that_have_passed_are_forgotten(platform: Platform) -> None:
    counts = DatabaseCounts(platform.uow)
    await counts.count("link:old", 29_999_999, 60)
    await counts.count("link:now", 30_000_000, 60)
    async with platform.uow() as uow:
        assert await public_limits.purge(uow, now=30_000_000 * 60 + 5) == 1
        await uow.commit()
    async with platform.uow(read_only=True) as uow:
        left = (await uow.session.scalars(select(PublicRateCount.key))).all()
    assert left == ["link:now"]
