"""Delivery receipts from SMS gateways: the final word on a text message's status.

A gateway answers a send with "accepted" and later posts a receipt. The
receipt moves the notification from sending (or pending) to its final status,
with Notify's rule that a message that was pending and is then declined is a
temporary failure, not a permanent one (notifications-api's
`_decide_permanent_temporary_failure`). A receipt for a notification that has
already finished, or that we do not know, changes nothing: gateways retry
receipts, and a late duplicate must not undo a final status.
"""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import select

from govplatform.core.interfaces import SecretBox, UnitOfWork, utcnow
from govplatform.notify.models import Notification
from govplatform.notify.providers.base import Outcome, Receipt
from govplatform.notify.services import callbacks

STATUS_FOR = {
    Outcome.DELIVERED: "delivered",
    Outcome.PERMANENT: "permanent-failure",
    Outcome.TEMPORARY: "temporary-failure",
    Outcome.TECHNICAL: "technical-failure",
    Outcome.SENDING: "pending",
}
OPEN_STATUSES = ("sending", "pending")


@dataclasses.dataclass(frozen=True)
class ReceiptApplied:
    notification_id: uuid.UUID | None
    status: str | None  # None when nothing changed


async def apply_receipt(uow: UnitOfWork, box: SecretBox, provider: str, receipt: Receipt) -> ReceiptApplied:
    row = (
        await uow.session.scalars(
            select(Notification).where(
                Notification.provider_reference == receipt.reference, Notification.sent_by == provider
            )
        )
    ).first()
    if row is None:
        return ReceiptApplied(None, None)
    if row.status not in OPEN_STATUSES:
        return ReceiptApplied(row.id, None)
    status = STATUS_FOR[receipt.outcome]
    if status == "permanent-failure" and row.status == "pending":
        status = "temporary-failure"
    row.status = status
    row.updated_at = utcnow()
    if status != "pending":
        row.completed_at = receipt.received_at
    await callbacks.status_changed(uow, box, row)
    return ReceiptApplied(row.id, status)
