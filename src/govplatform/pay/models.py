"""Pay's tables: payments and their events, refunds, journey tokens, idempotency keys, agreements,
disputes, webhooks and payment links.

A service has two accounts, as in GOV.UK Pay: test (test keys, the sandbox
processor only) and live. Every row that belongs to an account carries
`live`, and every query filters on it, so a test key never sees live money.

Card numbers and CVCs have no column anywhere: only brand, first six, last
four, expiry, cardholder name, billing address and email are kept. The
billing address is personal data that no one searches by, so it is stored
AES-GCM encrypted (core's cipher, the payment id as associated data); the
cardholder name and email stay in clear because Pay's search filters by them,
as DESIGN.md's security baseline allows.

`PaymentEvent` is the ledger: one row per state change, never updated, so the
history of every payment can be shown and the daily totals recomputed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, Boolean, Dialect, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from govplatform.core.interfaces import Base, utcnow

EXTERNAL_ID = 26  # Pay's ids: 130 random bits in base 32


class ReadableJSON(TypeDecorator[Any]):
    """JSON whose stored text, if it cannot be read, reads as None instead of failing the whole query.

    SQLite keeps JSON as text and checks nothing, so one row written wrongly (by hand, or by an older
    release) would otherwise break every search that includes it (issue 13). PostgreSQL's json type
    refuses such text when it is written, so there the reading never fails.
    """

    impl = JSON
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        read = self.impl_instance.result_processor(dialect, coltype)
        if read is None:
            return None

        def tolerant(value: Any) -> Any:
            try:
                return read(value)
            except ValueError:  # json.JSONDecodeError and the digit limit's ValueError
                return None

        return tolerant


class PaySettings(Base):
    """What a service shows on its payment pages and which return URLs it accepts."""

    __tablename__ = "pay_settings"
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), primary_key=True)
    name_en: Mapped[str | None] = mapped_column(String(255))
    name_cy: Mapped[str | None] = mapped_column(String(255))
    # Return URL rules: one prefix per line; a live payment's return_url must start with one (empty: any https).
    return_url_prefixes: Mapped[str] = mapped_column(Text, default="")
    live_processor: Mapped[str] = mapped_column(String(16), default="sandbox")  # sandbox or stripe
    allow_zero_amount: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Payment(Base):
    __tablename__ = "pay_payments"
    id: Mapped[str] = mapped_column(String(EXTERNAL_ID), primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    live: Mapped[bool] = mapped_column(Boolean)
    # The key that created it (None: a payment link, or a journey of the platform's own through pay/interfaces.py).
    key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    processor: Mapped[str] = mapped_column(String(16))  # sandbox, stripe
    processor_id: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(255))
    return_url: Mapped[str | None] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(2), default="en")
    email: Mapped[str | None] = mapped_column(String(254))
    state: Mapped[str] = mapped_column(String(24))  # a PaymentState name
    # Where an unfinished payment is inside its state: authorising, three_d_secure, or None.
    # A second card submission while one is authorising is refused, so a card is never charged twice.
    stage: Mapped[str | None] = mapped_column(String(24))
    delayed_capture: Mapped[bool] = mapped_column(Boolean, default=False)
    moto: Mapped[bool] = mapped_column(Boolean, default=False)
    authorisation_mode: Mapped[str] = mapped_column(String(16), default="web")
    agreement_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID))
    set_up_agreement: Mapped[str | None] = mapped_column(String(EXTERNAL_ID))
    agreement_payment_type: Mapped[str | None] = mapped_column(String(16))
    # Read through metadata.readable: what is stored may predate the rules (issue 13).
    payment_metadata: Mapped[dict[str, object] | None] = mapped_column("metadata", ReadableJSON)
    prefilled_cardholder_name: Mapped[str | None] = mapped_column(String(255))
    prefilled_address_encrypted: Mapped[str | None] = mapped_column(Text)
    payment_link_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # What is kept of the card (never the number or the CVC).
    card_brand: Mapped[str | None] = mapped_column(String(32))
    card_type: Mapped[str | None] = mapped_column(String(8))
    first_digits: Mapped[str | None] = mapped_column(String(6))
    last_digits: Mapped[str | None] = mapped_column(String(4))
    expiry_date: Mapped[str | None] = mapped_column(String(5))  # MM/YY
    cardholder_name: Mapped[str | None] = mapped_column(String(255))
    billing_address_encrypted: Mapped[str | None] = mapped_column(Text)
    corporate_surcharge: Mapped[int | None] = mapped_column(Integer)
    three_d_secure_required: Mapped[bool | None] = mapped_column(Boolean)
    three_d_secure_url: Mapped[str | None] = mapped_column(String(2000))  # the issuer's page, where it has one
    fee: Mapped[int | None] = mapped_column(Integer)
    can_retry: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    succeeded_at: Mapped[dt.datetime | None]  # when capture was approved: the day it counts in the totals
    capture_submitted_at: Mapped[dt.datetime | None]
    captured_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped on every change; guards concurrent moves

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declaration

    __table_args__ = (
        Index("ix_pay_payments_account_created", "service_id", "live", "created_at"),
        Index("ix_pay_payments_account_reference", "service_id", "live", "reference"),
        Index("ix_pay_payments_unfinished", "state", "created_at"),
        Index("ix_pay_payments_succeeded", "service_id", "live", "succeeded_at"),
    )


class PaymentEvent(Base):
    """One state change of a payment (the ledger); written once, never changed."""

    __tablename__ = "pay_payment_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("pay_payments.id"), index=True)
    state: Mapped[str] = mapped_column(String(24))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class JourneyToken(Base):
    """A single-use token in a next_url; only its SHA-256 is kept."""

    __tablename__ = "pay_journey_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("pay_payments.id"), index=True)
    used: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Refund(Base):
    __tablename__ = "pay_refunds"
    id: Mapped[str] = mapped_column(String(EXTERNAL_ID), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("pay_payments.id"), index=True)
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    live: Mapped[bool] = mapped_column(Boolean)
    amount: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # submitted, success, error
    processor_id: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    succeeded_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_pay_refunds_account_created", "service_id", "live", "created_at"),)


class IdempotencyKey(Base):
    """An Idempotency-Key seen on a POST, kept 24 hours: the body's hash and what it made."""

    __tablename__ = "pay_idempotency_keys"
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    live: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(EXTERNAL_ID))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Agreement(Base):
    __tablename__ = "pay_agreements"
    id: Mapped[str] = mapped_column(String(EXTERNAL_ID), primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    live: Mapped[bool] = mapped_column(Boolean)
    reference: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(255))
    user_identifier: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="created")
    processor: Mapped[str | None] = mapped_column(String(16))
    processor_instrument: Mapped[str | None] = mapped_column(String(255))  # e.g. a Stripe payment method id
    card_brand: Mapped[str | None] = mapped_column(String(32))
    card_type: Mapped[str | None] = mapped_column(String(8))
    first_digits: Mapped[str | None] = mapped_column(String(6))
    last_digits: Mapped[str | None] = mapped_column(String(4))
    expiry_date: Mapped[str | None] = mapped_column(String(5))
    cardholder_name: Mapped[str | None] = mapped_column(String(255))
    billing_address_encrypted: Mapped[str | None] = mapped_column(Text)
    recurring_declines: Mapped[bool] = mapped_column(Boolean, default=False)  # sandbox: later payments decline
    instrument_created_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[dt.datetime | None]

    __table_args__ = (Index("ix_pay_agreements_account_created", "service_id", "live", "created_at"),)


