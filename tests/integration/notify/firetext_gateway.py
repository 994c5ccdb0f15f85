"""A stand-in for Firetext's send API, for tests only: an httpx transport that answers like the gateway.

It checks a request the way Firetext does before queueing a text (a POST of a
form-encoded body to /api/sendsms/json, a known apiKey, a destination, a sender id of
3 to 11 letters and digits or a number, a message of at most 612 characters) and
answers with Firetext's JSON: ``{"code": 0, "description": "SMS successfully queued",
"responseData": 1}`` or a non-zero code with a description. The codes are those of
Firetext's documentation as far as we have them (1 authentication, 2 destination,
3 sender, 5 message); the provider treats every non-zero code alike.

Tests can make it misbehave: answer with an HTTP status (``fail_with``), or with a
refusal that names the recipient or quotes the text (``echo_number``, ``echo_message``),
as a careless gateway might.
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import parse_qs

import httpx

SEND_PATH = "/api/sendsms/json"
URL = "https://firetext.test" + SEND_PATH

_SENDER = re.compile(r"[A-Za-z0-9]{3,11}|\+?\d{3,15}")
_DESTINATION = re.compile(r"(44|0)7\d{9}|[1-9]\d{7,14}")


def _answer(code: int, description: str, status: int = 200) -> httpx.Response:
    body = {"data": [], "description": description, "code": code, "responseData": 1 if code == 0 else ""}
    return httpx.Response(status, json=body)


@dataclasses.dataclass
class FakeFiretext:
    api_keys: set[str]
    received: list[dict[str, str]] = dataclasses.field(default_factory=list)
    fail_with: int | None = None  # answer every request with this HTTP status
    echo_number: bool = False  # refuse every text, naming the number (twice, two ways) in the description
    echo_message: bool = False  # refuse every text, quoting it in the description

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != SEND_PATH:
            return httpx.Response(404, text="Not Found")
        if request.method != "POST":
            return httpx.Response(405, text="Method Not Allowed")
        if self.fail_with is not None:
            return httpx.Response(self.fail_with, text="Service Unavailable")
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return _answer(1, "Authentication error")  # no form, so no apiKey
        fields = parse_qs(request.content.decode(), keep_blank_values=True)
        form = {name: values[-1] for name, values in fields.items()}
        self.received.append(form)

        if form.get("apiKey", "") not in self.api_keys:
            return _answer(1, "Authentication error")
        to = form.get("to", "")
        if self.echo_number:
            return _answer(2, f"Destination error: {to} (+{to[:2]} {to[2:6]} {to[6:]}) is not a mobile number")
        if self.echo_message:
            return _answer(5, f"Message error: '{form.get('message', '')}' was refused")
        if not _DESTINATION.fullmatch(to):
            return _answer(2, "Destination error")
        if not _SENDER.fullmatch(form.get("from", "")):
            return _answer(3, "From error")
        message = form.get("message", "")
        if not message or len(message) > 612:
            return _answer(5, "Message error")
        return _answer(0, "SMS successfully queued")
