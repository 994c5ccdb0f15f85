"""A query's JSON body, read strictly: `{"agreement_id", "purpose", "subject": {"scheme", "value"}, "fields"}`.

Nothing else may be in it, so a client that misspells a key is told rather than answered as if it had not
asked. Read by hand rather than with pydantic because each problem must become the exchange's own error
(`body_invalid`, with a message naming the key), and the checks are few.
"""

from __future__ import annotations

import dataclasses
import json
import uuid

KEYS = {"agreement_id", "purpose", "subject", "fields"}
MAX_FIELDS = 100


class BodyInvalid(ValueError):
    """The body is not a query; the message says what is wrong."""


@dataclasses.dataclass(frozen=True)
class QueryInput:
    agreement_id: uuid.UUID
    purpose: str
    scheme: str
    value: str
    fields: tuple[str, ...]


def read_query(body: bytes) -> QueryInput:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise BodyInvalid("The body is not JSON") from None
    if not isinstance(document, dict):
        raise BodyInvalid("The body is a JSON object")
    extra, missing = sorted(set(document) - KEYS), sorted(KEYS - set(document))
    if missing or extra:
        raise BodyInvalid(
            "The body has " + "; ".join(
                part for part in (
                    ("no " + ", ".join(missing)) if missing else "",
                    ("keys it may not have: " + ", ".join(key[:40] for key in extra[:5])) if extra else "",
                ) if part
            )
        )  # fmt: skip
    try:
        agreement_id = uuid.UUID(str(document["agreement_id"]))
    except ValueError:
        raise BodyInvalid("agreement_id is an agreement's ID") from None
    purpose, subject, fields = document["purpose"], document["subject"], document["fields"]
    if not isinstance(purpose, str) or not 0 < len(purpose) <= 64:
        raise BodyInvalid("purpose is the agreement's purpose code")
    if not isinstance(subject, dict) or set(subject) != {"scheme", "value"}:
        raise BodyInvalid('subject is {"scheme": ..., "value": ...}')
    scheme, value = subject["scheme"], subject["value"]
    if not isinstance(scheme, str) or not isinstance(value, str):
        raise BodyInvalid("subject's scheme and value are text")
    if not isinstance(fields, list) or not 0 < len(fields) <= MAX_FIELDS or not all(isinstance(f, str) for f in fields):
        raise BodyInvalid(f"fields is a list of 1 to {MAX_FIELDS} field names")
    if len(set(fields)) != len(fields):
        raise BodyInvalid("fields names each field once")
    if not all(_unicode(text) for text in (purpose, scheme, value, *fields)):
        raise BodyInvalid("The body's text must be valid Unicode without NUL (nor JSON escapes of lone surrogates)")
    return QueryInput(agreement_id, purpose, scheme[:40], value, tuple(f[:64] for f in fields))


def _unicode(text: str) -> bool:
    """Encodable as UTF-8 and free of NUL, so it can be stored (PostgreSQL refuses NUL in text) and shown."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text
