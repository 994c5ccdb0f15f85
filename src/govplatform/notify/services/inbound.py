"""Text messages citizens send to a service's number: stored, encrypted, and listed newest first.

The gateway posts each one to the platform; the destination number says
which service it belongs to (a text sender marked as an inbound number).
A gateway may post the same text twice (a retried webhook): its provider
reference makes the second copy a no-op.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from govplatform.core.interfaces import SecretBox, UnitOfWork
from govplatform.notify.models import InboundText as InboundRow
from govplatform.notify.models import SmsSender
from govplatform.notify.providers.base import InboundText
from govplatform.notify.services import callbacks
from govplatform.notify.services.reading import before_pivot

PAGE_SIZE = 250


async def store_inbound(uow: UnitOfWork, box: SecretBox, provider: str, text: InboundText) -> InboundRow | None:
    """Store a received text for the service that owns the number; None if no service does (or a repeat)."""
    owner = await uow.session.scalar(
        select(SmsSender.service_id).where(
            SmsSender.inbound_number == text.destination_number, SmsSender.archived.is_(False)
        )
    )
    if owner is None:
        return None
    repeat = await uow.session.scalar(
        select(InboundRow.id).where(
            InboundRow.provider == provider, InboundRow.provider_reference == text.provider_reference
        )
    )
    if repeat is not None:
        return None
    row_id = uuid.uuid4()
    row = InboundRow(
        id=row_id,
        service_id=owner,
        user_number=text.source_number,
        notify_number=text.destination_number,
        content=box.encrypt_text(text.content, str(row_id)),
        provider=provider,
        provider_reference=text.provider_reference,
        created_at=text.received_at,
    )
    uow.session.add(row)
    await callbacks.text_received(uow, box, row, text.content)
    return row


async def list_inbound(
    uow: UnitOfWork, service_id: uuid.UUID, older_than: uuid.UUID | None = None, limit: int = PAGE_SIZE
) -> list[InboundRow]:
    query = select(InboundRow).where(InboundRow.service_id == service_id)
    if older_than is not None:
        pivot = await uow.session.get(InboundRow, older_than)
        if pivot is None or pivot.service_id != service_id:
            return []
        query = query.where(before_pivot(InboundRow.created_at, InboundRow.id, pivot.created_at, pivot.id))
    query = query.order_by(InboundRow.created_at.desc(), InboundRow.id.desc()).limit(limit)
    return list((await uow.session.scalars(query)).all())


def content_of(box: SecretBox, row: InboundRow) -> str:
    return box.decrypt_text(row.content, str(row.id))
