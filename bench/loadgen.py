"""Load generators for bench/run.py: `wrk` when it is installed, else a small asyncio one.

wrk (Debian's package) is the yardstick's own load generator, so it is the
one to use: it is written in C and needs a fraction of the CPU that a Python
client does, which matters on a two-core machine where the client and the
server share the cores. The asyncio generator exists so that `make bench`
still prints figures where wrk is missing; it is hand-written (raw HTTP/1.1
keep-alive over asyncio streams, no client library) because httpx or aiohttp
would spend several times the server's CPU per request and measure
themselves. Its figures are lower than wrk's; ratios from either hold only
against a yardstick measured with the same generator, which run.py ensures.

Both stop by themselves after the duration (plus a bounded grace period) and
only ever connect to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"


@dataclasses.dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None = None


@dataclasses.dataclass
class Measurement:
    ok: int  # 2xx responses
    not_2xx: int
    errors: int  # connect/read/write errors and timeouts
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def ok_per_second(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0


class LoadGeneratorError(RuntimeError):
    pass


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(port: int, request: Request, seconds: float, connections: int, threads: int) -> Measurement:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise LoadGeneratorError("wrk is not installed")
    threads = max(1, min(threads, connections))
    env = dict(os.environ, BENCH_METHOD=request.method, BENCH_BODY_FILE="")
    with tempfile.TemporaryDirectory(prefix="govplatform-bench-wrk-") as scratch:
        if request.body is not None:
            body_file = Path(scratch) / "body"
            body_file.write_bytes(request.body)
            env["BENCH_BODY_FILE"] = str(body_file)
        command = [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "5s",
            "-s",
            str(WRK_SCRIPT),
        ]
        for name, value in request.headers.items():
            command += ["-H", f"{name}: {value}"]
        command.append(f"http://{HOST}:{port}{request.path}")
        try:
            finished = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=seconds + 30, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise LoadGeneratorError(f"wrk did not finish within {seconds + 30:.0f} s") from error
    line = next((ln for ln in finished.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if finished.returncode != 0 or line is None:
        raise LoadGeneratorError(f"wrk failed ({finished.returncode}): {finished.stderr.strip() or finished.stdout}")
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    return Measurement(
        ok=data["ok"],
        not_2xx=data["not_2xx"],
        errors=sum(data["errors"].values()),
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )


# --- the asyncio fallback -------------------------------------------------------------------------


def _request_bytes(port: int, request: Request) -> bytes:
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {HOST}:{port}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    if request.body is not None:
        lines.append(f"Content-Length: {len(request.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (request.body or b"")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return (status, whether the connection stays open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers.get("connection") != "close"


async def _one_connection(port: int, payload: bytes, deadline: float, results: dict[str, list]) -> None:
    writer = None
    try:
        while time.perf_counter() < deadline:
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 5)
                started = time.perf_counter()
                writer.write(payload)
                status, keep_alive = await asyncio.wait_for(_read_response(reader), 5)
                results["latency"].append(time.perf_counter() - started)
                results["ok" if 200 <= status < 300 else "not_2xx"].append(1)
                if not keep_alive:
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
                results["errors"].append(1)
                if writer is not None:
                    writer.close()
                    writer = None
                await asyncio.sleep(0.01)
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _run_python(port: int, request: Request, seconds: float, connections: int) -> Measurement:
    payload = _request_bytes(port, request)
    results: dict[str, list] = {"latency": [], "ok": [], "not_2xx": [], "errors": []}
    started = time.perf_counter()
    deadline = started + seconds
    tasks = [asyncio.create_task(_one_connection(port, payload, deadline, results)) for _ in range(connections)]
    # Every loop checks the deadline; the outer bound covers a server that stops answering mid-request.
    _done, pending = await asyncio.wait(tasks, timeout=seconds + 10)
    for task in pending:
        task.cancel()
    return _measurement(results, time.perf_counter() - started)


def _measurement(results: dict[str, list], elapsed: float) -> Measurement:
    latencies = sorted(results["latency"]) or [0.0]
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return Measurement(
        ok=len(results["ok"]),
        not_2xx=len(results["not_2xx"]),
        errors=len(results["errors"]),
        seconds=elapsed,
        p50_ms=cuts[49] * 1000,
        p90_ms=cuts[89] * 1000,
        p99_ms=cuts[98] * 1000,
        max_ms=latencies[-1] * 1000,
    )


def run_python(port: int, request: Request, seconds: float, connections: int) -> Measurement:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_run_python(port, request, seconds, connections))
    return uvloop.run(_run_python(port, request, seconds, connections))


async def _paced_connection(
    port: int, payload: bytes, schedule: asyncio.Queue[float], results: dict[str, list]
) -> None:
    """Send each request at its scheduled time; latency counts from the schedule, not from the send.

    Counting from the scheduled time is what keeps a paced run honest: a server that falls behind
    makes every later request late, and that wait is part of what a caller sees (no coordinated
    omission).
    """
    reader = writer = None
    try:
        while True:
            due = await schedule.get()
            if due < 0:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 5)
                writer.write(payload)
                assert reader is not None
                status, keep_alive = await asyncio.wait_for(_read_response(reader), 10)
                results["latency"].append(time.perf_counter() - due)
                results["ok" if 200 <= status < 300 else "not_2xx"].append(1)
                if not keep_alive:
                    writer.close()
                    writer = None
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
                results["errors"].append(1)
                if writer is not None:
                    writer.close()
                    writer = None
    finally:
        if writer is not None:
            writer.close()


async def _run_paced(port: int, request: Request, rate: float, seconds: float, connections: int) -> Measurement:
    payload = _request_bytes(port, request)
    results: dict[str, list] = {"latency": [], "ok": [], "not_2xx": [], "errors": []}
    schedule: asyncio.Queue[float] = asyncio.Queue()
    started = time.perf_counter() + 0.2
    for n in range(int(rate * seconds)):
        schedule.put_nowait(started + n / rate)
    for _ in range(connections):
        schedule.put_nowait(-1.0)
    tasks = [asyncio.create_task(_paced_connection(port, payload, schedule, results)) for _ in range(connections)]
    await asyncio.wait(tasks, timeout=seconds + 30)
    return _measurement(results, time.perf_counter() - started)


def run_paced(port: int, request: Request, rate: float, seconds: float, connections: int = 64) -> Measurement:
    """An open-loop load: `rate` requests a second, each sent on schedule over up to `connections`."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(_run_paced(port, request, rate, seconds, connections))
    return uvloop.run(_run_paced(port, request, rate, seconds, connections))
