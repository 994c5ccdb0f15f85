"""The exchange's tables: members' public keys and the gateway's own signing keys.

A member's private key never reaches the platform: its row holds the raw Ed25519 public key and the key's
RFC 7638 thumbprint, which with the organisation's id is the `keyid` its signatures carry. The gateway's
private keys are AES-GCM encrypted under core's field cipher, the key id as associated data (as identity keeps
its ID token keys), so a stolen database alone cannot sign an answer.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String, Text, Uuid
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
