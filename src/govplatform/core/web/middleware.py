"""Pure ASGI middleware: request context and logs, security headers, body limits and CSRF.

Written as raw ASGI rather than BaseHTTPMiddleware so that streaming responses
and background tasks are untouched and the body can be read once and replayed.
"""

from __future__ import annotations

import dataclasses
import hmac
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import structlog
from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govplatform.core.crypto import keyed_hash
from govplatform.core.web import i18n
from govplatform.core.web.access import csrf_exempt

log = structlog.get_logger("govplatform.http")
REQUESTS = Counter("govplatform_http_requests_total", "HTTP requests", ["method", "status"])
LATENCY = Histogram("govplatform_http_request_seconds", "HTTP request latency", ["method"])

CSRF_COOKIE = "govplatform_csrf"
CSRF_FIELD = "csrf_token"
# What a script on the platform's own pages sends the token in, for a request that is not a form.
CSRF_HEADER = "x-csrf-token"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Paths that carry a secret (a one-time set-up link) are logged without it.
_SECRET_IN_PATH = re.compile(r"^(/setup/|/secure/)[^/]+")  # set-up links and next_url tokens
ONE_YEAR = 365 * 24 * 3600
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")

ErrorResponder = Callable[[Scope, int, str], Awaitable[tuple[int, list[tuple[bytes, bytes]], bytes]]]


@dataclasses.dataclass(frozen=True)
class LargerBody:
    """A POST path (matched whole) that may carry more than the shell's body limit: a file upload form.

    `message` is marked for translation where it is defined (`N_`) and shown,
    translated, on the 413 page of a body over `max_bytes`.
    """

    path: re.Pattern[str]
    max_bytes: int
    message: str


def read_cookie(scope: Scope, name: str) -> str | None:
    raw = Headers(scope=scope).get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


