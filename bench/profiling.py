"""Optional profiling for bench/run.py --profile: py-spy samples the platform under the same load.

It runs after the measured rounds, in a load run of its own, so that the
sampler's CPU (on a two-core machine, a real share) never lands in the
recorded figures. py-spy is not a project dependency; install it into the
venv to use this (`.venv/bin/pip install py-spy`). It writes the collapsed
stacks (`py-spy record -f raw`, one stack and a count per line, the input of
flamegraph.pl or speedscope) and prints the functions that take the most
samples, by self time and by time including callees in the project's code.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]+)(?::\d+)?\)$")


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, output: Path, threads: bool) -> subprocess.Popen[bytes]:
    """Start sampling the process and its children (uvicorn workers) for `seconds`."""
    command = py_spy()
    if command is None:
        raise RuntimeError("py-spy is not installed: .venv/bin/pip install py-spy (it is not a project dependency)")
    args = [
        command,
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--duration",
        str(max(1, int(seconds))),
        "--rate",
        "200",
        "--format",
        "raw",
        "--output",
        str(output),
        "--nonblocking",
    ]
    if threads:
        args.append("--threads")
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[bytes], timeout: float) -> None:
    try:
        _out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError("py-spy did not finish") from None
    if process.returncode != 0:
        raise RuntimeError(f"py-spy failed: {err.decode(errors='replace').strip()[-500:]}")


def _name(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    return f"{match['function']} ({match['file']})"


def summarise(path: Path, top: int = 12) -> list[str]:
    """The functions with the most samples: self time, and inclusive time in govplatform's own code."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        samples = int(count)
        total += samples
        own[_name(frames[-1])] += samples
        for name in {
            _name(f) for f in frames if "govplatform/" in f and "/cli.py" not in f and "processes.py" not in f
        }:
            inclusive[name] += samples
    if not total:
        return ["  (no samples)"]
    lines = [f"  {total} samples; self time:"]
    lines += [f"    {n / total:6.1%}  {name}" for name, n in own.most_common(top)]
    lines.append("  including callees, in govplatform's code:")
    lines += [f"    {n / total:6.1%}  {name}" for name, n in inclusive.most_common(top)]
    return lines


def cpu_seconds(session_id: int) -> dict[str, float]:
    """CPU seconds used so far by a server's processes (its session: uvicorn and its workers), by PostgreSQL's
    processes, and by this process (the load generator), read from /proc; {} where /proc is missing.

    A figure that holds on a noisy shared machine: throughput moves with whatever
    else the host runs, CPU time per journey much less. "PostgreSQL" is every
    process on the host whose command line starts with "postgres" (the benchmark's
    own connections and the server's background work alike), and a process that
    exits between two readings takes its CPU with it.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    used = {"platform": 0.0, "postgres": 0.0}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime and stime
        if int(fields[3]) == session_id:
            used["platform"] += seconds
        elif command.startswith(b"postgres"):
            used["postgres"] += seconds
    times = os.times()
    used["generator"] = times.user + times.system
    return used
