"""Core tables: tenancy (organisations, services, staff, service and organisation roles, API keys), audit, jobs.

Every other component's tables hang off `services.id`. Timestamps are stored as
UTC and always come back timezone-aware, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always UTC and timezone-aware when read back."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass a UTC-aware one")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


class Organisation(Base):
    """A public body: a council, a department, a devolved administration."""

    __tablename__ = "organisations"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Service(Base):
    """A digital service run by one organisation; API keys and data belong to it."""

    __tablename__ = "services"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    __table_args__ = (Index("uq_services_organisation_name", "organisation_id", "name", unique=True),)


class StaffUser(Base):
    """A civil servant who uses the admin pages; signs in with a password and TOTP."""

    __tablename__ = "staff_users"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    # The last TOTP time step accepted, so a code cannot be replayed (RFC 6238 section 5.2).
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set once the user has proved their authenticator works; until then they cannot sign in.
    setup_completed_at: Mapped[dt.datetime | None]
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ServiceMembership(Base):
    """A staff user's role (admin, editor, viewer) on one service."""

    __tablename__ = "service_memberships"
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))


class OrganisationMembership(Base):
    """A staff user's role in an organisation: org-admin, data-owner or chief-data-officer (ADR 0012).

    One row per role held, so a person may hold several; who granted it and
    when are kept for the organisation page (the audit log has the history).
    """

    __tablename__ = "organisation_memberships"
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    granted_by: Mapped[str] = mapped_column(String(320))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TeamInvitation(Base):
    """An invitation to join a service's team, waiting for the person to accept it.

    A person is put on a team only by accepting one (or by a platform admin):
    issue 13 found a service admin could add anyone, from any organisation.
    One per person and service; inviting again replaces it.
    """

    __tablename__ = "team_invitations"
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[str] = mapped_column(String(320))  # who invited them, as the invitee is shown it
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


class SetupToken(Base):
    """A one-time link on which a new staff user chooses a password and enrols TOTP."""

    __tablename__ = "setup_tokens"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


class StaffSession(Base):
    """A signed-in browser; the cookie holds a random token, the table its keyed hash."""

    __tablename__ = "staff_sessions"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    # Set after the password is right but before the second factor: half a sign-in.
    pending_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]


class GuessTally(Base):
    """Recent attempts at guessing a secret from one address, or at one account (services/throttle.py).

    The key is a keyed hash of what was guessed at and by whom, so the table
    holds no email or address. Times are seconds since the epoch, as the
    throttle's clock gives them: the back-off is arithmetic on them.
    """

    __tablename__ = "guess_tallies"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    level: Mapped[float] = mapped_column(Float)  # attempts not yet forgiven
    changed_at: Mapped[float] = mapped_column(Float)  # when `level` was last set; it falls from there
    wait_until: Mapped[float] = mapped_column(Float)  # no attempt is looked at before this
    forget_at: Mapped[float] = mapped_column(Float, index=True)  # when `level` has fallen to nothing


class ApiKey(Base):
    """A service's key for one component's API, in that component's own format.

    `secret_hash` (HMAC-SHA256) is set where the platform only checks the key;
    `secret_encrypted` where the protocol needs the secret itself.
    """

    __tablename__ = "api_keys"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    component: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(255))
    key_type: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_users.id"))
    revoked_at: Mapped[dt.datetime | None]


class AuditEvent(Base):
    """Who did what, when and from where. Append-only: a database trigger refuses changes."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_label: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    service_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Job(Base):
    """A unit of background work, written in the same transaction as the change that caused it."""

    __tablename__ = "jobs"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # queued -> running -> done | queued (retry) | dead
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    run_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    __table_args__ = (Index("ix_jobs_status_run_at", "status", "run_at"),)


class ReadCacheEpoch(Base):
    """One row on SQLite: moved by every change that processes' read caches must forget (ADR 0015).

    Each process reads it before serving a kept copy and forgets everything it
    keeps when it moved (core/cache_notices.py). PostgreSQL has the table too,
    for one schema on both, but tells its processes by NOTIFY instead.
    """

    __tablename__ = "read_cache_epoch"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(BigInteger)
