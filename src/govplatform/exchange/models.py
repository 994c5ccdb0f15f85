"""The exchange's tables: members' public keys, the gateway's own signing keys, datasets and the record store.

A member's private key never reaches the platform: its row holds the raw Ed25519 public key and the key's
RFC 7638 thumbprint, which with the organisation's id is the `keyid` its signatures carry. The gateway's
private keys are AES-GCM encrypted under core's field cipher, the key id as associated data (as identity keeps
its ID token keys), so a stolen database alone cannot sign an answer.

A record's fields are AES-GCM encrypted (DESIGN.md: exchange responses are personal payloads), the dataset
and record ids as associated data, so a value moved to another row does not decrypt. Records are found by
keyed hashes of their normalised subject identifiers (HMAC-SHA256 under the platform's hash secret), so the
table can be searched without holding any identifier in clear.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from govplatform.core.interfaces import Base, utcnow


class MemberKey(Base):
    """A public key an organisation's own system signs exchange requests with.

    state: "current" (accepted on new requests) or "retired" (still published, so signatures it made can be
    checked later, and refused on new requests). Retired keys are never deleted.
    """

    __tablename__ = "exchange_member_keys"
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)  # RFC 7638 thumbprint of the public JWK
    public_key: Mapped[str] = mapped_column(String(64))  # the raw 32 bytes, base64url (the JWK's "x")
    state: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))  # the audit actor's label
    retired_at: Mapped[dt.datetime | None]


class GatewayKey(Base):
    """One of the gateway's Ed25519 keys: published before it signs, kept published after it stops.

    state: "next" (published, not yet signing), "signing", or "retired".
    """

    __tablename__ = "exchange_gateway_keys"
    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(8))
    public_key: Mapped[str] = mapped_column(String(64))
    private_key_encrypted: Mapped[str] = mapped_column(Text)  # raw private bytes, AES-GCM, the kid as associated data
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    signing_since: Mapped[dt.datetime | None]
    retired_at: Mapped[dt.datetime | None]


class Dataset(Base):
    """What a provider offers: typed fields each naming a data item, and the subject schemes it answers by.

    source: "records" (answered from the record store inside the platform) or "provider" (the gateway forwards
    a signed request to `provider_url` and checks the provider's signed answer).
    """

    __tablename__ = "exchange_datasets"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    schema: Mapped[dict[str, Any]] = mapped_column(JSON)  # the JSON Schema as declared (datasets.py checks it)
    subject_schemes: Mapped[list[str]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16))
    provider_url: Mapped[str | None] = mapped_column(String(2048))
    current_version: Mapped[int] = mapped_column(Integer, default=0)  # 0: nothing loaded yet
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))
    __table_args__ = (Index("uq_exchange_datasets_organisation_name", "organisation_id", "name", unique=True),)


class DatasetVersion(Base):
    """One load of a dataset's records: kept for every load, while the records are kept for the current one."""

    __tablename__ = "exchange_dataset_versions"
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("exchange_datasets.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_count: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(320))


class Record(Base):
    """One person's entry in a dataset's current version."""

    __tablename__ = "exchange_records"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("exchange_datasets.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    fields_encrypted: Mapped[str] = mapped_column(Text)  # JSON, AES-GCM, "{dataset id}/{record id}" as AD


class RecordSubject(Base):
    """A keyed hash of one of a record's subject identifiers ("{scheme}:{normalised value}"), to find it by."""

    __tablename__ = "exchange_record_subjects"
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("exchange_datasets.id"), primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("exchange_records.id"), index=True)


class Agreement(Base):
    """A data-sharing agreement, with the ICO data sharing code's fields (services/agreements.py).

    state: draft, approved (by the provider's data owner), active (signed off by its chief data officer),
    suspended or revoked; "expired" is worked out from `expires_on`, never stored, so an agreement cannot
    outlive its date because a job did not run.
    """

    __tablename__ = "exchange_agreements"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    consumer_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    dataset_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("exchange_datasets.id"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON)  # a subset of the dataset's fields
    purpose: Mapped[str] = mapped_column(String(64))  # the code a query names, e.g. resident-parking-permits
    description: Mapped[str] = mapped_column(Text)  # the purpose in words, for the register
    basis: Mapped[str] = mapped_column(String(120))  # consent, public-task, dea-part5-chN or statutory:NAME
    consumer_role: Mapped[str] = mapped_column(String(20))  # controller, joint-controller or processor
    provider_role: Mapped[str] = mapped_column(String(20))
    special_category_condition: Mapped[str | None] = mapped_column(Text)  # Article 9 condition, when any
    retention: Mapped[str | None] = mapped_column(Text)
    security: Mapped[str | None] = mapped_column(Text)
    dpia_reference: Mapped[str | None] = mapped_column(String(200))
    review_on: Mapped[dt.date | None]
    expires_on: Mapped[dt.date | None]
    state: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(320))
    approved_at: Mapped[dt.datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(320))
    signed_off_at: Mapped[dt.datetime | None]
    signed_off_by: Mapped[str | None] = mapped_column(String(320))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QueryNonce(Base):
    """A request signature's nonce, kept well past the 60-second window so it can never be used twice by anyone."""

    __tablename__ = "exchange_nonces"
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)


class Query(Base):
    """One query to the exchange, answered or refused: who (the key it claimed, the consumer it proved to be),
    what (agreement, purpose, fields) and the outcome. Never the subject's identifier or the answer."""

    __tablename__ = "exchange_queries"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    key_id: Mapped[str | None] = mapped_column(String(120))  # as the signature named it, verified or not
    consumer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)  # set once the signature verified
    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a platform service the gateway asked for
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    purpose: Mapped[str | None] = mapped_column(String(64))
    fields: Mapped[list[str] | None] = mapped_column(JSON)
    outcome: Mapped[str] = mapped_column(String(40))  # "answered", or the error code it was refused with
    status: Mapped[int] = mapped_column(Integer)
    leaf_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # hex, of the log entry of an answer


class Consent(Base):
    """A citizen's consent to one agreement whose lawful basis is consent, and its signed receipt.

    state: "given" or "withdrawn". The citizen is their identity account's id (no foreign key: accounts are
    identity's, and a deleted account withdraws nothing by itself: its consents are withdrawn first).
    """

    __tablename__ = "exchange_consents"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    agreement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("exchange_agreements.id"), index=True)
    citizen_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    state: Mapped[str] = mapped_column(String(12))
    given_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None]
    receipt: Mapped[str] = mapped_column(Text)  # the Kantara consent receipt, a compact JWS by the gateway key


class ConsentSubject(Base):
    """A keyed hash of one of the citizen's identifiers a consent covers, as a query names them; deleted when
    the consent is withdrawn, so the very next query finds none."""

    __tablename__ = "exchange_consent_subjects"
    agreement_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Each consent's own rows: a withdrawal deletes its own and never another's
    consent_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("exchange_consents.id"), primary_key=True, index=True
    )
