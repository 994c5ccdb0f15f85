"""Notify's tables: per-service settings, templates and their versions, notifications.

A template row holds the current version; every edit also writes a
`TemplateVersion`, so a notification can always be shown with the exact text
it was sent with (`template_id`, `template_version`).

A notification's personalisation is personal data: it is stored AES-GCM
encrypted (core's cipher, the notification id as associated data) and purged
with the rest of the row when the service's retention period ends. The
recipient stays in clear, because staff search by it, as DESIGN.md's security
baseline allows; access control and retention protect it.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from govplatform.core.interfaces import Base, utcnow


class NotifySettings(Base):
    """How one service may send: trial mode, limits, retention, senders."""

    __tablename__ = "notify_settings"
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), primary_key=True)
    # A trial-mode service sends only to its team and guest list, 50 a day, no letters (Notify's rules).
    restricted: Mapped[bool] = mapped_column(Boolean, default=True)
    rate_limit: Mapped[int] = mapped_column(Integer, default=3000)
    email_daily_limit: Mapped[int] = mapped_column(Integer, default=250_000)
    sms_daily_limit: Mapped[int] = mapped_column(Integer, default=250_000)
    international_sms_daily_limit: Mapped[int] = mapped_column(Integer, default=100)
    letter_daily_limit: Mapped[int] = mapped_column(Integer, default=20_000)
    retention_days: Mapped[int] = mapped_column(Integer, default=7)
    email_sender_local_part: Mapped[str] = mapped_column(String(64))
    sms_sender: Mapped[str] = mapped_column(String(11), default="GOVUK")
    sms_prefix: Mapped[bool] = mapped_column(Boolean, default=True)
    letter_contact_block: Mapped[str | None] = mapped_column(Text)
    international_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    international_letters: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Template(Base):
    __tablename__ = "notify_templates"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    type: Mapped[str] = mapped_column(String(8))  # email, sms, letter
    name: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    postage: Mapped[str | None] = mapped_column(String(16))
    letter_contact_block: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(320))  # the editor's email address, as Notify shows it


class TemplateVersion(Base):
    """A template as it was at one version; never changed once written."""

    __tablename__ = "notify_template_versions"
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notify_templates.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    type: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    postage: Mapped[str | None] = mapped_column(String(16))
    letter_contact_block: Mapped[str | None] = mapped_column(Text)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(320))


class Notification(Base):
    __tablename__ = "notifications"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    template_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # None for precompiled letters
    template_version: Mapped[int] = mapped_column(Integer)
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    key_type: Mapped[str] = mapped_column(String(8))  # normal, team, test
    type: Mapped[str] = mapped_column(String(8))  # email, sms, letter
    # Email address, phone number (international format, no '+'), or the letter's first address line.
    recipient: Mapped[str] = mapped_column(String(320))
    # Lower-cased email or international number: what staff search by and guest lists match.
    normalised_recipient: Mapped[str] = mapped_column(String(320))
    reference: Mapped[str | None] = mapped_column(String(1000))
    personalisation: Mapped[str | None] = mapped_column(Text)  # AES-GCM encrypted JSON
    status: Mapped[str] = mapped_column(String(24), default="created")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_name: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    updated_at: Mapped[dt.datetime | None]
    sent_by: Mapped[str | None] = mapped_column(String(32))  # the provider's name
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    billable_units: Mapped[int] = mapped_column(Integer, default=0)  # SMS fragments or letter sheets
    international: Mapped[bool] = mapped_column(Boolean, default=False)
    rate_multiplier: Mapped[float] = mapped_column(default=1.0)
    postage: Mapped[str | None] = mapped_column(String(16))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    one_click_unsubscribe_url: Mapped[str | None] = mapped_column(Text)
    # Set for rows of a bulk send (a CSV upload): which upload, and which row of it.
    job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    job_row_number: Mapped[int | None] = mapped_column(Integer)
    # A precompiled letter's PDF (base64), encrypted like personalisation.
    document: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (
        # Listing: a service's notifications for one key type, newest first.
        Index("ix_notifications_service_key_created", "service_id", "key_type", "created_at"),
        Index("ix_notifications_service_reference", "service_id", "reference"),
        # The 72-hour sweep and retention purge.
        Index("ix_notifications_status_created", "status", "created_at"),
        Index("ix_notifications_provider_reference", "provider_reference"),
        Index("ix_notifications_service_recipient", "service_id", "normalised_recipient"),
    )


class GuestListEntry(Base):
    """Someone outside the team whom a trial-mode service or a team key may send to (Notify allows 5)."""

    __tablename__ = "notify_guest_list"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    recipient_type: Mapped[str] = mapped_column(String(8))  # email, mobile
    recipient: Mapped[str] = mapped_column(String(320))  # normalised as notifications store it
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ReplyToAddress(Base):
    """An address replies to a service's emails go to; one may be the default."""

    __tablename__ = "notify_reply_to"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    email_address: Mapped[str] = mapped_column(String(320))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SmsSender(Base):
    """A name or number a service's texts come from; a number can also receive texts."""

    __tablename__ = "notify_sms_senders"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    sms_sender: Mapped[str] = mapped_column(String(15))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the sender is a number citizens can text back: inbound texts to it belong to the service.
    inbound_number: Mapped[str | None] = mapped_column(String(15), unique=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InboundText(Base):
    """A text message a citizen sent to one of the service's numbers; the content is encrypted."""

    __tablename__ = "notify_inbound_texts"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    user_number: Mapped[str] = mapped_column(String(32))
    notify_number: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)  # AES-GCM encrypted
    provider: Mapped[str] = mapped_column(String(32))
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    __table_args__ = (Index("ix_notify_inbound_texts_service_created", "service_id", "created_at"),)


