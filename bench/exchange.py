"""The exchange under load: signed queries answered from the record store (issue 18's "Performance").

A query costs the whole pipeline: the RFC 9421 signature's form and age, the member's key, the Ed25519 check
and the body's digest, the nonce (one INSERT), the agreement and dataset, the record (a keyed hash and one
indexed read, then AES-GCM), the transparency log's entry and the query's record, and the gateway's signature
on the answer. Why a separate script: every request needs a signature of its own (a nonce is single use and a
signature is good for 60 seconds), which one repeated request line cannot be. Steps, on one scratch database:

1. the yardstick's POST /accept, measured with the load generator bench/run.py picks;
2. a council (the consumer) with an Ed25519 key, an agency with a dataset of `--records` keepers loaded into
   the record store, and an active agreement, all made through the exchange's service layer;
3. `govplatform serve --without-worker` (two web workers with `--web-workers 2`);
4. signed queries, `--connections` keep-alive connections, each query signed just before the run (a fresh
   nonce, created within the 60 seconds) for a random keeper; only 200s count.

    .venv/bin/python bench/exchange.py                          # SQLite
    .venv/bin/python bench/exchange.py --database postgres
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

import run as bench_run  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from notify_delivery import settings_for  # noqa: E402
from starlette.datastructures import MutableHeaders  # noqa: E402

from browser import Browser  # noqa: E402
from govplatform.app import register_components  # noqa: E402
from govplatform.core.interfaces import Actor  # noqa: E402
from govplatform.core.platform import build_platform  # noqa: E402
from govplatform.core.services import org_roles, staff, tenancy  # noqa: E402
from govplatform.exchange.services import agreements, datasets, members, record_store  # noqa: E402
from govplatform.exchange.services.agreements import Terms  # noqa: E402
from govplatform.exchange.signatures import HttpRequest, sign_request  # noqa: E402

BENCH = Actor("cli", None, "bench")
PATH = "/api/exchange/v1/queries"
SCHEMA = {
    "type": "object",
    "properties": {
        "registration": {"type": "string", "x-data-item": "vehicle-registration"},
        "make": {"type": "string", "x-data-item": "vehicle-make"},
        "colour": {"type": "string", "x-data-item": "vehicle-colour"},
    },
}


def licence(n: int) -> str:
    """A GB driving licence number in DVLA's form, the nth of the fictional keepers."""
    return f"KEEPR{n % 1_000_000:06d}AB{n % 10}CD"


async def seed(env: dict[str, str], records: int) -> tuple[str, str, Ed25519PrivateKey]:
    """The consumer's key id, the agreement's id, and the consumer's private key."""
    platform = build_platform(settings_for(env))
    register_components(platform)
    exchange = platform.components["exchange"]
    key = Ed25519PrivateKey.generate()
    async with platform.uow() as uow:
        council = await tenancy.create_organisation(uow, BENCH, "Bench Council")
        agency = await tenancy.create_organisation(uow, BENCH, "Bench Agency")
        await uow.session.flush()
        for email, role in (("owner@bench.example", "data-owner"), ("cdo@bench.example", "chief-data-officer")):
            person, _ = await staff.create_ready_user(
                uow, BENCH, platform.cipher, email, secrets.token_urlsafe(16), False
            )
            await uow.session.flush()
            await org_roles.grant(uow, BENCH, org_roles.OPERATOR, agency.id, person.id, role)
        registered = await members.register_key(uow, BENCH, council.id, key.public_key().public_bytes_raw())
        dataset = await datasets.declare(uow, BENCH, agency.id, "Keepers", SCHEMA, ["driving-licence"])
        await uow.commit()
    rows = ["subject:driving-licence,registration,make,colour"]
    rows += [f"{licence(n)},BE{n % 100:02d} NCH,FORD,Blue" for n in range(records)]
    async with platform.uow() as uow:
        await record_store.load(uow, BENCH, exchange.box, exchange.hash_secret, dataset.id, "keepers.csv",
                                "\n".join(rows).encode())  # fmt: skip
        terms = Terms(
            consumer_id=council.id, dataset_id=dataset.id, fields=["registration", "make", "colour"],
            purpose="bench", basis="public-task", retention="1 year", security="Encrypted",
            review_on=dt.date.today() + dt.timedelta(days=365),
        )  # fmt: skip
        made = await agreements.draft(uow, BENCH, exchange.log, terms)
        await uow.commit()
    async with platform.uow() as uow:
        await agreements.approve(uow, exchange.log, made.id, "owner@bench.example")
        await agreements.sign_off(uow, exchange.log, made.id, "cdo@bench.example")
        await uow.commit()
    await platform.dispose()
    return registered.key_id, str(made.id), key


