"""GET /v2/notifications/{id}/pdf, and the daily print run as the worker's schedule runs it."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from pathlib import Path

import httpx
from pypdf import PdfReader

from govplatform.app import register_components
from govplatform.core.platform import Platform
from govplatform.notify.models import Notification
from govplatform.notify.schedule import Schedule
from tests.integration.notify.support import bearer, live_service, notify_key, template

ADDRESS = {"address_line_1": "A. Person", "address_line_2": "1 High Street", "address_line_3": "SW1A 1AA"}


async def send_letter(client: httpx.AsyncClient, platform: Platform) -> tuple[str, str, str]:
    service_id = await live_service(platform)
    key = await notify_key(platform, service_id)
    letter = await template(platform, service_id, "letter", "Dear ((name))\n\nYour permit is ready.", "Permit")
    sent = await client.post(
        "/v2/notifications/letter",
        json={"template_id": str(letter), "personalisation": {**ADDRESS, "name": "Ada"}},
        headers=bearer(key),
    )
    assert sent.status_code == 201, sent.text
    return sent.json()["id"], key, str(service_id)


async def test_a_letters_pdf_is_a_real_pdf_with_the_address_and_the_filled_in_body(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    notification_id, key, _ = await send_letter(client, platform)
    answer = await client.get(f"/v2/notifications/{notification_id}/pdf", headers=bearer(key))
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert "A. PERSON" in text.upper() and "SW1A 1AA" in text and "Dear Ada" in text and "Permit" in text
    again = await client.get(f"/v2/notifications/{notification_id}/pdf", headers=bearer(key))
    assert again.content == answer.content, "the same letter renders to the same bytes"


async def test_the_pdf_of_an_email_is_refused_with_notifys_message(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    service_id = await live_service(platform)
    key = await notify_key(platform, service_id)
    email = await template(platform, service_id, "email", "Hello", "Hi")
    sent = await client.post(
        "/v2/notifications/email", json={"template_id": str(email), "email_address": "a@example.com"},
        headers=bearer(key),
    )  # fmt: skip
    answer = await client.get(f"/v2/notifications/{sent.json()['id']}/pdf", headers=bearer(key))
    assert answer.status_code == 400
    assert answer.json() == {
        "status_code": 400,
        "errors": [{"error": "BadRequestError", "message": "Notification is not a letter"}],
    }


async def test_another_services_letter_is_not_found(client: httpx.AsyncClient, platform: Platform) -> None:
    notification_id, _, _ = await send_letter(client, platform)
    stranger = await notify_key(platform, await live_service(platform, "Someone else"))
    answer = await client.get(f"/v2/notifications/{notification_id}/pdf", headers=bearer(stranger))
    assert answer.status_code == 404


async def test_the_schedule_prints_the_days_letters_once_after_the_cut_off(
    client: httpx.AsyncClient, platform: Platform, tmp_path: Path
) -> None:
    notification_id, _, _ = await send_letter(client, platform)
    register_components(platform)
    evening = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    evening = evening.replace(hour=18, minute=0, second=0, microsecond=0)  # 18:00 UTC is after 17:30 in London
    schedule = Schedule(platform.components["notify"], tmp_path, clock=lambda: evening)
    printed = await schedule.print_letters()
    assert printed is not None and printed.letters >= 1
    assert (tmp_path / "outbox" / str(printed.run_id) / f"{notification_id}.pdf").exists()
    assert await schedule.print_letters() is None, "the day's run is claimed once"
    (tmp_path / "inbox").mkdir(exist_ok=True)
    (tmp_path / "inbox" / "responses.csv").write_text(f"notification_id,status\n{notification_id},received\n")
    await schedule.read_letter_responses()
    async with platform.uow(read_only=True) as uow:
        row = await uow.session.get(Notification, uuid.UUID(notification_id))
        assert row is not None and row.status == "delivered" and row.sent_by == "print"
