"""Reading notifications back: one by id, or a service's list, newest first, 250 a page.

The list follows notifications-api's rules (notify.md section 1): it is filtered
to the caller's key type, so test messages are seen only with test keys; the
status filter understands the letter names (accepted, received) and "failed";
`older_than` pages by the given notification's creation time, and an unknown
id gives an empty page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, or_, select

from govplatform.core.interfaces import UnitOfWork
from govplatform.notify.models import Notification

PAGE_SIZE = 250
FAILED = ("technical-failure", "temporary-failure", "permanent-failure", "validation-failed", "virus-scan-failed")
STATUS_ALIASES: dict[str, tuple[str, ...]] = {
    "failed": FAILED,
    "accepted": ("created", "sending"),
    "received": ("delivered", "returned-letter"),
}
STATUSES = (
    "cancelled",
    "created",
    "sending",
    "sent",
    "delivered",
    "pending",
    "failed",
    "technical-failure",
    "temporary-failure",
    "permanent-failure",
    "pending-virus-check",
    "validation-failed",
    "virus-scan-failed",
    "returned-letter",
    "accepted",
    "received",
)


def shown_status(notification_type: str, status: str) -> str:
    """The status callers see: letters say accepted and received, as Notify's letters do."""
    if notification_type == "letter":
        if status in ("created", "sending"):
            return "accepted"
        if status in ("delivered", "returned-letter"):
            return "received"
    return status


def before_pivot(created_at: Any, row_id: Any, pivot_created_at: dt.datetime, pivot_id: uuid.UUID) -> Any:
    """Rows before the pivot in newest-first order: earlier, or created in the same instant with a lower id
    (a bulk send's chunk shares one creation time)."""
    return or_(created_at < pivot_created_at, and_(created_at == pivot_created_at, row_id < pivot_id))


async def get_notification(uow: UnitOfWork, service_id: uuid.UUID, notification_id: uuid.UUID) -> Notification | None:
    row = await uow.session.get(Notification, notification_id)
    if row is None or row.service_id != service_id:
        return None
    return row


async def list_notifications(
    uow: UnitOfWork,
    service_id: uuid.UUID,
    key_type: str,
    *,
    statuses: Sequence[str] = (),
    template_types: Sequence[str] = (),
    reference: str | None = None,
    older_than: uuid.UUID | None = None,
    include_jobs: bool = False,
    limit: int = PAGE_SIZE,
) -> list[Notification]:
    query = select(Notification).where(Notification.service_id == service_id, Notification.key_type == key_type)
    if statuses:
        wanted = {alias for status in statuses for alias in STATUS_ALIASES.get(status, (status,))}
        query = query.where(Notification.status.in_(sorted(wanted)))
    if template_types:
        query = query.where(Notification.type.in_(list(template_types)))
    if reference is not None:
        query = query.where(Notification.reference == reference)
    if not include_jobs:
        query = query.where(Notification.job_id.is_(None))
    if older_than is not None:
        pivot = await uow.session.get(Notification, older_than)
        if pivot is None or pivot.service_id != service_id:
            return []
        query = query.where(before_pivot(Notification.created_at, Notification.id, pivot.created_at, pivot.id))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    return list((await uow.session.scalars(query)).all())
