"""A small browser for the journey benchmark: one keep-alive HTTP/1.1 connection and a cookie jar.

Why hand-written: the journey benchmark simulates many users on the same two
cores as the server. httpx spent about 15 ms of CPU on each seven-request
journey (its own request and response models, cookie handling through
http.cookiejar, and a TLS context per client), 38% of a core at 25 journeys/s,
so the generator took CPU the server needed and the figure measured the
client. This one writes each request as bytes and reads the reply's status,
headers and body off an asyncio stream (as bench/loadgen.py's fallback does for
single requests), in a few tens of microseconds.

It does only what the journey needs: plain HTTP to 127.0.0.1, Content-Length,
chunked or read-to-close bodies (no trailers), cookies by name (a `Max-Age=0` deletes one; attributes such as
Path and Secure are ignored because every request goes to the one host), and
one connection per user, as a browser keeps one per site.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json as jsonlib
from urllib.parse import urlencode

HOST = "127.0.0.1"


class BrowserError(RuntimeError):
    """The server closed the connection, or answered with something that is not HTTP/1.1."""


@dataclasses.dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]  # names in lower case, in the order sent
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> object:
        return jsonlib.loads(self.body)


class Browser:
    """One simulated user's browser: requests go out one at a time on one connection."""

    def __init__(self, port: int, timeout: float = 30.0) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    def forget_cookies(self) -> None:
        """A new visitor on the same connection: what a fresh browser profile would be."""
        self.cookies.clear()

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        json: object = None,
        form: dict[str, str] | None = None,
    ) -> Reply:
        body: bytes | None = None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if json is not None:
            body = jsonlib.dumps(json).encode()
            lines.append("Content-Type: application/json")
        elif form is not None:
            body = urlencode(form).encode()
            lines.append("Content-Type: application/x-www-form-urlencoded")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in self.cookies.items()))
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        try:
            return await asyncio.wait_for(self._exchange(payload), self.timeout)
        except BaseException:
            await self.close()  # a reply left half read would answer the next request
            raise

    async def _exchange(self, payload: bytes) -> Reply:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(HOST, self.port)
        assert self._reader is not None
        self._writer.write(payload)
        try:
            reply, keep_alive = await _read_reply(self._reader)
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            await self.close()
            raise BrowserError(f"the connection ended: {error}") from error
        if not keep_alive:
            await self.close()
        for name, value in reply.headers:
            if name == "set-cookie":
                self._keep(value)
        return reply

    def _keep(self, set_cookie: str) -> None:
        pair, *attributes = set_cookie.split(";")
        name, _, value = pair.strip().partition("=")
        if any(attribute.strip().lower() == "max-age=0" for attribute in attributes):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _read_reply(reader: asyncio.StreamReader) -> tuple[Reply, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise BrowserError(f"not an HTTP/1.1 status line: {status_line[:80]!r}")
    headers = []
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    found = dict(headers)
    connection = found.get("connection", "").lower()
    keep_alive = connection == "keep-alive" if parts[0] == "HTTP/1.0" else connection != "close"
    if "content-length" in found:
        body = await reader.readexactly(int(found["content-length"]))
    elif int(parts[1]) in (204, 304) or 100 <= int(parts[1]) < 200:
        body = b""
    elif found.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(chunk[:-2] for chunk in chunks)
    else:  # no length given: the body runs to the end of the connection
        body, keep_alive = await reader.read(), False
    return Reply(int(parts[1]), headers, body), keep_alive
