"""How the audit log names notify's targets: a reply-to address, a text message sender, a bulk send.

Core's audit page shows "Reply-to email address 'help@council.gov.uk'" instead of an id, linking to
the page that shows it; these finders look up a page of the log's targets of one type in one query
(declared in `component.py`, ADR 0016). An archived sender is still named: the log keeps its history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from govplatform.core.interfaces import AuditRecord, FoundTarget, UnitOfWork, service_page, uuids_in
from govplatform.notify.models import BulkSend, ReplyToAddress, SmsSender

SENDERS = service_page("/notify/senders")


async def reply_to_addresses(uow: UnitOfWork, records: Sequence[AuditRecord]) -> Mapping[str, FoundTarget]:
    query = select(ReplyToAddress.id, ReplyToAddress.service_id, ReplyToAddress.email_address).where(
        ReplyToAddress.id.in_(uuids_in(records))
    )
    rows = await uow.session.execute(query)
    return {str(row.id): FoundTarget(row.email_address, SENDERS(row.service_id)) for row in rows}


async def sms_senders(uow: UnitOfWork, records: Sequence[AuditRecord]) -> Mapping[str, FoundTarget]:
    query = select(SmsSender.id, SmsSender.service_id, SmsSender.sms_sender).where(SmsSender.id.in_(uuids_in(records)))
    rows = await uow.session.execute(query)
    return {str(row.id): FoundTarget(row.sms_sender, SENDERS(row.service_id)) for row in rows}


async def bulk_sends(uow: UnitOfWork, records: Sequence[AuditRecord]) -> Mapping[str, FoundTarget]:
    query = select(BulkSend.id, BulkSend.service_id, BulkSend.original_file_name).where(
        BulkSend.id.in_(uuids_in(records))
    )
    rows = await uow.session.execute(query)
    return {
        str(row.id): FoundTarget(row.original_file_name, service_page(f"/notify/bulk-sends/{row.id}")(row.service_id))
        for row in rows
    }
