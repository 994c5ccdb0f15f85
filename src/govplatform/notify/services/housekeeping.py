"""Nightly housekeeping: messages stuck in sending, and the retention purge.

- An email or text message still sending (or pending) 72 hours after it was
  created becomes temporary-failure, and the service's callback hears of it,
  as Notify's nightly `timeout_notifications` does.
- Notifications older than the service's retention period (7 days unless the
  service chose 3 to 90) are deleted, personalisation and all, after their
  counts are added to `DailyStat`, so usage figures outlive the messages.
  Notify moves them to a history table without personalisation; we keep only
  the counts, which is all the statistics need and less personal data.

Both work in batches, each its own transaction, so a purge of millions of
rows never holds one long transaction, and a crash loses nothing: a batch
either moved its counts and deleted its rows, or did neither.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from govplatform.core.interfaces import SecretBox, UnitOfWork, utcnow
from govplatform.notify.models import DailyStat, Notification, NotifySettings, ScheduledRun
from govplatform.notify.services import callbacks

SENDING_TIMEOUT = dt.timedelta(hours=72)
DEFAULT_RETENTION_DAYS = 7
BATCH = 1000


@dataclasses.dataclass
class HousekeepingResult:
    timed_out: int = 0
    purged: int = 0


async def time_out_sending(uow: UnitOfWork, box: SecretBox, now: dt.datetime | None = None) -> int:
    """One batch: emails and texts still sending after 72 hours become temporary-failure. Returns how many."""
    now = now or utcnow()
    rows = (
        await uow.session.scalars(
            select(Notification)
            .where(
                Notification.status.in_(("sending", "pending")),
                Notification.type.in_(("email", "sms")),
                Notification.created_at < now - SENDING_TIMEOUT,
            )
            .limit(BATCH)
        )
    ).all()
    for row in rows:
        row.status = "temporary-failure"
        row.completed_at = row.updated_at = now
        await callbacks.status_changed(uow, box, row)
    return len(rows)


async def _retention_groups(uow: UnitOfWork) -> dict[int, list[uuid.UUID]]:
    rows = await uow.session.execute(select(NotifySettings.service_id, NotifySettings.retention_days))
    groups: dict[int, list[uuid.UUID]] = {}
    for service_id, days in rows.all():
        groups.setdefault(days, []).append(service_id)
    return groups


_EXPIRED_COLUMNS = (
    Notification.id,
    Notification.service_id,
    Notification.created_at,
    Notification.type,
    Notification.key_type,
    Notification.status,
    Notification.billable_units,
)


async def purge_batch(uow: UnitOfWork, now: dt.datetime | None = None) -> int:
    """One batch of the retention purge: count, then delete, up to BATCH expired notifications."""
    now = now or utcnow()
    groups = await _retention_groups(uow)
    chosen = [service_id for ids in groups.values() for service_id in ids]
    # Services that chose a period, one query per period; then everyone else at the default.
    queries = [
        select(*_EXPIRED_COLUMNS).where(
            Notification.service_id.in_(ids), Notification.created_at < now - dt.timedelta(days=days)
        )
        for days, ids in groups.items()
    ]
    default = select(*_EXPIRED_COLUMNS).where(Notification.created_at < now - dt.timedelta(days=DEFAULT_RETENTION_DAYS))
    queries.append(default.where(Notification.service_id.not_in(chosen)) if chosen else default)
    expired: list[Any] = []
    for query in queries:
        if len(expired) >= BATCH:
            break
        expired.extend((await uow.session.execute(query.limit(BATCH - len(expired)))).all())
    if not expired:
        return 0
    totals: dict[tuple[uuid.UUID, dt.date, str, str, str], list[int]] = {}
    for row in expired:
        key = (row.service_id, row.created_at.date(), row.type, row.key_type, row.status)
        total = totals.setdefault(key, [0, 0])
        total[0] += 1
        total[1] += row.billable_units
    for (service_id, day, kind, key_type, status), (count, units) in totals.items():
        stat = await uow.session.get(DailyStat, (service_id, day, kind, key_type, status))
        if stat is None:
            uow.session.add(
                DailyStat(
                    service_id=service_id,
                    day=day,
                    type=kind,
                    key_type=key_type,
                    status=status,
                    count=count,
                    billable_units=units,
                )
            )
        else:
            stat.count += count
            stat.billable_units += units
    await uow.session.execute(
        delete(Notification)
        .where(Notification.id.in_([row.id for row in expired]))
        .execution_options(synchronize_session=False)
    )
    return len(expired)


async def count_notifications(uow: UnitOfWork) -> int:
    return int(await uow.session.scalar(select(func.count()).select_from(Notification)) or 0)


async def claim_run(uow: UnitOfWork, task: str, period: str) -> bool:
    """Claim a periodic task's run for one period in the caller's transaction; False if it already ran.

    Two workers claiming the same run both insert the same primary key: the
    second waits for the first to commit and then fails, so only one runs.
    A run that fails rolls back its claim with its work, and is tried again.
    """
    exists = await uow.session.get(ScheduledRun, (task, period))
    if exists is not None:
        return False
    uow.session.add(ScheduledRun(task=task, period=period, started_at=utcnow()))
    try:
        await uow.session.flush()
    except IntegrityError:
        return False
    return True
