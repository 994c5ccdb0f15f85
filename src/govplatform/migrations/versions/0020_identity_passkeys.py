"""identity: citizens' passkeys (WebAuthn credentials) and the challenges issued for them

docs/adr/0023-passkeys.md says why they are kept as they are. A downgrade drops both tables: citizens whose
only second factor was a passkey then cannot finish signing in until they recover their account.

Revision ID: 0020_identity_passkeys
Revises: 0019_identity_recovery
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0020_identity_passkeys"
down_revision: str | None = "0019_identity_recovery"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_passkeys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.JSON(), nullable=False),
        sa.Column("user_handle", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_passkeys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_identity_passkeys_credential_id")),
    )
    with op.batch_alter_table("identity_passkeys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_passkeys_citizen_id"), ["citizen_id"], unique=False)
    op.create_table(
        "identity_passkey_challenges",
        sa.Column("challenge_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("bound_to", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=True),
        sa.Column("user_handle", sa.String(length=128), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("challenge_hash", name=op.f("pk_identity_passkey_challenges")),
    )
    with op.batch_alter_table("identity_passkey_challenges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_passkey_challenges_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("identity_passkey_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_passkey_challenges_expires_at"))
    op.drop_table("identity_passkey_challenges")
    with op.batch_alter_table("identity_passkeys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_passkeys_citizen_id"))
    op.drop_table("identity_passkeys")
