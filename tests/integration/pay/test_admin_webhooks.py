"""Webhooks in the admin pages: made by an admin with the secret shown once, regenerated, turned off and on,
https in production, and each subscription's delivery log down to its attempts. Where a URL may lead is
test_webhook_destinations.py's subject; here names resolve as public DNS would, and a receiver on loopback is
allowed as GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS=127.0.0.1 would allow it."""

from __future__ import annotations

import html
import re

import httpx
from sqlalchemy import select

from govplatform.core.models import AuditEvent
from govplatform.core.platform import Platform
from govplatform.pay.models import Webhook
from govplatform.pay.services import webhooks
from tests.helpers import csrf_from
from tests.integration.notify.receiver import callback_receiver
from tests.integration.pay.admin_support import paid, pay_path, signed_in_member
from tests.integration.pay.support import pay_key, pay_of, pay_service, run_queued
from tests.outbound_support import public_dns, use_guard

SECRET = re.compile(r'id="signing-secret">(webhook_(?:test|live)_[0-9a-f]{32})<')


async def create(client: httpx.AsyncClient, base: str, url: str, events: list[str], **fields: str) -> httpx.Response:
    form = await client.get(f"{base}/webhooks/new")
    assert form.status_code == 200, form.text
    data: dict[str, str | list[str]] = {"csrf_token": csrf_from(form.text), "callback_url": url, **fields}
    data["event_types"] = events
    return await client.post(f"{base}/webhooks/new", data=data)


async def test_an_admin_creates_a_webhook_sees_its_secret_once_and_its_delivery_log(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    use_guard(platform, allowed="127.0.0.1")
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    await signed_in_member(platform, client, service_id, "admin")
    base = pay_path(service_id)
    with callback_receiver(answers=[500]) as receiver:
        created = await create(
            client,
            base,
            receiver.url,
            ["card_payment_succeeded", "card_payment_captured"],
            description="Finance system",
        )
        assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
        match = SECRET.search(created.text)
        assert match and "Copy the signing secret now. You will not see it again." in created.text
        secret = match.group(1)
        async with platform.uow(read_only=True) as uow:
            hook = (await uow.session.scalars(select(Webhook).where(Webhook.service_id == service_id))).one()
            actions = (
                await uow.session.scalars(select(AuditEvent.action).where(AuditEvent.service_id == service_id))
            ).all()
        assert webhooks.signing_secret(pay_of(platform).box, hook) == secret and secret.startswith("webhook_test_")
        assert hook.event_types == ["card_payment_succeeded", "card_payment_captured"] and not hook.live
        assert "pay.webhook_created" in actions and secret not in str(actions)
        listed = (await client.get(f"{base}/webhooks")).text
        assert receiver.url in listed and "Finance system" in listed and secret not in listed
        page = f"{base}/webhooks/{hook.id}"
        assert secret not in (await client.get(page)).text, "the secret is never shown again"

        payment_id = await paid(platform, client, key)
        assert await run_queued(platform, webhooks.SEND_TASK) == 2
    log = (await client.get(page)).text
    assert "Payment succeeded" in log and "Payment captured" in log and payment_id in log
    assert "Will retry" in log and "Successful" in log and "HTTP 500" in log
    paths = re.findall(rf'href="({re.escape(page)}/messages/[0-9a-v]{{26}})"', log)
    assert len(paths) == 2
    shown = [html.unescape((await client.get(path)).text) for path in paths]
    assert all(f'"resource_id": "{payment_id}"' in text and "Attempts" in text for text in shown)
    assert sorted("HTTP 500" in text for text in shown) == [False, True], "one attempt failed with a 500"
    assert sorted("HTTP 200" in text for text in shown) == [False, True], "the other was delivered"
    assert (await client.get(f"{pay_path(service_id, 'live')}/webhooks/{hook.id}")).status_code == 404


async def test_a_new_secret_replaces_the_old_one_and_is_shown_once(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    use_guard(platform, names=public_dns())
    service_id = await pay_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    base = pay_path(service_id)
    created = await create(client, base, "https://example.org/hook", ["card_payment_refunded"])
    first = SECRET.search(created.text)
    assert first
    async with platform.uow(read_only=True) as uow:
        hook = (await uow.session.scalars(select(Webhook).where(Webhook.service_id == service_id))).one()
    page = f"{base}/webhooks/{hook.id}"
    token = csrf_from((await client.get(page)).text)
    again = await client.post(f"{page}/secret", data={"csrf_token": token})
    second = SECRET.search(again.text)
    assert again.status_code == 200 and second and second.group(1) != first.group(1)
    assert "The old secret no longer signs events." in again.text
    async with platform.uow(read_only=True) as uow:
        stored = await uow.session.get(Webhook, hook.id)
    assert stored is not None and webhooks.signing_secret(pay_of(platform).box, stored) == second.group(1)

    async with platform.uow(read_only=True) as uow:  # this process now keeps the subscriptions for 2 seconds
        assert len(await webhooks.subscribers(uow, service_id, False, "card_payment_refunded")) == 1
    off = await client.post(f"{page}/deactivate", data={"csrf_token": token})
    assert (
        off.status_code == 303 and "The webhook has been turned off" in (await client.get(off.headers["location"])).text
    )
    async with platform.uow(read_only=True) as uow:
        assert await webhooks.subscribers(uow, service_id, False, "card_payment_refunded") == []
    on = await client.post(f"{page}/activate", data={"csrf_token": token})
    assert on.status_code == 303
    async with platform.uow(read_only=True) as uow:
        assert len(await webhooks.subscribers(uow, service_id, False, "card_payment_refunded")) == 1


async def test_in_production_live_and_test_webhooks_need_https_and_elsewhere_http_is_allowed(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    use_guard(platform, names=public_dns(), environment="production")
    for account in ("live", "test"):
        refused = await create(
            client, pay_path(service_id, account), "http://example.org/hook", ["card_payment_failed"]
        )
        assert refused.status_code == 400 and "<title>Error: " in refused.text
        assert '<a href="#callback_url">Enter a callback URL that starts with https://</a>' in refused.text
        assert "It must start with https://" in refused.text, "the hint says so too"
    none_chosen = await create(client, pay_path(service_id, "live"), "https://example.org/hook", [])
    assert '<a href="#event_types">Select the events to send</a>' in none_chosen.text
    use_guard(platform, names=public_dns(), environment="development")
    test = await create(client, pay_path(service_id, "test"), "http://example.org/hook", ["card_payment_failed"])
    assert test.status_code == 200 and SECRET.search(test.text)


async def test_a_viewer_sees_webhooks_but_cannot_create_or_change_them(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    await signed_in_member(platform, client, service_id, "viewer")
    base = pay_path(service_id)
    listed = await client.get(f"{base}/webhooks")
    assert listed.status_code == 200 and "Create a webhook" not in listed.text
    assert (await client.get(f"{base}/webhooks/new")).status_code == 403
    token = csrf_from(listed.text)
    refused = await client.post(f"{base}/webhooks/new", data={"csrf_token": token, "callback_url": "https://x.example"})
    assert refused.status_code == 403
