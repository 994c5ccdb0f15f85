"""Errors in each API's own format, GOV.UK-style error pages, and 503 when the database is down.

Each machine API registers how its errors look under its path prefix (the
platform API here; Notify and Pay register theirs). Everything else is a page.
A traceback never reaches the client; the request id ties the page to the log.

A database that refuses what was sent is not down: an integrity constraint
(SQLSTATE class 23: a duplicate, a missing referenced row) is a 409 and a
data exception (class 22: a value too long or out of range, NUL in text) a
400, in the caller's format, logged as a warning with the SQLSTATE and never
the values or a traceback (issue 13 fault 7). The transaction was rolled back
whole, so what was committed before is untouched. Only the rest (no
connection, a timeout, a lost server) is a 503 with Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from govplatform.core.web.i18n import gettext_ as _
from govplatform.core.web.json_body import JsonBodyError
from govplatform.core.web.templating import Templates

log = structlog.get_logger("govplatform.errors")

ApiErrorFormat = Callable[[int, str, str], dict[str, Any]]
"""(status, error name, message) -> JSON body."""


def platform_error_body(status: int, error: str, message: str) -> dict[str, Any]:
    return {"status_code": status, "errors": [{"error": error, "message": message}]}


_ERROR_NAMES = {
    400: "BadRequestError",
    401: "AuthError",
    403: "AuthError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    409: "ConflictError",
    413: "PayloadTooLargeError",
    415: "UnsupportedMediaTypeError",
    429: "RateLimitError",
    500: "InternalServerError",
    503: "ServiceUnavailableError",
}


class ErrorFormats:
    def __init__(self) -> None:
        self._formats: list[tuple[str, ApiErrorFormat]] = []

    def register(self, prefix: str, body: ApiErrorFormat) -> None:
        self._formats.append((prefix, body))
        self._formats.sort(key=lambda item: len(item[0]), reverse=True)

    def for_path(self, path: str) -> ApiErrorFormat | None:
        for prefix, body in self._formats:
            if path.startswith(prefix):
                return body
        return None


def database_refusal(error: DBAPIError) -> tuple[int, str] | None:
    """The status and message for a statement the database refused because of what was sent, or None.

    asyncpg's errors reach SQLAlchemy as a plain DBAPIError carrying the
    SQLSTATE (PostgreSQL appendix A); sqlite3's keep their DB-API classes.
    """
    state = str(getattr(error.orig, "sqlstate", None) or "")
    if isinstance(error, IntegrityError) or state.startswith("23"):
        return 409, "The request conflicts with something already stored"
    if isinstance(error, DataError) or state.startswith("22"):
        return 400, "The request holds a value that cannot be stored"
    return None


def _page_text(status: int) -> tuple[str, list[str]]:
    if status == 404:
        return _("Page not found"), [
            _("If you typed the web address, check it is correct."),
            _("If you pasted the web address, check you copied the entire address."),
        ]
    if status == 503:
        return _("Sorry, the service is unavailable"), [_("You will be able to use the service later.")]
    if status >= 500:
        return _("Sorry, there is a problem with the service"), [_("Try again later.")]
    if status == 403:
        return _("You cannot do that"), [_("Go back, reload the page and try again.")]
    if status == 413:
        return _("What you sent is too large"), [_("Go back and send less.")]
    return _("Sorry, there is a problem with that request"), [_("Go back and try again.")]


def install_error_handlers(app: FastAPI, templates: Templates, formats: ErrorFormats) -> None:
    def respond(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        body = formats.for_path(request.url.path)
        if body is not None:
            name = _ERROR_NAMES.get(status, "Error")
            return JSONResponse(body(status, name, message), status_code=status, headers=headers)
        title, paragraphs = _page_text(status)
        if status in (400, 403, 413) and message:
            paragraphs = [message]
        response = templates.render(
            request,
            "errors/error.html",
            {
                "page_title": title,
                "paragraphs": paragraphs,
                "request_id": request.scope.get("state", {}).get("request_id") if status >= 500 else None,
            },
            status_code=status,
        )
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        messages = {404: "Not found", 405: "Method not allowed"}
        message = error.detail if isinstance(error.detail, str) else messages.get(error.status_code, "")
        if error.status_code in messages and error.detail in ("Not Found", "Method Not Allowed"):
            message = messages[error.status_code]
        return respond(request, error.status_code, message, dict(error.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = []
        for item in error.errors()[:5]:
            where = ".".join(str(part) for part in item.get("loc", ()) if part != "body")
            problems.append(f"{where}: {item.get('msg', 'is not valid')}" if where else item.get("msg", ""))
        return respond(request, 400, "; ".join(problems) or "The request is not valid")

    @app.exception_handler(JsonBodyError)
    async def unreadable_body(request: Request, error: JsonBodyError) -> Response:
        # An API that reads its body with json_body answers in its own terms; this is for any that does not.
        return respond(request, 400, error.sentence)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    async def database_unavailable(request: Request, error: Exception) -> Response:
        if isinstance(error, DBAPIError) and (refusal := database_refusal(error)) is not None:
            log.warning("database.refused", error=type(error).__name__, sqlstate=getattr(error.orig, "sqlstate", None))
            status, message = refusal
            # A page says it in the page's words (translated); an API in its own format.
            return respond(request, status, message if formats.for_path(request.url.path) else "")
        log.error("database.unavailable", error=type(error).__name__)
        return respond(request, 503, "The service is temporarily unavailable. Try again later.", {"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("request.failed", error=type(error).__name__)
        return respond(request, 500, "Something went wrong on our side. Try again later.")

    app.state.respond_error = respond


def middleware_error_responder(templates: Templates, formats: ErrorFormats) -> Callable[..., Any]:
    """Lets ASGI middleware (body limit, CSRF) answer in the same formats as the app."""

    async def responder(scope: Scope, status: int, message: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        request = Request(scope)
        body = formats.for_path(scope["path"])
        if body is not None:
            response: Response = JSONResponse(
                body(status, _ERROR_NAMES.get(status, "Error"), message), status_code=status
            )
        else:
            title, _paragraphs = _page_text(status)
            response = templates.render(
                request, "errors/error.html", {"page_title": title, "paragraphs": [message]}, status_code=status
            )
        return status, response.raw_headers, bytes(response.body)

    return responder
