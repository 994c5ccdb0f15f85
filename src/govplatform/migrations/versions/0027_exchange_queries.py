"""exchange: queries (answered or refused, never the subject or the answer) and the nonces they were signed with

A downgrade drops both; the transparency log keeps every answered query.

Revision ID: 0027_exchange_queries
Revises: 0026_transparency_leaf_hashes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0027_exchange_queries"
down_revision: str | None = "0026_transparency_leaf_hashes"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None
QUERY_INDEXES = ("agreement_id", "consumer_id", "leaf_hash", "received_at")


def upgrade() -> None:
    op.create_table(
        "exchange_nonces",
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_exchange_nonces")),
    )
    op.create_index(op.f("ix_exchange_nonces_seen_at"), "exchange_nonces", ["seen_at"], unique=False)
    op.create_table(
        "exchange_queries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=120), nullable=True),
        sa.Column("consumer_id", sa.Uuid(), nullable=True),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("agreement_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=64), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("leaf_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_queries")),
    )
    for column in QUERY_INDEXES:
        op.create_index(op.f(f"ix_exchange_queries_{column}"), "exchange_queries", [column], unique=False)


def downgrade() -> None:
    for column in QUERY_INDEXES:
        op.drop_index(op.f(f"ix_exchange_queries_{column}"), table_name="exchange_queries")
    op.drop_table("exchange_queries")
    op.drop_index(op.f("ix_exchange_nonces_seen_at"), table_name="exchange_nonces")
    op.drop_table("exchange_nonces")