class Dispute(Base):
    __tablename__ = "pay_disputes"
    id: Mapped[str] = mapped_column(String(EXTERNAL_ID), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("pay_payments.id"), index=True)
    service_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    live: Mapped[bool] = mapped_column(Boolean)
    processor_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    fee: Mapped[int | None] = mapped_column(Integer)
    net_amount: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # needs_response, under_review, lost, won
    evidence_due_at: Mapped[dt.datetime | None]
    settled_date: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_pay_disputes_account_created", "service_id", "live", "created_at"),)


class Webhook(Base):
    """A service's subscription: a URL, the events it wants and the secret that signs them."""

    __tablename__ = "pay_webhooks"
    id: Mapped[str] = mapped_column(String(EXTERNAL_ID), primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    live: Mapped[bool] = mapped_column(Boolean)
    callback_url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(255), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON)
    signing_secret_encrypted: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookMessage(Base):
    """One event for one subscription, with its exact body (what is signed), sealed: it holds the payer's
    email, name and address (AES-GCM, the message id as associated data; `services.webhooks.message_body`)."""

    __tablename__ = "pay_webhook_messages"
    id: Mapped[str] = mapped_column(String(EXTERNAL_ID), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("pay_webhooks.id"), index=True)
    event_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str] = mapped_column(String(EXTERNAL_ID))
    body_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, successful, failed, will_retry
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_result: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    last_attempt_at: Mapped[dt.datetime | None]


class WebhookAttempt(Base):
    __tablename__ = "pay_webhook_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("pay_webhook_messages.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(255))
    successful: Mapped[bool] = mapped_column(Boolean)


class PaymentLink(Base):
    """A no-code payment page: a citizen pays a fixed or chosen amount with a reference."""

    __tablename__ = "pay_payment_links"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    live: Mapped[bool] = mapped_column(Boolean)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    title_cy: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[int | None] = mapped_column(Integer)  # None: the citizen enters the amount
    reference_label: Mapped[str] = mapped_column(String(255), default="Your reference")
    language: Mapped[str] = mapped_column(String(2), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("slug", name="uq_pay_payment_links_slug"),)


class PublicRateCount(Base):
    """How many times one key (a client address's keyed hash, or a payment link) did something in one window.

    Counts of what public pages start (`services.public_limits`), kept here when there is no Redis so that
    every web process shares them; windows that have passed are deleted by the housekeeping loop.
    """

    __tablename__ = "pay_public_rate_counts"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    window: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)  # epoch seconds // its length
    count: Mapped[int] = mapped_column(Integer)
