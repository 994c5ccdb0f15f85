"""Notify's request schemas and response bodies, exactly as its clients see them.

Requests are checked with JSON Schema draft-07 (the `jsonschema` library, as
notifications-api does) so that every failure reads as Notify's does: one
entry per failure, "<field> <message>", quotes stripped, a definition's own
`validationMessage` where it has one ("template_id is not a valid UUID"),
and a recipient checker's message for bad addresses and numbers.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft7Validator, FormatChecker
from jsonschema import ValidationError as SchemaError

from govplatform.notify import recipients
from govplatform.notify.errors import validation_error
from govplatform.notify.models import Notification
from govplatform.notify.services.content import FilledTemplate
from govplatform.notify.services.reading import STATUSES, shown_status
from govplatform.notify.services.templates import TEMPLATE_TYPES, TemplateSnapshot

_formats = FormatChecker()


# The schema's format check and the send that follows both need the checked recipient: one parse each.
@functools.lru_cache(maxsize=4096)
def checked_email_address(value: str) -> str:
    return recipients.validate_email_address(value)


@functools.lru_cache(maxsize=4096)
def checked_phone_number(value: str) -> recipients.PhoneNumber:
    return recipients.validate_phone_number(value, international=True)


@_formats.checks("validate_uuid", raises=ValueError)
def _is_uuid(instance: object) -> bool:
    if isinstance(instance, str):
        uuid.UUID(instance)
    return True


@_formats.checks("email_address", raises=recipients.InvalidRecipientError)
def _is_email(instance: object) -> bool:
    if isinstance(instance, str):
        checked_email_address(instance)
    return True


@_formats.checks("phone_number", raises=recipients.InvalidRecipientError)
def _is_phone_number(instance: object) -> bool:
    if isinstance(instance, str):
        checked_phone_number(instance)
    return True


class _PostageError(Exception):
    def __str__(self) -> str:
        return "invalid. It must be first, second, economy, europe or rest-of-world."


@_formats.checks("postage", raises=_PostageError)
def _is_postage(instance: object) -> bool:
    if isinstance(instance, str) and instance not in ("first", "second", "economy", "europe", "rest-of-world"):
        raise _PostageError
    return True


class _WhenError(Exception):
    pass


@_formats.checks("datetime_within_next_day", raises=_WhenError)
def _within_next_day(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    try:
        when = dt.datetime.fromisoformat(instance.replace("Z", "+00:00"))
    except ValueError:
        raise _WhenError(
            "datetime format is invalid. It must be a valid ISO8601 date time format, https://en.wikipedia.org/wiki/ISO_8601"
        ) from None
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)
    if when < now:
        raise _WhenError("datetime can not be in the past")
    if when > now + dt.timedelta(hours=24):
        raise _WhenError("datetime can only be 24 hours in the future")
    return True


UUID: dict[str, Any] = {"type": "string", "format": "validate_uuid", "validationMessage": "is not a valid UUID"}
PERSONALISATION: dict[str, Any] = {"type": "object"}
HTTPS_URL: dict[str, Any] = {"type": "string", "pattern": "^https://", "validationMessage": "is not a valid https url"}
_REFERENCE = {"type": "string", "maxLength": 1000}
_SCHEDULED = {"type": ["string", "null"], "format": "datetime_within_next_day"}


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


POST_EMAIL = _object(
    {
        "reference": _REFERENCE,
        "email_address": {"type": "string", "format": "email_address"},
        "template_id": UUID,
        "personalisation": PERSONALISATION,
        "scheduled_for": _SCHEDULED,
        "email_reply_to_id": UUID,
        "one_click_unsubscribe_url": HTTPS_URL,
        "sanitise_content_for": {"type": "array", "items": {"type": "string"}},
    },
    ["email_address", "template_id"],
)
POST_SMS = _object(
    {
        "reference": _REFERENCE,
        "phone_number": {"type": "string", "format": "phone_number"},
        "template_id": UUID,
        "personalisation": PERSONALISATION,
        "scheduled_for": _SCHEDULED,
        "sms_sender_id": UUID,
    },
    ["phone_number", "template_id"],
)
POST_LETTER = _object(
    {
        "reference": _REFERENCE,
        "template_id": UUID,
        "personalisation": {**PERSONALISATION, "required": ["address_line_1", "address_line_2"]},
        "scheduled_for": _SCHEDULED,
    },
    ["template_id", "personalisation"],
)
POST_PRECOMPILED_LETTER = _object(
    {"reference": _REFERENCE, "content": {"type": "string"}, "postage": {"type": "string", "format": "postage"}},
    ["reference", "content"],
)
POST_TEMPLATE_PREVIEW = _object({"personalisation": PERSONALISATION}, [])
GET_NOTIFICATIONS = _object(
    {
        "reference": {"type": "string"},
        "status": {"type": "array", "items": {"enum": list(STATUSES)}},
        "template_type": {"type": "array", "items": {"enum": list(TEMPLATE_TYPES)}},
        "include_jobs": {"enum": ["true", "True"]},
        "older_than": UUID,
    },
    [],
)
GET_TEMPLATES = _object({"type": {"enum": ["sms", "email", "letter"]}}, [])
GET_RECEIVED_TEXTS = _object({"older_than": UUID}, [])


def _message(error: SchemaError) -> str:
    schema = error.schema
    if isinstance(schema, Mapping) and "validationMessage" in schema:
        field = str(error.path[0]) if error.path else ""
        return f"{field} {schema['validationMessage']}".strip()
    path = error.path.popleft() if error.path else None
    text = str(error.cause) if error.cause else error.message
    text = text.replace("'", "")
    return f"{path} {text}" if path is not None else text


_validators: dict[int, Draft7Validator] = {}


def _validator(schema: dict[str, Any]) -> Draft7Validator:
    """One validator per schema object: building one costs more than most validations."""
    found = _validators.get(id(schema))
    if found is None or found.schema is not schema:
        found = _validators[id(schema)] = Draft7Validator(schema, format_checker=_formats)
    return found


def validate(document: object, schema: dict[str, Any]) -> None:
    """400 ValidationError with one message per failure, as Notify's `validate` reports them."""
    errors = list(_validator(schema).iter_errors(document))
    if errors:
        messages: list[str] = []
        for error in errors:
            message = _message(error)
            if message not in messages:
                messages.append(message)
        raise validation_error(messages)


