"""What text and numbers from a request may hold, for every route: one rule, applied at the edge.

Text reaches places that refuse some characters, far from the request that
brought it, where a refusal is an outage (a 500 or 503) instead of the caller's
error:

- NUL (U+0000): PostgreSQL refuses it in text ("invalid byte sequence for
  encoding UTF8: 0x00", SQLSTATE 22021), while SQLite stores it, so the two
  databases would disagree; no form field, name or reference needs it.
- Lone surrogates (U+D800 to U+DFFF on their own): JSON's \\u escapes can
  write one (RFC 8259 section 8.2 calls such strings unpredictable), but UTF-8
  cannot encode it (RFC 3629 section 3), so encrypting, hashing, storing or
  answering with it raises UnicodeEncodeError. I-JSON (RFC 7493 section 2.1)
  forbids them.

Percent-decoded query strings and form fields cannot hold a lone surrogate
(an encoded one is invalid UTF-8, which the decoder replaces), so there the
rule is NUL, checked by `InputRulesMiddleware` before any route runs. Multipart
forms (file uploads) are left to the parsers of their files and to the
database's refusal, which the error handlers answer with a 400. JSON bodies are
checked by `json_body`, which uses the same `text_problem`.

Whole numbers typed by people (a page number, a day) go through
`whole_number`: ASCII digits only (str.isdigit() is true for "²", which int()
refuses) and few of them (int() is quadratic in the digits and refuses more
than 4300, CVE-2020-10735).
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govplatform.core.web.i18n import gettext_ as _
from govplatform.core.web.middleware import ErrorResponder

_REFUSED_TEXT = re.compile("[\x00\ud800-\udfff]")
_DIGITS = re.compile(r"[0-9]{1,18}", re.ASCII)  # 18 digits always fit a signed 64-bit integer
_FORM = "application/x-www-form-urlencoded"


def text_problem(value: str) -> str | None:
    """Why `value` cannot be taken as text, said without quoting it, or None when it can."""
    found = _REFUSED_TEXT.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "must not contain the NUL character (U+0000)"
    return "must not contain an unpaired surrogate (U+D800 to U+DFFF)"


def whole_number(text: str, *, minimum: int = 0, maximum: int = 2**63 - 1) -> int | None:
    """`text` as a whole number from `minimum` to `maximum`, or None if it is not one."""
    text = text.strip()
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def _raw_has_nul(raw: bytes) -> bool:
    """True when percent-decoding `raw` (a query string or a urlencoded form) gives a NUL: only "%00" does."""
    return b"\x00" in raw or b"%00" in raw


class InputRulesMiddleware:
    """Refuses a request whose path, query string or form fields hold NUL: 400 in the path's error format.

    It sits inside `ProtectionMiddleware`, which has already read the body
    whole (to check its size and CSRF token) and hands it on in one message,
    so reading it here costs nothing more. JSON bodies are left to each API,
    which parses them with `json_body` and answers in its own terms.
    """

    def __init__(self, app: ASGIApp, error_responder: ErrorResponder) -> None:
        self.app = app
        self.error_responder = error_responder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = None
        if "\x00" in scope["path"] or _raw_has_nul(scope.get("query_string", b"")):
            problem = _("The web address must not contain a NUL character.")
        body: bytes | None = None
        content_type = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        if problem is None and content_type == _FORM:
            body = await _read_body(receive)
            if _raw_has_nul(body):
                problem = _("What you entered must not contain a NUL character.")
        if problem is not None:
            status, headers, content = await self.error_responder(scope, 400, problem)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})
            return
        if body is None:
            await self.app(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
