"""Latency of ordinary requests while hostile files are being read (issue 13 fault 1).

Why a separate script: bench/run.py measures one request at full load; this one
holds an ordinary request to a steady pace and asks how long each answer takes
while, beside it, other clients keep sending files that cost far more to read
than they weigh (tests/integration/notify/hostile_files.py): a PDF whose content
stream inflates to 10 MB, a 1 KB PDF that draws one form 2,000 times (minutes of
CPU), an XLSX that unpacks to 150 MB and a CSV of ten million empty lines. The
platform reads each in a separate process with limits (core/untrusted.py) and
refuses it; before that, one such PDF held every other request for its whole
parse (6-19 s in the outside test).

    .venv/bin/python bench/hostile_files.py                      # SQLite, 20 sends a second, 20 s a phase
    .venv/bin/python bench/hostile_files.py --database postgres --rate 50

Steps: a scratch var dir and database, migrated; a live Notify service with a
key and an email template, and the demo's staff user (for the upload page),
made through the CLI; the yardstick and `govplatform serve --without-worker`
(one worker each). Then, at a paced rate (latency counted from each request's
scheduled time, so a stall shows in full): the yardstick's GET /hello, as the
floor of this machine at this moment; then two ordinary requests of the
platform, a read (GET /v2/template/{id}) and a write (POST
/v2/notifications/email: SQLite's one writer is where a stall used to turn
into 503s), with nothing else going on, while two clients send hostile PDFs
back to back, and while two staff upload hostile spreadsheets back to back.
It prints p50, p99 and the slowest answer of each, and what the hostile files
got. A benchmark, not a test: it prints numbers and exits 0 whatever they are.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pyotp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import loadgen  # noqa: E402
import run as bench_run  # noqa: E402
import scenarios  # noqa: E402
from notifications_python_client.authentication import create_jwt_token  # noqa: E402
from tests.integration.notify import hostile_files  # noqa: E402


@dataclass
class Hostile:
    """What the hostile clients sent and got."""

    statuses: dict[int, int] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.seconds.append(seconds)

    def describe(self) -> str:
        if not self.seconds:
            return "none answered"
        answered = ", ".join(f"{count} x {status}" for status, count in sorted(self.statuses.items()))
        mean = sum(self.seconds) / len(self.seconds)
        return f"{answered}; each refused after {mean:.2f} s on average (slowest {max(self.seconds):.2f} s)"


def keep_sending(stop: threading.Event, hostile: Hostile, senders: list[Callable[[], httpx.Response]]) -> None:
    turn = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            status = senders[turn % len(senders)]().status_code
        except httpx.HTTPError:
            status = 0
        hostile.record(status, time.monotonic() - started)
        turn += 1


def signed_in(url: str, var_dir: Path) -> httpx.Cookies:
    demo = json.loads((var_dir / "demo-credentials.json").read_text())
    with httpx.Client(base_url=url, timeout=60) as client:
        token = _csrf(client.get("/sign-in").text)
        client.post("/sign-in", data={"email": demo["email"], "password": demo["password"], "csrf_token": token})
        token = _csrf(client.get("/sign-in/code").text)
        code = pyotp.TOTP(demo["totp_secret"]).now()
        answer = client.post("/sign-in/code", data={"code": code, "csrf_token": token})
        if answer.status_code != 303:
            raise SystemExit(f"could not sign in as the demo user: {answer.status_code}")
        return client.cookies


def _csrf(html: str) -> str:
    marker = 'name="csrf_token" value="'
    return html.split(marker, 1)[1].split('"', 1)[0]


def main(args: argparse.Namespace) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="govplatform-hostile-"))
    govplatform = Path(sys.executable).parent / "govplatform"
    servers: list[bench_run.Server] = []
    print(f"machine: {bench_run.describe_machine()}")
    print(f"source: {bench_run.describe_source()}")
    try:
        with bench_run.scratch_database(args.database, scratch, args.postgres_admin_url, False) as (url, db_text):
            var_dir = scratch / "var"
            env = {k: v for k, v in os.environ.items() if not k.startswith("GOVPLATFORM_")}
            env.update(
                GOVPLATFORM_VAR_DIR=str(var_dir),
                GOVPLATFORM_DATABASE_URL=url,
                GOVPLATFORM_LOG_LEVEL="warning",
                GOVPLATFORM_ENVIRONMENT="test",
                GOVPLATFORM_FRONTEND_DIR=str(ROOT / "node_modules/govuk-frontend/dist/govuk"),
            )
            subprocess.run([str(govplatform), "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
            subprocess.run([str(govplatform), "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
            print(f"database: {db_text}")
            context = scenarios.Context(govplatform, env, ROOT)
            send = scenarios.notify_email(context)
            service_id = context.platform_service()["service_id"]
            test_key = context.cli(
                "notify", "key", "create", "--service", service_id, "--type", "test", "--name", "Hostile"
            )["key"]
            template_id = json.loads(send["body"])["template_id"]
            started = bench_run.start_servers(
                argparse.Namespace(workers=1), govplatform, Path(args.yardstick).resolve(), url, env, scratch, servers
            )
            platform, yardstick = started["platform"], started["yardstick"]
            base = f"http://{bench_run.HOST}:{platform.port}"
            cookies = signed_in(base, var_dir)

            def letter(pdf: bytes) -> Callable[[], httpx.Response]:
                body = {"reference": "hostile", "content": base64.b64encode(pdf).decode()}

                def post() -> httpx.Response:
                    token = create_jwt_token(test_key[-36:], test_key[-73:-37])
                    headers = {"Authorization": f"Bearer {token}"}
                    return httpx.post(f"{base}/v2/notifications/letter", json=body, headers=headers, timeout=120)

                return post

            def upload(filename: str, data: bytes) -> Callable[[], httpx.Response]:
                page = f"/admin/services/{service_id}/notify/templates/{template_id}/upload"

                def post() -> httpx.Response:
                    with httpx.Client(base_url=base, cookies=cookies, timeout=300) as client:
                        token = _csrf(client.get(page).text)
                        return client.post(page, data={"csrf_token": token}, files={"file": (filename, data)})

                return post

            pdfs = [letter(hostile_files.inflating_pdf()), letter(hostile_files.repeated_form_pdf())]
            sheets = [
                upload("bomb.xlsx", hostile_files.zip_bomb_xlsx()),
                upload("lines.csv", hostile_files.empty_lines_csv()),
            ]

            def paced(port: int, request: loadgen.Request) -> loadgen.Measurement:
                loadgen.run_paced(port, request, args.rate, 2)  # warm-up
                return loadgen.run_paced(port, request, args.rate, args.seconds)

            def email() -> loadgen.Request:
                headers = {**send["headers"], **send["fresh_headers"]()}  # Notify's tokens last 30 s
                return loadgen.Request("POST", "/v2/notifications/email", headers, send["body"])

            def template() -> loadgen.Request:
                headers = send["fresh_headers"]()
                return loadgen.Request("GET", f"/v2/template/{template_id}", headers)

            def ordinary(label: str, note: str = "") -> list[tuple[str, loadgen.Measurement, str]]:
                return [
                    (f"platform GET /v2/template/{{id}}, {label}", paced(platform.port, template()), note),
                    (f"platform POST /v2/notifications/email, {label}", paced(platform.port, email()), note),
                ]

            rows: list[tuple[str, loadgen.Measurement, str]] = []
            hello = loadgen.Request("GET", "/hello", {})
            rows.append(("yardstick GET /hello", paced(yardstick.port, hello), ""))
            if "quiet" in args.phases:
                rows += ordinary("nothing else")
            hostile_phases = {"pdfs": ("hostile PDFs", pdfs), "spreadsheets": ("hostile spreadsheets", sheets)}
            for name, senders in (hostile_phases[phase] for phase in args.phases if phase in hostile_phases):
                hostile = Hostile()
                stop = threading.Event()
                clients = [threading.Thread(target=keep_sending, args=(stop, hostile, senders)) for _ in range(2)]
                for client in clients:
                    client.start()
                time.sleep(1)  # the first files are being read
                measured = ordinary(f"2 clients sending {name}")
                stop.set()
                for client in clients:
                    client.join()
                rows += [(label, measurement, hostile.describe()) for label, measurement, _ in measured]
            print(f"\npaced at {args.rate:g} requests/s for {args.seconds:g} s; latency from each scheduled time\n")
            print("| load | 2xx | other | errors | p50 ms | p99 ms | max ms | hostile files (both rows) |")
            print("|---|---|---|---|---|---|---|---|")
            for label, m, note in rows:
                print(
                    f"| {label} | {m.ok} | {m.not_2xx} | {m.errors} | {m.p50_ms:.1f} | {m.p99_ms:.1f} | "
                    f"{m.max_ms:.0f} | {note} |"
                )
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--postgres-admin-url", default=os.environ.get("BENCH_POSTGRES_URL", bench_run.DEFAULT_POSTGRES_ADMIN)
    )
    parser.add_argument("--yardstick", default=str(bench_run.DEFAULT_YARDSTICK))
    parser.add_argument("--rate", type=float, default=20.0, help="ordinary requests a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="each phase (Notify's tokens last 30 s)")
    parser.add_argument(
        "--phases", nargs="+", choices=("quiet", "pdfs", "spreadsheets"), default=["quiet", "pdfs", "spreadsheets"]
    )
    return parser.parse_args()


if __name__ == "__main__":
    main(parse_args())