# Responses ------------------------------------------------------------------


def timestamp(value: dt.datetime | None) -> str | None:
    """Notify's time format: UTC, microseconds, a Z."""
    return None if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def template_json(template: TemplateSnapshot) -> dict[str, Any]:
    return {
        "id": str(template.id),
        "type": template.type,
        "created_at": timestamp(template.created_at),
        "updated_at": timestamp(template.updated_at),
        "created_by": template.created_by,
        "version": template.version,
        "body": template.content,
        "subject": template.subject if template.type != "sms" else None,
        "name": template.name,
        "postage": template.postage,
        "letter_contact_block": template.letter_contact_block,
        "personalisation": {name: {"required": True} for name in template.placeholders},
    }


def template_ref(template: TemplateSnapshot, base_url: str) -> dict[str, Any]:
    return _template_ref(template.service_id, template.id, template.version, base_url)


def _template_ref(service_id: uuid.UUID, template_id: uuid.UUID, version: int, base_url: str) -> dict[str, Any]:
    uri = f"{base_url}/services/{service_id}/templates/{template_id}"
    return {"id": str(template_id), "version": version, "uri": uri}


# Notify files every precompiled letter under its service's hidden "Pre-compiled PDF" template, version 1
# (notifications-api `get_precompiled_letter_template`), so a notification's `template` is always an object:
# the spec gives no null, and typed clients read template.id unconditionally (the Java client's
# getJSONObject("template")). Precompiled letters here have no template row, so each service gets a stable id.
_PRECOMPILED_TEMPLATES = uuid.UUID("5d0e8b8a-3c4e-4f55-9d3b-6c1f1b0a7e21")


