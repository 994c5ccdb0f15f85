"""core: the epoch that tells every process's read caches to forget, on SQLite

A key revoked through one web process must be refused at once by the others,
not after their kept copy expires (docs/adr/0015-read-cache-notices.md). On
SQLite a change adds one to this single row in its own transaction, and each
process reads it before serving a kept copy; PostgreSQL tells its processes
by NOTIFY instead and never writes it. The row is made by its first change
(an upsert), so a database at head needs nothing in it. A downgrade drops it:
the caches then keep copies for their two seconds, as before.

Revision ID: 0013_read_cache_notices
Revises: 0012_identity
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_read_cache_notices"
down_revision: str | None = "0012_identity"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "read_cache_epoch",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_cache_epoch")),
    )


def downgrade() -> None:
    op.drop_table("read_cache_epoch")
