"""The exchange's machine routes: the signed member directory, the data items, queries and their receipts.

Errors on these routes are JSON, `{"error": code, "message": text}`, with the codes docs/api/exchange.md lists.
Every answer to a query, and every refusal of one, is signed by the gateway (RFC 9421), over the request's own
signature too once that signature has verified.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import MutableHeaders

from govplatform.exchange import openapi
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.data_items import ITEMS
from govplatform.exchange.services import queries
from govplatform.exchange.signatures import HttpRequest, HttpResponse, sign_response

router = APIRouter()
DIRECTORY = "/exchange/directory"
DATA_ITEMS = "/exchange/data-items"
API = "/api/exchange/v1"
QUERIES = API + "/queries"
RECEIPT = API + "/receipts/{leaf_hash}"
# Public by design: members and auditors check signatures with the directory; the data items are a vocabulary;
# a receipt proves an entry that is already public in the log. Queries are authenticated by their signatures.
PUBLIC_ROUTES = [("GET", DIRECTORY), ("GET", DATA_ITEMS), ("GET", RECEIPT)]


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


@router.post(
    QUERIES,
    tags=["exchange"],
    summary="Ask about one person under an agreement (RFC 9421 signed)",
    **openapi.QUERY_ROUTE,
)
async def query(request: Request) -> Response:
    exchange = _exchange(request)
    target = exchange.base_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    client = request.client.host if request.client else None
    incoming = queries.IncomingQuery(request.method, target, MutableHeaders(raw=list(request.headers.raw)),
                                     await request.body(), client)  # fmt: skip
    answered = await queries.answer(exchange, incoming)
    return await _signed_json(exchange, answered.status, answered.body, incoming, answered.request_label)


async def _signed_json(
    exchange: ExchangeComponent, status: int, body: dict[str, Any], incoming: queries.IncomingQuery | None,
    request_label: str | None,
) -> Response:  # fmt: skip
    """JSON signed by the gateway over status, digest and type (and the request's signature, given its label)."""
    ring = await exchange.gateway_keys.ring()
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    request = HttpRequest(incoming.method, incoming.target_uri, incoming.headers) if incoming else None
    signed = HttpResponse(status, MutableHeaders(headers={"content-type": "application/json"}), request)
    sign_response(signed, content, ring.key_id, ring.signer, request_label=request_label if request else None)
    headers = {name: signed.headers[name] for name in ("content-digest", "signature-input", "signature")}
    headers["cache-control"] = "no-store"
    return Response(content, status_code=status, media_type="application/json", headers=headers)


@router.get(
    RECEIPT, tags=["exchange"], summary="The c2sp.org/tlog-proof receipt of an answered query", **openapi.RECEIPT_ROUTE
)
async def receipt(request: Request, leaf_hash: str) -> Response:
    exchange = _exchange(request)
    try:
        leaf = bytes.fromhex(leaf_hash) if len(leaf_hash) == 64 else b""
    except ValueError:
        leaf = b""
    if not leaf:
        return JSONResponse({"error": "receipt_unknown", "message": "A leaf hash is 64 hex digits"}, status_code=404)
    async with exchange.uow(read_only=True) as uow:
        if not await queries.was_answered(uow, leaf):
            return JSONResponse({"error": "receipt_unknown", "message": "No answered query has that leaf hash"},
                                status_code=404)  # fmt: skip
        proof = await exchange.log.receipt_for(uow, leaf)
    if proof is None:
        message = "The answer is recorded but not yet in a published checkpoint: try again in a few seconds"
        return JSONResponse({"error": "receipt_not_ready", "message": message}, status_code=404,
                            headers={"Retry-After": "5"})  # fmt: skip
    return Response(proof, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "public, max-age=3600"})


@router.get(DATA_ITEMS, tags=["exchange"], summary="The platform's one list of data items")
async def data_items() -> dict[str, Any]:
    return {"data_items": [item.as_json() for item in ITEMS]}


def error_body(status: int, _name: str, message: str) -> dict[str, str]:
    """The exchange's error format for errors core's web shell raises on its routes (core's ErrorFormats)."""
    return {"error": _CODES.get(status, "server_error" if status >= 500 else "bad_request"), "message": message}
