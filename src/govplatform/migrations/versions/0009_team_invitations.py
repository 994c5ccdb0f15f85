"""core: team invitations, so a person joins a service's team only by accepting one

A service admin's invitation used to put the person on the team at once, and
the team-change route let an admin add any user by id (issue 13 fault 7). An
invitation now waits in `team_invitations` until the invitee accepts it; a
platform admin's still adds at once. A downgrade drops invitations that no one
has accepted yet (their inviters can invite again).

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_invitations",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("invited_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_team_invitations_service_id_services")),
        sa.ForeignKeyConstraint(["user_id"], ["staff_users.id"], name=op.f("fk_team_invitations_user_id_staff_users")),
        sa.PrimaryKeyConstraint("service_id", "user_id", name=op.f("pk_team_invitations")),
    )
    with op.batch_alter_table("team_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_invitations_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("team_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_invitations_user_id"))
    op.drop_table("team_invitations")
