"""Parsing untrusted files in a separate process, stopped at limits on CPU time, memory, size and time.

A file that a tenant or a citizen sends (a precompiled letter's PDF, a
spreadsheet of recipients, later uploads and imported form definitions) can
be made to cost far more than its size: a 30 KB PDF whose content stream
inflates to 10 MB kept text extraction busy for 6-19 s (issue 13). Run on the
event loop, or in a thread, that stalls every other request of the process:

- a thread cannot be stopped from outside, so a parser that never finishes
  holds its thread (and whatever lock its caller holds) for good;
- a pure-Python parser (pypdf, openpyxl, csv's callers) holds the GIL, so even
  in a thread it takes the event loop's time; and
- nothing in one process can cap one call's memory.

So each parse runs in a child process of its own, made for that call and gone
after it. The operating system enforces the limits: ``RLIMIT_CPU`` (SIGXCPU,
then SIGKILL a second later), ``RLIMIT_AS`` (the parser gets MemoryError), and
the parent kills the child when the wall clock runs out. Decompressed size is
the parser's to check, since only it knows what it unpacks; it reads the
budget with :func:`current_limits` and raises :class:`LimitExceeded`
(:func:`check_zip_size` does it for zip-based formats, XLSX among them).
Every way a parse can stop becomes one typed error, :class:`ParseStopped`,
which callers turn into their own API's error.

Children are forked by a parser server (``untrusted_server.py``): a clean,
single-threaded process started once per process that parses, which imports
the parsers' modules (those marked with :func:`untrusted_parser`) and then
forks a child per parse in about 10 ms (measured on the CI machine; starting
an interpreter and importing the parsers costs about 0.4 s). Forking the web
process itself would copy its threads' locks mid-use. A pool of long-lived
workers was not chosen: it would save those milliseconds, but a worker killed
at a limit has to be replaced anyway, and one that survives a hostile file
may keep what it did. Children run at a lower priority (``nice`` 10), so on a
small machine the web process is served first (the cost: on a machine that is
already busy a parse waits its turn for the CPU, so a wall clock should be set
well above its CPU limit). At most ``set_max_parsers`` parses of one kind
(one set of limits) run at once per process (the number of CPUs, at least
2), and waiting for a turn counts against the wall clock.

This is a boundary for resources, not for privileges: the child runs our own
code as the same user, and its answer (pickled) is trusted. It keeps a
hostile file from freezing the server; it is not a sandbox against code
execution in a parser.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import os
import pickle
import signal
import zipfile
from collections.abc import Callable
from io import BytesIO
from typing import Any, ParamSpec, TypeVar

import structlog

from govplatform.core.untrusted_server import ParserServer, run_job

log = structlog.get_logger("govplatform.untrusted")

P = ParamSpec("P")
T = TypeVar("T")

MB = 1_000_000
MIB = 1024 * 1024


class Limit(enum.StrEnum):
    CPU_TIME = "cpu_time"
    MEMORY = "memory"
    DECOMPRESSED_SIZE = "decompressed_size"
    WALL_CLOCK = "wall_clock"


_MESSAGES = {
    Limit.CPU_TIME: "the file took more than %(cpu_seconds)s seconds of processor time to read",
    Limit.MEMORY: "the file needed more than %(memory_mib)s MiB of memory to read",
    Limit.DECOMPRESSED_SIZE: "the file unpacks to more than %(decompressed_mb)s MB",
    Limit.WALL_CLOCK: "the file was not read within %(wall_seconds)s seconds",
}


@dataclasses.dataclass(frozen=True)
class ParseLimits:
    """What one parse may use. Memory is on top of what the parser process has when it starts."""

    cpu_seconds: int = 5
    memory_bytes: int = 256 * MIB
    decompressed_bytes: int = 20 * MB
    wall_seconds: float = 15.0

    def describe(self, limit: Limit) -> str:
        values = {
            "cpu_seconds": self.cpu_seconds,
            "memory_mib": self.memory_bytes // MIB,
            "decompressed_mb": self.decompressed_bytes // MB,
            "wall_seconds": f"{self.wall_seconds:g}",
        }
        return _MESSAGES[limit] % values


DEFAULT_LIMITS = ParseLimits()


class ParseStopped(Exception):
    """The parse was stopped, or its process ended without an answer; ``message`` is plain and safe to log."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LimitExceeded(ParseStopped):
    """The file needed more than a limit allows; ``limit`` says which."""

    def __init__(self, limit: Limit | str, message: str | None = None) -> None:
        self.limit = Limit(limit)
        super().__init__(message or current_limits().describe(self.limit))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.limit.value, self.message))


class ParserCrashed(ParseStopped):
    """The parser's process ended without an answer for another reason (a signal, an answer it could not send)."""


# The limits of this process when it is a parser's child; the defaults elsewhere.
_current = DEFAULT_LIMITS


def current_limits() -> ParseLimits:
    """The limits the running parse is under, for a parser that checks decompressed size itself."""
    return _current


_preload: list[str] = []


def untrusted_parser(function: Callable[P, T]) -> Callable[P, T]:
    """Marks a module-level function as one that :func:`parse_untrusted` runs.

    Its module is imported once by the parser server when it starts (the web
    app starts it once every route is imported), so children do not each
    import it again.
    """
    if function.__module__ not in _preload:
        _preload.append(function.__module__)
    return function


