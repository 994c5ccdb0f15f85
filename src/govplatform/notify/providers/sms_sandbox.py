"""A text provider for development: texts go to a file, not to phones.

Why: a developer (or a test environment) needs the whole SMS path to run, from the
worker to the receipt route, without a gateway account, without cost and without
texting anyone. GOV.UK Notify does the same job with its SMS stubs and its test keys
(alphagov/notifications-api ``app/clients/sms/firetext_stub.py`` and the simulated
numbers); this sandbox is simpler: every text is appended to a JSON-lines file, one
object a line, to be read or tailed:

    {"notification_id": "...", "to": "447700900123", "sender": "GOVUK",
     "content": "...", "sent_at": "2024-06-01T09:30:00+00:00"}

and reported DELIVERED at once, with the notification id as the provider reference.

Receipts and inbound texts can still be exercised: ``parse_receipt`` and
``parse_inbound`` read a small form (form-encoded or a flat JSON object of strings),
documented on each method, so a developer can POST to the same routes Firetext would.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from govplatform.core.interfaces import open_private, private_folder
from govplatform.notify.providers.base import InboundText, Outcome, Receipt, SendResult, TextMessage
from govplatform.notify.providers.sms_firetext import international_number

SANDBOX_STATUSES: Final[Mapping[str, Outcome]] = {
    "delivered": Outcome.DELIVERED,
    "permanent-failure": Outcome.PERMANENT,
    "temporary-failure": Outcome.TEMPORARY,
    "pending": Outcome.SENDING,
}


def _required(form: Mapping[str, str], field: str, what: str) -> str:
    value = form.get(field)
    if value is None or not str(value).strip():
        raise ValueError(f"{what}: {field} missing")
    return str(value)


def _utc(form: Mapping[str, str], field: str, what: str) -> dt.datetime:
    """An optional ISO 8601 time (UTC when it has no offset); now when absent."""
    raw = (form.get(field) or "").strip()
    if not raw:
        return dt.datetime.now(dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{what}: {field} {raw[:40]!r} is not an ISO 8601 date and time") from None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


class SandboxTextProvider:
    """Appends each text to ``path`` as a JSON line and reports it delivered.

    The file (0600) and its folder (0700) are created when needed. A text that cannot be written (the
    disk is full, the folder is read-only) is a TECHNICAL failure, as a broken gateway
    would be.
    """

    name = "sandbox"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def _append(self, line: str) -> None:
        with self._lock:
            private_folder(self.path.parent)
            with open_private(self.path, "a", encoding="utf-8") as file:  # numbers and texts: ours to read
                file.write(line + "\n")

    def read(self) -> list[dict[str, str]]:
        """Every text written so far, oldest first (an empty list before the first)."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    async def send(self, message: TextMessage) -> SendResult:
        reference = str(message.notification_id)
        record = {
            "notification_id": reference,
            "to": message.to,
            "sender": message.sender,
            "content": message.content,
            "sent_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        try:
            await asyncio.to_thread(self._append, json.dumps(record, ensure_ascii=False))
        except OSError as error:
            return SendResult(
                Outcome.TECHNICAL, self.name, detail=f"the sandbox could not write its file ({type(error).__name__})"
            )
        return SendResult(Outcome.DELIVERED, self.name, reference=reference, detail="written to the sandbox file")

    def parse_receipt(self, form: Mapping[str, str]) -> Receipt:
        """A made-up receipt, for trying the receipt route in development.

        Fields: ``reference`` (required: the reference ``send`` returned), ``status``
        (required: "delivered", "permanent-failure", "temporary-failure" or "pending"),
        ``received_at`` (optional ISO 8601, UTC if it has no offset; now if absent) and
        ``detail`` (optional, kept short).
        """
        what = "sandbox receipt"
        reference = _required(form, "reference", what).strip()
        status = _required(form, "status", what).strip().lower()
        if status not in SANDBOX_STATUSES:
            raise ValueError(f"{what}: status {status[:30]!r} is not one of {', '.join(SANDBOX_STATUSES)}")
        detail = " ".join((form.get("detail") or status).split())[:120]
        return Receipt(reference, SANDBOX_STATUSES[status], _utc(form, "received_at", what), detail)

    def parse_inbound(self, form: Mapping[str, str]) -> InboundText:
        """A made-up inbound text, for trying the inbound route in development.

        Fields: ``source`` and ``destination`` (required phone numbers, any common format;
        the destination may be a short code), ``message`` (required, may be empty),
        ``reference`` (optional; a new one if absent) and ``received_at`` (optional ISO
        8601, UTC if it has no offset; now if absent).
        """
        what = "sandbox inbound text"
        source = international_number(_required(form, "source", what), f"{what}: source")
        destination = international_number(
            _required(form, "destination", what), f"{what}: destination", short_code=True
        )
        if "message" not in form:
            raise ValueError(f"{what}: message missing")
        reference = (form.get("reference") or "").strip() or f"sandbox-{uuid.uuid4()}"
        return InboundText(
            provider_reference=reference,
            source_number=source,
            destination_number=destination,
            content=str(form["message"]),
            received_at=_utc(form, "received_at", what),
        )
