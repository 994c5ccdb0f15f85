"""Set-up shared by pay's integration tests: a service, its keys, cards, and running pay's jobs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from govplatform.app import register_components
from govplatform.core.interfaces import JobContext
from govplatform.core.models import Job
from govplatform.core.platform import Platform
from govplatform.core.services import api_keys
from govplatform.pay.cards import CardDetails, validate_card_number, validate_cvc, validate_expiry
from govplatform.pay.component import PayComponent
from govplatform.pay.models import Payment
from govplatform.pay.requests import BillingAddress
from govplatform.pay.services import journey
from govplatform.pay.services.journey import CardEntry
from govplatform.pay.tasks import PayTasks
from tests.helpers import CLI, service_with_org


async def pay_service(platform: Platform, name: str = "Parking permits") -> uuid.UUID:
    register_components(platform)
    return await service_with_org(platform, f"Council {uuid.uuid4().hex[:8]}", name)


async def pay_key(platform: Platform, service_id: uuid.UUID, mode: str = "test") -> str:
    register_components(platform)
    async with platform.uow() as uow:
        _, shown = await api_keys.create_key(uow, CLI, platform.key_formats["pay"], service_id, f"{mode} key", mode)
        await uow.commit()
    return shown


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def pay_of(platform: Platform) -> PayComponent:
    register_components(platform)
    component = platform.components["pay"]
    assert isinstance(component, PayComponent)
    return component


def payment_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount": 2500,
        "reference": "PERMIT-1234",
        "description": "Resident parking permit",
        "return_url": "https://parking.example.gov.uk/return/abc",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def card(number: str = "4242424242424242", name: str = "Ada Lovelace", cvc: str = "123") -> CardEntry:
    now = dt.datetime.now(dt.UTC)
    checked = validate_card_number(number)
    return CardEntry(
        card=CardDetails(
            number=checked,
            cvc=validate_cvc(cvc if checked.brand.value != "american-express" else "1234", checked.brand),
            expiry=validate_expiry("12", str(now.year + 2), now),
            cardholder_name=name,
        ),
        billing_address=BillingAddress("10 Downing Street", None, "London", "SW1A 2AA", "GB"),
        email="ada@example.org",
    )


async def pay_by_card(pay: PayComponent, next_url: str, number: str = "4242424242424242") -> Payment:
    """What a paying user does: open the next_url, enter the card, confirm if it was authorised."""
    opened = await journey.open_token(pay, next_url.rsplit("/", 1)[-1])
    assert opened is not None, "the next_url token was not accepted"
    payment = await journey.submit_card(pay, opened.id, card(number))
    if payment.state == "SUBMITTED":
        payment = await journey.confirm(pay, payment.id)
    return payment


async def queued(platform: Platform, kind: str) -> list[dict[str, Any]]:
    async with platform.uow(read_only=True) as uow:
        jobs = (await uow.session.scalars(select(Job).where(Job.kind == kind, Job.status == "queued"))).all()
        return [dict(job.payload) for job in jobs]


async def run_queued(platform: Platform, kind: str) -> int:
    """Run every queued job of this kind through pay's handler once, and mark it done."""
    handlers: dict[str, Any] = {}
    PayTasks(pay_of(platform)).register(lambda name, handler: handlers.__setitem__(name, handler))
    async with platform.uow(read_only=True) as uow:
        jobs = (await uow.session.scalars(select(Job).where(Job.kind == kind, Job.status == "queued"))).all()
    for job in jobs:
        async with platform.uow() as uow:
            await handlers[kind](JobContext(uow, job.id, 1), dict(job.payload))
            row = await uow.session.get(Job, job.id)
            assert row is not None
            row.status = "done"
            await uow.commit()
    return len(jobs)