def signed_queries(base: str, key_id: str, agreement: str, key: Ed25519PrivateKey, count: int, records: int) -> list:
    """`count` queries as (body, headers), each signed now for a random keeper."""
    prepared = []
    for _ in range(count):
        body = {"agreement_id": agreement, "purpose": "bench", "fields": ["make", "colour"],
                "subject": {"scheme": "driving-licence", "value": licence(random.randrange(records))}}  # fmt: skip
        content = json.dumps(body).encode()  # what bench/browser.py sends for json=body
        request = HttpRequest("POST", base + PATH, MutableHeaders(headers={"content-type": "application/json"}))
        sign_request(request, content, key_id, key, secrets.token_urlsafe(24))
        headers = {name: request.headers[name] for name in ("content-digest", "signature-input", "signature")}
        prepared.append((body, headers))
    return prepared


async def ask_all(port: int, prepared: list, connections: int, seconds: float) -> tuple[int, int, float, list[float]]:
    """Each prepared query once on keep-alive connections; (200s, others, seconds taken, latencies)."""
    queue = list(reversed(prepared))
    ok = other = 0
    latencies: list[float] = []
    started = time.monotonic()
    deadline = started + seconds

    async def connection() -> None:
        nonlocal ok, other
        browser = Browser(port)
        try:
            while queue and time.monotonic() < deadline:
                body, headers = queue.pop()
                sent = time.monotonic()
                reply = await browser.request("POST", PATH, json=body, headers=headers)
                latencies.append(time.monotonic() - sent)
                if reply.status == 200:
                    ok += 1
                else:
                    other += 1
                    if other == 1:
                        print(f"first refusal: {reply.status} {reply.body[:200]!r}")
        finally:
            await browser.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return ok, other, time.monotonic() - started, latencies


def main(args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="govplatform-exchange-"))
    generator = bench_run.pick_generator("auto")
    server = None
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        with bench_run.scratch_database(args.database, scratch, args.postgres_admin_url, args.keep) as (url, db_text):
            env = {k: v for k, v in os.environ.items() if not k.startswith("GOVPLATFORM_")}
            env.update(
                GOVPLATFORM_VAR_DIR=str(scratch / "var"), GOVPLATFORM_DATABASE_URL=url, GOVPLATFORM_LOG_LEVEL="warning",
                GOVPLATFORM_EXCHANGE_QUERIES_PER_SECOND="1000000",
                GOVPLATFORM_FRONTEND_DIR=str(ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
            )  # fmt: skip
            govplatform = Path(sys.executable).parent / "govplatform"
            subprocess.run([str(govplatform), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
            say(
                f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; database: {db_text}; load average "
                f"{os.getloadavg()[0]:.1f}; generator: {generator}, {args.connections} connections; "
                f"{args.duration:.0f} s per measurement; {args.web_workers} web worker(s)"
            )
            port = bench_run.free_port()
            yardstick = Path(args.yardstick).resolve()
            bench_run.create_yardstick_table(yardstick, url)
            command = [sys.executable, str(yardstick), "--port", str(port), "--workers", str(args.web_workers),
                       "--database-url", url]  # fmt: skip
            ystick = bench_run.start_server("yardstick", command, env, port, "/hello", scratch)
            try:
                request = bench_run.request_for(next(s for s in bench_run.YARDSTICK_SCENARIOS if s.name == "accept"))
                bench_run.measure(args, generator, port, request, 2)
                accept = bench_run.measure(args, generator, port, request, args.duration).ok_per_second
            finally:
                ystick.stop()
            say(f"yardstick POST /accept {accept:.0f} ok/s")
            key_id, agreement, key = asyncio.run(seed(env, args.records))
            port = bench_run.free_port()
            base = f"http://{bench_run.HOST}:{port}"
            env["GOVPLATFORM_BASE_URL"] = base
            command = [str(govplatform), "serve", "--host", bench_run.HOST, "--port", str(port), "--without-worker",
                       "--workers", str(args.web_workers)]  # fmt: skip
            server = bench_run.start_server("platform", command, env, port, "/healthz", scratch)
            warm = signed_queries(base, key_id, agreement, key, 200, args.records)
            asyncio.run(ask_all(port, warm, args.connections, 10))
            prepared = signed_queries(base, key_id, agreement, key, args.queries, args.records)
            ok, other, took, latencies = asyncio.run(ask_all(port, prepared, args.connections, args.duration))
            rate = ok / max(took, 1e-9)
            latencies.sort()
            p50 = latencies[len(latencies) // 2] * 1000 if latencies else 0.0
            p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0
            verdict = "" if rate / accept >= 0.12 else " NOT MET"
            say(
                f"exchange POST {PATH}: {ok} answered ({other} not) in {took:.1f} s: {rate:.0f} ok/s, ratio "
                f"{rate / accept:.3f} of /accept (target 0.12){verdict}; p50 {p50:.1f} ms, p99 {p99:.1f} ms"
            )
    finally:
        if server is not None:
            server.stop()
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-admin-url", default="postgresql://root@127.0.0.1/postgres")
    parser.add_argument("--yardstick", default=str(ROOT.parent / "shared" / "bench" / "yardstick.py"))
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument("--records", type=int, default=10_000, help="keepers in the record store")
    parser.add_argument("--queries", type=int, default=4000, help="queries signed for the measurement")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--output", help="also write the report's lines to this file")
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
