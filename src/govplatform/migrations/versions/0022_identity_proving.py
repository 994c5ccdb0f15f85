"""identity: attempts at proving an identity (identity part 3's journey), each check's and route's outcome for
the success rates, and the return code a service that opted in gets instead of access_denied

A downgrade drops the attempts in progress and the outcomes (the success rates start again from nothing) and
the return codes of codes and tokens not yet used.

Revision ID: 0022_identity_proving
Revises: 0021_identity_text_codes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0022_identity_proving"
down_revision: str | None = "0021_identity_text_codes"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_proving_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("wanted", sa.String(length=4), nullable=False),
        sa.Column("request_json", sa.JSON(), nullable=True),
        sa.Column("route", sa.String(length=32), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("found_encrypted", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["identity_citizens.id"],
            name=op.f("fk_identity_proving_attempts_citizen_id_identity_citizens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_proving_attempts")),
    )
    with op.batch_alter_table("identity_proving_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_proving_attempts_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_proving_attempts_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "identity_proving_outcomes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("attempt_id", sa.Uuid(), nullable=False),
        sa.Column("route", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=64), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("first_try", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_proving_outcomes")),
    )
    with op.batch_alter_table("identity_proving_outcomes", schema=None) as batch_op:
        batch_op.create_index("ix_identity_proving_outcomes_route_step", ["route", "step"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_proving_outcomes_occurred_at"), ["occurred_at"], unique=False)
    for table in ("identity_authorisation_codes", "identity_access_tokens"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("return_code", sa.String(length=1), nullable=True))


def downgrade() -> None:
    for table in ("identity_access_tokens", "identity_authorisation_codes"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("return_code")
    with op.batch_alter_table("identity_proving_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_proving_outcomes_occurred_at"))
        batch_op.drop_index("ix_identity_proving_outcomes_route_step")
    op.drop_table("identity_proving_outcomes")
    with op.batch_alter_table("identity_proving_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_proving_attempts_expires_at"))
        batch_op.drop_index(batch_op.f("ix_identity_proving_attempts_citizen_id"))
    op.drop_table("identity_proving_attempts")
