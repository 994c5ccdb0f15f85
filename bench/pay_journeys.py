"""Whole payment journeys per second: create, open the next_url, enter a sandbox card, confirm, GET.

Why a separate script: a journey is seven requests of different kinds (the API
twice, the hosted pages five times, with their cookies and CSRF tokens) that
one load generator line cannot express. Each simulated user is a small
browser of bench/browser.py (a keep-alive connection and a cookie jar, cheap
enough not to take the server's CPU) doing what a browser does, one journey
after another, beside a second connection for the service's own API calls.
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
import dataclasses
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402
import profiling  # noqa: E402
import run as bench_run  # noqa: E402
from notify_delivery import measure_accept  # noqa: E402
from scenarios import Context  # noqa: E402

from browser import Browser, BrowserError, Reply  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
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


async def journey(service: Browser, browser: Browser, key: str) -> None:
    """One user's payment, as a browser makes it; raises if any step does not answer as it should.

    `service` is the service's back end calling the API; `browser` is the paying user's browser, with
    its cookies forgotten first so that every journey is a new visitor.
    """
    api = {"Authorization": f"Bearer {key}"}
    browser.forget_cookies()
    created = await service.request("POST", "/v1/payments", json=PAYMENT, headers=api)
    _expect(created, 201, "create")
    payment = created.json()
    assert isinstance(payment, dict)
    opened = await browser.request("GET", urlsplit(payment["_links"]["next_url"]["href"]).path)
    _expect(opened, 303, "next_url")
    card_url = f"/card_details/{payment['payment_id']}"
    if opened.header("location") != card_url:
        raise RuntimeError(f"the next_url sent the browser to {opened.header('location')}")
    card_page = await browser.request("GET", card_url)
    _expect(card_page, 200, "card page")
    submitted = await browser.request("POST", card_url, form={**CARD, "csrf_token": _csrf(card_page.text)})
    _expect(submitted, 303, "card details")
    confirm_page = await browser.request("GET", card_url + "/confirm")
    _expect(confirm_page, 200, "confirm page")
    confirmed = await browser.request("POST", card_url + "/confirm", form={"csrf_token": _csrf(confirm_page.text)})
    _expect(confirmed, 200, "confirm")
    final = await service.request("GET", f"/v1/payments/{payment['payment_id']}", headers=api)
    _expect(final, 200, "GET payment")
    state = final.json()["state"]  # type: ignore[index]
    if state["status"] != "success":
        raise RuntimeError(f"the payment ended {state}")


def _expect(reply: Reply, status: int, step: str) -> None:
    if reply.status != status:
        raise RuntimeError(f"{step} answered {reply.status}, not {status}: {reply.body[:200]!r}")


@dataclasses.dataclass
class Run:
    journeys: int
    failures: int
    seconds: list[float]  # each finished journey's
    cpu: dict[str, float]  # CPU seconds over the measured window, by whom (profiling.cpu_seconds)


async def run_users(port: int, key: str, users: int, warm_up: float, duration: float, server_sid: int = 0) -> Run:
    """The journeys finished in the measured window, with the CPU that the window took."""
    started = time.monotonic()
    measure_from, stop_at = started + warm_up, started + warm_up + duration
    done: list[float] = []
    failures: list[str] = []
    cpu: list[dict[str, float]] = []

    async def meter() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.monotonic()))
        cpu.append(profiling.cpu_seconds(server_sid))
        await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
        cpu.append(profiling.cpu_seconds(server_sid))

    async def user() -> None:
        service, browser = Browser(port), Browser(port)
        try:
            while time.monotonic() < stop_at:
                began = time.monotonic()
                try:
                    await journey(service, browser, key)
                except (OSError, TimeoutError, BrowserError, RuntimeError, KeyError, ValueError) as error:
                    if began >= measure_from:
                        failures.append(str(error))
                    await service.close()
                    await browser.close()
                    continue
                ended = time.monotonic()
                if began >= measure_from and ended <= stop_at:
                    done.append(ended - began)
        finally:
            await service.close()
            await browser.close()

    await asyncio.gather(meter(), *(user() for _ in range(users)))
    if failures:
        print(f"{len(failures)} journeys failed; the first: {failures[0]}")
    used = {who: cpu[1][who] - cpu[0].get(who, 0.0) for who in cpu[1]}
    return Run(len(done), len(failures), done, used)


def profile(args: argparse.Namespace, server: bench_run.Server, port: int, key: str) -> None:
    """One more, unrecorded run of journeys with py-spy on the web workers (bench/profiling.py)."""
    directory = Path(args.profile)
    directory.mkdir(parents=True, exist_ok=True)
    output = directory / "pay-journeys.txt"
    seconds = 10.0
    sampler = profiling.start(server.process.pid, seconds, output, threads=False)
    asyncio.run(run_users(port, key, args.users, 0.0, seconds + 1))
    profiling.finish(sampler, timeout=seconds + 30)
    print(f"\nprofile of the journeys (not a recorded run): {output}")
    for line in profiling.summarise(output, top=25):
        print(line)


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
                GOVPLATFORM_TEMPLATE_RELOAD="false",  # as in production
                GOVPLATFORM_PAY_RATE_LIMIT_CREATE_PER_SECOND="1000000",
                GOVPLATFORM_PAY_RATE_LIMIT_GET_PER_SECOND="1000000",
                GOVPLATFORM_PAY_RATE_LIMIT_POST_PER_SECOND="1000000",
                GOVPLATFORM_FRONTEND_DIR=str(ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
            )
            govplatform = Path(sys.executable).parent / "govplatform"
            subprocess.run([str(govplatform), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
            print(f"database: {db_text}")
            accept = measure_accept(args, env, url, scratch, workers=args.workers)
            generator = "wrk" if loadgen.wrk_available() else "the built-in generator"
            print(f"yardstick POST /accept: {accept.ok_per_second:.0f} ok/s ({args.workers} worker(s), {generator})")
            context = Context(govplatform=govplatform, env=env, cwd=ROOT)
            service_id = context.platform_service()["service_id"]
            key = context.cli("pay", "key", "create", "--service", service_id, "--mode", "test")["key"]
            port = bench_run.free_port()
            env["GOVPLATFORM_BASE_URL"] = f"http://{bench_run.HOST}:{port}"
            command = [str(govplatform), "serve", "--host", bench_run.HOST, "--port", str(port)]
            command += ["--workers", str(args.workers), "--without-worker"]
            servers.append(bench_run.start_server("platform", command, env, port, "/healthz", scratch))
            time.sleep(1)
            run = asyncio.run(run_users(port, key, args.users, args.warm_up, args.duration, servers[-1].process.pid))
            count, failures, times = run.journeys, run.failures, run.seconds
            if args.profile:
                profile(args, servers[-1], port, key)
            rate = count / args.duration
            p50 = statistics.median(times) * 1000 if times else float("nan")
            p99 = statistics.quantiles(times, n=100)[98] * 1000 if len(times) >= 2 else float("nan")
            print(
                f"{count} journeys in {args.duration:.0f} s with {args.users} users and {args.workers} web worker(s): "
                f"{rate:.1f} journeys/s, p50 {p50:.0f} ms, p99 {p99:.0f} ms, {failures} failed"
            )
            if run.cpu and count:
                print(
                    "CPU per journey: "
                    + ", ".join(f"{who} {seconds / count * 1000:.1f} ms" for who, seconds in run.cpu.items())
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
    parser.add_argument("--profile", metavar="DIR", help="then py-spy the web workers in a run of its own")
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
