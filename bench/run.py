"""Benchmark platform endpoints against the yardstick, in the same run, and print the ratios.

Why this exists: DESIGN.md ("How it is measured") asks for throughput as a
ratio to the yardstick (../shared/bench/yardstick.py, the least work a JSON
API can do) measured in the same run, with the same server, worker count,
database and load generator, so the figure holds on a noisy shared machine.
Raw requests per second from one laptop mean little; "the platform answers
at 0.4 of the yardstick's /hello" can be compared across machines and over
time. Latencies (p50, p99) are printed beside the ratio. A benchmark is not a
test: this prints numbers and exits 0 whatever they are; it exits non-zero
only when it could not measure at all (a server did not start, say).

What one run does:

1. makes a scratch var dir and a scratch database (a SQLite file, or a fresh
   PostgreSQL database that is dropped afterwards); the platform's tables and
   the yardstick's table live in that same database;
2. migrates it (`govplatform db upgrade`) and runs each scenario's setup
   (creates an organisation, a service and a key through the CLI);
3. starts the yardstick and the platform (`govplatform serve --without-worker`),
   both uvicorn with the same worker count, on free ports on 127.0.0.1;
4. for each round, runs every scenario in turn (yardstick, platform,
   yardstick, platform, ...): a warm-up, then a measured run;
5. prints successful (2xx) requests per second, p50/p99 latency and the
   ratio of each platform scenario to its yardstick baseline; then stops
   both servers (also on Ctrl-C or an error) and removes the scratch data.

Run it from the repository root:

    make bench                                   # SQLite, 1 web worker, 2 rounds of 10 s
    .venv/bin/python bench/run.py --database postgres --workers 2
    .venv/bin/python bench/run.py --duration 30 --rounds 3 --connections 64
    .venv/bin/python bench/run.py --list         # the scenarios
    .venv/bin/python bench/run.py --profile var/profiles   # then py-spy the platform (pip install py-spy)

The load generator is `wrk` (Debian: `apt-get install wrk`) if found, else a
built-in asyncio one (slower, it says so; its ratios are not comparable with
wrk's). The scenarios live in bench/scenarios.py; components add their
endpoints there. Results and their reading: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import importlib.util
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import loadgen
import profiling
from scenarios import SCENARIOS, YARDSTICK_SCENARIOS, Context, Scenario

REPO = Path(__file__).resolve().parent.parent
DEFAULT_YARDSTICK = REPO.parent / "shared" / "bench" / "yardstick.py"  # ../shared/bench from the repository
DEFAULT_POSTGRES_ADMIN = "postgresql://root@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"


# --- servers --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    def log_lines(self) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def check(self) -> None:
        """Raise with the end of the server's log if it has exited (a worker that failed to start, say)."""
        if self.process.poll() is not None:
            tail = "\n".join(self.log_lines()[-20:])
            raise RuntimeError(f"the {self.name} server exited with {self.process.returncode}:\n{tail}")

    def stop(self) -> None:
        """SIGTERM the server's process group (uvicorn's workers too), SIGKILL it after 10 s."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    ready_path: str,
    log_dir: Path,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Server:
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        # A session of its own, so that stopping it reaches uvicorn's worker processes too.
        process = subprocess.Popen(
            command,
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(name, process, port, log_path)
    deadline = time.monotonic() + timeout
    url = f"http://{HOST}:{port}{ready_path}"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "\n".join(server.log_lines()[-20:])
            raise RuntimeError(f"the {name} server exited with {process.returncode} while starting:\n{tail}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2) as answer:
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the {name} server did not answer {url} within {timeout:.0f} s; log: {log_path}")


# --- the database ---------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(kind: str, scratch: Path, admin_url: str, keep: bool) -> Iterator[tuple[str, str]]:
    """Yield (url, description) of an empty database for this run; drop it afterwards unless keep."""
    if kind == "sqlite":
        path = scratch / "bench.db"
        yield f"sqlite:///{path}", f"SQLite file {path} (WAL)"
        return
    import asyncpg

    name = f"govplatform_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"

    async def admin(statement: str) -> str:
        connection = await asyncpg.connect(admin_url, timeout=10)
        try:
            await connection.execute(statement)
            version: str = await connection.fetchval("show server_version")
            return version
        finally:
            await connection.close()

    version = asyncio.run(admin(f'create database "{name}"'))
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}", f"PostgreSQL {version} database {name} at {base.split('@')[-1]}"
    finally:
        if keep:
            print(f"kept the database {name}")
        else:
            asyncio.run(admin(f'drop database if exists "{name}" with (force)'))


def create_yardstick_table(yardstick: Path, url: str) -> None:
    """Create the yardstick's table before it starts.

    With several uvicorn workers on PostgreSQL, each worker runs the yardstick's
    `create table if not exists` at start-up, and two concurrent ones can fail
    with a unique violation on pg_type; uvicorn then stops every worker. When
    the table is already there the statement is a no-op. The DDL is read from
    the yardstick itself so that the two cannot drift apart.
    """
    spec = importlib.util.spec_from_file_location("bench_yardstick", yardstick)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load the yardstick from {yardstick}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    ddl: str = module.DDL
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.split("sqlite:///", 1)[1])) as db:
            db.execute(ddl)
            db.commit()
        return
    import asyncpg

    async def create() -> None:
        connection = await asyncpg.connect(url, timeout=10)
        try:
            await connection.execute(ddl)
        finally:
            await connection.close()

    asyncio.run(create())


# --- measuring ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Result:
    scenario: Scenario
    rounds: list[loadgen.Measurement] = dataclasses.field(default_factory=list)

    @property
    def ok_per_second(self) -> float:
        seconds = sum(m.seconds for m in self.rounds)
        return sum(m.ok for m in self.rounds) / seconds if seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(m.p50_ms for m in self.rounds)

    @property
    def p99_ms(self) -> float:
        return statistics.median(m.p99_ms for m in self.rounds)

    @property
    def not_2xx(self) -> int:
        return sum(m.not_2xx for m in self.rounds)

    @property
    def errors(self) -> int:
        return sum(m.errors for m in self.rounds)


def measure(
    args: argparse.Namespace, generator: str, port: int, request: loadgen.Request, seconds: float
) -> loadgen.Measurement:
    if generator == "wrk":
        return loadgen.run_wrk(port, request, seconds, args.connections, args.threads)
    return loadgen.run_python(port, request, seconds, args.connections)


def choose_scenarios(only: list[str] | None, with_accept: bool) -> tuple[list[Scenario], list[Scenario]]:
    platform_scenarios = [s for s in SCENARIOS if not only or s.name in only]
    unknown = sorted(set(only or []) - {s.name for s in SCENARIOS})
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(unknown)}; see --list")
    needed = {s.baseline for s in platform_scenarios if s.baseline} | ({"accept"} if with_accept else set())
    yardstick = [s for s in YARDSTICK_SCENARIOS if s.name in needed]
    return yardstick, platform_scenarios


def describe_machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " (" + " ".join(line.split(":", 1)[1].split()) + ")"
                break
    load = ""
    with contextlib.suppress(OSError):
        load = ", load average at start {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs{model}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}{load}"
    )


def describe_source() -> str:
    """The commit measured, and whether src/ had uncommitted changes (the figures are for that code)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return commit + (" with uncommitted changes in src/" if dirty else "")


