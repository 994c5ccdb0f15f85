"""What Pay's routes tell the OpenAPI document (/api/openapi.json): bodies, parameters, responses.

The routes read the raw request themselves, because Pay's checks run in
pay-publicapi's order with its codes (see requests.py), so FastAPI cannot see
what they take; each route hands these descriptions to its decorator instead.
The limits below are the ones requests.py enforces (lengths are Java's UTF-16
lengths there; a document can only say characters). Unknown body fields are
allowed, as Pay ignores them.

Responses follow what schemas.py sends, field for field: optional fields are
left out rather than null (pay.md section 2), and an object lists every field
it can carry and no others, so a fuzzer that validates responses against this
document notices a field added or lost. The conformance tests check the same
bodies against GOV.UK Pay's published spec (tests/integration/pay/pay_wire.py
lists where the wire differs from it).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

Schema = dict[str, Any]


def _object(properties: dict[str, Schema], optional: tuple[str, ...] = (), *, closed: bool = True) -> Schema:
    schema: Schema = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


def _text(maximum: int, minimum: int = 1) -> Schema:
    return {"type": "string", "minLength": minimum, "maxLength": maximum}


_STRING: Schema = {"type": "string"}
_INTEGER: Schema = {"type": "integer"}
_BOOLEAN: Schema = {"type": "boolean"}
_ID: Schema = {"type": "string", "minLength": 26, "maxLength": 26}  # Pay's ids: 26 letters and digits
_TIMESTAMP: Schema = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"}  # schemas.iso_ms
_DATE: Schema = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\d$"}
_LINK = _object({"href": _STRING, "method": {"type": "string", "enum": ["GET", "POST"]}})
_FORM_LINK = _object(
    {
        "type": _STRING,
        "params": {"type": "object", "additionalProperties": _STRING},
        "href": _STRING,
        "method": {"type": "string", "enum": ["POST"]},
    }
)

# --- Requests ---------------------------------------------------------------------------------------------

_ADDRESS_IN = _object(
    {"line1": _text(255, 0), "line2": _text(255, 0), "postcode": _text(25, 0), "city": _text(255, 0)}
    | {"country": {"type": "string", "maxLength": 2}},  # two characters, or empty
    optional=("line1", "line2", "postcode", "city", "country"),
    closed=False,
)
METADATA: Schema = {
    "type": "object",
    "maxProperties": 15,
    "propertyNames": {"minLength": 1, "maxLength": 30},  # and unique whatever their case
    "additionalProperties": {"anyOf": [{"type": "string", "maxLength": 100}, {"type": "number"}, _BOOLEAN]},
}
_PAYMENT_FIELDS: dict[str, Schema] = {
    "amount": {"type": "integer", "minimum": 0, "maximum": 10_000_000},  # 0 only where the account allows it
    "reference": _text(255),  # no card number, none of < > |
    "description": _text(255),  # none of < > |
    "language": {"type": "string", "enum": ["en", "cy"]},
    "delayed_capture": _BOOLEAN,
    "metadata": METADATA,
}
_PREFILLED = _object(
    {"cardholder_name": _text(255, 0), "billing_address": _ADDRESS_IN},
    optional=("cardholder_name", "billing_address"),
    closed=False,
)
_PAYMENT_TYPE: Schema = {"type": "string", "enum": ["instalment", "recurring", "unscheduled"]}


def _payment_mode(mode: str, fields: dict[str, Schema], required: tuple[str, ...]) -> Schema:
    """One authorisation mode's body (requests.py step 3 says which fields each mode needs and refuses)."""
    properties = {**_PAYMENT_FIELDS, "authorisation_mode": {"type": "string", "enum": [mode]}, **fields}
    schema = _object(properties, closed=False)
    schema["required"] = ["amount", "reference", "description", *required]
    schema["title"] = f"authorisation_mode {mode}"
    return schema


