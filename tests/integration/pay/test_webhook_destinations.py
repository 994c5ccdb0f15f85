"""Pay webhooks reach only servers on the public internet: a callback URL that leads inside the platform's network is
refused on the admin page and never called at delivery, https is needed in production on test accounts too, and an
operator's GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS lets a host through on purpose (docs/adr/0010-outbound-guard.md)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select

from govplatform.app import build_app
from govplatform.core.platform import Platform, build_platform
from govplatform.pay.models import Webhook, WebhookMessage
from govplatform.pay.services import webhooks
from tests.integration.notify.receiver import callback_receiver
from tests.integration.pay.admin_support import pay_path, signed_in_member
from tests.integration.pay.support import bearer, pay_by_card, pay_key, pay_of, pay_service, payment_body, run_queued
from tests.integration.pay.test_admin_webhooks import SECRET, create

NOT_PUBLIC = '<a href="#callback_url">Enter the URL of a server on the public internet</a>'
HTTPS_ONLY = '<a href="#callback_url">Enter a callback URL that starts with https://</a>'
INSIDE = [
    "http://127.0.0.1:8000/hooks",
    "http://10.1.2.3/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hooks",
    "http://0.0.0.0:5432/hooks",
    "https://[::ffff:192.168.0.1]/hooks",
]


async def hooks_of(platform: Platform, service_id: object) -> list[Webhook]:
    async with platform.uow(read_only=True) as uow:
        return list((await uow.session.scalars(select(Webhook).where(Webhook.service_id == service_id))).all())


async def messages(platform: Platform) -> list[WebhookMessage]:
    async with platform.uow(read_only=True) as uow:
        return list((await uow.session.scalars(select(WebhookMessage))).all())


async def started_payment(platform: Platform, client: httpx.AsyncClient, service_id: object) -> None:
    """A payment whose card journey starts, so a card_payment_started message is queued."""
    key = await pay_key(platform, service_id)  # type: ignore[arg-type]
    created = (await client.post("/v1/payments", json=payment_body(), headers=bearer(key))).json()
    await pay_by_card(pay_of(platform), created["_links"]["next_url"]["href"])


@pytest.mark.parametrize("url", INSIDE)
async def test_a_webhook_pointed_inside_the_platforms_network_is_refused_on_the_admin_page(
    platform: Platform, client: httpx.AsyncClient, url: str
) -> None:
    service_id = await pay_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    for account in ("test", "live"):
        refused = await create(client, pay_path(service_id, account), url, ["card_payment_started"])
        assert refused.status_code == 400 and "<title>Error: " in refused.text
        assert NOT_PUBLIC in refused.text and not SECRET.search(refused.text)
    assert await hooks_of(platform, service_id) == []


async def test_a_webhook_at_a_name_that_resolves_inside_is_refused_on_the_admin_page(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    from tests.outbound_support import PUBLIC, Names, use_guard

    use_guard(platform, names=Names({"hooks.example.gov.uk": ["127.0.0.1"], "ok.example.gov.uk": [PUBLIC]}))
    service_id = await pay_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    refused = await create(client, pay_path(service_id), "https://hooks.example.gov.uk/pay", ["card_payment_started"])
    assert refused.status_code == 400 and NOT_PUBLIC in refused.text
    made = await create(client, pay_path(service_id), "https://ok.example.gov.uk/pay", ["card_payment_started"])
    assert made.status_code == 200 and SECRET.search(made.text)
    assert [hook.callback_url for hook in await hooks_of(platform, service_id)] == ["https://ok.example.gov.uk/pay"]


async def test_a_stored_webhook_pointed_at_loopback_is_never_called_and_its_log_gives_one_plain_reason(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    with callback_receiver() as receiver:
        async with platform.uow() as uow:  # stored before the guard, or by a path that skipped the check
            await webhooks.create_webhook(
                uow, pay_of(platform).box, service_id, False, receiver.url, ["card_payment_started"]
            )
            await uow.commit()
        await started_payment(platform, client, service_id)
        assert await run_queued(platform, webhooks.SEND_TASK) == 1
    assert receiver.received == [], "the server on loopback was never called"
    [message] = await messages(platform)
    assert message.last_result == "Not sent: no public internet address was found for the host"
    assert message.last_status_code is None and message.status == "will_retry"


async def test_an_operator_allowed_host_lets_webhooks_reach_loopback(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    from tests.outbound_support import use_guard

    use_guard(platform, allowed="127.0.0.1")
    service_id = await pay_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    with callback_receiver() as receiver:
        made = await create(client, pay_path(service_id), receiver.url, ["card_payment_started"])
        assert made.status_code == 200 and SECRET.search(made.text)
        await started_payment(platform, client, service_id)
        assert await run_queued(platform, webhooks.SEND_TASK) == 1
    assert [item.body["event_type"] for item in receiver.received] == ["card_payment_started"]
    [message] = await messages(platform)
    assert message.status == "successful" and message.last_result == "HTTP 200"


@contextlib.asynccontextmanager
async def in_production(platform: Platform, allowed: str = "") -> AsyncIterator[tuple[Platform, httpx.AsyncClient]]:
    """The same database served by a platform whose settings say GOVPLATFORM_ENVIRONMENT=production."""
    settings = platform.settings.model_copy(update={"environment": "production", "outbound_allowed_hosts": allowed})
    production = build_platform(settings, sessions=platform.sessions)
    transport = httpx.ASGITransport(
        app=build_app(settings, production), raise_app_exceptions=False, client=("203.0.113.7", 50000)
    )
    try:
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            yield production, client
    finally:
        await production.engine.dispose()


async def test_in_production_a_test_accounts_webhook_needs_https_too(platform: Platform) -> None:
    async with in_production(platform) as (production, client):
        service_id = await pay_service(production)
        await signed_in_member(production, client, service_id, "admin")
        for account in ("test", "live"):
            refused = await create(
                client, pay_path(service_id, account), "http://example.org/hook", ["card_payment_failed"]
            )
            assert refused.status_code == 400 and HTTPS_ONLY in refused.text
        assert await hooks_of(production, service_id) == []


async def test_in_production_a_stored_http_webhook_is_not_sent_even_to_an_allowed_host(platform: Platform) -> None:
    async with in_production(platform, allowed="127.0.0.1") as (production, client):
        service_id = await pay_service(production)
        with callback_receiver() as receiver:
            async with production.uow() as uow:
                await webhooks.create_webhook(
                    uow, pay_of(production).box, service_id, False, receiver.url, ["card_payment_started"]
                )
                await uow.commit()
            await started_payment(production, client, service_id)
            assert await run_queued(production, webhooks.SEND_TASK) == 1
        assert receiver.received == []
        [message] = await messages(production)
        assert message.last_result == "Not sent: the URL must start with https://"