def ratio(result: Result, baseline: Result | None) -> float | None:
    if baseline is None or baseline.ok_per_second == 0:
        return None
    return result.ok_per_second / baseline.ok_per_second


def round_ratios(result: Result, baseline: Result | None) -> list[float]:
    if baseline is None:
        return []
    return [
        p.ok_per_second / y.ok_per_second
        for p, y in zip(result.rounds, baseline.rounds, strict=False)
        if y.ok_per_second
    ]


def print_report(results: list[Result], header: list[str], markdown: bool) -> None:
    by_name = {r.scenario.name: r for r in results}
    print()
    for line in header:
        print(line)
    print()
    title = f"{'scenario':<60} {'ok req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'errors':>7}  ratio"
    print(title)
    print("-" * len(title) + "-" * 24)
    for result in results:
        s = result.scenario
        base = by_name.get(s.baseline) if s.baseline else None
        value = ratio(result, base)
        shown = "" if value is None else f"{value:.3f} of /{s.baseline}"
        spread = round_ratios(result, base)
        if len(spread) > 1:
            shown += f" (rounds {', '.join(f'{r:.3f}' for r in spread)})"
        label = f"{s.label} [{s.name}]"
        print(
            f"{label:<60} {result.ok_per_second:>9.0f} {result.p50_ms:>8.1f} {result.p99_ms:>8.1f} "
            f"{result.not_2xx:>8} {result.errors:>7}  {shown}"
        )
    if any(r.not_2xx or r.errors for r in results):
        print("\nSome responses were not 2xx or failed: only 2xx count towards req/s, but latencies include them.")
    if markdown:
        print("\n| scenario | ok req/s | p50 ms | p99 ms | ratio |\n|---|---:|---:|---:|---:|")
        for result in results:
            s = result.scenario
            value = ratio(result, by_name.get(s.baseline) if s.baseline else None)
            print(
                f"| `{s.method} {s.path}` ({s.server}) | {result.ok_per_second:.0f} | {result.p50_ms:.1f} | "
                f"{result.p99_ms:.1f} | {'' if value is None else f'{value:.3f}'} |"
            )


