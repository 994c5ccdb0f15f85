"""What Notify's routes tell the OpenAPI document (/api/openapi.json): bodies, parameters, responses.

The routes read the raw request themselves (Notify's clients send JSON
whatever the Content-Type, and Notify's checks run in its own order), so
FastAPI cannot see what they take; each route hands these descriptions to its
decorator instead. Request bodies and query strings are built from the very
JSON Schemas `schemas.validate` checks them with, so the document cannot drift
from the checks. Notify's own formats become OpenAPI's (`validate_uuid` is
`uuid`, `email_address` is `email`), its `validationMessage`s are dropped,
and the rest is unchanged.

Responses follow what `schemas.py` sends, field for field, which the
conformance tests check against Notify's published spec
(tests/integration/notify/notify_wire.py lists where the wire differs from
it). An object lists all its fields and no others, so a fuzzer that validates
responses against this document notices a field added or lost.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi.responses import Response

from govplatform.notify import schemas
from govplatform.notify.services.reading import STATUSES
from govplatform.notify.services.templates import TEMPLATE_TYPES

Schema = dict[str, Any]

_FORMATS: dict[str, Schema] = {
    "validate_uuid": {"format": "uuid"},
    "email_address": {"format": "email", "examples": ["someone@example.com"]},
    "phone_number": {"examples": ["07700 900123", "+447700900123"]},  # any number Notify can text
    "postage": {"enum": ["first", "second", "economy", "europe", "rest-of-world"]},
    "datetime_within_next_day": {"format": "date-time"},  # within the next 24 hours
}


def openapi_schema(schema: Schema) -> Schema:
    """A request JSON Schema of `schemas.py` as OpenAPI 3.1 (JSON Schema 2020-12) says it."""
    converted: Schema = {}
    for key, value in schema.items():
        if key == "validationMessage":
            continue
        if key == "format" and value in _FORMATS:
            converted.update(copy.deepcopy(_FORMATS[value]))
        elif key == "properties":
            converted[key] = {name: openapi_schema(inner) for name, inner in value.items()}
        elif key == "items":
            converted[key] = openapi_schema(value)
        else:
            converted[key] = copy.deepcopy(value)
    return converted


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


_STRING: Schema = {"type": "string"}
_TEXT_OR_NULL: Schema = {"type": ["string", "null"]}
_ID: Schema = {"type": "string", "format": "uuid"}
_TIME: Schema = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"}  # schemas.timestamp
_TIME_OR_NULL: Schema = _nullable(_TIME)
_TYPE: Schema = {"type": "string", "enum": list(TEMPLATE_TYPES)}
_TEMPLATE_REF = _object({"id": _ID, "version": {"type": "integer"}, "uri": _STRING})
_LINKS = _object({"current": _STRING, "next": _STRING}, optional=("next",))

ERROR: Schema = _object(
    {
        "status_code": {"type": "integer"},
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": _object({"error": _STRING, "message": _STRING}),
        },
    }
)

NOTIFICATION: Schema = _object(
    {
        "id": _ID,
        "reference": _TEXT_OR_NULL,
        "email_address": _TEXT_OR_NULL,
        "phone_number": _TEXT_OR_NULL,
        **{f"line_{n}": _TEXT_OR_NULL for n in range(1, 7)},
        "postcode": _TEXT_OR_NULL,
        "type": _TYPE,
        "status": {"type": "string", "enum": list(STATUSES)},
        "template": _TEMPLATE_REF,
        "body": _STRING,
        "subject": _TEXT_OR_NULL,
        "created_at": _TIME,
        "created_by_name": _TEXT_OR_NULL,
        "sent_at": _TIME_OR_NULL,
        "completed_at": _TIME_OR_NULL,
        "scheduled_for": _TIME_OR_NULL,
        "postage": _TEXT_OR_NULL,
        "one_click_unsubscribe_url": _TEXT_OR_NULL,
        "is_cost_data_ready": {"type": "boolean"},
        "cost_in_pounds": {"type": ["number", "null"]},
        "cost_details": {"type": "object"},  # sms: fragments, rate multiplier and rate once ready; else {}
        "estimated_delivery": _TIME,  # letters only
    },
    optional=("estimated_delivery",),
)
NOTIFICATIONS: Schema = _object({"notifications": {"type": "array", "items": NOTIFICATION}, "links": _LINKS})

_SENT = {
    "id": _ID,
    "reference": _TEXT_OR_NULL,
    "uri": _STRING,
    "template": _TEMPLATE_REF,
    "scheduled_for": _TIME_OR_NULL,
}
SENT_EMAIL: Schema = _object(
    {
        **_SENT,
        "content": _object(
            {"subject": _STRING, "body": _STRING, "from_email": _STRING, "one_click_unsubscribe_url": _TEXT_OR_NULL}
        ),
        # {placeholder: {"unsanitised": ..., "sanitised": ...}} for each placeholder named in sanitise_content_for
        "sanitised_content": {"type": "object", "additionalProperties": {"type": "object"}},
    }
)
SENT_SMS: Schema = _object({**_SENT, "content": _object({"body": _STRING, "from_number": _STRING})})
SENT_LETTER: Schema = {
    "oneOf": [
        _object({**_SENT, "content": _object({"body": _STRING, "subject": _STRING})}),
        _object({"id": _ID, "reference": _STRING, "postage": _STRING}),  # a precompiled letter
    ]
}

TEMPLATE: Schema = _object(
    {
        "id": _ID,
        "type": _TYPE,
        "created_at": _TIME,
        "updated_at": _TIME_OR_NULL,
        "created_by": _STRING,
        "version": {"type": "integer"},
        "body": _STRING,
        "subject": _TEXT_OR_NULL,
        "name": _STRING,
        "postage": _TEXT_OR_NULL,
        "letter_contact_block": _TEXT_OR_NULL,
        "personalisation": {"type": "object", "additionalProperties": _object({"required": {"type": "boolean"}})},
    }
)
TEMPLATES: Schema = _object({"templates": {"type": "array", "items": TEMPLATE}})
PREVIEW: Schema = _object(
    {
        "id": _ID,
        "type": _TYPE,
        "version": {"type": "integer"},
        "body": _STRING,
        "html": _TEXT_OR_NULL,
        "subject": _TEXT_OR_NULL,
        "postage": _TEXT_OR_NULL,
    }
)
RECEIVED_TEXTS: Schema = _object(
    {
        "received_text_messages": {
            "type": "array",
            "items": _object(
                {
                    "id": _ID,
                    "user_number": _STRING,
                    "notify_number": _STRING,
                    "created_at": _TIME,
                    "service_id": _ID,
                    "content": _STRING,
                }
            ),
        },
        "links": _LINKS,
    }
)
PDF: dict[str, Any] = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


def _json(schema: Schema, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# Notify's errors for every route a key calls (notify.md section 1): 400 BadRequestError or ValidationError,
# 401 and 403 AuthError, 404 NoResultFound, 413 a body over the limit, 429 RateLimitError or TooManyRequests.
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _json(ERROR, "BadRequestError or ValidationError"),
    401: _json(ERROR, "AuthError: no bearer token"),
    403: _json(ERROR, "AuthError: a token Notify refuses"),
    "4XX": _json(ERROR, "Another client error, in Notify's format"),
}
_SENDING_ERRORS = {**_ERRORS, 429: _json(ERROR, "RateLimitError or TooManyRequestsError")}
_FOUND_ERRORS = {**_ERRORS, 404: _json(ERROR, "NoResultFound")}

AUTH = (
    "Notify's bearer token: an HS256 JWT with `iss` the service id and `iat` now, signed with the key's secret "
    "(https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header)."
)


def _body(schema: Schema) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _query(schema: Schema, repeated: tuple[str, ...] = ()) -> dict[str, Any]:
    """Query parameters from a GET's JSON Schema; `repeated` ones may be given more than once."""
    parameters = []
    for name, inner in openapi_schema(schema)["properties"].items():
        if name in repeated:  # ?status=sending&status=delivered
            inner = {"type": "array", "items": {"type": "string", **inner["items"]}}
        elif "enum" in inner:
            inner = {"type": "string", **inner}
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": False, "schema": inner}
        if name in repeated:
            parameter.update(style="form", explode=True)
        parameters.append(parameter)
    return {"parameters": parameters}


