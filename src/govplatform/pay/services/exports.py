"""CSV exports of an account's payments and refunds, safe to open in a spreadsheet.

Every cell goes through core's `safe_cell` (a leading `'` before anything a
spreadsheet would run as a formula: a reference a citizen typed, such as
`=HYPERLINK(...)`, must not run in a finance officer's spreadsheet). No card
number can leak: none is ever stored (only the brand and last four digits are).

Amounts are pounds with two decimals and times are London time, as finance
teams reconcile them. The headings are English whatever the page's language,
so the files a finance system imports keep one shape. The file starts with a
byte order mark, so Excel reads it as UTF-8 (a Welsh name keeps its accents).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from govplatform.core.interfaces import Actor, UnitOfWork, record_audit, safe_cell
from govplatform.pay.cards import LONDON
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Payment, Refund
from govplatform.pay.services.payments import state_of

BOM = "\ufeff"
PAYMENT_HEADINGS = (
    "Payment ID",
    "Reference",
    "Description",
    "Amount",
    "Corporate card surcharge",
    "State",
    "Created (UK time)",
    "Card brand",
    "Last four digits",
    "Cardholder name",
    "Email",
    "Refunded amount",
    "Succeeded (UK time)",
)
REFUND_HEADINGS = (
    "Refund ID",
    "Payment ID",
    "Payment reference",
    "Amount",
    "Status",
    "Created (UK time)",
    "Succeeded (UK time)",
    "Made by",
)


def pounds(pence: int | None) -> str:
    if pence is None:
        return ""
    return f"{pence // 100}.{pence % 100:02d}"


def london_time(moment: dt.datetime | None) -> str:
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def payment_row(payment: Payment, refunded: int | None) -> list[str]:
    state = state_of(payment)
    shown_state = state.status.value + (f" ({state.code})" if state.code else "")
    return [
        safe_cell(cell)
        for cell in (
            payment.id,
            payment.reference,
            payment.description,
            pounds(payment.amount),
            pounds(payment.corporate_surcharge),
            shown_state,
            london_time(payment.created_at),
            payment.card_brand,
            payment.last_digits,
            payment.cardholder_name,
            payment.email,
            pounds(refunded or 0),
            london_time(payment.succeeded_at),
        )
    ]


def refund_row(refund: Refund, payment: Payment | None) -> list[str]:
    return [
        safe_cell(cell)
        for cell in (
            refund.id,
            refund.payment_id,
            payment.reference if payment else "",
            pounds(refund.amount),
            refund.status,
            london_time(refund.created_at),
            london_time(refund.succeeded_at),
            refund.created_by,
        )
    ]


def lines(rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


async def csv_text(
    headings: tuple[str, ...],
    batches: AsyncIterator[list[tuple[Any, Any]]],
    row_of: Callable[[Any, Any], list[str]],
) -> AsyncIterator[str]:
    """The CSV file a batch at a time: the byte order mark and headings, then a chunk per batch."""
    yield BOM + lines([list(headings)])
    async for batch in batches:
        yield lines(row_of(row, extra) for row, extra in batch)


def record_export(uow: UnitOfWork, actor: Actor, account: Account, what: str) -> None:
    """Note in the audit log who took a file of personal data away (not what they searched for: that may be
    an email address, which has no place in the log). `what` is "payments" or "refunds"."""
    action = {"payments": "pay.payments_exported", "refunds": "pay.refunds_exported"}[what]
    record_audit(uow, actor, action, "service", account.service_id, account.service_id, live=account.live)