def pick_generator(choice: str) -> str:
    generator = choice
    if choice == "auto":
        generator = "wrk" if loadgen.wrk_available() else "python"
    if generator == "wrk" and not loadgen.wrk_available():
        raise SystemExit("wrk is not installed (apt-get install wrk), or use --generator python")
    return generator


def prepare(scenarios: list[Scenario], context: Context) -> list[Scenario]:
    """Run each scenario's setup once (keys, ids) and apply what it returns."""
    return [dataclasses.replace(s, **(s.setup(context) if s.setup else {})) for s in scenarios]


def start_servers(
    args: argparse.Namespace,
    govplatform: Path,
    yardstick: Path,
    url: str,
    env: dict[str, str],
    scratch: Path,
    servers: list[Server],
    need_floor: bool = False,
    need_platform: bool = True,
) -> dict[str, Server]:
    """The yardstick and the platform (and the floor app, when asked), same uvicorn worker count, same database."""
    yardstick_port, platform_port = free_port(), free_port()
    servers.append(
        start_server(
            "yardstick",
            [
                sys.executable,
                str(yardstick),
                "--port",
                str(yardstick_port),
                "--workers",
                str(args.workers),
                "--database-url",
                url,
            ],
            env,
            yardstick_port,
            "/hello",
            scratch,
        )
    )
    if need_platform:
        servers.append(
            start_server(
                "platform",
                [
                    str(govplatform),
                    "serve",
                    "--host",
                    HOST,
                    "--port",
                    str(platform_port),
                    "--workers",
                    str(args.workers),
                    "--without-worker",
                ],
                env,
                platform_port,
                "/healthz",
                scratch,
            )
        )
    if need_floor:
        floor_port = free_port()
        servers.append(
            start_server(
                "floor",
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "floor_app:app_factory",
                    "--factory",
                    "--app-dir",
                    str(REPO / "bench"),
                    "--host",
                    HOST,
                    "--port",
                    str(floor_port),
                    "--workers",
                    str(args.workers),
                    "--log-level",
                    args.log_level,
                    "--no-access-log",
                    "--proxy-headers",
                    "--no-server-header",
                ],
                {**env, "GOVPLATFORM_EMBEDDED_WORKER": "false"},
                floor_port,
                "/healthz",
                scratch,
            )
        )
    time.sleep(1)  # with several workers, one answering does not prove that all started
    for server in servers:
        server.check()
    return {server.name: server for server in servers}


