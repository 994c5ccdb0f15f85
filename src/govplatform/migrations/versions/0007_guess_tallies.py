"""core: the guessing throttle's tallies replace the staff lockout

Five failed sign-ins used to lock a staff account for 15 minutes
(`staff_users.failed_logins`, `locked_until`), which let anyone lock anyone
out (issue 13). The throttle (core/services/throttle.py) keeps a tally per
client address and per account instead, under a keyed hash, in
`guess_tallies`; the two columns go. A downgrade brings them back empty: no
one locked.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guess_tallies",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.Column("changed_at", sa.Float(), nullable=False),
        sa.Column("wait_until", sa.Float(), nullable=False),
        sa.Column("forget_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_guess_tallies")),
    )
    with op.batch_alter_table("guess_tallies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_guess_tallies_forget_at"), ["forget_at"], unique=False)
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("guess_tallies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_guess_tallies_forget_at"))
    op.drop_table("guess_tallies")
