"""identity: citizens' sessions at the provider (single sign-on), the services each citizen has used, and
the per-client opt-in to `max_age` (One Login's MaxAgeEnabled)

docs/adr/0018-citizen-sessions.md says why a session is kept as it is. A downgrade drops the tables: every
citizen then signs in again at their next /authorize, as before.

Revision ID: 0014_identity_sessions
Revises: 0013_read_cache_notices
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0014_identity_sessions"
down_revision: str | None = "0013_read_cache_notices"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("credential", sa.String(length=8), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("auth_time", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_identity_sessions")),
    )
    with op.batch_alter_table("identity_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_sessions_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_sessions_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "identity_service_uses",
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("first_used_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id", "client_id", name=op.f("pk_identity_service_uses")),
    )
    with op.batch_alter_table("identity_relying_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_age_enabled", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("identity_relying_parties", schema=None) as batch_op:
        batch_op.drop_column("max_age_enabled")
    op.drop_table("identity_service_uses")
    with op.batch_alter_table("identity_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_identity_sessions_citizen_id"))
    op.drop_table("identity_sessions")