def started(scenario: Scenario, servers: dict[str, Server]) -> Scenario:
    """The scenario with what its `started` hook made on the running server (a payment to read, say)."""
    if scenario.started is None:
        return scenario
    changes = scenario.started(scenario, f"http://{HOST}:{servers[scenario.server].port}")
    return dataclasses.replace(scenario, **changes)


def request_for(scenario: Scenario) -> loadgen.Request:
    headers = {**scenario.headers, **(scenario.fresh_headers() if scenario.fresh_headers else {})}
    return loadgen.Request(scenario.method, scenario.path, headers, scenario.body)


def measure_rounds(
    args: argparse.Namespace, generator: str, scenarios: list[Scenario], servers: dict[str, Server]
) -> list[Result]:
    """Every scenario in turn, round after round, so slow drift on the machine hits each alike."""
    results = [Result(s) for s in scenarios]
    for round_number in range(1, args.rounds + 1):
        for result in results:
            s = result.scenario
            server = servers[s.server]
            try:
                server.check()
                if args.warmup > 0:
                    measure(args, generator, server.port, request_for(s), args.warmup)
                taken = measure(args, generator, server.port, request_for(s), args.duration)
            except loadgen.LoadGeneratorError:
                server.check()  # a dead server explains a failed load run better than the generator can
                raise
            result.rounds.append(taken)
            print(
                f"  round {round_number}/{args.rounds}  {s.label:<40} {taken.ok_per_second:>8.0f} ok/s  "
                f"p50 {taken.p50_ms:6.1f} ms  p99 {taken.p99_ms:7.1f} ms"
                + (f"  non-2xx {taken.not_2xx}" if taken.not_2xx else "")
                + (f"  errors {taken.errors}" if taken.errors else ""),
                flush=True,
            )
    return results


def measure_half_peak(args: argparse.Namespace, results: list[Result], servers: dict[str, Server]) -> list[str]:
    """p50/p99 under an open-loop load at half each asking scenario's measured peak."""
    lines = []
    for result in results:
        s = result.scenario
        if not s.latency_at_half_peak or not result.rounds:
            continue
        rate = max(1.0, statistics.median(r.ok_per_second for r in result.rounds) / 2)
        taken = loadgen.run_paced(servers[s.server].port, request_for(s), rate, args.duration)
        line = (
            f"{s.label} [{s.name}] paced at half the peak, {rate:.0f} req/s for {args.duration:g} s: "
            f"{taken.ok} ok, p50 {taken.p50_ms:.1f} ms, p99 {taken.p99_ms:.1f} ms, max {taken.max_ms:.1f} ms"
            + (f", non-2xx {taken.not_2xx}" if taken.not_2xx else "")
            + (f", errors {taken.errors}" if taken.errors else "")
        )
        print("  " + line, flush=True)
        lines.append(line)
    return lines


def profile_platform(
    args: argparse.Namespace, generator: str, results: list[Result], servers: dict[str, Server], database: str
) -> None:
    """One more, unrecorded load run per platform scenario with py-spy attached (bench/profiling.py)."""
    directory = Path(args.profile)
    directory.mkdir(parents=True, exist_ok=True)
    server = servers.get("platform")
    if server is None:
        return  # only the floor app ran
    for result in results:
        s = result.scenario
        if s.server != "platform":
            continue
        output = directory / f"{s.name}-{database}-w{args.workers}.txt"
        request = request_for(s)
        seconds = max(3.0, args.duration)
        # On SQLite the driver's threads matter (aiosqlite runs every call on one), so sample per thread.
        sampler = profiling.start(server.process.pid, seconds - 1, output, threads=database == "sqlite")
        try:
            measure(args, generator, server.port, request, seconds)
        finally:
            profiling.finish(sampler, timeout=seconds + 30)
        print(f"\nprofile of {s.label} under load (not a recorded round): {output}")
        for line in profiling.summarise(output):
            print(line)


