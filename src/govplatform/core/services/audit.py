"""The audit trail: every admin action, appended in the same transaction as the action.

Written in the same transaction so an action and its record stand or fall
together; the table refuses UPDATE and DELETE (see migration 0001). Events
are shown by the readable names every component declares in the admin
registry (`described`, ADR 0016); an event or target type no one declared is
shown as it was recorded.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from govplatform.core.admin_registry import AdminRegistry, AuditRecord, FoundTarget
from govplatform.core.interfaces import Actor
from govplatform.core.models import AuditEvent
from govplatform.core.unit_of_work import UnitOfWork

LAST_EVENT_ID = 2**63 - 1  # event ids are BIGINT on PostgreSQL (SQLite's INTEGER is as wide)


def record(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object = None,
    service_id: uuid.UUID | None = None,
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent(
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        service_id=service_id,
        ip_address=actor.ip_address,
        detail=detail,
    )
    uow.session.add(event)
    return event


async def recent(
    uow: UnitOfWork,
    limit: int = 100,
    before_id: int | None = None,
    service_ids: Sequence[uuid.UUID] | None = None,
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if service_ids is not None:
        query = query.where(AuditEvent.service_id.in_(list(service_ids)))
    return list((await uow.session.scalars(query)).all())


@dataclasses.dataclass(frozen=True)
class DescribedEvent:
    """An event with its readable names, still in English (the page translates them)."""

    event: AuditEvent
    name: str | None  # None: no component declared the action
    target_label: str | None  # None: no component declared the target's type
    target_name: str | None = None
    target_url: str | None = None


async def described(uow: UnitOfWork, registry: AdminRegistry, events: Sequence[AuditEvent]) -> list[DescribedEvent]:
    """The events with their names, and their targets named and linked: one lookup per type of target."""
    by_type: dict[str, list[AuditRecord]] = {}
    for event in events:
        if event.target_id is not None:
            by_type.setdefault(event.target_type, []).append(_record(event))
    found: dict[str, Mapping[str, FoundTarget]] = {}
    for target_type, records in by_type.items():
        target = registry.audit_target(target_type)
        if target is not None and target.find is not None:
            found[target_type] = await target.find(uow, records)
    shown = []
    for event in events:
        name = registry.audit_event_name(event.action)
        target = registry.audit_target(event.target_type)
        if target is None:
            shown.append(DescribedEvent(event, name, None))
            continue
        record = _record(event)
        now = found.get(event.target_type, {}).get(record.target_id, FoundTarget())
        then = event.detail.get(target.name_in) if target.name_in and isinstance(event.detail, dict) else None
        url = now.url or (target.url(record) if target.url and event.target_id is not None else None)
        shown.append(DescribedEvent(event, name, target.label, now.name or (str(then) if then else None), url))
    return shown


def _record(event: AuditEvent) -> AuditRecord:
    return AuditRecord(event.target_id or "", event.service_id, dict(event.detail or {}))
