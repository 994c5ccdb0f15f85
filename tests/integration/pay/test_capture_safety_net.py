"""The capture job is a safety net: the request that captures closes it; a capture that fails leaves it to run."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from govplatform.core.models import Job
from govplatform.core.platform import Platform
from govplatform.pay.processors.base import CaptureResult, ProcessorError
from govplatform.pay.processors.sandbox import SandboxProcessor
from govplatform.pay.services import operations, payments
from tests.integration.pay.support import bearer, pay_by_card, pay_key, pay_of, pay_service, payment_body, run_queued


class Unreachable(SandboxProcessor):
    """A processor that authorises but cannot be reached to capture, until it can."""

    def __init__(self) -> None:
        self.up = False
        self.captures = 0

    async def capture(self, processor_id: str, amount: int) -> CaptureResult:
        self.captures += 1
        if not self.up:
            raise ProcessorError("connection refused")
        return await super().capture(processor_id, amount)


async def _capture_jobs(platform: Platform, payment_id: str) -> list[Job]:
    async with platform.uow(read_only=True) as uow:
        jobs = (await uow.session.scalars(select(Job).where(Job.kind == operations.CAPTURE_TASK))).all()
    return [job for job in jobs if job.payload.get("payment_id") == payment_id]


async def _new_payment(platform: Platform, client: httpx.AsyncClient) -> str:
    key = await pay_key(platform, await pay_service(platform))
    created = await client.post("/v1/payments", json=payment_body(), headers=bearer(key))
    assert created.status_code == 201
    return str(created.json()["_links"]["next_url"]["href"])


async def test_a_payment_captured_by_its_confirm_leaves_no_capture_job_for_a_worker(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    paid = await pay_by_card(pay_of(platform), await _new_payment(platform, client))
    async with platform.uow(read_only=True) as uow:
        stored = await payments.get(uow, paid.id)
    assert stored is not None and stored.state == "SUCCESS" and stored.captured_at is not None
    (job,) = await _capture_jobs(platform, paid.id)
    assert job.status == "done", "closed in the unit of work that recorded the capture"


async def test_a_capture_that_fails_leaves_its_job_due_later_and_the_job_captures(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    pay = pay_of(platform)
    unreachable = Unreachable()
    original, pay.processors["sandbox"] = pay.processors["sandbox"], unreachable
    try:
        before = dt.datetime.now(dt.UTC)
        paid = await pay_by_card(pay, await _new_payment(platform, client))
        async with platform.uow(read_only=True) as uow:
            stored = await payments.get(uow, paid.id)
        assert stored is not None and stored.state == "SUCCESS" and stored.captured_at is None
        (job,) = await _capture_jobs(platform, paid.id)
        assert job.status == "queued"
        assert job.run_at >= before + operations.CAPTURE_SAFETY_NET - dt.timedelta(seconds=1)
        unreachable.up = True
        await run_queued(platform, operations.CAPTURE_TASK)
    finally:
        pay.processors["sandbox"] = original
    async with platform.uow(read_only=True) as uow:
        stored = await payments.get(uow, paid.id)
    assert stored is not None and stored.captured_at is not None
    assert unreachable.captures == 2