def _precompiled_template_id(service_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_PRECOMPILED_TEMPLATES, str(service_id))


def _notification_template_ref(row: Notification, template: TemplateSnapshot | None, base_url: str) -> dict[str, Any]:
    if template is not None:
        return template_ref(template, base_url)
    if row.template_id is None:
        return _template_ref(row.service_id, _precompiled_template_id(row.service_id), 1, base_url)
    return _template_ref(row.service_id, row.template_id, row.template_version, base_url)


def preview_json(template: TemplateSnapshot, filled: FilledTemplate) -> dict[str, Any]:
    return {
        "id": str(template.id),
        "type": template.type,
        "version": template.version,
        "body": filled.body,
        "html": filled.html if template.type == "email" else None,
        "subject": filled.subject,
        "postage": template.postage,
    }


def cost_fields(row: Notification, sms_rate: float) -> dict[str, Any]:
    """is_cost_data_ready, cost_in_pounds and cost_details, as Notify's notification object has them."""
    if row.type == "email":
        return {"is_cost_data_ready": True, "cost_in_pounds": 0.0, "cost_details": {}}
    if row.type == "sms":
        ready = row.status not in ("created",) and row.billable_units > 0
        details = {
            "billable_sms_fragments": row.billable_units if ready else None,
            "international_rate_multiplier": row.rate_multiplier if ready else None,
            "sms_rate": sms_rate if ready else None,
        }
        cost = round(row.billable_units * row.rate_multiplier * sms_rate, 4) if ready else None
        return {"is_cost_data_ready": ready, "cost_in_pounds": cost, "cost_details": details if ready else {}}
    # Notify prices a letter from its sheets and postage (its letter_rates table) and says it is ready, with
    # cost_in_pounds a number, once the sheets are known. The platform holds no letter prices, so a letter's
    # cost is never ready here, and it reads as Notify's letters do until then: not ready, no cost, no details
    # (cost_in_pounds may be null only then; the spec makes it a number). Sheets are still on the usage page.
    return {"is_cost_data_ready": False, "cost_in_pounds": None, "cost_details": {}}


def notification_json(
    row: Notification,
    template: TemplateSnapshot | None,
    personalisation: Mapping[str, object],
    filled: FilledTemplate | None,
    base_url: str,
    sms_rate: float,
    address: Mapping[str, str | None],
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(row.id),
        "reference": row.reference,
        "email_address": row.recipient if row.type == "email" else None,
        "phone_number": row.recipient if row.type == "sms" else None,
        **{f"line_{n}": address.get(f"line_{n}") for n in range(1, 7)},
        "postcode": address.get("postcode"),
        "type": row.type,
        "status": shown_status(row.type, row.status),
        "template": _notification_template_ref(row, template, base_url),
        "body": filled.body if filled else "",
        "subject": filled.subject if filled and row.type != "sms" else None,
        "created_at": timestamp(row.created_at),
        "created_by_name": row.created_by_name,
        "sent_at": timestamp(row.sent_at),
        "completed_at": timestamp(row.completed_at),
        "scheduled_for": None,
        "postage": row.postage,
        "one_click_unsubscribe_url": row.one_click_unsubscribe_url,
        **cost_fields(row, sms_rate),
    }
    if row.type == "letter":
        body["estimated_delivery"] = timestamp(estimated_delivery(row))
    return body


def estimated_delivery(row: Notification) -> dt.datetime:
    """When a letter should arrive: printed the next working day, then first class 1 day, others 2 or more."""
    days = {"first": 2, "second": 3, "economy": 5}.get(row.postage or "second", 6)
    when = row.created_at
    while days:
        when += dt.timedelta(days=1)
        if when.weekday() < 5:
            days -= 1
    return when.replace(hour=16, minute=0, second=0, microsecond=0)
