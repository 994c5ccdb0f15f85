"""How the audit log names pay's targets: a payment link, a webhook, a refund.

Core's audit page shows "Payment link 'Pay for a parking permit'" instead of an id, linking to the
page that shows it in its own account (live or test); these finders look up a page of the log's
targets of one type in one query (declared in `component.py`, ADR 0016).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select

from govplatform.core.interfaces import AuditRecord, FoundTarget, UnitOfWork, uuids_in
from govplatform.pay.models import PaymentLink, Refund, Webhook
from govplatform.pay.services.money import shown


def account_page(service_id: uuid.UUID, live: bool, path: str) -> str:
    return f"/admin/services/{service_id}/pay/{'live' if live else 'test'}/{path}"


def _ids(records: Sequence[AuditRecord]) -> list[str]:
    return list(dict.fromkeys(record.target_id for record in records))


async def payment_links(uow: UnitOfWork, records: Sequence[AuditRecord]) -> Mapping[str, FoundTarget]:
    query = select(PaymentLink.id, PaymentLink.service_id, PaymentLink.live, PaymentLink.title).where(
        PaymentLink.id.in_(uuids_in(records))
    )
    rows = await uow.session.execute(query)
    # A link has no page of its own: the account's list of links shows it, with its state.
    return {
        str(row.id): FoundTarget(row.title, account_page(row.service_id, row.live, "payment-links")) for row in rows
    }


async def webhooks(uow: UnitOfWork, records: Sequence[AuditRecord]) -> Mapping[str, FoundTarget]:
    query = select(Webhook.id, Webhook.service_id, Webhook.live, Webhook.description, Webhook.callback_url).where(
        Webhook.id.in_(_ids(records))
    )
    rows = await uow.session.execute(query)
    return {
        row.id: FoundTarget(
            row.description or row.callback_url, account_page(row.service_id, row.live, f"webhooks/{row.id}")
        )
        for row in rows
    }


async def refunds(uow: UnitOfWork, records: Sequence[AuditRecord]) -> Mapping[str, FoundTarget]:
    # Named by its amount, as the payment's page lists its refunds; the link goes to that page.
    query = select(Refund.id, Refund.service_id, Refund.live, Refund.payment_id, Refund.amount).where(
        Refund.id.in_(_ids(records))
    )
    rows = await uow.session.execute(query)
    return {
        row.id: FoundTarget(shown(row.amount), account_page(row.service_id, row.live, f"payments/{row.payment_id}"))
        for row in rows
    }
