"""pay: counts of what public pages start, per client address and per link, in one-minute windows

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pay_public_rate_counts",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("window", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window", name=op.f("pk_pay_public_rate_counts")),
    )
    with op.batch_alter_table("pay_public_rate_counts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pay_public_rate_counts_window"), ["window"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pay_public_rate_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pay_public_rate_counts_window"))
    op.drop_table("pay_public_rate_counts")
