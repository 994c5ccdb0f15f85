"""What the log's routes tell the OpenAPI document (/api/openapi.json) beyond what FastAPI infers.

FastAPI would document its own 422 for a bad parameter; the web shell
answers 400 in the platform's error format instead (core/web/errors.py), and
tiles, checkpoints and receipts are not JSON. So each route says its own
media type and its errors here.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

Schema = dict[str, Any]

ERROR: Schema = {
    "type": "object",
    "properties": {
        "status_code": {"type": "integer"},
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
                "required": ["error", "message"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["status_code", "errors"],
    "additionalProperties": False,
}
ERROR_CONTENT = {"content": {"application/json": {"schema": ERROR}}}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "A parameter that is not valid", **ERROR_CONTENT},
    404: {"description": "Not in the log (yet)", **ERROR_CONTENT},
    "4XX": {"description": "Another client error", **ERROR_CONTENT},
}
_HASHES: Schema = {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}}
INCLUSION: Schema = {
    "type": "object",
    "properties": {"index": {"type": "integer"}, "size": {"type": "integer"}, "proof": _HASHES},
    "required": ["index", "size", "proof"],
    "additionalProperties": False,
}
CONSISTENCY: Schema = {
    "type": "object",
    "properties": {"old": {"type": "integer"}, "new": {"type": "integer"}, "proof": _HASHES},
    "required": ["old", "new", "proof"],
    "additionalProperties": False,
}


def answer(media_type: str, schema: Schema, description: str) -> dict[str, Any]:
    """The decorator's keywords: this media type with 200, and the errors."""
    documented: dict[str, Any] = {
        "responses": {200: {"description": description, "content": {media_type: {"schema": schema}}}, **ERRORS}
    }
    if media_type != "application/json":
        documented["response_class"] = Response  # else FastAPI documents a JSON 200 as well
    return documented


TEXT = "text/plain; charset=utf-8"
BYTES: Schema = {"type": "string", "format": "binary"}
