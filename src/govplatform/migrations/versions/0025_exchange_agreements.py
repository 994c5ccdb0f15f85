"""exchange: data-sharing agreements, with the ICO data sharing code's fields and their approval workflow

A downgrade drops every agreement (their history stays in the audit log and the transparency log).

Revision ID: 0025_exchange_agreements
Revises: 0024_exchange_datasets
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0025_exchange_agreements"
down_revision: str | None = "0024_exchange_datasets"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None
INDEXED = ("consumer_id", "dataset_id", "provider_id")


def upgrade() -> None:
    op.create_table(
        "exchange_agreements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("consumer_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("basis", sa.String(length=120), nullable=False),
        sa.Column("consumer_role", sa.String(length=20), nullable=False),
        sa.Column("provider_role", sa.String(length=20), nullable=False),
        sa.Column("special_category_condition", sa.Text(), nullable=True),
        sa.Column("retention", sa.Text(), nullable=True),
        sa.Column("security", sa.Text(), nullable=True),
        sa.Column("dpia_reference", sa.String(length=200), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("approved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=320), nullable=True),
        sa.Column("signed_off_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_off_by", sa.String(length=320), nullable=True),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"], ["organisations.id"], name=op.f("fk_exchange_agreements_consumer_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["exchange_datasets.id"], name=op.f("fk_exchange_agreements_dataset_id_exchange_datasets")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["organisations.id"], name=op.f("fk_exchange_agreements_provider_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_agreements")),
    )
    for column in INDEXED:
        op.create_index(op.f(f"ix_exchange_agreements_{column}"), "exchange_agreements", [column], unique=False)


def downgrade() -> None:
    for column in INDEXED:
        op.drop_index(op.f(f"ix_exchange_agreements_{column}"), table_name="exchange_agreements")
    op.drop_table("exchange_agreements")
