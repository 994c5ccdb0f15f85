"""Whole payment journeys per second: create, open the next_url, enter a sandbox card, confirm, GET.

Why a separate script: a journey is seven requests of different kinds (the API
twice, the hosted pages five times, with their cookies and CSRF tokens) that
one load generator line cannot express. Each simulated user is an httpx client
with its own cookie jar doing what a browser does, one journey after another.
The figure is journeys completed per second (the payment `success` at the
end) as a ratio against the yardstick's POST /accept measured in the same run
on the same database, as issue 4 asks ("no less than 0.025").

    .venv/bin/python bench/pay_journeys.py                               # SQLite, 1 web worker
    .venv/bin/python bench/pay_journeys.py --database postgres --workers 2 --users 32

Steps: migrate a scratch database; measure the yardstick's /accept with the
load generator bench/run.py uses; stop it; make a service and a test key
through the CLI; start `govplatform serve --without-worker` (captures run in the
request that confirms, so no worker is needed); run the users for the
duration after a short warm-up; print journeys/s, the median and p99 journey
time, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import run as bench_run  # noqa: E402
from notify_delivery import measure_accept  # noqa: E402
from scenarios import Context  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# One TLS context for every simulated browser. httpx builds one per client otherwise, loading the CA
# bundle each time: 20-30 ms of the load generator's one event loop per journey, which capped the
# measurement at about 14 journeys/s whatever the server did (the URLs are plain HTTP anyway).
TLS = ssl.create_default_context()
CARD = {
    "cardNo": "4242424242424242",
    "expiryMonth": "12",
    "expiryYear": "35",
    "cardholderName": "Ada Lovelace",
    "cvc": "123",
    "addressLine1": "10 Downing Street",
    "addressLine2": "",
    "addressCity": "London",
    "addressPostcode": "SW1A 2AA",
    "addressCountry": "GB",
    "email": "ada@example.org",
}
PAYMENT = {
    "amount": 2500,
    "reference": "PERMIT-1234",
    "description": "Resident parking permit",
    "return_url": "https://parking.example.gov.uk/return/1234",
}


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    if found is None:
        raise RuntimeError("the page has no CSRF token")
    return found.group(1)


async def journey(base: str, key: str) -> None:
    """One user's payment, as a browser makes it; raises if any step does not answer as it should."""
    api = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, timeout=30.0, verify=TLS) as client:  # a new browser: new cookies
        created = await client.post("/v1/payments", json=PAYMENT, headers=api)
        created.raise_for_status()
        payment = created.json()
        opened = await client.get(payment["_links"]["next_url"]["href"], follow_redirects=True)
        opened.raise_for_status()
        card_url = f"/card_details/{payment['payment_id']}"
        submitted = await client.post(card_url, data={**CARD, "csrf_token": _csrf(opened.text)})
        if submitted.status_code != 303:
            raise RuntimeError(f"the card page answered {submitted.status_code}")
        confirm_page = await client.get(card_url + "/confirm")
        confirm_page.raise_for_status()
        confirmed = await client.post(card_url + "/confirm", data={"csrf_token": _csrf(confirm_page.text)})
        confirmed.raise_for_status()
        final = await client.get(f"/v1/payments/{payment['payment_id']}", headers=api)
        if final.json()["state"]["status"] != "success":
            raise RuntimeError(f"the payment ended {final.json()['state']}")


async def run_users(base: str, key: str, users: int, warm_up: float, duration: float) -> tuple[int, int, list[float]]:
    """Journeys finished in the measured window, failures, and each finished journey's seconds."""
    started = time.monotonic()
    measure_from, stop_at = started + warm_up, started + warm_up + duration
    done: list[float] = []
    failures = 0

    async def user() -> None:
        nonlocal failures
        while time.monotonic() < stop_at:
            began = time.monotonic()
            try:
                await journey(base, key)
            except (httpx.HTTPError, RuntimeError, KeyError, ValueError):
                failures += began >= measure_from
                continue
            ended = time.monotonic()
            if began >= measure_from and ended <= stop_at:
                done.append(ended - began)

    await asyncio.gather(*(user() for _ in range(users)))
    return len(done), failures, done


def main(args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="govplatform-journeys-"))
    servers: list[bench_run.Server] = []
    try:
        with bench_run.scratch_database(args.database, scratch, args.postgres_admin_url, False) as (url, db_text):
            env = {k: v for k, v in os.environ.items() if not k.startswith("GOVPLATFORM_")}
            env.update(
                GOVPLATFORM_VAR_DIR=str(scratch / "var"),
                GOVPLATFORM_DATABASE_URL=url,
                GOVPLATFORM_LOG_LEVEL="warning",
                GOVPLATFORM_PAY_RATE_LIMIT_CREATE_PER_SECOND="1000000",
                GOVPLATFORM_PAY_RATE_LIMIT_GET_PER_SECOND="1000000",
                GOVPLATFORM_PAY_RATE_LIMIT_POST_PER_SECOND="1000000",
                GOVPLATFORM_FRONTEND_DIR=str(ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
            )
            govplatform = Path(sys.executable).parent / "govplatform"
            subprocess.run([str(govplatform), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
            print(f"database: {db_text}")
            accept = measure_accept(args, env, url, scratch)
            print(f"yardstick POST /accept: {accept.ok_per_second:.0f} ok/s (1 worker, wrk or the built-in generator)")
            context = Context(govplatform=govplatform, env=env, cwd=ROOT)
            service_id = context.platform_service()["service_id"]
            key = context.cli("pay", "key", "create", "--service", service_id, "--mode", "test")["key"]
            port = bench_run.free_port()
            env["GOVPLATFORM_BASE_URL"] = f"http://{bench_run.HOST}:{port}"
            command = [str(govplatform), "serve", "--host", bench_run.HOST, "--port", str(port)]
            command += ["--workers", str(args.workers), "--without-worker"]
            servers.append(bench_run.start_server("platform", command, env, port, "/healthz", scratch))
            time.sleep(1)
            base = env["GOVPLATFORM_BASE_URL"]
            count, failures, times = asyncio.run(run_users(base, key, args.users, args.warm_up, args.duration))
            rate = count / args.duration
            p50 = statistics.median(times) * 1000 if times else float("nan")
            p99 = statistics.quantiles(times, n=100)[98] * 1000 if len(times) >= 2 else float("nan")
            print(
                f"{count} journeys in {args.duration:.0f} s with {args.users} users and {args.workers} web worker(s): "
                f"{rate:.1f} journeys/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, {failures} failed"
            )
            print(f"ratio: {rate / accept.ok_per_second:.4f} of the yardstick's /accept (target 0.025)")
    finally:
        for server in servers:
            server.stop()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-admin-url", default="postgresql://root@127.0.0.1/postgres")
    parser.add_argument("--yardstick", default=str(ROOT.parent / "shared" / "bench" / "yardstick.py"))
    parser.add_argument("--workers", type=int, default=1, help="the platform's web workers")
    parser.add_argument("--users", type=int, default=16, help="simulated users, each one journey after another")
    parser.add_argument("--warm-up", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of journeys measured (and of /accept)")
    parser.add_argument("--connections", type=int, default=32, help="the /accept load generator's connections")
    parser.add_argument("--threads", type=int, default=2)
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
