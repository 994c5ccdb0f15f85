"""Jobs are written with the change that caused them, run by the worker, retried, and dead-lettered."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select, update

from govplatform.core.interfaces import JobBatch, close_queued_job
from govplatform.core.jobs.queue import JobContext, TaskRegistry, counts_by_status, dead_letters, enqueue, retry_dead
from govplatform.core.jobs.worker import Worker
from govplatform.core.models import AuditEvent, Job, Organisation
from govplatform.core.platform import Platform
from tests.helpers import CLI

# The organisations the attempts wrote (a migrated database already holds the platform's own).
ATTEMPTS = select(Organisation.name).where(Organisation.name.like("Attempt %"))


def quick(platform: Platform, **overrides) -> Worker:
    settings = platform.settings.model_copy(
        update={"job_backoff_base_seconds": 0.001, "job_backoff_max_seconds": 0.001, **overrides}
    )
    return Worker(platform.sessions, platform.tasks, settings)


async def job(platform: Platform, job_id: uuid.UUID) -> Job:
    async with platform.uow() as uow:
        found = await uow.session.get(Job, job_id)
        assert found is not None
        return found


async def test_a_job_exists_only_if_its_cause_was_committed(platform: Platform) -> None:
    async with platform.uow() as uow:
        uow.session.add(Organisation(name="Rolled back council"))
        await enqueue(uow, "welcome", {"n": 1})
        # no commit: both vanish together
    async with platform.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Job)) == 0
        made = select(func.count()).select_from(Organisation).where(Organisation.name == "Rolled back council")
        assert await uow.session.scalar(made) == 0


async def test_the_worker_runs_a_job_and_its_effects_commit_with_it(platform: Platform) -> None:
    seen: list[dict] = []

    async def handler(ctx: JobContext, payload: dict) -> None:
        seen.append(payload)
        ctx.uow.session.add(Organisation(name=f"Made by job {payload['n']}"))

    platform.tasks.register("make-org", handler)
    async with platform.uow() as uow:
        queued = await enqueue(uow, "make-org", {"n": 7})
        await uow.commit()
    assert await quick(platform).run_until_idle() == 1
    assert seen == [{"n": 7}]
    done = await job(platform, queued.id)
    assert done.status == "done" and done.attempts == 1 and done.finished_at is not None
    async with platform.uow() as uow:
        assert await uow.session.scalar(select(Organisation.id).where(Organisation.name == "Made by job 7"))
    assert await quick(platform).run_until_idle() == 0, "a done job never runs again"


async def test_a_failing_job_is_retried_and_its_partial_effects_are_rolled_back(platform: Platform) -> None:
    calls = 0

    async def flaky(ctx: JobContext, payload: dict) -> None:
        nonlocal calls
        calls += 1
        ctx.uow.session.add(Organisation(name=f"Attempt {calls}"))
        await ctx.uow.session.flush()
        if calls < 3:
            raise RuntimeError("the gateway timed out")

    platform.tasks.register("flaky", flaky)
    async with platform.uow() as uow:
        queued = await enqueue(uow, "flaky", {})
        await uow.commit()
    worker = quick(platform)
    for _ in range(20):
        await worker.run_until_idle()
        if (await job(platform, queued.id)).status == "done":
            break
    finished = await job(platform, queued.id)
    assert finished.status == "done" and finished.attempts == 3
    async with platform.uow() as uow:
        names = set((await uow.session.scalars(ATTEMPTS)).all())
    assert names == {"Attempt 3"}, "failed attempts leave nothing behind"


async def test_a_retry_waits_for_its_backoff(platform: Platform) -> None:
    async def fails(ctx: JobContext, payload: dict) -> None:
        raise ValueError("no")

    platform.tasks.register("fails-slowly", fails)
    async with platform.uow() as uow:
        queued = await enqueue(uow, "fails-slowly", {})
        await uow.commit()
    worker = quick(platform, job_backoff_base_seconds=600, job_backoff_max_seconds=600)
    await worker.run_until_idle()
    retrying = await job(platform, queued.id)
    assert retrying.status == "queued" and retrying.attempts == 1
    assert retrying.run_at > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=250)
    assert retrying.last_error == "ValueError: no"
    assert await worker.run_until_idle() == 0


async def test_after_the_last_attempt_a_job_is_dead_lettered_and_can_be_retried_by_an_admin(
    platform: Platform,
) -> None:
    async def always_fails(ctx: JobContext, payload: dict) -> None:
        raise ConnectionError("refused")

    platform.tasks.register("doomed", always_fails)
    async with platform.uow() as uow:
        queued = await enqueue(uow, "doomed", {}, max_attempts=3)
        await uow.commit()
    worker = quick(platform)
    for _ in range(10):
        await worker.run_until_idle()
    dead = await job(platform, queued.id)
    assert dead.status == "dead" and dead.attempts == 3
    async with platform.uow() as uow:
        assert [j.id for j in await dead_letters(uow)] == [queued.id]
        assert (await counts_by_status(uow))["dead"] == 1
        assert await retry_dead(uow, CLI, queued.id) is not None
        await uow.commit()
    again = await job(platform, queued.id)
    assert again.status == "queued" and again.attempts == 0
    async with platform.uow() as uow:
        assert await uow.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "job.retried"))


async def test_a_job_of_an_unknown_kind_is_dead_lettered_at_once(platform: Platform) -> None:
    async with platform.uow() as uow:
        queued = await enqueue(uow, "nobody-handles-this", {})
        await uow.commit()
    await quick(platform).run_until_idle()
    dead = await job(platform, queued.id)
    assert dead.status == "dead" and "no handler" in (dead.last_error or "")


async def test_a_job_whose_worker_died_is_claimed_again_when_its_lease_lapses(platform: Platform) -> None:
    ran: list[str] = []

    async def handler(ctx: JobContext, payload: dict) -> None:
        ran.append(payload["x"])

    platform.tasks.register("orphaned", handler)
    async with platform.uow() as uow:
        queued = await enqueue(uow, "orphaned", {"x": "y"})
        await uow.commit()
        # As if a worker claimed it and was killed: running, with a lapsed lease.
        await uow.session.execute(
            update(Job)
            .where(Job.id == queued.id)
            .values(
                status="running",
                locked_by="dead-worker",
                attempts=1,
                locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
            )
        )
        await uow.commit()
    assert await quick(platform).run_until_idle() == 1
    assert ran == ["y"]
    finished = await job(platform, queued.id)
    assert finished.status == "done" and finished.attempts == 2


async def test_a_worker_that_lost_its_lease_cannot_complete_the_job(platform: Platform) -> None:
    async def handler(ctx: JobContext, payload: dict) -> None:
        ctx.uow.session.add(Organisation(name="Should not exist"))
        # Meanwhile another worker took the job over.
        async with platform.uow() as other:
            await other.session.execute(update(Job).where(Job.id == ctx.job_id).values(locked_by="someone-else"))
            await other.commit()

    platform.tasks.register("contested", handler)
    async with platform.uow() as uow:
        await enqueue(uow, "contested", {})
        await uow.commit()
    await quick(platform).run_until_idle()
    async with platform.uow() as uow:
        assert await uow.session.scalar(select(Organisation.id).where(Organisation.name == "Should not exist")) is None


def test_a_task_kind_cannot_be_registered_twice() -> None:
    registry = TaskRegistry()

    async def handler(ctx: JobContext, payload: dict) -> None:
        return None

    registry.register("a", handler)
    with pytest.raises(ValueError):
        registry.register("a", handler)


async def queue_many(platform: Platform, kind: str, count: int) -> list[uuid.UUID]:
    async with platform.uow() as uow:
        ids = [(await enqueue(uow, kind, {"n": n})).id for n in range(count)]
        await uow.commit()
    return ids


async def test_a_batch_kind_runs_many_jobs_in_one_transaction_and_marks_each_done(platform: Platform) -> None:
    batches: list[list[int]] = []

    async def handler(batch: JobBatch) -> None:
        batches.append([payload["n"] for payload in batch.payloads])
        for payload in batch.payloads:
            batch.uow.session.add(Organisation(name=f"Batch job {payload['n']}"))

    platform.tasks.register_batch("make-orgs", handler, size=4)
    ids = await queue_many(platform, "make-orgs", 10)
    assert await quick(platform, worker_concurrency=1).run_until_idle() == 10
    assert sorted(n for batch in batches for n in batch) == list(range(10)), "every job ran once"
    assert [len(batch) for batch in batches] == [4, 4, 2], "up to four at a time"
    for job_id in ids:
        done = await job(platform, job_id)
        assert done.status == "done" and done.attempts == 1 and done.locked_by is None
    async with platform.uow() as uow:
        made = select(func.count()).select_from(Organisation).where(Organisation.name.like("Batch job %"))
        assert await uow.session.scalar(made) == 10


async def test_a_failed_batch_rolls_back_and_retries_every_job_in_it(platform: Platform) -> None:
    calls = 0

    async def flaky(batch: JobBatch) -> None:
        nonlocal calls
        calls += 1
        for payload in batch.payloads:
            batch.uow.session.add(Organisation(name=f"Attempt {calls} of job {payload['n']}"))
        await batch.uow.session.flush()
        if calls == 1:
            raise RuntimeError("the relay went away")

    platform.tasks.register_batch("flaky-batch", flaky, size=10)
    ids = await queue_many(platform, "flaky-batch", 3)
    worker = quick(platform)
    await worker.run_until_idle()
    for _ in range(20):
        if [(await job(platform, job_id)).status for job_id in ids] == ["done"] * 3:
            break
        await worker.run_until_idle()
    for job_id in ids:
        finished = await job(platform, job_id)
        assert finished.status == "done" and finished.attempts == 2
    async with platform.uow() as uow:
        names = set((await uow.session.scalars(ATTEMPTS)).all())
    assert names == {f"Attempt 2 of job {n}" for n in range(3)}, "the failed attempt left nothing behind"


async def test_a_batch_with_a_job_whose_lease_was_lost_commits_nothing_and_gives_the_others_back(
    platform: Platform,
) -> None:
    attempts: list[list[int]] = []

    async def handler(batch: JobBatch) -> None:
        attempts.append([payload["n"] for payload in batch.payloads])
        batch.uow.session.add(Organisation(name=f"Attempt {len(attempts)}"))
        if len(attempts) == 1:  # another worker took one of the jobs over meanwhile
            async with platform.uow() as other:
                await other.session.execute(update(Job).where(Job.id == ids[1]).values(locked_by="someone-else"))
                await other.commit()

    platform.tasks.register_batch("contested-batch", handler, size=5)
    ids = await queue_many(platform, "contested-batch", 3)
    await quick(platform, worker_concurrency=1).run_until_idle()
    # (RETURNING gives no order on PostgreSQL, so each attempt's jobs are compared as a set)
    assert [sorted(ns) for ns in attempts] == [[0, 1, 2], [0, 2]], "those still held ran again at once, not the other"
    async with platform.uow() as uow:
        names = set((await uow.session.scalars(ATTEMPTS)).all())
    assert names == {"Attempt 2"}, "the attempt that lost a lease left nothing behind"
    finished = [await job(platform, job_id) for job_id in ids]
    assert [found.status for found in finished] == ["done", "running", "done"]
    assert finished[1].locked_by == "someone-else"
    assert [found.attempts for found in finished] == [1, 1, 1], "giving a job back does not spend an attempt"


def test_a_kind_is_either_run_alone_or_in_batches() -> None:
    registry = TaskRegistry()

    async def handler(ctx: JobContext, payload: dict) -> None:
        return None

    async def batch_handler(batch: JobBatch) -> None:
        return None

    registry.register("a", handler)
    with pytest.raises(ValueError):
        registry.register_batch("a", batch_handler, 5)
    registry.register_batch("b", batch_handler, 5)
    with pytest.raises(ValueError):
        registry.register("b", handler)
    with pytest.raises(ValueError):
        registry.register_batch("c", batch_handler, 0)
    assert registry.kinds == ["a", "b"]


async def test_closing_a_job_marks_it_done_only_while_no_worker_has_started_it(platform: Platform) -> None:
    async with platform.uow() as uow:
        waiting = await enqueue(uow, "test.standby", {}, run_at=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))
        started = await enqueue(uow, "test.standby", {})
        await uow.commit()
    async with platform.uow() as uow:
        await uow.session.execute(update(Job).where(Job.id == started.id).values(status="running"))
        await uow.commit()
    async with platform.uow() as uow:
        assert await close_queued_job(uow, waiting.id) is True
        assert await close_queued_job(uow, started.id) is False
        await uow.commit()
    async with platform.uow(read_only=True) as uow:
        assert (await uow.session.get(Job, waiting.id)).status == "done"  # type: ignore[union-attr]
        assert (await uow.session.get(Job, started.id)).status == "running"  # type: ignore[union-attr]