def write_json(path: str, header: list[str], results: list[Result]) -> None:
    by_name = {r.scenario.name: r for r in results}
    Path(path).write_text(
        json.dumps(
            {
                "header": header,
                "results": [
                    {
                        "scenario": r.scenario.name,
                        "server": r.scenario.server,
                        "method": r.scenario.method,
                        "path": r.scenario.path,
                        "baseline": r.scenario.baseline,
                        "ok_per_second": r.ok_per_second,
                        "p50_ms": r.p50_ms,
                        "p99_ms": r.p99_ms,
                        "ratio": ratio(r, by_name.get(r.scenario.baseline or "")),
                        "rounds": [dataclasses.asdict(m) for m in r.rounds],
                    }
                    for r in results
                ],
            },
            indent=2,
        )
        + "\n"
    )


def run(args: argparse.Namespace) -> int:
    yardstick_scenarios, platform_scenarios = choose_scenarios(args.only, not args.no_accept)
    servers_needed = {s.server for s in platform_scenarios}
    if {"floor", "platform"} <= servers_needed and args.database == "postgres":
        raise SystemExit(
            "run the floor-* scenarios on their own on PostgreSQL (--only floor-driver --only floor-unit-of-work): "
            "the platform's and the floor app's connection pools together pass PostgreSQL's 100 connections"
        )
    generator = pick_generator(args.generator)
    yardstick = Path(args.yardstick).resolve()
    if not yardstick.exists():
        raise SystemExit(f"the yardstick is not at {yardstick}; pass --yardstick PATH")
    govplatform = Path(sys.executable).parent / "govplatform"
    if not govplatform.exists():
        raise SystemExit(f"{govplatform} not found: run with the project's venv (.venv/bin/python bench/run.py)")
    generator_text = (
        f"wrk -t{min(args.threads, args.connections)} -c{args.connections}"
        if generator == "wrk"
        else f"built-in asyncio generator (wrk not found), {args.connections} connections, one process"
    )
    print(f"load generator: {generator_text}")
    machine = describe_machine()  # before our own load raises the load average
    source = describe_source()

    servers: list[Server] = []
    scratch = Path(tempfile.mkdtemp(prefix="govplatform-bench-"))
    try:
        with scratch_database(args.database, scratch, args.postgres_admin_url, args.keep) as (url, db_text):
            print(f"database: {db_text}")
            # Only the benchmark's own settings: a GOVPLATFORM_* from the shell must not point it elsewhere.
            env = {k: v for k, v in os.environ.items() if not k.startswith("GOVPLATFORM_")}
            env.update(
                GOVPLATFORM_VAR_DIR=str(scratch / "var"),
                GOVPLATFORM_DATABASE_URL=url,
                GOVPLATFORM_LOG_LEVEL=args.log_level,
                GOVPLATFORM_TEMPLATE_RELOAD="false",  # as in production
                # Pay's per-account limits (15 payments a second) would measure the limit, not the platform.
                GOVPLATFORM_PAY_RATE_LIMIT_CREATE_PER_SECOND="1000000",
                GOVPLATFORM_PAY_RATE_LIMIT_GET_PER_SECOND="1000000",
                GOVPLATFORM_PAY_RATE_LIMIT_POST_PER_SECOND="1000000",
                GOVPLATFORM_FRONTEND_DIR=os.environ.get(
                    "GOVPLATFORM_FRONTEND_DIR", str(REPO / "node_modules" / "govuk-frontend" / "dist" / "govuk")
                ),
            )
            try:
                subprocess.run(
                    [str(govplatform), "db", "upgrade"], env=env, cwd=REPO, check=True, capture_output=True, timeout=300
                )
                create_yardstick_table(yardstick, url)
                scenarios = prepare(
                    yardstick_scenarios + platform_scenarios, Context(govplatform=govplatform, env=env, cwd=REPO)
                )
                print(f"starting the yardstick ({yardstick}) and the platform, {args.workers} web worker(s) each")
                app_server = "platform" if "platform" in servers_needed else "floor"
                running = start_servers(
                    args, govplatform, yardstick, url, env, scratch, servers,
                    need_floor="floor" in servers_needed, need_platform="platform" in servers_needed,
                )  # fmt: skip
                scenarios = [started(s, running) for s in scenarios]
                startup_log_lines = len(running[app_server].log_lines())
                results = measure_rounds(args, generator, scenarios, running)
                paced = measure_half_peak(args, results, running)
                platform_log_lines = len(running[app_server].log_lines()) - startup_log_lines
                if args.profile:
                    profile_platform(args, generator, results, running, args.database)
            finally:
                for server in servers:  # before the scratch database is dropped
                    server.stop()
        header = [
            f"GovPlatform benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
            f"machine: {machine}",
            f"code: {source}",
            f"database: {db_text}",
            f"server: uvicorn, {args.workers} web worker(s) each for the yardstick and the platform "
            f"(platform log level {args.log_level}, no in-process job worker)",
            f"load: {generator_text}; {args.rounds} round(s) of {args.duration:g} s per scenario after "
            f"{args.warmup:g} s warm-up each, scenarios alternating",
            "req/s counts 2xx responses only; p50/p99 are the median over rounds; "
            "ratio = platform 2xx req/s / yardstick 2xx req/s",
            f"platform log lines written during the load: {platform_log_lines}",
        ]
        header += [f"latency at half the peak (open loop, latency from each request's scheduled time): {line}"
                   for line in paced]  # fmt: skip
        print_report(results, header, args.markdown)
        if args.json:
            write_json(args.json, header, results)
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"kept the scratch directory {scratch} (server logs, var dir)")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="a scratch SQLite file (default) or a scratch PostgreSQL database",
    )
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_ADMIN),
        help="where to create (and drop) the scratch PostgreSQL database "
        f"(default $BENCH_POSTGRES_URL or {DEFAULT_POSTGRES_ADMIN})",
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn web workers for each server (default 1)")
    parser.add_argument("--duration", type=float, default=10, help="measured seconds per scenario per round")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds before each measured run")
    parser.add_argument("--rounds", type=int, default=2, help="times through the alternating scenarios (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="open connections (default 32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--generator",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator: wrk if installed (auto), or the built-in asyncio one",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="measure only this platform scenario (repeatable); its baseline is always measured",
    )
    parser.add_argument(
        "--no-accept",
        action="store_true",
        help="skip the yardstick's POST /accept unless a scenario needs it as its baseline",
    )
    parser.add_argument(
        "--yardstick", default=str(DEFAULT_YARDSTICK), help=f"path to yardstick.py (default {DEFAULT_YARDSTICK})"
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="the platform's GOVPLATFORM_LOG_LEVEL (default warning: no per-request log line)",
    )
    parser.add_argument("--markdown", action="store_true", help="also print the results as a Markdown table")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="after the rounds, run each platform scenario once more under py-spy (pip install "
        "py-spy into the venv) and write collapsed stacks to DIR; that run is not recorded",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory and database")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    for name in ("workers", "rounds", "connections", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.duration < 1 or args.warmup < 0:
        parser.error("--duration must be at least 1 and --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for s in YARDSTICK_SCENARIOS + SCENARIOS:
            base = f"  (ratio against yardstick /{s.baseline})" if s.baseline else ""
            print(f"{s.name:<22} {s.label:<45} {s.note}{base}")
        return 0
    # SIGTERM unwinds like Ctrl-C, so the servers are stopped and the scratch database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130
    except (RuntimeError, subprocess.CalledProcessError, loadgen.LoadGeneratorError, OSError) as error:
        detail = getattr(error, "stderr", None)
        print(
            f"benchmark could not run: {error}" + (f"\n{detail.decode(errors='replace')}" if detail else ""),
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
