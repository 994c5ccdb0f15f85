"""The exchange's periodic work, run by every worker process as a background loop: forget old nonces.

A nonce need be kept only while a signature carrying it could still be accepted: 60 seconds after its `created`
time, plus the 5 seconds of clock skew allowed. Nonces are kept ten minutes, so a clock a little wrong on
either side never lets one through twice. Deleting by age is safe in several workers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable

import structlog
from sqlalchemy import delete

from govplatform.core.interfaces import UnitOfWork, utcnow
from govplatform.exchange.models import QueryNonce

log = structlog.get_logger("govplatform.exchange.schedule")
NONCES_KEPT = dt.timedelta(minutes=10)


async def forget_old_nonces(uow: UnitOfWork, now: dt.datetime) -> int:
    result = await uow.session.execute(delete(QueryNonce).where(QueryNonce.seen_at < now - NONCES_KEPT))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclasses.dataclass
class ExchangeSchedule:
    uow: Callable[..., UnitOfWork]
    interval_seconds: float = 60.0

    async def run_once(self, now: dt.datetime | None = None) -> None:
        async with self.uow() as uow:
            gone = await forget_old_nonces(uow, now or utcnow())
            await uow.commit()
        if gone:
            log.info("exchange.housekeeping", nonces_forgotten=gone)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as error:  # the loop must outlive a database outage
                log.warning("exchange.schedule_failed", error=type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_seconds)
