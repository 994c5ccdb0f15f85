"""A provider's own system for tests: a real HTTP server on loopback that checks the gateway's signed request
with the RFC 9421 library and the gateway's published keys, and answers as the provider's docs say (signed
with the provider's member key, over the request's signature too) or misbehaves as a test tells it to."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver, algorithms

REQUEST_COMPONENTS = ("@method", "@target-uri", "content-digest", "content-type")
ANSWER_COMPONENTS = ("@status", "content-digest", "content-type", '"signature";req;key="sig1"')


@dataclasses.dataclass
class _Request:
    method: str
    url: str
    headers: dict[str, str]


@dataclasses.dataclass
class _Response:
    status_code: int
    headers: dict[str, str]
    request: _Request


@dataclasses.dataclass
class ProviderSystem:
    """What the system holds and how it answers next; what it was asked, and whether each request verified."""

    url: str
    records: dict[str, dict[str, Any]]  # normalised identifier -> the fields held
    key: Ed25519PrivateKey = dataclasses.field(default_factory=Ed25519PrivateKey.generate)
    key_id: str = ""  # once the provider has registered the key's public half
    gateway_keys: dict[str, Ed25519PublicKey] = dataclasses.field(default_factory=dict)  # from the directory
    behaviour: str = "answer"  # answer, slow, unsigned, wrong-key, tampered, no-req, extra-field, too-long,
    # not-a-number, status-500 (signed), unsigned-503 (a proxy's)
    asked: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    verified: list[bool] = dataclasses.field(default_factory=list)

    def answer(self, request: _Request, body: bytes) -> tuple[int, dict[str, str], bytes]:
        self.verified.append(self._verifies(request, body))
        asked = json.loads(body)
        self.asked.append(asked)
        held = self.records.get(asked["subject"]["value"])
        data = {name: held.get(name) for name in asked["fields"]} if held else None
        if self.behaviour == "slow":
            time.sleep(2)
        if self.behaviour == "extra-field" and data is not None:
            data["fuel_type"] = "petrol"
        if self.behaviour == "too-long" and data is not None:
            data["registration"] = "AB12 CDE AND MORE"  # the schema's maxLength is 8
        status = 500 if self.behaviour in ("status-500", "unsigned-503") else 200
        status = 503 if self.behaviour == "unsigned-503" else status
        content = json.dumps({"data": data}).encode()
        if self.behaviour == "not-a-number":
            content = b'{"data": {"make": NaN}}'  # Python's JSON, not JSON
        headers = {"Content-Type": "application/json"}
        if self.behaviour in ("unsigned", "unsigned-503"):
            return status, headers, content
        key = Ed25519PrivateKey.generate() if self.behaviour == "wrong-key" else self.key
        response = _Response(status, headers, request)
        components = ANSWER_COMPONENTS[:3] if self.behaviour == "no-req" else ANSWER_COMPONENTS
        HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519,
            key_resolver=MappingKeyResolver(public_keys={}, private_keys={self.key_id: key}),
        ).sign(response, key_id=self.key_id, label="sig1", covered_component_ids=components, body=content)
        if self.behaviour == "tampered":
            content = content.replace(b"Blue", b"Pink")
        return status, response.headers, content

    def _verifies(self, request: _Request, body: bytes) -> bool:
        verifier = HTTPMessageVerifier(
            signature_algorithm=algorithms.ED25519,
            key_resolver=MappingKeyResolver(public_keys=self.gateway_keys, private_keys={}),
        )
        try:
            verifier.verify(request, max_age=dt.timedelta(seconds=60), body=body, require_components=REQUEST_COMPONENTS)
        except Exception:  # any failure is "not verified", which the test asserts against
            return False
        return True


@contextlib.contextmanager
def provider_system(records: dict[str, dict[str, Any]]) -> Iterator[ProviderSystem]:
    holder: list[ProviderSystem] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            host = self.headers.get("Host", "")
            request = _Request("POST", f"http://{host}{self.path}", {k: v for k, v in self.headers.items()})
            status, headers, content = holder[0].answer(request, body)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the gateway gave up on a slow one
                self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(ProviderSystem(f"http://127.0.0.1:{server.server_address[1]}/exchange", records))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