class TokenBucketShard(Base):
    """One share of a service's request bucket for one key type (services/limits/database.py says why shares).

    `refilled_at` is seconds since the epoch by the web processes' clocks, kept as a number so that
    the refill arithmetic runs the same inside one UPDATE on SQLite and PostgreSQL.
    """

    __tablename__ = "notify_token_buckets"
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), primary_key=True)
    key_type: Mapped[str] = mapped_column(String(8), primary_key=True)  # normal, team, test
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tokens: Mapped[float] = mapped_column(Float)
    refilled_at: Mapped[float] = mapped_column(Float)


class DailySendCount(Base):
    """One share of a service's count of messages accepted on one UTC day, for one channel.

    A share is reused from day to day (a new day starts it again at 1), so the table never grows
    beyond a few rows a service and needs no purge.
    """

    __tablename__ = "notify_daily_send_counts"
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(24), primary_key=True)  # email, sms, letter, international_sms
    shard: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[dt.date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ServiceCallback(Base):
    """Where a service wants delivery receipts or received texts posted, and the bearer token to send."""

    __tablename__ = "notify_callbacks"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    callback_type: Mapped[str] = mapped_column(String(16))  # delivery_status, inbound_sms
    url: Mapped[str] = mapped_column(String(2000))
    bearer_token: Mapped[str] = mapped_column(Text)  # AES-GCM encrypted
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(320))
    __table_args__ = (Index("uq_notify_callbacks_service_type", "service_id", "callback_type", unique=True),)


class CallbackDelivery(Base):
    """One callback the platform owes a service: how the attempts went, for the admin pages."""

    __tablename__ = "notify_callback_deliveries"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    callback_type: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # the notification or received text
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, retrying, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime | None]
    __table_args__ = (Index("ix_notify_callback_deliveries_service_created", "service_id", "created_at"),)


class DailyStat(Base):
    """Counts of notifications per service, UTC day, channel, key type and status, kept after retention purges."""

    __tablename__ = "notify_daily_stats"
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(8), primary_key=True)
    key_type: Mapped[str] = mapped_column(String(8), primary_key=True)
    status: Mapped[str] = mapped_column(String(24), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    billable_units: Mapped[int] = mapped_column(Integer, default=0)


class ScheduledRun(Base):
    """A periodic task's run for one period (the 17:30 print run of a day): the key stops a second run."""

    __tablename__ = "notify_scheduled_runs"
    task: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    detail: Mapped[str | None] = mapped_column(Text)


class BulkSend(Base):
    """A file of recipients sent with one template: checked whole first, then sent in chunks by the workers."""

    __tablename__ = "notify_bulk_sends"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    template_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    template_version: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(8))
    postage: Mapped[str | None] = mapped_column(String(16))
    original_file_name: Mapped[str] = mapped_column(String(255))
    row_count: Mapped[int] = mapped_column(Integer)
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="in progress")  # in progress, finished
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]


class BulkChunk(Base):
    """Up to 1,000 checked rows of a bulk send, encrypted; deleted in the transaction that sends them."""

    __tablename__ = "notify_bulk_chunks"
    bulk_send_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notify_bulk_sends.id"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rows: Mapped[str] = mapped_column(Text)  # AES-GCM encrypted JSON
