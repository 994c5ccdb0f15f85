"""How much a service sent, per UTC day and channel: delivered, failed and still sending, with units.

Counted from the notifications table (test-key messages left out, as they
are never sent or billed), so it covers the service's retention period. Units
are what Notify bills by: text message fragments and letter sheets.

Days are UTC days. The day of a timestamp is worked out in SQL, in each
database's own way, so one grouped query serves a whole month.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import ColumnElement, func, select

from govplatform.core.interfaces import UnitOfWork
from govplatform.notify.models import Notification
from govplatform.notify.services.admin_queries import CHANNELS, SHOWN_KEY_TYPES, status_group


@dataclasses.dataclass
class ChannelUsage:
    delivered: int = 0
    failed: int = 0
    sending: int = 0
    units: int = 0  # fragments for text messages, sheets for letters

    @property
    def total(self) -> int:
        return self.delivered + self.failed + self.sending

    def add(self, other: ChannelUsage) -> None:
        self.delivered += other.delivered
        self.failed += other.failed
        self.sending += other.sending
        self.units += other.units


@dataclasses.dataclass(frozen=True)
class DayUsage:
    day: dt.date
    channels: dict[str, ChannelUsage]


def _day_of(session_dialect: str) -> ColumnElement[object]:
    if session_dialect == "postgresql":
        return func.date(func.timezone("UTC", Notification.created_at))
    return func.date(Notification.created_at)  # SQLite keeps UTC timestamps as ISO text


async def daily_usage(uow: UnitOfWork, service_id: uuid.UUID, first: dt.date, last: dt.date) -> list[DayUsage]:
    """Every day from `first` to `last` inclusive, newest first, days with nothing sent included."""
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    day = _day_of(uow.session.get_bind().dialect.name).label("day")
    query = (
        select(
            day,
            Notification.type,
            Notification.status,
            func.count().label("messages"),
            func.coalesce(func.sum(Notification.billable_units), 0).label("units"),
        )
        .where(
            Notification.service_id == service_id,
            Notification.key_type.in_(SHOWN_KEY_TYPES),
            Notification.created_at >= start,
            Notification.created_at < end,
        )
        .group_by(day, Notification.type, Notification.status)
    )
    days = {first + dt.timedelta(days=n): {c: ChannelUsage() for c in CHANNELS} for n in range((last - first).days + 1)}
    for row in await uow.session.execute(query):
        when = row.day if isinstance(row.day, dt.date) else dt.date.fromisoformat(str(row.day))
        usage = days.get(when, {}).get(row.type)
        if usage is None:
            continue
        group = status_group(row.status)
        setattr(usage, group, getattr(usage, group) + int(row.messages))
        usage.units += int(row.units)
    return [DayUsage(when, channels) for when, channels in sorted(days.items(), reverse=True)]


def totals(days: list[DayUsage]) -> dict[str, ChannelUsage]:
    summed = {channel: ChannelUsage() for channel in CHANNELS}
    for day in days:
        for channel, usage in day.channels.items():
            summed[channel].add(usage)
    return summed