class RequestContextMiddleware:
    """A request id on every log line and response, the request's language, one access log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        language = i18n.choose_language(query.get("lang", [None])[0], read_cookie(scope, i18n.LANGUAGE_COOKIE))
        scope.setdefault("state", {})
        scope["state"]["request_id"] = request_id
        scope["state"]["language"] = language
        token = i18n.set_language(language)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        chosen = query.get("lang", [None])[0]

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers.append("X-Request-Id", request_id)
                # The language switch is a link (?lang=cy); remember the choice on the page it leads to.
                if chosen in i18n.LANGUAGES and headers.get("content-type", "").startswith("text/html"):
                    headers.append(
                        "Set-Cookie",
                        f"{i18n.LANGUAGE_COOKIE}={chosen}; Max-Age={ONE_YEAR}; Path=/; HttpOnly; SameSite=Lax",
                    )
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            REQUESTS.labels(scope["method"], str(status)).inc()
            LATENCY.labels(scope["method"]).observe(elapsed)
            # The path only: query strings can carry tokens and personal data.
            path = _SECRET_IN_PATH.sub(r"\1[redacted]", scope["path"])
            log.info("http.request", method=scope["method"], path=path, status=status, ms=round(elapsed * 1000, 1))
            structlog.contextvars.unbind_contextvars("request_id")
            i18n.reset_language(token)


FORM_ACTION_KEY = "csp_form_action"  # request.state.csp_form_action: see allow_form_action
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?")


def allow_form_action(request: Request, url: str) -> None:
    """Let this page's forms end at `url`'s origin as well as our own.

    Browsers check every redirect that follows a form submission against the submitting page's CSP
    form-action, so a form whose answer is a redirect to another site (the sign-in pages sending the
    citizen back to the service with a code) is blocked under form-action 'self' alone.
    """
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if _ORIGIN.fullmatch(origin):
        request.state.csp_form_action = origin


def content_security_policy(nonce: str, form_action_origin: object = None) -> str:
    form_action = "'self'" + (f" {form_action_origin}" if isinstance(form_action_origin, str) else "")
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        f"object-src 'none'; base-uri 'none'; form-action {form_action}; frame-ancestors 'none'"
    )


class SecurityHeadersMiddleware:
    """CSP with a per-request nonce (no unsafe-inline), HSTS, framing, referrer and sniffing headers."""

    def __init__(self, app: ASGIApp, hsts: bool = True) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        state = scope.setdefault("state", {})
        state["csp_nonce"] = nonce

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = content_security_policy(nonce, state.get(FORM_ACTION_KEY))
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def csrf_token_for(secret: str, cookie_value: str) -> str:
    return keyed_hash(secret, cookie_value, "csrf")


class ProtectionMiddleware:
    """Refuses oversized bodies (413) and state-changing requests without a valid CSRF token (403).

    Every POST, PUT, PATCH and DELETE needs a token that matches the keyed
    hash of the `govplatform_csrf` cookie, whatever its content type, except
    on the paths listed, each with its reason, in `access.CSRF_EXEMPT` (the
    machine APIs, gateways' callbacks: routes that a browser session never
    authenticates). Checking only form content types let a cross-site page
    post with no Content-Type, or a JSON one, to a signed-in admin's session
    (issue 13). The token travels as the form field `csrf_token` (what every
    page's form sends, so the pages work without JavaScript) or, for anything
    else, in the `X-CSRF-Token` header, which a cross-site page cannot set
    without a CORS preflight that this platform never grants. A token in the
    body of a request that is not a form is not looked for: its format is the
    route's business, not the shell's.

    Multipart forms (file uploads) are checked the same way: the token is an
    ordinary field of the multipart body, read with Starlette's form parser
    (python-multipart), so an upload form needs no token in its URL or a
    header, where it would end up in logs and browser history. The upload
    forms put the token first; the whole body is parsed all the same, since
    it is already buffered for the size check.

    The body limit (`GOVPLATFORM_MAX_BODY_BYTES`, 1,000,000 bytes by default)
    is raised only for the POST paths a component registers in
    `larger_bodies` (Notify's file of recipients, up to 10 MB): every other
    route keeps the small limit, so a large body cannot be sent anywhere else.
    """

    def __init__(
        self,
        app: ASGIApp,
        secret: str,
        max_body_bytes: int,
        error_responder: ErrorResponder,
        secure_cookies: bool = False,
        larger_bodies: list[LargerBody] | None = None,
    ) -> None:
        self.app = app
        self.secret = secret
        self.max_body_bytes = max_body_bytes
        self.error_responder = error_responder
        self.secure_cookies = secure_cookies
        # The caller's list, not a copy: components register their upload paths after the app is built.
        self.larger_bodies = larger_bodies if larger_bodies is not None else []

    def _body_limit(self, scope: Scope) -> tuple[int, str]:
        """The most this request's body may hold, and what the 413 page says when it holds more."""
        if scope["method"] == "POST":
            for larger in self.larger_bodies:
                if larger.path.fullmatch(scope["path"]):
                    return max(larger.max_bytes, self.max_body_bytes), i18n.gettext_(larger.message)
        return self.max_body_bytes, f"The request body is larger than {self.max_body_bytes} bytes"

    async def _refuse(self, scope: Scope, send: Send, status: int, message: str) -> None:
        status, headers, body = await self.error_responder(scope, status, message)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit, too_large = self._body_limit(scope)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                await self._refuse(scope, send, 400, "The Content-Length header is not a number")
                return
            if int(declared) > limit:
                await self._refuse(scope, send, 413, too_large)
                return
        body = b""
        more = True
        if scope["method"] in STATE_CHANGING:
            # A bytearray, so that a 10 MB upload in many small messages is not copied once per message.
            received = bytearray()
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                received += message.get("body", b"")
                more = message.get("more_body", False)
                if len(received) > limit:
                    await self._refuse(scope, send, 413, too_large)
                    return
            body = bytes(received)
            if not csrf_exempt(scope["path"]):
                problem = await self._csrf_problem(scope, headers, body)
                if problem:
                    await self._refuse(scope, send, 403, problem)
                    return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed and scope["method"] in STATE_CHANGING:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        cookie = read_cookie(scope, CSRF_COOKIE)
        if cookie is None or len(cookie) > 100:
            cookie = secrets.token_urlsafe(32)
            scope.setdefault("state", {})["csrf_cookie_new"] = True
        # The token itself (a keyed hash) is computed only when a page renders a form.
        scope.setdefault("state", {})["csrf_cookie"] = cookie

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["state"].get("csrf_cookie_new"):
                content_type = MutableHeaders(scope=message).get("content-type", "")
                if content_type.startswith("text/html"):
                    flags = "; HttpOnly; SameSite=Lax; Path=/" + ("; Secure" if self.secure_cookies else "")
                    MutableHeaders(scope=message).append("Set-Cookie", f"{CSRF_COOKIE}={cookie}{flags}")
            await send(message)

        await self.app(scope, replay, send_with_cookie)

    async def _csrf_problem(self, scope: Scope, headers: Headers, body: bytes) -> str | None:
        cookie = read_cookie(scope, CSRF_COOKIE)
        if not cookie:
            return "Your session has expired or cookies are blocked. Go back, reload the page and try again."
        presented = headers.get(CSRF_HEADER)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if presented is None and content_type in _FORM_TYPES:
            presented = await _form_field(scope, body, CSRF_FIELD)
        if presented is None:
            return "The form was missing its security token. Go back, reload the page and try again."
        if not hmac.compare_digest(presented, csrf_token_for(self.secret, cookie)):
            return "The form's security token was wrong. Go back, reload the page and try again."
        return None


async def _form_field(scope: Scope, body: bytes, name: str) -> str | None:
    content_type = Headers(scope=scope).get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        sent = False

        async def once() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(scope, once).form()
        except Exception:
            return None
        value = form.get(name)
        await form.close()
        return value if isinstance(value, str) else None
    try:
        values = parse_qs(body.decode("utf-8"), keep_blank_values=True).get(name)
    except UnicodeDecodeError:
        return None
    return values[0] if values else None
