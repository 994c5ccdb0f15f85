"""The worker: claims due jobs, runs their handlers, retries with backoff, dead-letters.

Crash safety comes from two rules. First, a job's handler runs in one
transaction that also marks the job done, so a job whose effects were
committed is done, and a job that was not marked done left no effects.
Second, a claimed job carries a lease (`locked_until`) that the worker renews
while it runs; if the worker dies (even by SIGKILL) the lease lapses and any
worker claims the job again. Marking done checks `locked_by`, so a worker that
lost its lease cannot complete a job that another worker has taken over.

On PostgreSQL many workers claim with FOR UPDATE SKIP LOCKED and wake on
LISTEN/NOTIFY; on SQLite one worker runs (the CLI holds a file lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import IO, Any

import structlog
from prometheus_client import Counter
from sqlalchemy import Table, or_, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from govplatform.core.interfaces import JobBatch, JobContext
from govplatform.core.jobs.queue import NOTIFY_CHANNEL, BatchHandler, TaskRegistry, backoff
from govplatform.core.models import Job, utcnow
from govplatform.core.settings import Settings
from govplatform.core.unit_of_work import UnitOfWork

log = structlog.get_logger("govplatform.worker")

JOBS_FINISHED = Counter("govplatform_jobs_finished_total", "Jobs finished, by kind and outcome", ["kind", "outcome"])

_UNAVAILABLE = (OperationalError, DBAPIError, OSError)

# Statements on the table, not the mapped class: the ORM's bulk UPDATE machinery costs more CPU than the
# database takes to run them, and the worker runs several for every batch.
_JOBS: Table = Job.__table__  # type: ignore[assignment]  # declarative models' tables are Tables


class Worker:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        registry: TaskRegistry,
        settings: Settings,
        worker_id: str | None = None,
        background_loops: list[Callable[[asyncio.Event], Awaitable[None]]] | None = None,
    ) -> None:
        self._background_loops = background_loops or []
        self._sessions = session_factory
        self._registry = registry
        self._settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._running: set[asyncio.Task[int]] = set()
        self._lease = dt.timedelta(seconds=settings.job_lease_seconds)

    @property
    def _postgres(self) -> bool:
        return not self._settings.is_sqlite

    async def run(self, stop: asyncio.Event, grace_seconds: float = 30.0) -> None:
        """Run until `stop` is set, then finish in-flight jobs (or hand them back) and return."""
        listener = asyncio.create_task(self._listen(stop)) if self._postgres else None
        loops: list[asyncio.Future[None]] = [asyncio.ensure_future(loop(stop)) for loop in self._background_loops]
        log.info("worker.started", worker_id=self.worker_id, concurrency=self._settings.worker_concurrency)
        failures = 0
        try:
            while not stop.is_set():
                free = self._settings.worker_concurrency - len(self._running)
                claimed: list[dict[str, Any]] = []
                if free > 0:
                    try:
                        claimed = await self._claim(free)
                        failures = 0
                    except _UNAVAILABLE as error:
                        failures += 1
                        log.warning("worker.database_unavailable", error=type(error).__name__, failures=failures)
                        await self._sleep(stop, min(30.0, 0.5 * 2 ** min(failures, 6)))
                        continue
                for run in self._runs(claimed):
                    task = asyncio.create_task(run)
                    self._running.add(task)
                    task.add_done_callback(self._finished)
                if len(claimed) < free or free == 0:
                    await self._sleep(stop, self._settings.job_poll_seconds)
        finally:
            await self._shutdown(grace_seconds)
            await asyncio.gather(*loops, return_exceptions=True)
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            log.info("worker.stopped", worker_id=self.worker_id)

    async def run_until_idle(self) -> int:
        """Run every job that is due now, one batch after another; returns how many ran."""
        ran = 0
        while claimed := await self._claim(self._settings.worker_concurrency):
            ran += sum(await asyncio.gather(*self._runs(claimed)))
        return ran

    def _runs(self, claimed: list[dict[str, Any]]) -> list[Coroutine[Any, Any, int]]:
        """What to run for the claimed jobs: each alone, or those of a batch kind together, `size` at a time."""
        runs: list[Coroutine[Any, Any, int]] = []
        groups: dict[str, tuple[BatchHandler, int, list[dict[str, Any]]]] = {}
        for job in claimed:
            batch = self._registry.get_batch(job["kind"])
            if batch is None or job["attempts"] > job["max_attempts"]:
                runs.append(self._execute(job))
                continue
            handler, size, group = groups.setdefault(job["kind"], (*batch, []))
            group.append(job)
            if len(group) == size:
                runs.append(self._execute_batch(list(group), handler, size))
                group.clear()
        runs += [self._execute_batch(group, handler, size) for handler, size, group in groups.values() if group]
        return runs

    def _finished(self, task: asyncio.Task[int]) -> None:
        self._running.discard(task)
        self._wake.set()

    async def _sleep(self, stop: asyncio.Event, seconds: float) -> None:
        self._wake.clear()
        waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _claim(self, limit: int, kind: str | None = None) -> list[dict[str, Any]]:
        """Lease up to `limit` due jobs (of one `kind` when given), oldest first."""
        now = utcnow()
        due = or_(
            (_JOBS.c.status == "queued") & (_JOBS.c.run_at <= now),
            # A running job whose lease lapsed belonged to a worker that died. Never this worker's own:
            # it is still running here, its heartbeat only delayed (SQLite's write lock can hold it up).
            (_JOBS.c.status == "running")
            & (_JOBS.c.locked_until < now)
            & or_(_JOBS.c.locked_by.is_(None), _JOBS.c.locked_by != self.worker_id),
        )
        candidates = select(_JOBS.c.id).where(due).order_by(_JOBS.c.run_at).limit(limit)
        if kind is not None:
            candidates = candidates.where(_JOBS.c.kind == kind)
        if self._postgres:
            candidates = candidates.with_for_update(skip_locked=True)
        statement = (
            update(_JOBS)
            .where(_JOBS.c.id.in_(candidates.scalar_subquery()))
            .values(
                status="running",
                locked_by=self.worker_id,
                locked_until=now + self._lease,
                attempts=_JOBS.c.attempts + 1,
            )
            .returning(_JOBS.c.id, _JOBS.c.kind, _JOBS.c.payload, _JOBS.c.attempts, _JOBS.c.max_attempts)
        )
        async with UnitOfWork(self._sessions) as uow:
            rows = (await uow.session.execute(statement)).mappings().all()
            await uow.commit()
        return [dict(row) for row in rows]

    async def _execute(self, job: dict[str, Any]) -> int:
        """Run `job` (with more of its kind if it is run in batches); how many jobs ran."""
        job_id, kind, attempt = job["id"], job["kind"], job["attempts"]
        bound = log.bind(job_id=str(job_id), kind=kind, attempt=attempt)
        handler = self._registry.get(kind)
        if attempt > job["max_attempts"]:
            await self._fail([job], "the job was interrupted on every attempt", dead=True)
            return 1
        if handler is None:
            await self._fail([job], f"no handler is registered for {kind}", dead=True)
            return 1
        finished = asyncio.Event()
        heartbeat = asyncio.create_task(self._heartbeat([job_id], finished))
        started = time.monotonic()
        try:
            async with UnitOfWork(self._sessions) as uow:
                await handler(JobContext(uow, job_id, attempt, job["max_attempts"]), dict(job["payload"]))
                marked = await uow.session.execute(
                    update(_JOBS)
                    .where(_JOBS.c.id == job_id, _JOBS.c.locked_by == self.worker_id, _JOBS.c.status == "running")
                    .values(status="done", finished_at=utcnow(), locked_by=None, locked_until=None)
                )
                if marked.rowcount != 1:  # type: ignore[attr-defined]
                    bound.warning("job.lease_lost")
                    return 1
                await uow.commit()
            JOBS_FINISHED.labels(kind, "done").inc()
            bound.info("job.done", seconds=round(time.monotonic() - started, 3))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # Only the exception's type reaches the log: messages may quote personal data.
            bound.warning("job.failed", error=type(error).__name__)
            await self._fail([job], f"{type(error).__name__}: {error}"[:2000], dead=attempt >= job["max_attempts"])
        finally:
            # Stopped, never cancelled: a heartbeat cancelled while its UPDATE waits on the database
            # leaves SQLAlchemy closing that connection in a task of its own, and if that task is
            # cancelled too (asyncio.run does so at exit) aiosqlite never answers and the process
            # never exits. Waiting costs at most the one renewal already under way.
            finished.set()
            await heartbeat
        return 1

    async def _execute_batch(self, claimed: list[dict[str, Any]], handler: BatchHandler, size: int) -> int:
        """`claimed` jobs of one kind, topped up to `size` with more that are due, in one handler call and one commit.

        The jobs are marked done in the handler's transaction, as a single job is,
        so a crash leaves every job of the batch to run again and none half done.
        """
        kind = claimed[0]["kind"]
        jobs = list(claimed)
        spent: list[dict[str, Any]] = []  # topped-up jobs already interrupted on every attempt
        if len(jobs) < size:
            with contextlib.suppress(*_UNAVAILABLE):  # those claimed run on their own if no more can be
                for job in await self._claim(size - len(jobs), kind):
                    (spent if job["attempts"] > job["max_attempts"] else jobs).append(job)
        if spent:
            await self._fail(spent, "the job was interrupted on every attempt", dead=True)
        ids = [job["id"] for job in jobs]
        finished = asyncio.Event()
        heartbeat = asyncio.create_task(self._heartbeat(ids, finished))
        started = time.monotonic()
        try:
            async with UnitOfWork(self._sessions) as uow:
                await handler(JobBatch(uow, [dict(job["payload"]) for job in jobs]))
                marked = await uow.session.execute(
                    update(_JOBS)
                    .where(_JOBS.c.id.in_(ids), _JOBS.c.locked_by == self.worker_id, _JOBS.c.status == "running")
                    .values(status="done", finished_at=utcnow(), locked_by=None, locked_until=None)
                )
                lost = marked.rowcount != len(ids)  # type: ignore[attr-defined]
                if not lost:
                    await uow.commit()
            if lost:
                # Another worker took some of them over: this attempt is rolled back, and the jobs this
                # worker still holds go back on the queue at once (its own lapsed leases it never reclaims).
                log.warning("job.lease_lost", kind=kind, jobs=len(ids))
                await self._hand_back(ids)
                return len(jobs)
            JOBS_FINISHED.labels(kind, "done").inc(len(ids))
            log.info("job.batch_done", kind=kind, jobs=len(ids), seconds=round(time.monotonic() - started, 3))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            # Only the exception's type reaches the log: messages may quote personal data.
            log.warning("job.batch_failed", kind=kind, jobs=len(ids), error=type(error).__name__)
            reason = f"{type(error).__name__}: {error}"[:2000]
            await self._fail([job for job in jobs if job["attempts"] >= job["max_attempts"]], reason, dead=True)
            await self._fail([job for job in jobs if job["attempts"] < job["max_attempts"]], reason, dead=False)
        finally:
            finished.set()
            await heartbeat
        return len(jobs) + len(spent)

    async def _fail(self, jobs: list[dict[str, Any]], reason: str, dead: bool) -> None:
        """Dead-letter `jobs`, or queue them again after their backoff, in one transaction."""
        if not jobs:
            return
        async with UnitOfWork(self._sessions) as uow:
            for job in jobs:
                values: dict[str, Any] = {"last_error": reason, "locked_by": None, "locked_until": None}
                if dead:
                    values.update(status="dead", finished_at=utcnow())
                else:
                    delay = backoff(
                        job["attempts"], self._settings.job_backoff_base_seconds, self._settings.job_backoff_max_seconds
                    )
                    values.update(status="queued", run_at=utcnow() + delay)
                await uow.session.execute(
                    update(_JOBS).where(_JOBS.c.id == job["id"], _JOBS.c.locked_by == self.worker_id).values(**values)
                )
            await uow.commit()
        for job in jobs:
            JOBS_FINISHED.labels(job["kind"], "dead" if dead else "retry").inc()
            if dead:
                log.error("job.dead_lettered", job_id=str(job["id"]), kind=job["kind"], attempts=job["attempts"])

    async def _hand_back(self, job_ids: list[uuid.UUID] | None = None) -> None:
        """Queue again, without spending an attempt, the running jobs this worker holds (those of `job_ids`)."""
        held = (_JOBS.c.locked_by == self.worker_id) & (_JOBS.c.status == "running")
        if job_ids is not None:
            held &= _JOBS.c.id.in_(job_ids)
        async with UnitOfWork(self._sessions) as uow:
            await uow.session.execute(
                update(_JOBS)
                .where(held)
                .values(status="queued", locked_by=None, locked_until=None, attempts=_JOBS.c.attempts - 1)
            )
            await uow.commit()

    async def _heartbeat(self, job_ids: list[uuid.UUID], finished: asyncio.Event) -> None:
        interval = self._settings.job_lease_seconds / 3
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(finished.wait(), timeout=interval)
            if finished.is_set():
                return
            with contextlib.suppress(*_UNAVAILABLE):
                async with UnitOfWork(self._sessions) as uow:
                    await uow.session.execute(
                        update(_JOBS)
                        .where(_JOBS.c.id.in_(job_ids), _JOBS.c.locked_by == self.worker_id)
                        .values(locked_until=utcnow() + self._lease)
                    )
                    await uow.commit()

    async def _shutdown(self, grace_seconds: float) -> None:
        """Let running jobs finish; hand back any that outlast the grace period."""
        if self._running:
            log.info("worker.draining", jobs=len(self._running))
            _, pending = await asyncio.wait(set(self._running), timeout=grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        with contextlib.suppress(*_UNAVAILABLE):
            await self._hand_back()

    async def _listen(self, stop: asyncio.Event) -> None:
        """LISTEN for new jobs on PostgreSQL; polling covers the gaps while reconnecting."""
        import asyncpg

        dsn = "postgresql://" + self._settings.resolved_database_url.split("://", 1)[1]
        while not stop.is_set():
            connection = None
            try:
                connection = await asyncpg.connect(dsn)
                await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
                while not stop.is_set() and not connection.is_closed():
                    # Wake each second to notice a dropped connection (asyncpg has no close event).
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=1)
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(2)
            finally:
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close()


def sqlite_worker_lock(settings: Settings) -> IO[str] | None:
    """On SQLite one worker runs: a file lock under var/ says which. None if another holds it."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    handle = Path(settings.var_dir / "worker.lock").open("w")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
