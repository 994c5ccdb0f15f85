"""What the exchange's routes tell the OpenAPI document (/api/openapi.json) beyond what FastAPI infers.

The query route reads its body itself (the signature covers the bytes as sent, so nothing may parse and
re-serialise them first), so its request body is described here; errors are the exchange's own
`{"error", "message"}`, never FastAPI's 422; receipts are text.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

Schema = dict[str, Any]

ERROR: Schema = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
    "required": ["error", "message"],
    "additionalProperties": False,
}
_ERROR_CONTENT = {"content": {"application/json": {"schema": ERROR}}}
QUERY: Schema = {
    "type": "object",
    "properties": {
        "agreement_id": {"type": "string", "format": "uuid"},
        "purpose": {"type": "string", "maxLength": 64},
        "subject": {
            "type": "object",
            "properties": {
                "scheme": {"type": "string", "enum": ["nino", "driving-licence", "passport", "name-dob"]},
                "value": {"type": "string"},
            },
            "required": ["scheme", "value"],
            "additionalProperties": False,
        },
        "fields": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 100},
    },
    "required": ["agreement_id", "purpose", "subject", "fields"],
    "additionalProperties": False,
}
ANSWER: Schema = {
    "type": "object",
    "properties": {
        "data": {"type": "object", "description": "The fields asked for; each null when the person is not held"},
        "leaf_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "receipt_url": {"type": "string", "format": "uri"},
        "source": {"type": "object"},
    },
    "required": ["data", "leaf_hash", "receipt_url", "source"],
}
SIGNED = (
    "Signed with RFC 9421 HTTP Message Signatures under the member's Ed25519 key, covering @method, @target-uri, "
    "content-digest and content-type, with created, nonce and keyid (docs/api/exchange.md)"
)

QUERY_ROUTE: dict[str, Any] = {
    "openapi_extra": {
        "requestBody": {"required": True, "description": SIGNED, "content": {"application/json": {"schema": QUERY}}}
    },
    "responses": {
        200: {"description": "The answer, signed by the gateway", "content": {"application/json": {"schema": ANSWER}}},
        400: {"description": "A malformed body or subject", **_ERROR_CONTENT},
        401: {"description": "A signature, key or nonce the gateway does not accept", **_ERROR_CONTENT},
        403: {"description": "Outside the agreement", **_ERROR_CONTENT},
        413: {"description": "A body over 16 KB", **_ERROR_CONTENT},
        415: {"description": "Not application/json", **_ERROR_CONTENT},
        429: {"description": "Too many queries this second", **_ERROR_CONTENT},
    },
}
RECEIPT_ROUTE: dict[str, Any] = {
    "response_class": Response,
    "responses": {
        200: {
            "description": "A c2sp.org/tlog-proof@v1 receipt, the entry in its extra line",
            "content": {"text/plain; charset=utf-8": {"schema": {"type": "string"}}},
        },
        404: {"description": "No answered query has that leaf hash, or not yet in a checkpoint", **_ERROR_CONTENT},
        "4XX": {"description": "Another client error", **_ERROR_CONTENT},
    },
}