# A web payment needs return_url; a moto_api or agreement payment refuses it, and only an agreement payment
# takes agreement_id. Each mode is one branch, so a client (or a fuzzer) sees which fields go together.
CREATE_PAYMENT: Schema = {
    "oneOf": [
        _payment_mode(
            "web",
            {
                "return_url": {"type": "string", "format": "uri", "maxLength": 2000},
                "email": {"type": "string", "maxLength": 254},
                "prefilled_cardholder_details": _PREFILLED,
                "moto": _BOOLEAN,
                "set_up_agreement": _ID,  # saves the card for this agreement
                "agreement_payment_type": _PAYMENT_TYPE,
            },
            ("return_url",),
        ),
        _payment_mode(
            "moto_api",
            {
                "email": {"type": "string", "maxLength": 254},
                "prefilled_cardholder_details": _PREFILLED,
                "moto": _BOOLEAN,
            },
            ("authorisation_mode",),
        ),
        _payment_mode(
            "agreement",
            {"agreement_id": _ID, "agreement_payment_type": _PAYMENT_TYPE},
            ("authorisation_mode", "agreement_id"),
        ),
    ]
}
CREATE_REFUND: Schema = _object(
    {
        "amount": {"type": "integer", "minimum": 1, "maximum": 10_000_000},
        "refund_amount_available": _INTEGER,  # if given, must be what is still refundable (P0604 if not)
    },
    optional=("refund_amount_available",),
    closed=False,
)
CREATE_AGREEMENT: Schema = _object(
    {"reference": _text(255), "description": _text(255), "user_identifier": _text(255)},
    optional=("user_identifier",),
    closed=False,
)
IDEMPOTENCY_KEY: Schema = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Repeats with the same key and body answer with the first result (200); another body is 409",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[a-zA-Z0-9-]+$"},
}


def _query(name: str, schema: Schema) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema}


_PAGING = [
    _query("page", {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}),
    _query("display_size", {"type": "integer", "minimum": 1, "maximum": 500}),
]
_DATES = [
    _query("from_date", {"type": "string", "format": "date-time"}),
    _query("to_date", {"type": "string", "format": "date-time"}),
    _query("from_settled_date", {"type": "string", "format": "date"}),
    _query("to_settled_date", {"type": "string", "format": "date"}),
]
PAYMENT_SEARCH = [
    _query("reference", _text(255, 0)),
    _query("email", _text(254, 0)),
    _query(
        "state",
        {"type": "string", "enum": ["created", "started", "submitted", "success", "failed", "cancelled", "error"]},
    ),
    _query("card_brand", _text(20, 0)),
    *_DATES,
    *_PAGING,
    _query("first_digits_card_number", {"type": "string", "pattern": "^[0-9]{6}$"}),
    _query("last_digits_card_number", {"type": "string", "pattern": "^[0-9]{4}$"}),
    _query("cardholder_name", _STRING),
    _query("agreement_id", _STRING),
]
REFUND_SEARCH = [*_DATES, *_PAGING]
AGREEMENT_SEARCH = [  # any other parameter is refused (400 P2401)
    _query("reference", _text(255, 0)),
    _query("status", {"type": "string", "enum": ["created", "active", "inactive", "cancelled"]}),
    *_PAGING,
]
DISPUTE_SEARCH = [
    *_DATES,
    *_PAGING,
    _query("status", {"type": "string", "enum": ["created", "needs_response", "under_review", "lost", "won"]}),
]

# --- Responses --------------------------------------------------------------------------------------------

