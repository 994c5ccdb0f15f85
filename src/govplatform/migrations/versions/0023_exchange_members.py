"""exchange: members' public keys and the gateway's own signing keys

A downgrade drops both: members register their keys again, and the gateway makes a new key pair on first use
(answers signed by the old gateway keys can then no longer be checked against the directory).

Revision ID: 0023_exchange_members
Revises: 0022_identity_proving
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0023_exchange_members"
down_revision: str | None = "0022_identity_proving"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_member_keys",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("retired_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_exchange_member_keys_organisation_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("organisation_id", "kid", name=op.f("pk_exchange_member_keys")),
    )
    op.create_table(
        "exchange_gateway_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("signing_since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("retired_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_exchange_gateway_keys")),
    )


def downgrade() -> None:
    op.drop_table("exchange_gateway_keys")
    op.drop_table("exchange_member_keys")
