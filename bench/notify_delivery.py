"""Email delivery throughput: one `govplatform worker` sending to an SMTP sink on loopback.

Why a separate script: delivery is work no HTTP request does; it is the
worker's job loop (claim a job, render the email, one SMTP conversation,
record the outcome) timed from outside. The figure is a ratio against the
yardstick's POST /accept measured in the same run, on the same database,
as the issue asks ("no less than 0.1 of the yardstick's /accept").

    .venv/bin/python bench/notify_delivery.py                      # SQLite
    .venv/bin/python bench/notify_delivery.py --database postgres --emails 5000

Steps: migrate a scratch database; start the yardstick and measure /accept
with the load generator bench/run.py uses; stop it; accept N emails through
the platform's own sending rules (a live key, a three-placeholder template),
each a row and a delivery job; start one worker (GOVPLATFORM_WORKER_CONCURRENCY
jobs at once) pointed at an aiosmtpd sink that accepts every message; time
from the worker's start until the sink holds N messages and every
notification is delivered.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402
import run as bench_run  # noqa: E402

from govplatform.app import register_components  # noqa: E402
from govplatform.core.interfaces import Actor, AuthenticatedKey, ServiceRef  # noqa: E402
from govplatform.core.observability import configure_logging  # noqa: E402
from govplatform.core.platform import build_platform  # noqa: E402
from govplatform.core.services import api_keys, tenancy  # noqa: E402
from govplatform.core.settings import load_settings  # noqa: E402
from govplatform.notify.models import Notification  # noqa: E402
from govplatform.notify.services import settings as notify_settings  # noqa: E402
from govplatform.notify.services import templates  # noqa: E402
from govplatform.notify.services.sending import SendRequest  # noqa: E402

BENCH = Actor("cli", None, "bench")


class Sink:
    """An SMTP server that accepts everything and counts what it got."""

    def __init__(self) -> None:
        self.count = 0
        self.first: float | None = None  # time.monotonic() of the first message
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
            if self.first is None:
                self.first = time.monotonic()
        return "250 OK"


def free_port() -> int:
    return bench_run.free_port()


def settings_for(env: dict[str, str]) -> Any:
    """The platform's settings as the worker will see them (the same GOVPLATFORM_* variables)."""
    os.environ.update({k: v for k, v in env.items() if k.startswith("GOVPLATFORM_")})
    return load_settings()


async def accept_emails(env: dict[str, str], count: int) -> None:
    platform = build_platform(settings_for(env))
    register_components(platform)
    notify = platform.components["notify"]
    async with platform.uow() as uow:
        organisation = await tenancy.create_organisation(uow, BENCH, "Bench council")
        await uow.session.flush()
        service = await tenancy.create_service(uow, BENCH, organisation.id, "Bench service")
        await uow.session.flush()
        await notify_settings.change_limits(uow, BENCH, service.id, "Bench service", live=True)
        key, _ = await api_keys.create_key(uow, BENCH, platform.key_formats["notify"], service.id, "bench", "normal")
        template = await templates.create_template(
            uow, BENCH, service.id, "email", "Reminder",
            "Hello ((name)), your ((thing)) is due on ((day)).", "Your ((thing)) on ((day))",
        )  # fmt: skip
        await uow.commit()
    sender_key = AuthenticatedKey(
        key.id, key.name, "normal", "notify", ServiceRef(service.id, "Bench service", organisation.id, "Bench council")
    )
    batch = 500
    for start in range(0, count, batch):
        async with platform.uow() as uow:
            policy = await notify_settings.policy_for(uow, service.id, "Bench service")
            for n in range(start, min(start + batch, count)):
                request = SendRequest(
                    type="email", template_id=template.id, recipient=f"resident{n}@example.com",
                    normalised_recipient=f"resident{n}@example.com",
                    personalisation={"name": f"Resident {n}", "thing": "permit renewal", "day": "Tuesday"},
                )  # fmt: skip
                await notify.sender.accept(uow, sender_key, policy, request)
            await uow.commit()
    await platform.dispose()


async def delivered(env: dict[str, str]) -> int:
    platform = build_platform(settings_for(env))
    try:
        async with platform.uow(read_only=True) as uow:
            return int(await uow.session.scalar(select(func.count()).where(Notification.status == "delivered")) or 0)
    finally:
        await platform.dispose()


