"""core: organisation roles (org-admin, data-owner, chief-data-officer) beside the service roles

One row per role a person holds in an organisation (ADR 0012). A downgrade
drops the table and with it every organisation role; the audit log keeps
who held what.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation_memberships",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("granted_by", sa.String(length=320), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_memberships_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_users.id"], name=op.f("fk_organisation_memberships_user_id_staff_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "organisation_id", "role", name=op.f("pk_organisation_memberships")),
    )
    with op.batch_alter_table("organisation_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_memberships_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("organisation_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_memberships_organisation_id"))
    op.drop_table("organisation_memberships")
