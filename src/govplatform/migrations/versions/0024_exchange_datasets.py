"""exchange: datasets (typed fields naming data items, the subject schemes they answer by), each load of a
dataset's records, and the record store (encrypted fields, found by keyed hashes of subject identifiers)

A downgrade drops every dataset and record: providers declare and load them again.

Revision ID: 0024_exchange_datasets
Revises: 0023_exchange_members
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0024_exchange_datasets"
down_revision: str | None = "0023_exchange_members"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_datasets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("schema", sa.JSON(), nullable=False),
        sa.Column("subject_schemes", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("provider_url", sa.String(length=2048), nullable=True),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], name=op.f("fk_exchange_datasets_organisation_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_datasets")),
    )
    op.create_index(
        op.f("ix_exchange_datasets_organisation_id"), "exchange_datasets", ["organisation_id"], unique=False
    )
    op.create_index(
        "uq_exchange_datasets_organisation_name", "exchange_datasets", ["organisation_id", "name"], unique=True
    )
    op.create_table(
        "exchange_dataset_versions",
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["exchange_datasets.id"],
            name=op.f("fk_exchange_dataset_versions_dataset_id_exchange_datasets"),
        ),
        sa.PrimaryKeyConstraint("dataset_id", "version", name=op.f("pk_exchange_dataset_versions")),
    )
    op.create_table(
        "exchange_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields_encrypted", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["exchange_datasets.id"], name=op.f("fk_exchange_records_dataset_id_exchange_datasets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_records")),
    )
    op.create_index(op.f("ix_exchange_records_dataset_id"), "exchange_records", ["dataset_id"], unique=False)
    op.create_table(
        "exchange_record_subjects",
        sa.Column("dataset_id", sa.Uuid(), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["exchange_datasets.id"],
            name=op.f("fk_exchange_record_subjects_dataset_id_exchange_datasets"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["exchange_records.id"], name=op.f("fk_exchange_record_subjects_record_id_exchange_records")
        ),
        sa.PrimaryKeyConstraint("dataset_id", "subject_hash", name=op.f("pk_exchange_record_subjects")),
    )
    op.create_index(
        op.f("ix_exchange_record_subjects_record_id"), "exchange_record_subjects", ["record_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_exchange_record_subjects_record_id"), table_name="exchange_record_subjects")
    op.drop_table("exchange_record_subjects")
    op.drop_index(op.f("ix_exchange_records_dataset_id"), table_name="exchange_records")
    op.drop_table("exchange_records")
    op.drop_table("exchange_dataset_versions")
    op.drop_index("uq_exchange_datasets_organisation_name", table_name="exchange_datasets")
    op.drop_index(op.f("ix_exchange_datasets_organisation_id"), table_name="exchange_datasets")
    op.drop_table("exchange_datasets")
