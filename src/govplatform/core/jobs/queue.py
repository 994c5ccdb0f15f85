"""Putting jobs on the queue, and the admin's view of the dead letters.

A job is a row in `jobs`, added to the caller's unit of work, so it exists
if and only if the change that caused it was committed (transactional
outbox). On PostgreSQL a trigger on the INSERT sends NOTIFY (migration 0005),
which PostgreSQL delivers only at commit, so a worker never wakes for a job it
cannot see; a job put back on the queue by an UPDATE sends its own.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import func, select, text, update

from govplatform.core.interfaces import Actor, JobBatch, JobContext
from govplatform.core.models import Job, utcnow
from govplatform.core.services import audit
from govplatform.core.unit_of_work import UnitOfWork

NOTIFY_CHANNEL = "govplatform_jobs"


TaskHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
BatchHandler = Callable[[JobBatch], Awaitable[None]]


class TaskRegistry:
    """Job kinds and their handlers; each component registers its tasks at start-up.

    A kind registered with `register_batch` is run up to `size` jobs at a time,
    in one unit of work: for work whose cost is mostly the database round trips
    around it (an email delivered to a relay), one read and one write for many
    jobs instead of several each. Its jobs are still one row each, queued,
    leased, retried and dead-lettered one by one.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, TaskHandler] = {}
        self._batches: dict[str, tuple[BatchHandler, int]] = {}

    def register(self, kind: str, handler: TaskHandler) -> None:
        if kind in self._handlers or kind in self._batches:
            raise ValueError(f"a handler for {kind} is already registered")
        self._handlers[kind] = handler

    def register_batch(self, kind: str, handler: BatchHandler, size: int) -> None:
        if kind in self._handlers or kind in self._batches:
            raise ValueError(f"a handler for {kind} is already registered")
        if size < 1:
            raise ValueError("a batch holds at least one job")
        self._batches[kind] = (handler, size)

    def get(self, kind: str) -> TaskHandler | None:
        return self._handlers.get(kind)

    def get_batch(self, kind: str) -> tuple[BatchHandler, int] | None:
        """The batch handler for `kind` and the most jobs it takes at once, if `kind` is run in batches."""
        return self._batches.get(kind)

    @property
    def kinds(self) -> list[str]:
        return sorted([*self._handlers, *self._batches])


async def enqueue(
    uow: UnitOfWork,
    kind: str,
    payload: dict[str, Any],
    max_attempts: int = 8,
    run_at: dt.datetime | None = None,
) -> Job:
    job = Job(id=uuid.uuid4(), kind=kind, payload=payload, max_attempts=max_attempts, run_at=run_at or utcnow())
    uow.session.add(job)
    return job


async def close_if_queued(uow: UnitOfWork, job_id: uuid.UUID) -> bool:
    """Mark a job that has not started done, in the caller's unit of work: the work it stood by for is done.

    A job a worker is already running is left to finish (its handler must find the work done).
    """
    result = await uow.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(status="done", finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def enqueue_many(uow: UnitOfWork, kind: str, payloads: list[dict[str, Any]], max_attempts: int = 8) -> int:
    """Many jobs of one kind in the caller's unit of work."""
    now = utcnow()
    uow.session.add_all(
        Job(id=uuid.uuid4(), kind=kind, payload=payload, max_attempts=max_attempts, run_at=now) for payload in payloads
    )
    return len(payloads)


def backoff(attempt: int, base: float, cap: float) -> dt.timedelta:
    """Exponential backoff with full jitter (AWS Architecture Blog, 'Exponential Backoff and Jitter')."""
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    return dt.timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not secrecy


async def dead_letters(uow: UnitOfWork, limit: int = 100) -> list[Job]:
    query = select(Job).where(Job.status == "dead").order_by(Job.finished_at.desc()).limit(limit)
    return list((await uow.session.scalars(query)).all())


async def counts_by_status(uow: UnitOfWork) -> dict[str, int]:
    rows = await uow.session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: int(count) for status, count in rows.all()}


async def retry_dead(uow: UnitOfWork, actor: Actor, job_id: uuid.UUID) -> Job | None:
    """Put a dead-lettered job back on the queue with a fresh set of attempts."""
    job = await uow.session.get(Job, job_id)
    if job is None or job.status != "dead":
        return None
    job.status = "queued"
    job.attempts = 0
    job.run_at = utcnow()
    job.finished_at = None
    audit.record(uow, actor, "job.retried", "job", job.id, kind=job.kind)
    if uow.session.get_bind().dialect.name == "postgresql":
        await uow.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    return job
