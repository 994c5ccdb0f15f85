"""exchange: citizens' consents to agreements whose lawful basis is consent, with their signed receipts, and the
keyed hashes of the identifiers each covers

A downgrade drops every consent: queries under consent agreements are refused until consent is given again.

Revision ID: 0028_exchange_consents
Revises: 0027_exchange_queries
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0028_exchange_consents"
down_revision: str | None = "0027_exchange_queries"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("given_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["exchange_agreements.id"],
            name=op.f("fk_exchange_consents_agreement_id_exchange_agreements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_consents")),
    )  # fmt: skip
    op.create_index(op.f("ix_exchange_consents_agreement_id"), "exchange_consents", ["agreement_id"], unique=False)
    op.create_index(op.f("ix_exchange_consents_citizen_id"), "exchange_consents", ["citizen_id"], unique=False)
    op.create_table(
        "exchange_consent_subjects",
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consent_id"], ["exchange_consents.id"],
            name=op.f("fk_exchange_consent_subjects_consent_id_exchange_consents"),
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "subject_hash", "consent_id", name=op.f("pk_exchange_consent_subjects")
        ),
    )  # fmt: skip
    op.create_index(
        op.f("ix_exchange_consent_subjects_consent_id"), "exchange_consent_subjects", ["consent_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_exchange_consent_subjects_consent_id"), table_name="exchange_consent_subjects")
    op.drop_table("exchange_consent_subjects")
    op.drop_index(op.f("ix_exchange_consents_citizen_id"), table_name="exchange_consents")
    op.drop_index(op.f("ix_exchange_consents_agreement_id"), table_name="exchange_consents")
    op.drop_table("exchange_consents")
