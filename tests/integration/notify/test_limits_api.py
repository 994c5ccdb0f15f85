"""Rate and daily limits on POST /v2/notifications/{email,sms,letter}, with Notify's statuses and bodies.

Tokens are made with the official client's own `create_jwt_token`, from keys sliced as it slices them.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from notifications_python_client.authentication import create_jwt_token

from govplatform.app import build_app
from govplatform.core.jobs.queue import TaskRegistry
from govplatform.core.platform import Platform, admin_registry
from govplatform.core.services import api_keys
from govplatform.notify.keys import NotifyKeyFormat
from govplatform.notify.models import GuestListEntry, NotifySettings
from govplatform.notify.services import settings as notify_settings
from govplatform.notify.services import templates
from govplatform.notify.services.limits.database import DatabaseDailyCounts
from govplatform.notify.services.limits.redis_store import RedisLimitStore
from tests.helpers import CLI, service_with_org
from tests.integration.notify.limits_support import REDIS_URL, reachable_redis

SMOKE_EMAIL = "simulate-delivered@notifications.service.gov.uk"


def rate_limited(key_type: str, limit: int) -> dict[str, object]:
    message = f"Exceeded rate limit for key type {key_type} of {limit} requests per 60 seconds"
    return {"status_code": 429, "errors": [{"error": "RateLimitError", "message": message}]}


def over_daily_limit(channel: str, limit: int) -> dict[str, object]:
    message = f"Exceeded send limits ({channel}: {limit}) for today"
    return {"status_code": 429, "errors": [{"error": "TooManyRequestsError", "message": message}]}


@dataclasses.dataclass
class Service:
    platform: Platform
    client: httpx.AsyncClient
    id: uuid.UUID
    email_template: uuid.UUID
    sms_template: uuid.UUID
    keys: dict[str, str] = dataclasses.field(default_factory=dict)

    async def key(self, key_type: str) -> str:
        if key_type not in self.keys:
            async with self.platform.uow() as uow:
                key_format = NotifyKeyFormat(self.platform.cipher)
                _, shown = await api_keys.create_key(uow, CLI, key_format, self.id, f"{key_type} key", key_type)
                await uow.commit()
            self.keys[key_type] = shown
        return self.keys[key_type]

    async def limits(self, **changes: object) -> None:
        async with self.platform.uow() as uow:
            await notify_settings.change_limits(uow, CLI, self.id, "Bins", **changes)  # type: ignore[arg-type]
            await uow.commit()

    async def send(self, key_type: str, to: str = "someone@example.com", **body: object) -> httpx.Response:
        shown = await self.key(key_type)
        token = create_jwt_token(shown[-36:], shown[-73:-37])  # service id and secret, as the client slices
        kind = "sms" if not to or to[0] in "+0" else "email"
        payload: dict[str, object] = {"template_id": str(self.sms_template if kind == "sms" else self.email_template)}
        payload["phone_number" if kind == "sms" else "email_address"] = to
        return await self.client.post(
            f"/v2/notifications/{kind}", json=payload | body, headers={"Authorization": f"Bearer {token}"}
        )


async def new_service(platform: Platform, client: httpx.AsyncClient, live: bool = True) -> Service:
    service_id = await service_with_org(platform, f"Council {uuid.uuid4().hex[:8]}", "Bins")
    async with platform.uow() as uow:
        email = await templates.create_template(uow, CLI, service_id, "email", "Bins", "Bins go out Tuesday.", "Bins")
        sms = await templates.create_template(uow, CLI, service_id, "sms", "Bins", "Bins go out Tuesday.")
        await uow.commit()
    service = Service(platform, client, service_id, email.id, sms.id)
    if live:
        await service.limits(live=True)
    return service


@pytest.fixture
async def service(platform: Platform, client: httpx.AsyncClient) -> Service:
    return await new_service(platform, client)


async def test_a_service_over_its_rate_limit_gets_notifys_429_with_its_key_type_and_limit(service: Service) -> None:
    await service.limits(rate_limit=3)  # a bucket of ceil(3/3) + 1 = 2, refilling one every 20 seconds
    # Smoke-test recipients are never stored, but they take a token like any request (as in Notify).
    assert [(await service.send("normal", SMOKE_EMAIL)).status_code for _ in range(2)] == [201, 201]
    refused = await service.send("normal", SMOKE_EMAIL)
    assert refused.status_code == 429
    assert refused.json() == rate_limited("LIVE", 3)


async def test_each_key_type_has_a_bucket_of_its_own(service: Service) -> None:
    await service.limits(rate_limit=3)
    async with service.platform.uow() as uow:  # team keys send only to the team and the guest list
        uow.session.add(GuestListEntry(service_id=service.id, recipient_type="email", recipient="guest@example.com"))
        await uow.commit()
    for key_type, name in (("normal", "LIVE"), ("team", "TEAM"), ("test", "TEST")):
        to = "guest@example.com"
        assert [(await service.send(key_type, to)).status_code for _ in range(2)] == [201, 201]
        assert (await service.send(key_type, to)).json() == rate_limited(name, 3)


async def test_the_rate_limit_comes_after_authentication_and_validation_and_before_the_template(
    service: Service,
) -> None:
    await service.limits(rate_limit=3)
    for _ in range(2):
        await service.send("normal", SMOKE_EMAIL)
    invalid = await service.send("normal", "not-an-email")
    assert invalid.status_code == 400 and invalid.json()["errors"][0]["error"] == "ValidationError"
    unknown = await service.send("normal", template_id=str(uuid.uuid4()))
    assert unknown.status_code == 429 and unknown.json() == rate_limited("LIVE", 3)
    unauthorised = await service.client.post("/v2/notifications/email", json={})
    assert unauthorised.status_code == 401


async def test_a_changed_rate_limit_applies_to_the_next_request(service: Service) -> None:
    assert (await service.send("normal")).status_code == 201
    await service.limits(rate_limit=3)
    assert [(await service.send("normal")).status_code for _ in range(3)] == [201, 201, 429]


async def test_a_service_over_a_daily_limit_gets_notifys_429_with_the_channel_and_its_limit(service: Service) -> None:
    await service.limits(daily_limits={"email": 2})
    assert [(await service.send("normal")).status_code for _ in range(2)] == [201, 201]
    refused = await service.send("normal")
    assert refused.status_code == 429
    assert refused.json() == over_daily_limit("email", 2)
    assert (await service.send("normal", "07700 900123")).status_code == 201  # texts have their own limit


async def test_a_test_keys_messages_do_not_count_towards_the_daily_limit(service: Service) -> None:
    await service.limits(daily_limits={"email": 2})
    assert [(await service.send("test")).status_code for _ in range(3)] == [201, 201, 201]
    assert [(await service.send("normal")).status_code for _ in range(3)] == [201, 201, 429]
    # Once live messages reach the limit a test key is refused too: it is held to the limit, never counted.
    assert (await service.send("test")).json() == over_daily_limit("email", 2)


async def test_smoke_test_recipients_do_not_count_towards_the_daily_limit(service: Service) -> None:
    await service.limits(daily_limits={"email": 1})
    assert [(await service.send("normal", SMOKE_EMAIL)).status_code for _ in range(3)] == [201, 201, 201]
    assert [(await service.send("normal")).status_code for _ in range(2)] == [201, 429]


async def test_a_changed_daily_limit_applies_to_the_next_request(service: Service) -> None:
    assert [(await service.send("normal")).status_code for _ in range(2)] == [201, 201]
    await service.limits(daily_limits={"email": 2})
    assert (await service.send("normal")).json() == over_daily_limit("email", 2)
    await service.limits(daily_limits={"email": 3})
    assert (await service.send("normal")).status_code == 201


async def test_a_trial_service_may_send_50_emails_and_texts_a_day_in_all(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service = await new_service(platform, client, live=False)
    counts = DatabaseDailyCounts()
    async with platform.uow() as uow:
        uow.session.add(GuestListEntry(service_id=service.id, recipient_type="email", recipient="guest@example.com"))
        uow.session.add(GuestListEntry(service_id=service.id, recipient_type="mobile", recipient="447700900123"))
        for channel, sent in (("email", 30), ("sms", 19)):
            for _ in range(sent):
                await counts.add(uow, service.id, [channel])
        await uow.commit()
    assert (await service.send("normal", "07700900123")).status_code == 201  # the 50th
    assert (await service.send("normal", "guest@example.com")).json() == over_daily_limit("email", 50)
    assert (await service.send("team", "07700900123")).json() == over_daily_limit("sms", 50)
    assert (await service.send("test", "guest@example.com")).status_code == 201  # test keys: the live limits


async def test_texts_abroad_have_a_daily_limit_of_their_own(service: Service) -> None:
    await service.limits(daily_limits={"international_sms": 1})
    async with service.platform.uow() as uow:
        row = await uow.session.get(NotifySettings, service.id)
        assert row is not None
        row.international_sms = True
        await uow.commit()
    assert (await service.send("normal", "+33 6 12 34 56 78")).status_code == 201
    assert (await service.send("normal", "+33 6 12 34 56 78")).json() == over_daily_limit("international_sms", 1)
    assert (await service.send("normal", "07700 900123")).status_code == 201


async def test_letters_are_rate_limited_and_have_a_daily_limit_too(service: Service) -> None:
    await service.limits(rate_limit=6, daily_limits={"letter": 1})  # a bucket of 3
    async with service.platform.uow() as uow:
        letter = await templates.create_template(uow, CLI, service.id, "letter", "Bins", "Bins go out.", "Bins")
        await uow.commit()
    shown = await service.key("normal")
    headers = {"Authorization": f"Bearer {create_jwt_token(shown[-36:], shown[-73:-37])}"}
    address = {"address_line_1": "A. Person", "address_line_2": "1 High Street", "address_line_3": "SW1A 1AA"}
    body = {"template_id": str(letter.id), "personalisation": address}
    sent = [await service.client.post("/v2/notifications/letter", json=body, headers=headers) for _ in range(4)]
    assert [response.status_code for response in sent] == [201, 429, 429, 429]
    assert [response.json() for response in sent[1:]] == [over_daily_limit("letter", 1)] * 2 + [rate_limited("LIVE", 6)]


@pytest.fixture
async def redis_app(platform: Platform) -> AsyncIterator[tuple[httpx.AsyncClient, RedisLimitStore]]:
    """The app as the composition root builds it when GOVPLATFORM_REDIS_URL is set."""
    async for _ in reachable_redis():  # skips when there is no Redis
        settings = platform.settings.model_copy(update={"redis_url": REDIS_URL})
        with_redis = dataclasses.replace(
            platform, settings=settings, tasks=TaskRegistry(), key_formats={**platform.key_formats},
            background_loops=[], components={}, admin=admin_registry(),
        )  # fmt: skip
        app = build_app(settings, with_redis)
        store = app.state.notify.limits.buckets
        assert isinstance(store, RedisLimitStore)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield http, store
        finally:
            await store.aclose()


async def test_with_redis_configured_the_same_limits_give_the_same_answers(
    platform: Platform, redis_app: tuple[httpx.AsyncClient, RedisLimitStore]
) -> None:
    http, store = redis_app
    service = await new_service(platform, http)
    await service.limits(rate_limit=6, daily_limits={"email": 1})  # a bucket of 3
    try:
        assert (await service.send("normal")).status_code == 201
        # Refused by the daily limit, each request has still taken a token: the rate limit comes first.
        for _ in range(2):
            assert (await service.send("normal")).json() == over_daily_limit("email", 1)
        assert (await service.send("normal")).json() == rate_limited("LIVE", 6)
    finally:
        keys = [key async for key in store.client.scan_iter(match=f"govplatform:notify:{service.id}:*")]
        await store.client.delete(*keys)
    assert len(keys) == 2  # the live key's bucket and today's email count
