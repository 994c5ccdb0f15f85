"""Pay's periodic work, run by every worker process as a background loop.

Every interval: expire payments left unfinished past 90 minutes (120 hours
awaiting capture), forget Idempotency-Keys older than 24 hours and journey
tokens older than 7 days (connector's timers), and ask each processor for
disputes against recent captured payments; counts of what public pages
started in minutes that have passed are forgotten. Each step is safe in several
workers at once: a payment is expired under its row lock and its version,
and a dispute is keyed by the processor's id.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt

import structlog
from sqlalchemy import delete

from govplatform.core.interfaces import utcnow
from govplatform.pay.component import PayComponent
from govplatform.pay.models import JourneyToken
from govplatform.pay.services import disputes, idempotency, operations, public_limits

log = structlog.get_logger("govplatform.pay.schedule")
TOKENS_KEPT_FOR = dt.timedelta(days=7)


@dataclasses.dataclass
class PaySchedule:
    pay: PayComponent
    interval_seconds: float = 60.0

    async def run_once(self, now: dt.datetime | None = None) -> None:
        now = now or utcnow()
        expired = await operations.expire_due(self.pay, now)
        async with self.pay.uow() as uow:
            purged = await idempotency.purge(uow, now)
            await public_limits.purge(uow, now.timestamp())
            await uow.session.execute(delete(JourneyToken).where(JourneyToken.created_at <= now - TOKENS_KEPT_FOR))
            await uow.commit()
        raised = await disputes.poll(self.pay, now)
        if expired or purged or raised:
            log.info("pay.housekeeping", expired=expired, idempotency_keys_purged=purged, disputes=raised)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as error:  # the loop must outlive a database outage
                log.warning("pay.schedule_failed", error=type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_seconds)
