"""The worker as a separate process: killed mid-batch it loses nothing and repeats nothing."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from govplatform.core.jobs.queue import enqueue
from govplatform.core.models import AuditEvent, Job
from govplatform.core.platform import build_platform
from tests.conftest import ROOT, is_postgres, make_settings

pytestmark = pytest.mark.process


def start_worker(database_url: str, var_dir: Path, poll_seconds: str = "0.2") -> subprocess.Popen:
    env = {
        **os.environ,
        "GOVPLATFORM_DATABASE_URL": database_url,
        "GOVPLATFORM_VAR_DIR": str(var_dir),
        "GOVPLATFORM_ENVIRONMENT": "test",
        "GOVPLATFORM_JOB_LEASE_SECONDS": "2",
        "GOVPLATFORM_JOB_POLL_SECONDS": poll_seconds,
        "GOVPLATFORM_WORKER_CONCURRENCY": "4",
        "GOVPLATFORM_LOG_LEVEL": "warning",
    }
    return subprocess.Popen([sys.executable, "-m", "tests.integration.slow_worker"], cwd=ROOT, env=env)


async def snapshot(platform) -> dict:
    async with platform.uow() as uow:
        jobs = (await uow.session.scalars(select(Job))).all()
        return {j.payload["n"]: (j.status, j.attempts, j.finished_at) for j in jobs}


async def wait_for(predicate, platform, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        state = await snapshot(platform)
        if predicate(state) or time.monotonic() > deadline:
            return state
        await asyncio.sleep(0.1)


async def test_a_worker_killed_mid_batch_loses_no_job_and_never_reruns_a_finished_one(
    fresh_database: str, var_dir: Path
) -> None:
    settings = make_settings(var_dir, fresh_database)
    platform = build_platform(settings)
    total = 40
    async with platform.uow() as uow:
        for n in range(total):
            await enqueue(uow, "test.slow", {"n": n, "seconds": 0.15})
        await uow.commit()

    worker = start_worker(fresh_database, var_dir)
    try:
        before = await wait_for(lambda s: sum(v[0] == "done" for v in s.values()) >= 8, platform, 60)
        before = await snapshot(platform)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    killed = await snapshot(platform)
    finished_before = {n: v for n, v in killed.items() if v[0] == "done"}
    assert 8 <= len(finished_before) < total, "the kill landed in the middle of the batch"
    assert any(v[0] in ("running", "queued") for v in killed.values())

    restarted = start_worker(fresh_database, var_dir)
    try:
        after = await wait_for(lambda s: all(v[0] == "done" for v in s.values()), platform, 90)
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(30) == 0, "SIGTERM stops the worker cleanly"

    assert all(v[0] == "done" for v in after.values()), f"unfinished: {[n for n, v in after.items() if v[0] != 'done']}"
    for n, (_status, attempts, finished_at) in finished_before.items():
        assert after[n][1] == attempts and after[n][2] == finished_at, f"job {n} ran again after it had finished"
    async with platform.uow() as uow:
        effects = Counter(
            (await uow.session.scalars(select(AuditEvent.target_id).where(AuditEvent.action == "test.effect"))).all()
        )
    assert effects == Counter({str(n): 1 for n in range(total)}), "every job's effects were committed exactly once"
    assert before  # the first snapshot was taken while the worker ran
    await platform.dispose()


async def test_sigterm_lets_running_jobs_finish_before_the_worker_stops(fresh_database: str, var_dir: Path) -> None:
    settings = make_settings(var_dir, fresh_database)
    platform = build_platform(settings)
    async with platform.uow() as uow:
        for n in range(4):
            await enqueue(uow, "test.slow", {"n": n, "seconds": 1.5})
        await uow.commit()
    worker = start_worker(fresh_database, var_dir)
    try:
        await wait_for(lambda s: sum(v[0] == "running" for v in s.values()) == 4, platform, 30)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    state = await snapshot(platform)
    assert all(v[0] == "done" for v in state.values()), state
    await platform.dispose()


async def test_a_worker_stopped_while_heartbeats_wait_on_the_database_still_exits(
    fresh_database: str, var_dir: Path
) -> None:
    # Each job holds SQLite's write lock for a second, longer than a third of the 2-second lease,
    # so every job's heartbeat is waiting on the database when the job before it finishes.
    settings = make_settings(var_dir, fresh_database)
    platform = build_platform(settings)
    async with platform.uow() as uow:
        for n in range(6):
            await enqueue(uow, "test.write_then_wait", {"n": n, "seconds": 1.0})
        await uow.commit()
    worker = start_worker(fresh_database, var_dir)
    try:
        await wait_for(lambda s: sum(v[0] == "done" for v in s.values()) >= 1, platform, 30)
        worker.send_signal(signal.SIGTERM)
        stopped = await asyncio.to_thread(exit_code_within, worker, 30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
    assert stopped == 0, "the worker exits once its running jobs are done"
    await platform.dispose()


def exit_code_within(process: subprocess.Popen, seconds: float) -> int | None:
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        return None


@pytest.mark.skipif(not is_postgres(), reason="LISTEN/NOTIFY is PostgreSQL's; SQLite polls")
async def test_on_postgresql_a_new_job_wakes_an_idle_worker_at_once(fresh_database: str, var_dir: Path) -> None:
    settings = make_settings(var_dir, fresh_database)
    platform = build_platform(settings)
    worker = start_worker(fresh_database, var_dir, poll_seconds="60")
    try:
        await asyncio.sleep(3)  # the worker has started, polled once, and is waiting
        started = time.monotonic()
        async with platform.uow() as uow:
            await enqueue(uow, "test.slow", {"n": 1, "seconds": 0})
            await uow.commit()
        state = await wait_for(lambda s: s and all(v[0] == "done" for v in s.values()), platform, 20)
        assert state[1][0] == "done"
        assert time.monotonic() - started < 10, "woken by NOTIFY, not by the 60-second poll"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        await platform.dispose()
