"""transparency: each integrated entry's RFC 9162 leaf hash, so a receipt can be found from an exchange answer's
leaf hash; worked out for the entries already in the log

A downgrade drops the column; receipts are then found by index only.

Revision ID: 0026_transparency_leaf_hashes
Revises: 0025_exchange_agreements
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_transparency_leaf_hashes"
down_revision: str | None = "0025_exchange_agreements"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None
BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("transparency_entries") as batch:
        batch.add_column(sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=True))
        batch.create_index(batch.f("ix_transparency_entries_leaf_hash"), ["leaf_hash"], unique=False)
    entries = sa.table(
        "transparency_entries", sa.column("index", sa.BigInteger), sa.column("data", sa.LargeBinary),
        sa.column("leaf_hash", sa.LargeBinary),
    )  # fmt: skip
    connection = op.get_bind()
    start = -1
    while True:
        rows = connection.execute(
            sa.select(entries.c.index, entries.c.data)
            .where(entries.c.index > start, entries.c.leaf_hash.is_(None))
            .order_by(entries.c.index)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for index, data in rows:  # RFC 9162 section 2.1.1: SHA-256(0x00 || entry)
            leaf = hashlib.sha256(b"\x00" + bytes(data)).digest()
            connection.execute(sa.update(entries).where(entries.c.index == index).values(leaf_hash=leaf))
        start = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("transparency_entries") as batch:
        batch.drop_index(batch.f("ix_transparency_entries_leaf_hash"))
        batch.drop_column("leaf_hash")
