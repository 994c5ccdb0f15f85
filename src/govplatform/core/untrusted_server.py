"""The parser server: a small process that forks one child per parse of an untrusted file, and its client.

`core/untrusted.py` explains why parses run in child processes. This module
is the process that makes them (`python -m govplatform.core.untrusted_server`),
started once by each process that parses, and the client that talks to it.
The server imports the parsers' modules, then waits; for each request it
forks a child, which applies the limits, runs the parser and answers; it
reaps every child and reports how it ended. It is single-threaded, so forking
it is safe, which forking the web process (with its database and executor
threads) is not, and a fork costs milliseconds where starting an interpreter
with the parsers' modules costs about 0.4 s.

Written by hand rather than with multiprocessing's fork server because that
one, on the Python versions we support (3.11), runs the parent's main script
again in every child (`spawn._fixup_main_from_path`: for the `govplatform`
command that is the whole CLI, 0.2-0.4 s a parse, measured), and because the
kill and the exit status have to be ours to report anyway.

Wire format, one connected Unix socket per parse, handed over on the control
socket with SCM_RIGHTS (`socket.send_fds`):

    server -> parent   b"P" + pid (!q)                  right after the fork
    parent -> child    length (!Q) + pickled (function, args, kwargs, limits)
    child  -> parent   b"A" + length (!Q) + pickled answer
    server -> parent   b"S" + exit status (!i)          once the child is reaped;
                                                        negative: the signal that ended it

The child writes its answer before it exits and the server the status only
after reaping it, so the two never interleave. The server exits, killing any
child, when its control socket closes: when the process that started it ends.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import pickle
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable

PID = struct.Struct("!q")
LENGTH = struct.Struct("!Q")
STATUS = struct.Struct("!i")
CHILD_FAILED = 70  # EX_SOFTWARE: the child could not read its job or send its answer


class ParserServer:
    """The client's side: the server process, started on first use and again if it has died."""

    def __init__(self, preload: Callable[[], list[str]]) -> None:
        self._preload = preload
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._starting = threading.Lock()
        # At exit the control socket closes, so the server ends; waiting for it leaves no zombie behind.
        atexit.register(self.stop)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def ensure_running(self) -> None:
        with self._starting:
            self._ensure_running()

    def hand_over(self, request: socket.socket) -> None:
        """Give the server one end of a new socket, for which it forks a child."""
        with self._starting:
            control = self._ensure_running()
            try:
                socket.send_fds(control, [b"J"], [request.fileno()])
            except OSError:
                # It died since we looked: once more, with a new one.
                socket.send_fds(self._start(), [b"J"], [request.fileno()])

    def stop(self) -> None:
        """Close the control socket (the server then exits, killing any child) and reap the server."""
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=5)
            self._process = None

    def _ensure_running(self) -> socket.socket:
        if self._control is None or self._process is None or self._process.poll() is not None:
            return self._start()
        return self._control

    def _start(self) -> socket.socket:
        self.stop()
        mine, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", __name__, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        setup = pickle.dumps((list(sys.path), self._preload()))
        mine.sendall(LENGTH.pack(len(setup)) + setup)
        mine.settimeout(5)  # handing over a socket is immediate unless the server is gone
        self._control = mine
        return mine


async def run_job(server: ParserServer, job: bytes, deadline: float) -> tuple[bytes | None, int | None, bool]:
    """Have a child run the job; wait for its answer until the deadline (a loop time), then for its end.

    Returns (the pickled answer, the child's exit status, whether the deadline passed). The child
    has ended and been reaped before this returns, also when the caller is cancelled.
    """
    loop = asyncio.get_running_loop()
    mine, theirs = socket.socketpair()
    try:
        await asyncio.to_thread(server.hand_over, theirs)
    finally:
        theirs.close()
    mine.setblocking(False)
    reply = _Reply(loop, mine)
    pid: int | None = None
    answer: bytes | None = None
    status: int | None = None
    timed_out = False
    try:
        async with asyncio.timeout_at(deadline):
            (pid,) = PID.unpack(await reply.expect(b"P", PID.size))
            await loop.sock_sendall(mine, LENGTH.pack(len(job)) + job)
            kind = await reply.read(1)
            if kind == b"A":
                (length,) = LENGTH.unpack(await reply.read(LENGTH.size))
                answer = await reply.read(length)
                kind = await reply.read(1)
            if kind == b"S":
                (status,) = STATUS.unpack(await reply.read(STATUS.size))
    except TimeoutError:
        timed_out = True
    except EOFError:
        pass  # the server went away, and its children with it
    finally:
        if status is None and pid is not None:
            # Still running (the deadline passed, or the caller gave up): stop it and see it reaped.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(EOFError, OSError, TimeoutError):
                async with asyncio.timeout(5):
                    status = await _status_after(reply)
        mine.close()
    return answer, status, timed_out


