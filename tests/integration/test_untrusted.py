"""Core's parsing of untrusted files: in a child process, stopped at each limit, nothing left behind.

The parsers in untrusted_samples.py stand for hostile files: one that spins,
one that hoards memory, one that never ends, one that crashes. Each is stopped
with the typed error that names the limit, and its process is gone (reaped,
not a zombie) by the time the caller hears of it.
"""

from __future__ import annotations

import asyncio
import io
import time
import zipfile
from pathlib import Path

import pytest

from govplatform.core.interfaces import Limit, LimitExceeded, ParseLimits, UserFacingError, parse_untrusted
from govplatform.core.untrusted import ParserCrashed, check_zip_size, parser_server_pid
from tests.integration import untrusted_samples as samples

pytestmark = pytest.mark.process

TIGHT = ParseLimits(cpu_seconds=1, memory_bytes=64 * 1024 * 1024, decompressed_bytes=1_000_000, wall_seconds=20)


def gone(pid_file: Path) -> bool:
    """The process is not running and has been reaped (a zombie still has its /proc entry)."""
    return not Path(f"/proc/{pid_file.read_text()}").exists()


def a_zip(member_bytes: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sheet.xml", b"x" * member_bytes)
    return out.getvalue()


async def test_a_parse_returns_what_the_parser_returned_from_another_process() -> None:
    assert await parse_untrusted(samples.words, "a hostile file", upper=True) == ["A", "HOSTILE", "FILE"]
    child = await parse_untrusted(samples.process_id)
    assert child != parser_server_pid() and not Path(f"/proc/{child}").exists()


async def test_what_the_parser_raises_reaches_the_caller_whole_so_it_can_still_be_translated() -> None:
    with pytest.raises(UserFacingError) as raised:
        await parse_untrusted(samples.refuse, "Name")
    assert raised.value.template == "The column %(name)s appears twice"
    assert raised.value.params == {"name": "Name"}


async def test_a_parser_that_spins_is_stopped_at_its_cpu_limit_and_is_gone(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with pytest.raises(LimitExceeded) as stopped:
        await parse_untrusted(samples.spin, str(pid_file), limits=TIGHT)
    assert stopped.value.limit == Limit.CPU_TIME
    assert stopped.value.message == "the file took more than 1 seconds of processor time to read"
    assert gone(pid_file)


async def test_a_parser_that_hoards_memory_is_stopped_at_its_memory_limit_and_is_gone(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with pytest.raises(LimitExceeded) as stopped:
        await parse_untrusted(samples.hoard, str(pid_file), limits=TIGHT)
    assert stopped.value.limit == Limit.MEMORY
    assert stopped.value.message == "the file needed more than 64 MiB of memory to read"
    assert gone(pid_file)


async def test_a_parser_that_never_answers_is_killed_at_the_wall_clock_and_is_gone(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as stopped:
        await parse_untrusted(samples.wait, str(pid_file), limits=ParseLimits(wall_seconds=1.0))
    assert stopped.value.limit == Limit.WALL_CLOCK
    assert time.monotonic() - started < 10
    assert gone(pid_file)


async def test_a_parser_that_crashes_is_reported_as_crashed_and_is_gone(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with pytest.raises(ParserCrashed):
        await parse_untrusted(samples.crash, str(pid_file), limits=TIGHT)
    assert gone(pid_file)


async def test_a_cancelled_parse_leaves_no_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    parse = asyncio.ensure_future(parse_untrusted(samples.wait, str(pid_file)))
    for _ in range(200):
        if pid_file.exists() and pid_file.read_text():
            break
        await asyncio.sleep(0.05)
    parse.cancel()
    with pytest.raises(asyncio.CancelledError):
        await parse
    for _ in range(100):  # the server reaps it a moment after the kill
        if gone(pid_file):
            break
        await asyncio.sleep(0.05)
    assert gone(pid_file)


async def test_the_event_loop_keeps_running_while_a_parser_works(tmp_path: Path) -> None:
    gaps: list[float] = []

    async def tick() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.ensure_future(tick())
    try:
        with pytest.raises(LimitExceeded):
            await parse_untrusted(samples.spin, str(tmp_path / "pid"), limits=TIGHT)
    finally:
        ticking.cancel()
    assert len(gaps) > 20 and max(gaps) < 0.5, max(gaps)


async def test_a_zip_that_unpacks_past_the_budget_is_refused_before_it_is_unpacked() -> None:
    with pytest.raises(LimitExceeded) as stopped:
        await parse_untrusted(samples.unzip, a_zip(2_000_000), limits=TIGHT)
    assert stopped.value.limit == Limit.DECOMPRESSED_SIZE
    assert stopped.value.message == "the file unpacks to more than 1 MB"
    assert await parse_untrusted(samples.unzip, a_zip(500_000), limits=TIGHT) == "read"


def test_a_file_that_is_not_a_zip_is_left_to_its_parser_to_refuse() -> None:
    check_zip_size(b"email address\nsomeone@example.com\n", limit=10)
    with pytest.raises(LimitExceeded):
        check_zip_size(a_zip(100), limit=10)
