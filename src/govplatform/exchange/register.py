"""The public register of data-sharing agreements, as its HTML page, JSON and CSV show it.

Like the Digital Economy Act register GDS keeps, it lists every agreement that has been approved (drafts are
not public): the parties and their roles, what is shared and why, under which law, until when, and its state.
The words are in the page's language; the JSON and CSV keep stable English codes beside them, so scripts do
not depend on a language. Every CSV cell goes through core's `safe_cell`: a party's name or a purpose typed by
someone else must not run as a formula in whoever opens the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from typing import Any

from govplatform.core.interfaces import N_, current_language, gettext_, long_date, safe_cell
from govplatform.exchange.data_items import BY_ID
from govplatform.exchange.services.agreements import STATE_NAMES, AgreementView, basis_text

ROLES = {"controller": N_("Controller"), "joint-controller": N_("Joint controller"), "processor": N_("Processor")}
CSV_HEADINGS = (
    "Agreement ID", "State", "Consumer", "Consumer role", "Provider", "Provider role", "Dataset", "Data items",
    "Purpose", "Purpose code", "Lawful basis", "Special category data", "Retention", "Review date", "Expiry date",
    "DPIA reference", "Approved", "Signed off",
)  # fmt: skip


def item_name(item: str) -> str:
    """A data item's name in the page's language (its id, for one no longer on the list)."""
    names = BY_ID[item].name if item in BY_ID else {"en": item}
    return names.get(current_language(), names["en"])


def item_names(view: AgreementView) -> list[str]:
    return [item_name(item) for item in view.data_items]


def _date(value: Any) -> str | None:
    return long_date(value) if value is not None else None


def entry(view: AgreementView) -> dict[str, Any]:
    """One agreement as the register shows it, in the page's language, with its stable codes."""
    return {
        "id": str(view.id),
        "state": view.state,
        "state_text": gettext_(STATE_NAMES[view.state]),
        "consumer": {"id": str(view.consumer.id), "name": view.consumer.name, "role": view.consumer_role},
        "consumer_role_text": gettext_(ROLES[view.consumer_role]),
        "provider": {"id": str(view.provider.id), "name": view.provider.name, "role": view.provider_role},
        "provider_role_text": gettext_(ROLES[view.provider_role]),
        "dataset": {"id": str(view.dataset.id), "name": view.dataset.name},
        "data_items": list(view.data_items),
        "data_item_names": item_names(view),
        "purpose": view.purpose,
        "purpose_text": view.description,
        "basis": view.basis,
        "basis_text": basis_text(view.basis),
        "special_category": view.special_category,
        "special_category_condition": view.special_category_condition,
        "retention": view.retention,
        "security": view.security,
        "dpia_reference": view.dpia_reference,
        "review_on": view.review_on.isoformat() if view.review_on else None,
        "review_text": _date(view.review_on),
        "expires_on": view.expires_on.isoformat() if view.expires_on else None,
        "expires_text": _date(view.expires_on),
        "approved_at": view.approved_at.isoformat() if view.approved_at else None,
        "signed_off_at": view.signed_off_at.isoformat() if view.signed_off_at else None,
    }


def data_use(index: int | None, data: bytes, in_checkpoint: bool) -> dict[str, Any] | None:
    """A log entry about the citizen as their data-use page shows it, in the page's language; None for an entry
    that is not a data use (nothing else carries a subject, but the page shows only what it understands)."""
    try:
        record = json.loads(data)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("type") != "data-use":
        return None
    via = record.get("via") or {}
    names = [item_name(item) for item in record.get("what", [])]
    who = record.get("who", {})
    when = dt.datetime.fromisoformat(str(record.get("when", "")).replace("Z", "+00:00"))
    return {
        "index": index,
        "in_checkpoint": in_checkpoint,
        "organisation": who.get("organisation", {}).get("name", ""),
        "service": (who.get("service") or {}).get("name"),
        "what": names,
        "why": record.get("why", {}).get("purpose", ""),
        "basis": record.get("why", {}).get("legal_basis", ""),
        "provider": (via.get("provider") or {}).get("name"),
        "agreement": via.get("agreement"),
        "when": long_date(when),
        "leaf_hash": hashlib.sha256(b"\x00" + data).hexdigest(),
    }


def as_csv(entries: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADINGS)
    for e in entries:
        row = (
            e["id"], e["state"], e["consumer"]["name"], e["consumer"]["role"], e["provider"]["name"],
            e["provider"]["role"], e["dataset"]["name"], "; ".join(e["data_item_names"]), e["purpose_text"],
            e["purpose"], e["basis_text"], "yes" if e["special_category"] else "no", e["retention"], e["review_on"],
            e["expires_on"], e["dpia_reference"], e["approved_at"], e["signed_off_at"],
        )  # fmt: skip
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + buffer.getvalue()  # a byte order mark, so Excel reads the Welsh names as UTF-8