async def _status_after(reply: _Reply) -> int:
    """Skip an answer that may still arrive, and read the exit status the server sends once it has reaped."""
    while True:
        kind = await reply.read(1)
        if kind == b"S":
            status: int = STATUS.unpack(await reply.read(STATUS.size))[0]
            return status
        (length,) = LENGTH.unpack(await reply.read(LENGTH.size))
        await reply.read(length)


class _Reply:
    """Reads exact byte counts from a non-blocking socket on the event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        self._loop = loop
        self._sock = sock
        self._buffer = bytearray()

    async def read(self, size: int) -> bytes:
        while len(self._buffer) < size:
            chunk = await self._loop.sock_recv(self._sock, max(size - len(self._buffer), 1 << 16))
            if not chunk:
                raise EOFError("the parser server closed the socket")
            self._buffer += chunk
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    async def expect(self, kind: bytes, size: int) -> bytes:
        if await self.read(1) != kind:
            raise EOFError("the parser server broke the protocol")
        return await self.read(size)


# The server process ------------------------------------------------------------------------


def serve(control: socket.socket) -> None:
    """Fork a child for each socket that arrives on ``control``; report each child's end on its socket."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's ^C is for the web process, which stops us
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    children: dict[int, socket.socket] = {}
    with selectors.DefaultSelector() as selector:
        selector.register(control, selectors.EVENT_READ, "control")
        selector.register(wake_r, selectors.EVENT_READ, "child")
        while True:
            for key, _ in selector.select():
                if key.data == "child":
                    _drain(wake_r)
                    continue
                try:
                    _, fds, _, _ = socket.recv_fds(control, 1, 1)
                except OSError:
                    fds = []
                if not fds:  # the parent has gone: so do we, and our children with us
                    for pid in children:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    return
                request = socket.socket(fileno=fds[0])
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    _child(request, control, [wake_r, wake_w, *(s.fileno() for s in children.values())])
                children[pid] = request
                _send(request, b"P" + PID.pack(pid))
            _reap(children)


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        request = children.pop(pid, None)
        if request is not None:
            _send(request, b"S" + STATUS.pack(os.waitstatus_to_exitcode(status)))
            request.close()


def _send(request: socket.socket, data: bytes) -> None:
    # If the parent stopped waiting (its request was cancelled), the child is reaped all the same.
    with contextlib.suppress(OSError):
        request.sendall(data)


def _drain(fd: int) -> None:
    with contextlib.suppress(BlockingIOError):
        while os.read(fd, 512):
            pass


def _child(request: socket.socket, control: socket.socket, others: list[int]) -> None:
    """In the forked child: read the job, run it under its limits, answer, and exit (never returns)."""
    code = CHILD_FAILED
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        control.close()
        for fd in others:
            os.close(fd)
        request.setblocking(True)
        (length,) = LENGTH.unpack(_read_exact(request, LENGTH.size))
        function, args, kwargs, limits = pickle.loads(_read_exact(request, length))  # noqa: S301 - from the parent
        from govplatform.core import untrusted

        answer = untrusted.run_in_child(function, args, kwargs, limits)
        request.sendall(b"A" + LENGTH.pack(len(answer)) + answer)
        code = 0
    except BaseException:  # noqa: S110 - the exit status is the only report left
        pass
    finally:
        os._exit(code)


def _read_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError("the other end closed the socket")
        chunks += chunk
    return bytes(chunks)


def main(argv: list[str]) -> None:
    """``untrusted_server CONTROL_FD``; the first message on the control socket is (sys.path, modules)."""
    control = socket.socket(fileno=int(argv[0]))
    control.setblocking(True)
    (length,) = LENGTH.unpack(_read_exact(control, LENGTH.size))
    path, modules = pickle.loads(_read_exact(control, length))  # noqa: S301 - from the parent
    sys.path[:] = path
    for module in modules:
        try:
            __import__(module)
        except ImportError as error:
            print(f"untrusted_server: cannot preload {module}: {error}", file=sys.stderr)
    serve(control)


if __name__ == "__main__":
    main(sys.argv[1:])
