"""A `govplatform worker` killed (SIGKILL) while it delivers 1,000 emails to a real SMTP server.

Delivery sends first and records the outcome after (see notify/tasks.py): the
only emails a crash may send twice are those the server had accepted when the
worker died but whose outcome was not yet committed. A worker delivers emails
in batches, recording a batch's outcomes in one commit, so that is at most one
batch for each batch the worker was running. Every copy carries the
notification's own Message-ID, so the receiving side can tell a second copy
from a second message.

The SMTP server is aiosmtpd on 127.0.0.1, in its own thread, taking a few
milliseconds over each message so that the kill lands mid-batch.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.parser
import email.policy
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select

from govplatform.app import notify_component
from govplatform.core.models import Job
from govplatform.core.platform import Platform, build_platform
from govplatform.core.services import api_keys
from govplatform.notify.keys import NotifyKeyFormat
from govplatform.notify.models import Notification
from govplatform.notify.services import settings as notify_settings
from govplatform.notify.services import templates
from govplatform.notify.services.sending import SendRequest
from tests.conftest import ROOT, make_settings
from tests.helpers import CLI, service_with_org
from tests.integration.notify.test_email_providers import EphemeralController

pytestmark = pytest.mark.process

TOTAL = 1_000
KILL_AFTER = 200  # messages the server has taken before the worker is killed
CONCURRENCY = 4
BATCH = 10  # emails a job batch delivers before it records them
EMAIL_DOMAIN = "notify.example.gov.uk"


@dataclasses.dataclass(frozen=True)
class Arrival:
    message_id: str
    recipient: str
    at: float  # time.monotonic() when the server took the message


class Sink:
    """An SMTP handler that takes every message, slowly, and remembers what arrived when.

    Given a process to kill, it kills it (SIGKILL) as the `kill_after`-th message
    arrives, before answering 250: the server then holds a message whose sender
    died without hearing that it was taken, the case a resend exists for.
    """

    def __init__(self, kill_after: int) -> None:
        self._lock = threading.Lock()
        self._arrivals: list[Arrival] = []
        self._headers = email.parser.BytesHeaderParser(policy=email.policy.default)
        self._random = random.Random(20)
        self.kill_after = kill_after
        self.kill_pid: int | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        headers = self._headers.parsebytes(envelope.content)
        (recipient,) = envelope.rcpt_tos
        with self._lock:
            self._arrivals.append(Arrival(str(headers["Message-ID"]), recipient, time.monotonic()))
            if len(self._arrivals) == self.kill_after and self.kill_pid is not None:
                os.kill(self.kill_pid, signal.SIGKILL)
        await asyncio.sleep(self._random.uniform(0.005, 0.02))  # the server's own work before it answers
        return "250 2.0.0 Ok: queued"

    def arrivals(self) -> list[Arrival]:
        with self._lock:
            return list(self._arrivals)


@contextmanager
def smtp_sink(kill_after: int) -> Iterator[tuple[Sink, int]]:
    sink = Sink(kill_after)
    controller = EphemeralController(sink, hostname="127.0.0.1", server_hostname="mx.test", ready_timeout=10)
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


def worker_env(database_url: str, var_dir: Path, smtp_port: int) -> dict[str, str]:
    # Nothing from the outer shell's GOVPLATFORM_* may point the worker elsewhere.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GOVPLATFORM_")}
    return env | {
        "GOVPLATFORM_ENVIRONMENT": "test",
        "GOVPLATFORM_DATABASE_URL": database_url,
        "GOVPLATFORM_VAR_DIR": str(var_dir),
        "GOVPLATFORM_JOB_LEASE_SECONDS": "2",
        "GOVPLATFORM_JOB_POLL_SECONDS": "0.2",
        "GOVPLATFORM_WORKER_CONCURRENCY": str(CONCURRENCY),
        "GOVPLATFORM_NOTIFY_EMAIL_BATCH_SIZE": str(BATCH),
        "GOVPLATFORM_LOG_LEVEL": "warning",
        "GOVPLATFORM_NOTIFY_EMAIL_DOMAIN": EMAIL_DOMAIN,
        "GOVPLATFORM_NOTIFY_EMAIL_PROVIDER": "smtp",
        "GOVPLATFORM_NOTIFY_SMTP_HOST": "127.0.0.1",
        "GOVPLATFORM_NOTIFY_SMTP_PORT": str(smtp_port),
        "GOVPLATFORM_NOTIFY_SMTP_TLS": "none",
        "GOVPLATFORM_NOTIFY_SMTP_TIMEOUT_SECONDS": "10",
    }


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "govplatform", "worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )


def stop_or_kill(process: subprocess.Popen[bytes], seconds: float) -> int | None:
    """The exit code, or None (and the process killed) if it has not exited within `seconds`."""
    try:
        return process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
        return None


async def accept_emails(platform: Platform, total: int) -> dict[str, uuid.UUID]:
    """A live service with an email template and `total` accepted emails; returns recipient -> notification id."""
    service_id = await service_with_org(platform, "Borsetshire Council", "Bin collections")
    sender = notify_component(platform).sender
    async with platform.uow() as uow:
        key, _shown = await api_keys.create_key(
            uow, CLI, NotifyKeyFormat(platform.cipher), service_id, "Case system", "normal"
        )
        template = await templates.create_template(
            uow, CLI, service_id, "email", "Reminder", "Hello ((name)), your bin goes out on Tuesday.", "Bins"
        )
        await uow.commit()
    async with platform.uow(read_only=True) as uow:
        authenticated = next(
            found.key for found in await api_keys.key_secrets(uow, platform.cipher, "notify", service_id)
        )
    assert authenticated.key_id == key.id and authenticated.key_type == "normal"
    accepted: dict[str, uuid.UUID] = {}
    async with platform.uow() as uow:
        policy = await notify_settings.change_limits(uow, CLI, service_id, "Bin collections", live=True)
        for n in range(total):
            recipient = f"resident.{n}@example.com"
            request = SendRequest("email", template.id, recipient, recipient, {"name": f"Resident {n}"})
            accepted[recipient] = (await sender.accept(uow, authenticated, policy, request)).id
        await uow.commit()
    return accepted


async def statuses(platform: Platform) -> dict[uuid.UUID, tuple[str, object]]:
    async with platform.uow(read_only=True) as uow:
        rows = await uow.session.execute(select(Notification.id, Notification.status, Notification.sent_at))
        return {row.id: (row.status, row.sent_at) for row in rows}


async def jobs_by_notification(platform: Platform) -> dict[str, str]:
    async with platform.uow(read_only=True) as uow:
        jobs = (await uow.session.scalars(select(Job))).all()
        return {job.payload["notification_id"]: job.status for job in jobs}


async def wait_until(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def delivered_count(platform: Platform) -> int:
    async with platform.uow(read_only=True) as uow:
        query = select(func.count()).select_from(Notification).where(Notification.status == "delivered")
        return int(await uow.session.scalar(query) or 0)


async def test_a_worker_killed_while_delivering_1000_emails_sends_each_again_only_if_it_was_in_flight(
    fresh_database: str, var_dir: Path
) -> None:
    platform = build_platform(make_settings(var_dir, fresh_database))
    log_path = var_dir / f"delivery-crash-{uuid.uuid4().hex[:8]}.log"
    try:
        accepted = await accept_emails(platform, TOTAL)
        with smtp_sink(KILL_AFTER) as (sink, port):
            env = worker_env(fresh_database, var_dir, port)
            worker = start_worker(env, log_path)
            sink.kill_pid = worker.pid
            try:
                assert await wait_until(lambda: worker.poll() is not None, 60), "the sink never killed the worker"
            finally:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait(10)
            assert worker.returncode == -signal.SIGKILL, log_path.read_text()
            await asyncio.sleep(0.2)  # the server finishes what it was taking; nothing more can arrive
            at_kill = sink.arrivals()
            recorded_at_kill = await statuses(platform)
            jobs_at_kill = await jobs_by_notification(platform)

            restarted = start_worker(env, log_path)
            try:
                deadline = time.monotonic() + 120
                while await delivered_count(platform) < TOTAL and time.monotonic() < deadline:
                    assert restarted.poll() is None, log_path.read_text()
                    await asyncio.sleep(0.25)
            finally:
                restarted.send_signal(signal.SIGTERM)
                stopped = stop_or_kill(restarted, 30)
            arrivals = sink.arrivals()
        final = await statuses(platform)
        jobs = await jobs_by_notification(platform)
    finally:
        await platform.dispose()

    assert stopped == 0, "SIGTERM stops the restarted worker cleanly"
    ids_at_kill = {arrival.message_id for arrival in at_kill}
    assert KILL_AFTER <= len(ids_at_kill) < TOTAL, "the kill landed in the middle of the batch"
    assert sum(status == "delivered" for status, _ in recorded_at_kill.values()) < TOTAL

    # Every notification reached the server, under its own Message-ID, at its own recipient.
    expected = {recipient: f"<{notification_id}@{EMAIL_DOMAIN}>" for recipient, notification_id in accepted.items()}
    assert {arrival.message_id for arrival in arrivals} == set(expected.values())
    copies: dict[str, list[Arrival]] = defaultdict(list)
    for arrival in arrivals:
        copies[arrival.recipient].append(arrival)
    assert set(copies) == set(expected)
    for recipient, received in copies.items():
        assert {arrival.message_id for arrival in received} == {expected[recipient]}, "a copy has another Message-ID"

    # Only messages in flight at the kill came twice: the server had the first copy, the database had no outcome.
    duplicated = {recipient: received for recipient, received in copies.items() if len(received) > 1}
    assert len(duplicated) <= CONCURRENCY * BATCH, Counter(len(received) for received in copies.values())
    assert at_kill[KILL_AFTER - 1].recipient in duplicated, "the message taken as the worker died was sent again"
    for recipient, received in duplicated.items():
        notification_id = accepted[recipient]
        assert len(received) == 2, f"{recipient} was sent {len(received)} times"
        assert received[0] in at_kill and received[1] not in at_kill, "the first copy came before the kill"
        assert recorded_at_kill[notification_id][0] == "created", "its outcome was not yet recorded"
        assert jobs_at_kill[str(notification_id)] == "running", "its job was running when the worker died"

    assert len(final) == TOTAL
    assert all(status == "delivered" and sent_at is not None for status, sent_at in final.values())
    assert Counter(jobs.values()) == Counter({"done": TOTAL}), "no job is dead, queued or still running"
    print(f"\n{len(ids_at_kill)} received at the kill; duplicated: {len(duplicated)}")
