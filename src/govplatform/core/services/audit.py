"""The audit trail: every admin action, appended in the same transaction as the action.

Written in the same transaction so an action and its record stand or fall
together; the table refuses UPDATE and DELETE (see migration 0001).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

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