def measure_accept(
    args: argparse.Namespace, env: dict[str, str], url: str, scratch: Path, workers: int = 1
) -> loadgen.Measurement:
    """The yardstick's POST /accept with `workers` server processes, as many as the platform is given."""
    port = free_port()
    yardstick = Path(args.yardstick).resolve()
    bench_run.create_yardstick_table(yardstick, url)
    server = bench_run.start_server(
        "yardstick",
        [sys.executable, str(yardstick), "--port", str(port), "--workers", str(workers), "--database-url", url],
        env, port, "/hello", scratch,
    )  # fmt: skip
    try:
        accept = next(s for s in bench_run.YARDSTICK_SCENARIOS if s.name == "accept")
        request = bench_run.request_for(accept)
        generator = bench_run.pick_generator("auto")
        bench_run.measure(args, generator, port, request, 2)
        return bench_run.measure(args, generator, port, request, args.duration)
    finally:
        server.stop()


def main(args: argparse.Namespace) -> None:
    configure_logging("warning")
    scratch = Path(tempfile.mkdtemp(prefix="govplatform-delivery-"))
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with bench_run.scratch_database(args.database, scratch, args.postgres_admin_url, False) as (url, db_text):
            env = {k: v for k, v in os.environ.items() if not k.startswith("GOVPLATFORM_")}
            env.update(
                GOVPLATFORM_VAR_DIR=str(scratch / "var"),
                GOVPLATFORM_DATABASE_URL=url,
                GOVPLATFORM_LOG_LEVEL="warning",
                GOVPLATFORM_NOTIFY_EMAIL_PROVIDER="smtp",
                GOVPLATFORM_NOTIFY_SMTP_HOST="127.0.0.1",
                GOVPLATFORM_NOTIFY_SMTP_PORT=str(smtp_port),
                GOVPLATFORM_NOTIFY_SMTP_TLS="none",
                GOVPLATFORM_WORKER_CONCURRENCY=str(args.concurrency),
                GOVPLATFORM_JOB_POLL_SECONDS="0.2",
            )
            if args.batch_size is not None:
                env["GOVPLATFORM_NOTIFY_EMAIL_BATCH_SIZE"] = str(args.batch_size)
            govplatform = Path(sys.executable).parent / "govplatform"
            subprocess.run([str(govplatform), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
            print(f"database: {db_text}")
            accept = measure_accept(args, env, url, scratch)
            print(f"yardstick POST /accept: {accept.ok_per_second:.0f} ok/s")
            asyncio.run(accept_emails(env, args.emails))
            print(f"accepted {args.emails} emails; starting one worker (concurrency {args.concurrency})")
            started = time.monotonic()
            worker = subprocess.Popen([str(govplatform), "worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
            try:
                while sink.count < args.emails and time.monotonic() - started < args.timeout:
                    time.sleep(0.1)
                while asyncio.run(delivered(env)) < args.emails and time.monotonic() - started < args.timeout:
                    time.sleep(0.2)
                seconds = time.monotonic() - started
            finally:
                worker.terminate()
                worker.wait(timeout=30)
            done = asyncio.run(delivered(env))
            rate = done / seconds
            print(f"delivered {done} of {args.emails} emails in {seconds:.1f} s: {rate:.0f} emails/s "
                  f"(sink received {sink.count})")  # fmt: skip
            print(f"ratio: {rate / accept.ok_per_second:.3f} of the yardstick's /accept (target 0.1)")
            if sink.first is not None and done > 1:
                # The worker's start-up (imports, connecting) is in the figure above; this one is delivery alone.
                steady = (done - 1) / (started + seconds - sink.first)
                print(f"from the first email to the last: {steady:.0f} emails/s, "
                      f"ratio {steady / accept.ok_per_second:.3f} (the worker took {sink.first - started:.1f} s "
                      "to send its first)")  # fmt: skip
    finally:
        controller.stop()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-admin-url", default="postgresql://root@127.0.0.1/postgres")
    parser.add_argument("--yardstick", default=str(ROOT.parent / "shared" / "bench" / "yardstick.py"))
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="jobs the worker runs at once")
    parser.add_argument("--batch-size", type=int, default=None, help="emails per job batch (the platform's default)")
    parser.add_argument("--duration", type=float, default=10, help="seconds of /accept load")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
