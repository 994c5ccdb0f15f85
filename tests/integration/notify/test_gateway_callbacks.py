"""SMS gateways post receipts and inbound texts back; services read received texts through /v2."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from govplatform.app import build_app
from govplatform.core.jobs.queue import TaskRegistry
from govplatform.core.platform import Platform, admin_registry
from govplatform.notify.models import Notification, SmsSender
from tests.integration.notify.support import bearer, live_service, notify_key, template


def basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"gateway:{password}".encode()).decode()}


@pytest.fixture
async def firetext_client(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    """The app as a deployment using Firetext runs it (Firetext is never called here: only its receipts)."""
    settings = platform.settings.model_copy(
        update={"notify_sms_provider": "firetext", "notify_firetext_api_key": "firetext-test-key"}
    )
    # A second platform beside the fixture's, with registries of its own (the admin registry refuses a
    # component declared twice, as start-up should).
    copy = dataclasses.replace(
        platform,
        settings=settings,
        components={},
        tasks=TaskRegistry(),
        key_formats=dict(platform.key_formats),
        admin=admin_registry(),
    )
    app = build_app(settings, copy)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def sent_text(platform: Platform, status: str = "sending") -> Notification:
    service_id = await live_service(platform)
    template_id = await template(platform, service_id, "sms", "Your code is ((code))")
    notification = Notification(
        id=uuid.uuid4(), service_id=service_id, template_id=template_id, template_version=1, key_type="normal",
        type="sms", recipient="07700900123", normalised_recipient="447700900123", status=status,
        sent_by="firetext",
    )  # fmt: skip
    notification.provider_reference = str(notification.id)
    async with platform.uow() as uow:
        uow.session.add(notification)
        await uow.commit()
    return notification


async def status_of(platform: Platform, notification_id: uuid.UUID) -> str:
    async with platform.uow(read_only=True) as uow:
        row = await uow.session.get(Notification, notification_id)
        assert row is not None
        return row.status


RECEIPT_URL = "/notifications/sms/receipts/firetext"


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"status": "0"}, "delivered"),
        ({"status": "1", "code": "101"}, "permanent-failure"),
        ({"status": "1", "code": "102"}, "temporary-failure"),
        ({"status": "2"}, "pending"),
    ],
)
async def test_a_firetext_receipt_sets_the_text_messages_final_status(
    platform: Platform, firetext_client: httpx.AsyncClient, form: dict[str, str], status: str
) -> None:
    notification = await sent_text(platform)
    secret = platform.settings.notify_provider_callback_secret
    data = {**form, "reference": str(notification.id), "mobile": "447700900123", "time": "2026-11-26 10:00:00"}
    answer = await firetext_client.post(RECEIPT_URL, data=data, headers=basic(secret))
    assert answer.status_code == 200, answer.text
    assert await status_of(platform, notification.id) == status


async def test_a_pending_text_that_is_then_declined_is_a_temporary_failure(
    platform: Platform, firetext_client: httpx.AsyncClient
) -> None:
    notification = await sent_text(platform, status="pending")
    data = {"status": "1", "reference": str(notification.id), "time": "2026-11-26 10:00:00"}
    await firetext_client.post(RECEIPT_URL, data=data, headers=basic(platform.settings.notify_provider_callback_secret))
    assert await status_of(platform, notification.id) == "temporary-failure"


async def test_a_late_receipt_does_not_undo_a_final_status(
    platform: Platform, firetext_client: httpx.AsyncClient
) -> None:
    notification = await sent_text(platform, status="delivered")
    data = {"status": "1", "code": "101", "reference": str(notification.id), "time": "2026-11-26 10:00:00"}
    answer = await firetext_client.post(
        RECEIPT_URL, data=data, headers=basic(platform.settings.notify_provider_callback_secret)
    )
    assert answer.status_code == 200
    assert await status_of(platform, notification.id) == "delivered"


@pytest.mark.parametrize("headers", [{}, basic("wrong"), {"Authorization": "Basic !!!"}])
async def test_a_receipt_without_the_callback_secret_is_refused_and_changes_nothing(
    platform: Platform, firetext_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    notification = await sent_text(platform)
    data = {"status": "0", "reference": str(notification.id), "time": "2026-11-26 10:00:00"}
    answer = await firetext_client.post(RECEIPT_URL, data=data, headers=headers)
    assert answer.status_code == 401
    assert await status_of(platform, notification.id) == "sending"


async def test_a_malformed_receipt_gets_a_400_that_says_why(
    platform: Platform, firetext_client: httpx.AsyncClient
) -> None:
    answer = await firetext_client.post(
        RECEIPT_URL, data={"status": "0"}, headers=basic(platform.settings.notify_provider_callback_secret)
    )
    assert answer.status_code == 400 and "reference" in answer.text


async def test_another_providers_route_does_not_exist_in_a_firetext_deployment(
    platform: Platform, firetext_client: httpx.AsyncClient
) -> None:
    answer = await firetext_client.post(
        "/notifications/sms/receipts/sandbox", data={}, headers=basic(platform.settings.notify_provider_callback_secret)
    )
    assert answer.status_code == 404


async def test_inbound_texts_are_stored_for_the_number_owner_and_listed_newest_first(
    platform: Platform, firetext_client: httpx.AsyncClient
) -> None:
    service_id = await live_service(platform)
    async with platform.uow() as uow:
        uow.session.add(SmsSender(service_id=service_id, sms_sender="07700900500", inbound_number="447700900500"))
        await uow.commit()
    secret = platform.settings.notify_provider_callback_secret
    for second, message in enumerate(["STOP", "Yes please", "Yes please"]):
        form = {"source": "07700900123", "destination": "447700900500", "message": message,
                "time": f"2026-11-26 10:00:0{second}"}  # fmt: skip
        answer = await firetext_client.post("/notifications/sms/inbound/firetext", data=form, headers=basic(secret))
        assert answer.status_code == 200, answer.text
    stranger = {"source": "07700900123", "destination": "447700900999", "message": "Hi", "time": "2026-11-26 10:00:09"}
    assert (await firetext_client.post("/notifications/sms/inbound/firetext", data=stranger,
                                       headers=basic(secret))).status_code == 200  # fmt: skip

    key = await notify_key(platform, service_id)
    listed = (await firetext_client.get("/v2/received-text-messages", headers=bearer(key))).json()
    texts = listed["received_text_messages"]
    assert [t["content"] for t in texts] == ["Yes please", "Yes please", "STOP"]
    assert set(texts[0]) == {"id", "user_number", "notify_number", "created_at", "service_id", "content"}
    assert texts[0]["user_number"] == "447700900123" and texts[0]["notify_number"] == "447700900500"
    assert texts[0]["service_id"] == str(service_id) and texts[0]["created_at"].endswith("Z")
    assert listed["links"]["next"].endswith(f"older_than={texts[-1]['id']}")
    after = await firetext_client.get(f"/v2/received-text-messages?older_than={texts[0]['id']}", headers=bearer(key))
    assert [t["content"] for t in after.json()["received_text_messages"]] == ["Yes please", "STOP"]
    bad = await firetext_client.get("/v2/received-text-messages?older_than=nope", headers=bearer(key))
    assert bad.status_code == 400
    assert bad.json()["errors"] == [{"error": "ValidationError", "message": "older_than is not a valid UUID"}]


@pytest.mark.parametrize(
    ("method", "url", "headers", "body", "status"),
    [
        ("POST", RECEIPT_URL, {}, b"status=0", 401),  # no callback secret
        ("POST", RECEIPT_URL, "secret", b"status=0", 400),  # no reference
        ("POST", "/notifications/sms/inbound/sandbox", "secret", b"", 404),  # not this deployment's provider
        ("GET", RECEIPT_URL, {}, b"", 405),
        ("POST", "/notifications/sms/nowhere", {}, b"", 404),
        ("POST", RECEIPT_URL, "secret", b"x" * 1_100_000, 413),
    ],
)
async def test_the_gateway_routes_answer_errors_in_json_not_html(
    platform: Platform, firetext_client: httpx.AsyncClient, method, url, headers, body, status
) -> None:
    if headers == "secret":
        headers = basic(platform.settings.notify_provider_callback_secret)
    headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
    answer = await firetext_client.request(method, url, headers=headers, content=body)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/json"), answer.text[:200]
    error = answer.json()
    assert error["status_code"] == status and error["errors"][0]["message"]