# What each route passes to its decorator (FastAPI's `add_api_route` keywords).


def send(kind: str) -> dict[str, Any]:
    """POST /v2/notifications/{email,sms,letter}; a letter is from a template or a precompiled PDF."""
    sent = {"email": SENT_EMAIL, "sms": SENT_SMS, "letter": SENT_LETTER}[kind]
    body = openapi_schema({"email": schemas.POST_EMAIL, "sms": schemas.POST_SMS, "letter": schemas.POST_LETTER}[kind])
    if kind == "letter":
        body = {"oneOf": [body, openapi_schema(schemas.POST_PRECOMPILED_LETTER)]}
    return {
        "status_code": 201,
        "responses": {201: _json(sent, "The notification was accepted"), **_SENDING_ERRORS},
        "description": AUTH,
        "openapi_extra": _body(body),
    }


def get(schema: Schema, description: str) -> dict[str, Any]:
    """A GET by id: the object, or 404."""
    return {"responses": {200: _json(schema, description), **_FOUND_ERRORS}, "description": AUTH}


def get_pdf() -> dict[str, Any]:
    return {
        "response_class": Response,
        "responses": {200: {"description": "The letter as printed", "content": PDF}, **_FOUND_ERRORS},
        "description": AUTH,
    }


def listing(schema: Schema, query: Schema, description: str, repeated: tuple[str, ...] = ()) -> dict[str, Any]:
    """A GET of a list, filtered by its query string."""
    return {
        "responses": {200: _json(schema, description), **_ERRORS},
        "description": AUTH,
        "openapi_extra": _query(query, repeated),
    }


def preview() -> dict[str, Any]:
    return {
        "responses": {200: _json(PREVIEW, "The template filled in"), **_FOUND_ERRORS},
        "description": AUTH,
        "openapi_extra": _body(openapi_schema(schemas.POST_TEMPLATE_PREVIEW)),
    }


RECEIPT_TAKEN: Schema = _object({"result": _STRING, "message": _STRING})
INBOUND_TAKEN: Schema = _object({"status": _STRING})


def gateway(answer: Schema) -> dict[str, Any]:
    """A gateway's receipt or inbound text: the configured gateway's own fields, form-encoded (or JSON)."""
    fields = {"type": "object", "additionalProperties": {"type": "string"}}
    return {
        "responses": {
            200: _json(answer, "Taken"),
            400: _json(ERROR, "Not a receipt or text this gateway sends"),
            401: _json(ERROR, "No HTTP Basic password, or not the provider callback secret"),
            404: _json(ERROR, "Not the configured gateway"),
            "4XX": _json(ERROR, "Another client error, in Notify's format"),
        },
        "description": "For the SMS gateway: HTTP Basic, the password being the provider callback secret.",
        "openapi_extra": {
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {"schema": fields},
                    "application/json": {"schema": fields},
                },
            }
        },
    }
