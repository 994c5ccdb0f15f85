"""Notify's callbacks reach only servers on the public internet: a URL that leads inside the platform's network is
refused when set (admin page, service, command line) and never called at delivery, and an operator's
GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS lets a host through on purpose (docs/adr/0010-outbound-guard.md)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from govplatform.app import register_components
from govplatform.core.interfaces import JobContext
from govplatform.core.models import Job
from govplatform.core.platform import Platform
from govplatform.notify.models import CallbackDelivery, Notification, ServiceCallback
from govplatform.notify.services import callbacks
from govplatform.notify.tasks import DeliveryTasks
from tests.helpers import post_form
from tests.integration.notify.receiver import callback_receiver
from tests.integration.notify.support import live_service, template
from tests.integration.notify.test_admin_pages import notify_path, signed_in_member
from tests.integration.test_cli import as_json, govplatform

TOKEN = "a-token-of-the-services-own"
NOT_PUBLIC = "Enter the URL of a server on the public internet"
INSIDE = [
    "http://127.0.0.1:8000/callbacks",
    "http://10.1.2.3/callbacks",
    "https://169.254.169.254/latest/meta-data/",
    "http://[::1]/callbacks",
    "https://192.168.1.1/callbacks",
    "http://[fe80::1]/callbacks",
]


async def stored_callbacks(platform: Platform, service_id: uuid.UUID) -> list[ServiceCallback]:
    async with platform.uow(read_only=True) as uow:
        query = select(ServiceCallback).where(ServiceCallback.service_id == service_id)
        return list((await uow.session.scalars(query)).all())


async def store_callback(platform: Platform, service_id: uuid.UUID, url: str) -> None:
    """A callback row as the database may already hold it (set before the guard, or by a path that skipped it)."""
    row_id = uuid.uuid4()
    async with platform.uow() as uow:
        uow.session.add(
            ServiceCallback(
                id=row_id, service_id=service_id, callback_type="delivery_status", url=url, updated_by="test",
                bearer_token=platform.cipher.encrypt_text(TOKEN, str(row_id)),
            )
        )  # fmt: skip
        await uow.commit()


async def delivered_email(platform: Platform, service_id: uuid.UUID) -> None:
    """An email reaches its final status, so a delivery receipt is queued."""
    template_id = await template(platform, service_id, "email", "Hello", "Subject")
    row = Notification(
        id=uuid.uuid4(), service_id=service_id, template_id=template_id, template_version=1, key_type="normal",
        type="email", recipient="someone@example.com", normalised_recipient="someone@example.com", status="delivered",
    )  # fmt: skip
    async with platform.uow() as uow:
        uow.session.add(row)
        await uow.session.flush()
        assert await callbacks.status_changed(uow, platform.cipher, row)
        await uow.commit()


async def run_callback_jobs(platform: Platform) -> list[CallbackDelivery]:
    """Run each queued callback job through notify's handler, as a worker would; the deliveries afterwards."""
    register_components(platform)
    handlers: dict[str, Any] = {}
    DeliveryTasks(platform.components["notify"]).register(handlers.__setitem__, lambda *args: None)
    async with platform.uow(read_only=True) as uow:
        jobs = (await uow.session.scalars(select(Job).where(Job.kind == callbacks.CALLBACK_TASK))).all()
    for job in jobs:
        async with platform.uow() as uow:
            await handlers[callbacks.CALLBACK_TASK](JobContext(uow, job.id, 1), dict(job.payload))
            await uow.commit()
    async with platform.uow(read_only=True) as uow:
        return list((await uow.session.scalars(select(CallbackDelivery))).all())


@pytest.mark.parametrize("url", INSIDE)
async def test_a_callback_pointed_inside_the_platforms_network_is_refused_on_the_admin_page(
    platform: Platform, client: httpx.AsyncClient, url: str
) -> None:
    service_id = await live_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    form_page = f"{notify_path(service_id)}/callbacks/delivery-receipts"
    refused = await post_form(client, form_page, form_page, {"url": url, "bearer_token": TOKEN})
    assert refused.status_code == 400 and "<title>Error: " in refused.text
    assert f'<a href="#url">{NOT_PUBLIC}</a>' in refused.text and TOKEN not in refused.text
    assert await stored_callbacks(platform, service_id) == []


async def test_a_callback_at_a_name_that_resolves_inside_is_refused_and_a_public_one_is_kept(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    from tests.outbound_support import PUBLIC, Names, use_guard

    use_guard(platform, names=Names({"receipts.example.gov.uk": ["10.0.0.7"], "ok.example.gov.uk": [PUBLIC]}))
    service_id = await live_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    form_page = f"{notify_path(service_id)}/callbacks/delivery-receipts"
    refused = await post_form(
        client, form_page, form_page, {"url": "https://receipts.example.gov.uk/r", "bearer_token": TOKEN}
    )
    assert refused.status_code == 400 and f'<a href="#url">{NOT_PUBLIC}</a>' in refused.text
    saved = await post_form(client, form_page, form_page, {"url": "https://ok.example.gov.uk/r", "bearer_token": TOKEN})
    assert saved.status_code == 303
    assert [row.url for row in await stored_callbacks(platform, service_id)] == ["https://ok.example.gov.uk/r"]


async def test_a_stored_callback_pointed_at_loopback_is_never_called_and_its_log_gives_one_plain_reason(
    platform: Platform,
) -> None:
    service_id = await live_service(platform)
    with callback_receiver() as receiver:
        await store_callback(platform, service_id, receiver.url)
        await delivered_email(platform, service_id)
        [delivery] = await run_callback_jobs(platform)
    assert receiver.received == [], "the server on loopback was never called"
    assert delivery.last_error == "not sent: no public internet address was found for the host"
    assert delivery.last_status_code is None and delivery.status == "retrying"


async def test_an_operator_allowed_host_lets_callbacks_reach_loopback(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    from tests.outbound_support import use_guard

    use_guard(platform, allowed="127.0.0.1")
    service_id = await live_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    form_page = f"{notify_path(service_id)}/callbacks/delivery-receipts"
    with callback_receiver() as receiver:
        saved = await post_form(client, form_page, form_page, {"url": receiver.url, "bearer_token": TOKEN})
        assert saved.status_code == 303
        await delivered_email(platform, service_id)
        [delivery] = await run_callback_jobs(platform)
    assert delivery.status == "sent" and len(receiver.received) == 1
    assert receiver.received[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.process
def test_the_command_line_refuses_a_callback_pointed_inside_with_a_clear_error(
    fresh_database: str, tmp_path: Path
) -> None:
    org = as_json(govplatform(tmp_path, fresh_database, "org", "create", "--name", "Anytown Council", "--json"))
    service = as_json(
        govplatform(tmp_path, fresh_database, "service", "create", "--org", org["id"], "--name", "Bins", "--json")
    )
    args = ["notify", "callback", "--service", service["id"], "--type", "delivery_status", "--token", TOKEN]
    refused = govplatform(tmp_path, fresh_database, *args, "--url", "http://169.254.169.254/latest/meta-data/")
    assert refused.returncode != 0 and NOT_PUBLIC in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr
    allowed = govplatform(
        tmp_path, fresh_database, *args, "--url", "http://127.0.0.1:9/callbacks", "--json",
        env={"GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS": "127.0.0.1"},
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stderr
    assert json.loads(allowed.stdout)["type"] == "delivery_status"
