"""The issue's bad input, over HTTP: each gets Notify's status, error name and message, and nothing is stored."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import func, select

from govplatform.core.models import Job
from govplatform.core.platform import Platform
from govplatform.core.services import api_keys
from govplatform.notify.models import Notification
from govplatform.notify.services import settings as notify_settings
from tests.helpers import CLI
from tests.integration.notify.support import bearer, live_service, notify_key, template

ADDRESS = {"address_line_1": "A. Person", "address_line_2": "1 High Street", "address_line_3": "SW1A 1AA"}


class Service:
    def __init__(self, service_id: uuid.UUID, key: str, email: uuid.UUID, sms: uuid.UUID, letter: uuid.UUID) -> None:
        self.id, self.key, self.email, self.sms, self.letter = service_id, key, email, sms, letter


@pytest.fixture
async def service(platform: Platform) -> Service:
    service_id = await live_service(platform)
    key = await notify_key(platform, service_id)
    email = await template(platform, service_id, "email", "Hello ((name))", "Hi")
    sms = await template(platform, service_id, "sms", "((message))")
    letter = await template(platform, service_id, "letter", "Dear ((name))", "Letter")
    return Service(service_id, key, email, sms, letter)


async def stored(platform: Platform) -> tuple[int, int]:
    async with platform.uow(read_only=True) as uow:
        notifications = await uow.session.scalar(select(func.count()).select_from(Notification))
        jobs = await uow.session.scalar(select(func.count()).select_from(Job))
    return int(notifications or 0), int(jobs or 0)


async def refused(
    client: httpx.AsyncClient, platform: Platform, path: str, headers: dict[str, str], **request: Any
) -> httpx.Response:
    before = await stored(platform)
    answer = await client.post(path, headers=headers, **request)
    assert await stored(platform) == before, "nothing stored, nothing queued"
    return answer


def errors(answer: httpx.Response) -> list[tuple[str, str]]:
    body = answer.json()
    assert body["status_code"] == answer.status_code
    return [(error["error"], error["message"]) for error in body["errors"]]


CASES: list[tuple[str, str, Any, int, list[tuple[str, str]]]] = [
    ("invalid JSON", "email", b"{not json", 400, [("BadRequestError", "Invalid JSON supplied in POST data")]),
    ("a body that is not an object", "email", b"[1, 2]", 400, [("ValidationError", "[1, 2] is not of type object")]),
    ("a template id of the wrong type", "email", {"email_address": "a@example.com", "template_id": 7}, 400,
     [("ValidationError", "template_id is not a valid UUID")]),
    ("personalisation that is not an object", "email",
     {"email_address": "a@example.com", "template_id": "{email}", "personalisation": "Ada"}, 400,
     [("ValidationError", "personalisation Ada is not of type object")]),
    ("an unknown field", "email", {"email_address": "a@example.com", "template_id": "{email}", "colour": "red"}, 400,
     [("ValidationError", "Additional properties are not allowed (colour was unexpected)")]),
    ("no recipient", "sms", {"template_id": "{sms}"}, 400,
     [("ValidationError", "phone_number is a required property")]),
    ("an unknown template", "email", {"email_address": "a@example.com", "template_id": str(uuid.UUID(int=7))}, 400,
     [("BadRequestError", "Template not found")]),
    ("a template of the wrong type", "sms", {"phone_number": "07700900123", "template_id": "{email}"}, 400,
     [("BadRequestError", "email template is not suitable for sms notification")]),
    ("missing personalisation", "email", {"email_address": "a@example.com", "template_id": "{email}"}, 400,
     [("BadRequestError", "Missing personalisation: name")]),
    ("an over-long text message", "sms",
     {"phone_number": "07700900123", "template_id": "{sms}", "personalisation": {"message": "x" * 919}}, 400,
     [("BadRequestError", "Your message is too long. Text messages cannot be longer than 918 characters. "
                          "Your message is 919 characters long.")]),
    ("an empty text message", "sms",
     {"phone_number": "07700900123", "template_id": "{sms}", "personalisation": {"message": ""}}, 400,
     [("BadRequestError", "Your message is empty.")]),
    ("a bad email address", "email",
     {"email_address": "a@@example", "template_id": "{email}", "personalisation": {"name": "A"}}, 400,
     [("ValidationError", "email_address Not a valid email address")]),
    ("a bad phone number", "sms",
     {"phone_number": "07700 9001234567", "template_id": "{sms}", "personalisation": {"message": "x"}}, 400,
     [("ValidationError", "phone_number Too many digits")]),
    ("a bad postcode", "letter",
     {"template_id": "{letter}", "personalisation": {**ADDRESS, "address_line_3": "SW1A", "name": "A"}}, 400,
     [("ValidationError", "Must be a real UK postcode")]),
    ("a letter without its address", "letter", {"template_id": "{letter}", "personalisation": {"name": "A"}}, 400,
     [("ValidationError", "personalisation address_line_1 is a required property"),
      ("ValidationError", "personalisation address_line_2 is a required property")]),
]  # fmt: skip


@pytest.mark.parametrize(("why", "kind", "body", "status", "expected"), CASES, ids=[case[0] for case in CASES])
async def test_bad_input_gets_notifys_answer_and_nothing_is_stored(
    client: httpx.AsyncClient, platform: Platform, service: Service, why: str, kind: str, body: Any, status: int,
    expected: list[tuple[str, str]],
) -> None:  # fmt: skip
    if isinstance(body, dict):
        ids = {"{email}": str(service.email), "{sms}": str(service.sms), "{letter}": str(service.letter)}
        body = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
        request: dict[str, Any] = {"json": body}
    else:
        request = {"content": body, "headers": {"Content-Type": "application/json"}}
    headers = {**bearer(service.key), **request.pop("headers", {})}
    answer = await refused(client, platform, f"/v2/notifications/{kind}", headers, **request)
    assert (answer.status_code, errors(answer)) == (status, expected)


async def test_too_large_a_body_is_refused_in_notifys_envelope(
    client: httpx.AsyncClient, platform: Platform, service: Service
) -> None:
    big = {
        "email_address": "a@example.com",
        "template_id": str(service.email),
        "personalisation": {"name": "x" * 2_000_000},
    }
    answer = await refused(client, platform, "/v2/notifications/email", bearer(service.key), json=big)
    assert answer.status_code == 413 and answer.json()["status_code"] == 413


CLOCK = "Error: Your system clock must be accurate to within 30 seconds"


@pytest.mark.parametrize(("offset", "message"), [(-120, CLOCK), (120, CLOCK)])
async def test_an_expired_or_future_dated_token_is_refused(
    client: httpx.AsyncClient, platform: Platform, service: Service, offset: int, message: str
) -> None:
    token = jwt.encode({"iss": service.key[-73:-37], "iat": int(time.time()) + offset}, service.key[-36:], "HS256")
    body = {"email_address": "a@example.com", "template_id": str(service.email), "personalisation": {"name": "A"}}
    answer = await refused(client, platform, "/v2/notifications/email", {"Authorization": f"Bearer {token}"}, json=body)
    assert (answer.status_code, errors(answer)) == (403, [("AuthError", message)])


async def test_a_revoked_key_is_refused(client: httpx.AsyncClient, platform: Platform, service: Service) -> None:
    async with platform.uow() as uow:
        [key] = await api_keys.list_keys(uow, service.id, "notify")
        await api_keys.revoke_key(uow, CLI, service.id, key.id)
        await uow.commit()
    body = {"email_address": "a@example.com", "template_id": str(service.email), "personalisation": {"name": "A"}}
    answer = await refused(client, platform, "/v2/notifications/email", bearer(service.key), json=body)
    assert (answer.status_code, errors(answer)) == (403, [("AuthError", "Invalid token: API key revoked")])


async def test_a_team_key_sends_only_to_the_team_and_never_letters(
    client: httpx.AsyncClient, platform: Platform, service: Service
) -> None:
    team = await notify_key(platform, service.id, "team")
    body = {
        "email_address": "stranger@example.com",
        "template_id": str(service.email),
        "personalisation": {"name": "A"},
    }
    answer = await refused(client, platform, "/v2/notifications/email", bearer(team), json=body)
    assert errors(answer) == [("BadRequestError", "Can’t send to this recipient using a team-only API key")]
    letter = {"template_id": str(service.letter), "personalisation": {**ADDRESS, "name": "A"}}
    answer = await refused(client, platform, "/v2/notifications/letter", bearer(team), json=letter)
    assert (answer.status_code, errors(answer)) == (
        403,
        [("BadRequestError", "Cannot send letters with a team api key")],
    )


async def test_a_trial_mode_service_cannot_send_to_strangers(
    client: httpx.AsyncClient, platform: Platform, service: Service
) -> None:
    async with platform.uow() as uow:
        await notify_settings.change_limits(uow, CLI, service.id, "Bin collections", live=False)
        await uow.commit()
    body = {
        "email_address": "stranger@example.com",
        "template_id": str(service.email),
        "personalisation": {"name": "A"},
    }
    answer = await refused(client, platform, "/v2/notifications/email", bearer(service.key), json=body)
    assert answer.status_code == 400
    assert errors(answer)[0][1].startswith("Can’t send to this recipient when service is in trial mode")
