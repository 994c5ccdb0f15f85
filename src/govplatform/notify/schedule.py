"""Notify's periodic work, run by every worker process as a background loop.

Every interval: time out messages stuck in sending, purge expired messages,
read the print contractor's response files; once a day after the cut-off
(17:30 in London): the letter print run. Each step works in small
transactions and is safe to run in several workers at once (an update that
finds nothing does nothing); the print run is claimed once per day through a
`ScheduledRun` row, whose primary key lets only one worker start it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import structlog

from govplatform.core.interfaces import utcnow
from govplatform.notify.component import NotifyComponent
from govplatform.notify.services import housekeeping, letters

log = structlog.get_logger("govplatform.notify.schedule")


PRINT_RUN = "letters.print_run"


@dataclasses.dataclass
class Schedule:
    component: NotifyComponent
    letters_dir: Path
    interval_seconds: float = 600.0
    clock: Callable[[], dt.datetime] = utcnow

    @property
    def outbox(self) -> Path:
        return self.letters_dir / "outbox"

    @property
    def inbox(self) -> Path:
        return self.letters_dir / "inbox"

    async def print_letters(self) -> letters.PrintRunResult | None:
        """The day's print run, once the day's cut-off has passed; None if it has already run."""
        now = self.clock()
        cutoff = letters.print_cutoff(now)
        async with self.component.uow() as uow:
            if not await housekeeping.claim_run(uow, PRINT_RUN, cutoff.astimezone(letters.LONDON).date().isoformat()):
                return None
            today = now.astimezone(letters.LONDON).date()
            result = await letters.print_run(uow, self.component.box, self.outbox, today=today, cutoff=cutoff)
            await uow.commit()
        if result.letters or result.failed:
            log.info("notify.print_run", run=result.run_id, letters=result.letters, failed=result.failed)
        return result

    async def read_letter_responses(self) -> letters.ResponseResult:
        async with self.component.uow() as uow:
            result = await letters.read_responses(uow, self.inbox, box=self.component.box)
            await uow.commit()
        return result

    async def housekeeping(self) -> housekeeping.HousekeepingResult:
        result = housekeeping.HousekeepingResult()
        new_uow = self.component.uow
        while True:
            async with new_uow() as uow:
                timed_out = await housekeeping.time_out_sending(uow, self.component.box)
                await uow.commit()
            result.timed_out += timed_out
            if timed_out < housekeeping.BATCH:
                break
        while True:
            async with new_uow() as uow:
                purged = await housekeeping.purge_batch(uow)
                await uow.commit()
            result.purged += purged
            if purged == 0:
                break
        return result

    async def run_once(self) -> None:
        result = await self.housekeeping()
        if result.timed_out or result.purged:
            log.info("notify.housekeeping", timed_out=result.timed_out, purged=result.purged)
        await self.print_letters()
        await self.read_letter_responses()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as error:  # the loop must outlive a database outage
                log.warning("notify.schedule_failed", error=type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_seconds)
