"""What a log entry holds: a versioned JSON record of one use of data, or of one change to a data-sharing
agreement, in RFC 8785 form.

Canonical JSON (JCS) means a receipt holder who has the record can rebuild the
exact bytes that were hashed into the log. The person is named only by a
keyed HMAC of their identifier, so the log itself names no one, while the
platform (which holds the key) can still show a person every use of their data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from govplatform.transparency import jcs
from govplatform.transparency.interfaces import AgreementChange, AgreementParty, DataUse
from govplatform.transparency.tiles import MAX_ENTRY_SIZE

ENTRY_VERSION = 1


class EntryError(ValueError):
    """A data use cannot be recorded as it stands."""


def pseudonym(secret: str, subject: str) -> str:
    if not subject:
        raise EntryError("a data use needs the subject's identifier")
    mac = hmac.new(secret.encode(), b"govplatform-subject-v1\x00" + subject.encode(), hashlib.sha256)
    return mac.hexdigest()


def _text(value: str, what: str, limit: int = 500) -> str:
    value = " ".join(value.split())
    if not value:
        raise EntryError(f"a data use needs {what}")
    if len(value) > limit:
        raise EntryError(f"{what} must be {limit} characters or fewer")
    return value


def entry_record(use: DataUse, subject_secret: str) -> dict[str, Any]:
    if not use.data_items:
        raise EntryError("a data use names at least one data item")
    when = use.occurred_at
    if when.tzinfo is None:
        raise EntryError("the time of a data use must carry a time zone")
    who: dict[str, Any] = {
        "organisation": {"id": str(use.organisation_id), "name": _text(use.organisation_name, "an organisation")}
    }
    if use.service_id is not None:
        who["service"] = {"id": str(use.service_id), "name": _text(use.service_name or "", "a service")}
    record = {
        "v": ENTRY_VERSION,
        "type": "data-use",
        "who": who,
        "what": sorted({_text(item, "a data item name", 100) for item in use.data_items}),
        "whose": pseudonym(subject_secret, use.subject),
        "why": {"purpose": _text(use.purpose, "a purpose"), "legal_basis": _text(use.legal_basis, "a legal basis")},
        "when": when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if use.via is not None:  # an exchange answer: under which agreement, from whom, asked by whom
        record["via"] = {
            "agreement": str(use.via.agreement_id),
            "provider": _party(use.via.provider, "a provider"),
            "dataset": _party(use.via.dataset, "a dataset"),
            "asked_by": _text(use.via.asked_by, "who asked", 20),
        }
    return record


def entry_bytes(use: DataUse, subject_secret: str) -> tuple[bytes, str]:
    """The entry's canonical bytes and the subject's pseudonym."""
    record = entry_record(use, subject_secret)
    data = jcs.canonicalise(record)
    if len(data) > MAX_ENTRY_SIZE:
        raise EntryError(f"the entry is {len(data)} bytes; a log entry is at most {MAX_ENTRY_SIZE}")
    return data, record["whose"]


def _party(party: AgreementParty, what: str) -> dict[str, str]:
    return {"id": str(party.id), "name": _text(party.name, what)}


def agreement_record(change: AgreementChange) -> dict[str, Any]:
    """An agreement's change as an entry: no person is named (the actor by role only), so it has no subject."""
    when = change.occurred_at
    if when.tzinfo is None:
        raise EntryError("the time of an agreement change must carry a time zone")
    return {
        "v": ENTRY_VERSION,
        "type": "agreement",
        "agreement": str(change.agreement_id),
        "action": _text(change.action, "an action", 40),
        "state": _text(change.state, "a state", 40),
        "between": {
            "consumer": _party(change.consumer, "a consumer"),
            "provider": _party(change.provider, "a provider"),
        },
        "dataset": _party(change.dataset, "a dataset"),
        "what": sorted({_text(item, "a data item name", 100) for item in change.data_items}),
        "why": {
            "purpose": _text(change.purpose, "a purpose"),
            "legal_basis": _text(change.legal_basis, "a legal basis"),
        },
        "expires": change.expires_on.isoformat() if change.expires_on else None,
        "by": _text(change.by_role, "a role", 40),
        "when": when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def agreement_bytes(change: AgreementChange) -> bytes:
    data = jcs.canonicalise(agreement_record(change))
    if len(data) > MAX_ENTRY_SIZE:
        raise EntryError(f"the entry is {len(data)} bytes; a log entry is at most {MAX_ENTRY_SIZE}")
    return data
