"""The transparency log: pending entries, the log, tiles, bundles, the tree head, checkpoints.

The tree head starts as the empty tree (size 0, root SHA-256 of nothing, RFC 9162 section 2.1.1).

Revision ID: 0002
Revises: 0001
"""

import datetime
import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transparency_bundles",
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("index", name=op.f("pk_transparency_bundles")),
    )
    op.create_table(
        "transparency_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("signed_note", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_transparency_checkpoints")),
    )
    op.create_table(
        "transparency_entries",
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("integrated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("index", name=op.f("pk_transparency_entries")),
    )
    with op.batch_alter_table("transparency_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transparency_entries_subject"), ["subject"], unique=False)

    op.create_table(
        "transparency_pending",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transparency_pending")),
    )
    op.create_table(
        "transparency_tiles",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "index", name=op.f("pk_transparency_tiles")),
    )
    op.create_table(
        "transparency_tree",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transparency_tree")),
    )
    tree = sa.table(
        "transparency_tree",
        sa.column("id"),
        sa.column("size"),
        sa.column("root_hash"),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        tree,
        [
            {
                "id": 1,
                "size": 0,
                "root_hash": hashlib.sha256(b"").digest(),
                "updated_at": datetime.datetime.now(datetime.UTC),
            }
        ],
    )


def downgrade() -> None:
    op.drop_table("transparency_tree")
    op.drop_table("transparency_tiles")
    op.drop_table("transparency_pending")
    with op.batch_alter_table("transparency_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transparency_entries_subject"))

    op.drop_table("transparency_entries")
    op.drop_table("transparency_checkpoints")
    op.drop_table("transparency_bundles")