ERROR: Schema = _object(
    {"field": _STRING, "header": _STRING, "code": {"type": "string", "pattern": r"^P\d{4}$"}, "description": _STRING},
    optional=("field", "header", "code"),  # the web shell's own answers (404, 405, 413) carry no code
)
_ADDRESS_OUT = _object(
    {"line1": _STRING, "line2": _STRING, "postcode": _STRING, "city": _STRING, "country": _STRING},
    optional=("line1", "line2", "postcode", "city", "country"),
)
CARD_DETAILS: Schema = _object(
    {
        "last_digits_card_number": {"type": "string", "pattern": "^[0-9]{4}$"},
        "first_digits_card_number": {"type": "string", "pattern": "^[0-9]{6}$"},
        "cardholder_name": _STRING,
        "expiry_date": {"type": "string", "pattern": "^(0[1-9]|1[0-2])/[0-9]{2}$"},
        "billing_address": _ADDRESS_OUT,
        "card_brand": _STRING,
        "card_type": {"type": ["string", "null"], "enum": ["debit", "credit", None]},
    },
    optional=(
        "last_digits_card_number",
        "first_digits_card_number",
        "cardholder_name",
        "expiry_date",
        "billing_address",
        "card_brand",
        "card_type",
    ),
)
_STATE = _object(
    {
        "status": {
            "type": "string",
            "enum": ["created", "started", "submitted", "capturable", "success", "failed", "cancelled", "error"],
        },
        "finished": _BOOLEAN,
        "message": _STRING,
        "code": {"type": "string", "pattern": r"^P\d{4}$"},
        "can_retry": _BOOLEAN,
    },
    optional=("message", "code", "can_retry"),
)
_PAYMENT_LINKS = _object(
    {
        "self": _LINK,
        "events": _LINK,
        "refunds": _LINK,
        "next_url": _LINK,
        "next_url_post": _FORM_LINK,
        "auth_url_post": _FORM_LINK,
        "cancel": _LINK,
        "capture": _LINK,
    },
    optional=("next_url", "next_url_post", "auth_url_post", "cancel", "capture"),
)
PAYMENT: Schema = _object(
    {
        "amount": _INTEGER,
        "description": _STRING,
        "reference": _STRING,
        "language": {"type": "string", "enum": ["en", "cy"]},
        "payment_id": _ID,
        "payment_provider": _STRING,
        "created_date": _TIMESTAMP,
        "state": _STATE,
        "refund_summary": _object(
            {
                "status": {"type": "string", "enum": ["pending", "unavailable", "available", "full"]},
                "amount_available": _INTEGER,
                "amount_submitted": _INTEGER,
            }
        ),
        "settlement_summary": _object(
            {"capture_submit_time": _TIMESTAMP, "captured_date": _DATE, "settled_date": _DATE},
            optional=("capture_submit_time", "captured_date", "settled_date"),
        ),
        "delayed_capture": _BOOLEAN,
        "moto": _BOOLEAN,
        "authorisation_mode": {"type": "string", "enum": ["web", "moto_api", "agreement"]},
        "email": _STRING,
        "return_url": _STRING,
        "metadata": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}},
        "provider_id": _STRING,
        "card_details": CARD_DETAILS,
        "card_brand": _STRING,
        "agreement_id": _ID,
        "agreement_payment_type": {"type": "string", "enum": ["instalment", "recurring", "unscheduled"]},
        "corporate_card_surcharge": _INTEGER,
        "total_amount": _INTEGER,
        "fee": _INTEGER,
        "net_amount": _INTEGER,
        "authorisation_summary": _object({"three_d_secure": _object({"required": _BOOLEAN})}),
        "_links": _PAYMENT_LINKS,
    },
    optional=(
        "email",
        "return_url",
        "metadata",
        "provider_id",
        "card_details",
        "card_brand",
        "agreement_id",
        "agreement_payment_type",
        "corporate_card_surcharge",
        "total_amount",
        "fee",
        "net_amount",
        "authorisation_summary",
    ),
)
EVENTS: Schema = _object(
    {
        "payment_id": _ID,
        "events": {
            "type": "array",
            "items": _object(
                {
                    "payment_id": _ID,
                    "state": _STATE,
                    "updated": _TIMESTAMP,
                    "_links": _object({"payment_url": _LINK}),
                }
            ),
        },
        "_links": _object({"self": _LINK}),
    }
)
REFUND: Schema = _object(
    {
        "refund_id": _ID,
        "created_date": _TIMESTAMP,
        "amount": _INTEGER,
        "status": {"type": "string", "enum": ["submitted", "success", "error"]},
        "settlement_summary": _object({"settled_date": _DATE}, optional=("settled_date",)),
        "payment_id": _ID,
        "_links": _object({"self": _LINK, "payment": _LINK}),
    }
)
PAYMENT_REFUNDS: Schema = _object(
    {
        "payment_id": _ID,
        "_links": _object({"self": _LINK, "payment": _LINK}),
        "_embedded": _object({"refunds": {"type": "array", "items": REFUND}}),
    }
)
AGREEMENT: Schema = _object(
    {
        "agreement_id": _ID,
        "reference": _STRING,
        "description": _STRING,
        "status": {"type": "string", "enum": ["created", "active", "inactive", "cancelled"]},
        "created_date": _TIMESTAMP,
        "user_identifier": _STRING,
        "cancelled_date": _TIMESTAMP,
        "payment_instrument": _object({"type": _STRING, "created_date": _TIMESTAMP, "card_details": CARD_DETAILS}),
    },
    optional=("user_identifier", "cancelled_date", "payment_instrument"),
)
DISPUTE: Schema = _object(
    {
        "dispute_id": _ID,
        "payment_id": _ID,
        "amount": _INTEGER,
        "status": {"type": "string", "enum": ["needs_response", "under_review", "lost", "won"]},
        "reason": _STRING,
        "created_date": _TIMESTAMP,
        "settlement_summary": _object({"settled_date": _DATE}, optional=("settled_date",)),
        "_links": _object({"payment": _LINK}),
        "fee": _INTEGER,
        "net_amount": _INTEGER,
        "evidence_due_date": _TIMESTAMP,
    },
    optional=("fee", "net_amount", "evidence_due_date"),
)
_NAVIGATION = _object(
    {name: _object({"href": _STRING}) for name in ("self", "first_page", "last_page", "prev_page", "next_page")},
    optional=("prev_page", "next_page"),
)