def check_zip_size(data: bytes, limit: int | None = None, max_members: int = 10_000) -> None:
    """Refuse a zip archive (XLSX, ODS, DOCX...) whose members unpack to more than ``limit`` bytes in all.

    The sizes declared in the central directory are a real cap: Python's
    zipfile stops each member at its declared size and fails its CRC check if
    the data goes on (a member that lies is an error, never a larger output).
    """
    budget = current_limits().decompressed_bytes if limit is None else limit
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip archive: the parser says so in its own words
    if len(members) > max_members:
        raise LimitExceeded(Limit.DECOMPRESSED_SIZE, f"the archive has more than {max_members} files")
    if sum(member.file_size for member in members) > budget:
        raise LimitExceeded(Limit.DECOMPRESSED_SIZE, f"the file unpacks to more than {budget // MB} MB")


_server = ParserServer(lambda: [__name__, *_preload])


class _Turns:
    """At most ``count`` parses at once in this process for each kind of parse (each set of limits).

    Kinds have turns of their own, so that a few minute-long spreadsheets in the admin pages
    never make the API's letters wait past their wall clock. One semaphore per event loop.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self._semaphores: dict[tuple[asyncio.AbstractEventLoop, ParseLimits], asyncio.Semaphore] = {}

    def semaphore(self, limits: ParseLimits) -> asyncio.Semaphore:
        key = (asyncio.get_running_loop(), limits)
        if key not in self._semaphores:
            # Loops of finished test runs are let go; a server has one loop.
            self._semaphores = {old: kept for old, kept in self._semaphores.items() if not old[0].is_closed()}
            self._semaphores[key] = asyncio.Semaphore(self.count)
        return self._semaphores[key]


_turns = _Turns(max(2, os.cpu_count() or 1))


def set_max_parsers(count: int) -> None:
    """How many parses of one kind may run at once in this process (default: the number of CPUs, at least 2)."""
    global _turns
    _turns = _Turns(max(1, count))


def parser_server_pid() -> int | None:
    """The parser server's process id, if it has been started (for tests that look for leftover children)."""
    return _server.pid


async def start_parser_server() -> None:
    """Start the parser server now rather than at the first parse (the web app does it at start-up)."""
    await asyncio.to_thread(_server.ensure_running)


async def parse_untrusted(
    function: Callable[..., T], *args: Any, limits: ParseLimits = DEFAULT_LIMITS, **kwargs: Any
) -> T:
    """``function(*args, **kwargs)`` in a child process under ``limits``: its result, or the exception it raised.

    ``function`` must be a module-level function (marked with
    :func:`untrusted_parser`) and its arguments and result picklable. Raises
    :class:`LimitExceeded` at a limit and :class:`ParserCrashed` if the child
    dies otherwise; the child has ended, and been reaped, before this returns.
    """
    deadline = asyncio.get_running_loop().time() + limits.wall_seconds
    turns = _turns.semaphore(limits)
    try:
        async with asyncio.timeout_at(deadline):
            await turns.acquire()
    except TimeoutError:
        raise LimitExceeded(Limit.WALL_CLOCK, limits.describe(Limit.WALL_CLOCK)) from None
    try:
        job = pickle.dumps((function, args, kwargs, limits), protocol=pickle.HIGHEST_PROTOCOL)
        answer, status, timed_out = await run_job(_server, job, deadline)
    finally:
        turns.release()
    if answer is not None:
        # A large answer (a spreadsheet's rows) takes a moment to unpickle: off the loop.
        kind, value = await asyncio.to_thread(pickle.loads, answer)
        if kind == "result":
            return value  # type: ignore[no-any-return]
        if kind == "raised":
            raise value
        raise ParserCrashed(str(value))
    stopped = _stopped_by(status, timed_out)
    log.warning("untrusted.parse_stopped", parser=_name(function), limit=stopped, status=status)
    if stopped is None:
        raise ParserCrashed(f"the file could not be read (its parser ended with status {status})")
    raise LimitExceeded(stopped, limits.describe(stopped))


def _name(function: Callable[..., Any]) -> str:
    return f"{function.__module__}.{getattr(function, '__qualname__', '?')}"


def _stopped_by(status: int | None, timed_out: bool) -> Limit | None:
    if timed_out:
        return Limit.WALL_CLOCK
    # RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL at the hard one a second later.
    if status in (-signal.SIGXCPU, -signal.SIGKILL):
        return Limit.CPU_TIME
    return None


def run_in_child(
    function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], limits: ParseLimits
) -> bytes:
    """In the parser's child: apply the limits, run the parser, and return the pickled answer."""
    global _current
    _current = limits
    _apply(limits)
    answer: tuple[str, Any] | None
    try:
        answer = ("result", function(*args, **kwargs))
    except MemoryError:
        answer = None  # what it held is freed with its frames, so there is room to answer
    except BaseException as error:
        answer = ("raised", error)
    if answer is None:
        answer = ("raised", LimitExceeded(Limit.MEMORY, limits.describe(Limit.MEMORY)))
    try:
        return pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        return pickle.dumps(("raised", LimitExceeded(Limit.MEMORY, limits.describe(Limit.MEMORY))))
    except Exception as error:
        return pickle.dumps(("crashed", f"the parser's answer could not be sent back ({type(error).__name__})"))


def _apply(limits: ParseLimits) -> None:
    import resource

    os.nice(10)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would otherwise dump core
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (_address_space() + limits.memory_bytes,) * 2)


def _address_space() -> int:
    """The child's address space now (Linux); the memory limit is on top of it."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
