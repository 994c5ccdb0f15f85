"""A bulk send survives its worker being killed: after a restart every row has exactly one notification."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from govplatform.app import register_components
from govplatform.core.platform import build_platform
from govplatform.notify.models import BulkSend, Notification
from govplatform.notify.services import bulk, spreadsheets, templates
from govplatform.notify.services import settings as notify_settings
from tests.conftest import ROOT, make_settings
from tests.helpers import CLI, service_with_org

pytestmark = pytest.mark.process
ROWS = 12_000


def start_worker(database_url: str, var_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GOVPLATFORM_")},
        "GOVPLATFORM_DATABASE_URL": database_url,
        "GOVPLATFORM_VAR_DIR": str(var_dir),
        "GOVPLATFORM_ENVIRONMENT": "test",
        "GOVPLATFORM_JOB_LEASE_SECONDS": "2",
        "GOVPLATFORM_JOB_POLL_SECONDS": "0.2",
        "GOVPLATFORM_WORKER_CONCURRENCY": "2",
        "GOVPLATFORM_LOG_LEVEL": "warning",
    }
    return subprocess.Popen([sys.executable, "-m", "govplatform", "worker"], cwd=ROOT, env=env)


def letter_file(rows: int) -> bytes:
    lines = ["address line 1,address line 2,address line 3,name"]
    lines += [f"Resident {n},{n} High Street,SW1A 1AA,Resident {n}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


async def test_a_bulk_send_killed_mid_way_creates_one_notification_per_row_after_a_restart(
    fresh_database: str, var_dir: Path
) -> None:
    platform = build_platform(make_settings(var_dir, fresh_database))
    register_components(platform)
    notify = platform.components["notify"]
    service_id = await service_with_org(platform, "Restart Council", "Permits")
    async with platform.uow() as uow:
        policy = await notify_settings.change_limits(uow, CLI, service_id, "Permits", live=True)
        found = await templates.create_template(uow, CLI, service_id, "letter", "Permit", "Dear ((name))", "Permit")
        await uow.commit()
    checked = await asyncio.to_thread(
        spreadsheets.check_file, "letters.csv", letter_file(ROWS), found, sms_prefix=None, allowed=None
    )
    assert checked.ok and len(checked.rows) == ROWS
    async with platform.uow() as uow:
        made = await bulk.create_bulk_send(uow, platform.cipher, notify.limits, CLI, policy, found, "l.csv", checked)
        await uow.commit()

    async def processed() -> int:
        async with platform.uow(read_only=True) as uow:
            row = await uow.session.get(BulkSend, made.id)
            return row.processed_rows if row else 0

    worker = start_worker(fresh_database, var_dir)
    try:
        deadline = time.monotonic() + 120
        while await processed() < 2000 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    at_kill = await processed()
    assert 0 < at_kill < ROWS, "the kill landed in the middle of the bulk send"

    restarted = start_worker(fresh_database, var_dir)
    try:
        deadline = time.monotonic() + 180
        while await processed() < ROWS and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(30)
    async with platform.uow(read_only=True) as uow:
        count = await uow.session.scalar(select(func.count()).where(Notification.job_id == made.id))
        distinct = await uow.session.scalar(
            select(func.count(func.distinct(Notification.job_row_number))).where(Notification.job_id == made.id)
        )
        state = await bulk.progress(uow, service_id, made.id)
    await platform.dispose()
    assert count == distinct == ROWS
    assert state is not None and (state.processed_rows, state.status) == (ROWS, "finished")