def search_results(item: Schema, links_name: str = "_links") -> Schema:
    """A search's page; disputes call the navigation `links`, the others `_links` (api.search_results)."""
    return _object(
        {
            "total": _INTEGER,
            "count": _INTEGER,
            "page": _INTEGER,
            "results": {"type": "array", "items": item},
            links_name: _NAVIGATION,
        }
    )


# --- What each route passes to its decorator (FastAPI's keywords) -----------------------------------------

AUTH = "Authorization: Bearer <a Pay API key>. A missing, malformed or unknown key is a bare 401 with no body."


def _json(schema: Schema, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _json(ERROR, "A missing or malformed field (P0101, P0102, P0104, ...)"),
    401: {"description": "No key, or not a valid one: no body"},
    422: _json(ERROR, "A field's value is refused (P0102, ...)"),
    429: _json(ERROR, "Too many requests (P0900)"),
    "4XX": _json(ERROR, "Another client error, in Pay's format"),
}
_FOUND_ERRORS = {**_ERRORS, 404: _json(ERROR, "No such resource for this account")}


def _body(schema: Schema) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def create(created: Schema, body: Schema, *, status: int = 201) -> dict[str, Any]:
    """A POST that creates: the resource (201, or 202 for a refund), 200 for an Idempotency-Key replay."""
    responses: dict[int | str, dict[str, Any]] = {status: _json(created, "Created"), **_FOUND_ERRORS}
    if created is REFUND:
        responses[412] = _json(ERROR, "refund_amount_available is not what is available (P0604)")
    # Every create honours Idempotency-Key (Pay only for agreement payments; idempotency.once here).
    responses[200] = _json(created, "A replay of an earlier request with this Idempotency-Key")
    responses[409] = _json(ERROR, "The Idempotency-Key was used with another body (P0191)")
    extra = {**_body(body), "parameters": [IDEMPOTENCY_KEY]}
    return {"status_code": status, "responses": responses, "description": AUTH, "openapi_extra": extra}


def get(schema: Schema, description: str) -> dict[str, Any]:
    return {"responses": {200: _json(schema, description), **_FOUND_ERRORS}, "description": AUTH}


def search(item: Schema, parameters: list[Schema], links_name: str = "_links") -> dict[str, Any]:
    """A search: 422 names every bad parameter; a page past the last is 404."""
    return {
        "responses": {200: _json(search_results(item, links_name), "A page of results"), **_FOUND_ERRORS},
        "description": AUTH,
        "openapi_extra": {"parameters": parameters},
    }


def action(description: str, *, conflict: bool = True) -> dict[str, Any]:
    """A POST with no body that answers 204 (cancel, capture); 409 (agreements: 400) when it cannot be done now."""
    responses: dict[int | str, dict[str, Any]] = {204: {"description": description}, **_FOUND_ERRORS}
    if conflict:
        responses[409] = _json(ERROR, "Not in a state for it")
    return {"status_code": 204, "response_class": Response, "responses": responses, "description": AUTH}
