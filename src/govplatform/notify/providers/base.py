"""The interface every delivery provider implements, one per channel.

Workers hand a provider a fully rendered message and get back what happened,
in the platform's terms, so the notification's status can be set without the
worker knowing SMTP reply codes or a gateway's receipt codes. A provider never
sees the database: retries, statuses and callbacks are the worker's business.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from typing import Protocol


class Outcome(enum.Enum):
    """What a send attempt achieved."""

    DELIVERED = "delivered"  # the receiving end accepted it for good (SMTP 250)
    SENDING = "sending"  # handed over; a delivery receipt will say how it ended
    TEMPORARY = "temporary"  # refused for now (SMTP 4xx, gateway busy): try again later
    PERMANENT = "permanent"  # refused for good (SMTP 5xx, invalid number)
    TECHNICAL = "technical"  # our side or the provider's side is broken (bad credentials, bad response)


@dataclasses.dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    provider: str  # the provider's name, stored on the notification (e.g. "smtp", "firetext")
    reference: str | None = None  # the provider's id for the message, matched against receipts
    detail: str = ""  # a short reason for the logs and admin pages; never personal data


@dataclasses.dataclass(frozen=True)
class EmailMessage:
    notification_id: uuid.UUID
    to: str
    from_address: str  # "Service name <local@domain>"
    subject: str
    html_body: str
    text_body: str
    message_id: str  # stable per notification, so a resent copy carries the same Message-ID
    reply_to: str | None = None
    unsubscribe_url: str | None = None  # a List-Unsubscribe header (one-click) when set


@dataclasses.dataclass(frozen=True)
class TextMessage:
    notification_id: uuid.UUID
    to: str  # international format without '+', e.g. "447700900123"
    sender: str  # alphanumeric sender id or number, e.g. "GOVUK"
    content: str  # the final text, prefix included


@dataclasses.dataclass(frozen=True)
class Receipt:
    """A delivery receipt from an SMS gateway, in the platform's terms."""

    reference: str  # the provider reference given back by `send`
    outcome: Outcome  # DELIVERED, PERMANENT, TEMPORARY or SENDING (still pending)
    received_at: dt.datetime
    detail: str = ""


@dataclasses.dataclass(frozen=True)
class InboundText:
    """A text a citizen sent to one of the service's numbers."""

    provider_reference: str
    source_number: str  # international format without '+'
    destination_number: str
    content: str
    received_at: dt.datetime


class EmailProvider(Protocol):
    name: str

    async def send(self, message: EmailMessage) -> SendResult: ...


class TextProvider(Protocol):
    name: str

    async def send(self, message: TextMessage) -> SendResult: ...

    def parse_receipt(self, form: Mapping[str, str]) -> Receipt:
        """A receipt the gateway POSTed back, in its own format; ValueError if it is not one."""
        ...

    def parse_inbound(self, form: Mapping[str, str]) -> InboundText:
        """An inbound text the gateway POSTed, in its own format; ValueError if it is not one."""
        ...
