"""A service's callback receiver for tests: a real HTTP server on loopback that records what it is sent."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclasses.dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclasses.dataclass
class Receiver:
    url: str
    received: list[Received]
    answers: list[int]  # status codes to answer with, in turn; 200 once they run out


@contextlib.contextmanager
def callback_receiver(answers: list[int] | None = None) -> Iterator[Receiver]:
    received: list[Received] = []
    queue = list(answers or [])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if headers.get("content-type") == "application/x-www-form-urlencoded":  # a logout token (identity)
                body: dict[str, Any] = dict(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
            else:
                body = json.loads(raw)
            received.append(Received(self.path, headers, body))
            status = queue.pop(0) if queue else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/callbacks", received, queue)
    finally:
        server.shutdown()
        server.server_close()
