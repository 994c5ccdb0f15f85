"""What the admin pages read about one bulk send (bulk.py has the sending; this module only reads)."""

from __future__ import annotations

import uuid

from govplatform.core.interfaces import UnitOfWork
from govplatform.notify.models import BulkSend


async def bulk_send(uow: UnitOfWork, service_id: uuid.UUID, bulk_send_id: uuid.UUID) -> BulkSend | None:
    """The bulk send, if it is this service's: another service's id finds nothing, as an unknown one does."""
    found = await uow.session.get(BulkSend, bulk_send_id)
    return found if found is not None and found.service_id == service_id else None
