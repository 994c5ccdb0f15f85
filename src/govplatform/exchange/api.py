"""The exchange's machine routes: the signed member directory (and, as they land, queries and receipts).

Errors on these routes are JSON, `{"error": code, "message": text}`, with the codes docs/api/exchange.md lists.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders

from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.data_items import ITEMS
from govplatform.exchange.signatures import HttpResponse, sign_response

router = APIRouter()
DIRECTORY = "/exchange/directory"
DATA_ITEMS = "/exchange/data-items"
# Public by design: members and auditors check signatures with the directory; the data items are a vocabulary
PUBLIC_ROUTES = [("GET", DIRECTORY), ("GET", DATA_ITEMS)]


def _exchange(request: Request) -> ExchangeComponent:
    component: ExchangeComponent = request.app.state.exchange
    return component


@router.get(DIRECTORY, tags=["exchange"], summary="The member directory, signed by the gateway (RFC 9421)")
async def directory(request: Request) -> Response:
    document = await _exchange(request).directory.document()
    signed = HttpResponse(200, MutableHeaders(headers={"content-type": "application/json"}))
    sign_response(signed, document.body, document.key_id, document.signer)
    headers = {name: signed.headers[name] for name in ("content-digest", "signature-input", "signature")}
    headers["cache-control"] = "no-cache"
    return Response(document.body, media_type="application/json", headers=headers)


_CODES = {
    400: "bad_request",
    401: "unauthorised",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


@router.get(DATA_ITEMS, tags=["exchange"], summary="The platform's one list of data items")
async def data_items() -> dict[str, Any]:
    return {"data_items": [item.as_json() for item in ITEMS]}


def error_body(status: int, _name: str, message: str) -> dict[str, str]:
    """The exchange's error format for errors core's web shell raises on its routes (core's ErrorFormats)."""
    return {"error": _CODES.get(status, "server_error" if status >= 500 else "bad_request"), "message": message}
