"""A 3-D Secure step answered twice asks the processor once; leaving during it releases the authorisation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from govplatform.app import build_app
from govplatform.core.platform import Platform
from govplatform.pay.processors.base import AuthorisationResult
from govplatform.pay.processors.sandbox import SandboxProcessor
from govplatform.pay.services import journey
from tests.integration.pay.support import bearer, card, pay_key, pay_of, pay_service, payment_body


class Counting(SandboxProcessor):
    def __init__(self) -> None:
        self.completions = 0
        self.cancelled: list[str] = []

    async def complete_three_d_secure(self, processor_id: str, authenticated: bool) -> AuthorisationResult:
        self.completions += 1
        await asyncio.sleep(0.05)  # the issuer takes a moment: a second click arrives meanwhile
        return await super().complete_three_d_secure(processor_id, authenticated)

    async def cancel(self, processor_id: str) -> None:
        self.cancelled.append(processor_id)


async def _in_three_d_secure(platform: Platform, client: httpx.AsyncClient) -> str:
    key = await pay_key(platform, await pay_service(platform))
    created = (await client.post("/v1/payments", json=payment_body(), headers=bearer(key))).json()
    pay = pay_of(platform)
    opened = await journey.open_token(pay, created["_links"]["next_url"]["href"].rsplit("/", 1)[-1])
    assert opened is not None
    payment = await journey.submit_card(pay, opened.id, card("4000002500003155"))
    assert payment.stage == journey.THREE_D_SECURE
    return payment.id


@pytest.fixture
async def own_client(own_platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(own_platform.settings, own_platform))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_answering_the_3d_secure_step_twice_asks_the_processor_once(
    own_platform: Platform, own_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform, client = own_platform, own_client
    counting = Counting()
    monkeypatch.setitem(pay_of(platform).processors, "sandbox", counting)
    payment_id = await _in_three_d_secure(platform, client)
    pay = pay_of(platform)
    answers = await asyncio.gather(
        journey.complete_three_d_secure(pay, payment_id, True),
        journey.complete_three_d_secure(pay, payment_id, True),
        return_exceptions=True,
    )
    assert counting.completions == 1, answers
    assert sum(isinstance(answer, journey.JourneyRefused) for answer in answers) == 1
    assert counting.cancelled == []  # the authorisation the payment goes on with is kept
    settled = await journey.confirm(pay, payment_id)
    assert settled.state == "SUCCESS"


async def test_leaving_during_3d_secure_releases_the_authorisation(
    platform: Platform, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = Counting()
    monkeypatch.setitem(pay_of(platform).processors, "sandbox", counting)
    payment_id = await _in_three_d_secure(platform, client)
    cancelled = await journey.cancel_by_user(pay_of(platform), payment_id)
    assert cancelled.state == "FAILED_CANCELLED"
    assert counting.cancelled == [cancelled.processor_id] and cancelled.processor_id
