"""identity: proved identities (identity part 3) and the documents bound to them, the identity level a code and
its access token were asked for, and which set a signing key belongs to (ID tokens, or the DID keys that sign
coreIdentityJWTs)

A downgrade drops the proofs and bindings (services asking for P1 or P2 are then answered access_denied, as
before) and the DID keys with the purpose column.

Revision ID: 0017_identity_proven
Revises: 0016_identity_account_history
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0017_identity_proven"
down_revision: str | None = "0016_identity_account_history"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_proven_identities",
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("level", sa.String(length=4), nullable=False),
        sa.Column("route", sa.String(length=32), nullable=False),
        sa.Column("proved_encrypted", sa.Text(), nullable=False),
        sa.Column("proven_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id", name=op.f("pk_identity_proven_identities")),
    )
    op.create_table(
        "identity_document_bindings",
        sa.Column("document_hash", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("document_hash", name=op.f("pk_identity_document_bindings")),
    )
    with op.batch_alter_table("identity_document_bindings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_document_bindings_citizen_id"), ["citizen_id"], unique=False)
    with op.batch_alter_table("identity_authorisation_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.String(length=4), nullable=True))
    with op.batch_alter_table("identity_access_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.String(length=4), nullable=True))
    with op.batch_alter_table("identity_signing_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.String(length=16), nullable=False, server_default="id_token"))


def downgrade() -> None:
    keys = sa.table("identity_signing_keys", sa.column("purpose", sa.String()))
    op.execute(sa.delete(keys).where(keys.c.purpose != "id_token"))
    with op.batch_alter_table("identity_signing_keys", schema=None) as batch_op:
        batch_op.drop_column("purpose")
    with op.batch_alter_table("identity_access_tokens", schema=None) as batch_op:
        batch_op.drop_column("level")
    with op.batch_alter_table("identity_authorisation_codes", schema=None) as batch_op:
        batch_op.drop_column("level")
    with op.batch_alter_table("identity_document_bindings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_document_bindings_citizen_id"))
    op.drop_table("identity_document_bindings")
    op.drop_table("identity_proven_identities")
