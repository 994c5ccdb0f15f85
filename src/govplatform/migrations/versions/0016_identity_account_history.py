"""identity: the citizen's own account history, and the platform service's email telling a citizen that their
account's security changed (a factor added or removed, a recovery started), in English and Welsh

A downgrade drops the history and the two templates (and any notifications sent from them).

Revision ID: 0016_identity_account_history
Revises: 0015_identity_sessions
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

PLATFORM_SERVICE_ID = uuid.UUID("f6715e34-7f62-4088-acdf-5d9daaa1bff2")  # migration 0011's platform service
TEMPLATES = [  # id, stable name, language, subject, content: a copy frozen at this revision
    (
        "4c5ad64d-62ba-4688-a091-79c4b484199a",
        "citizen-account-changed",
        "en",
        "A change to your account",
        "((change))\n\nIf you made this change, you do not need to do anything.\n\nIf you did not, someone else "
        "may be able to sign in to your account. Check your account's security and sign out of every device: "
        "((account_link))",
    ),
    (
        "51c3bd99-3217-43bf-bb8d-7e0f7def9e19",
        "citizen-account-changed",
        "cy",
        "Newid i’ch cyfrif",
        "((change))\n\nOs mai chi wnaeth y newid hwn, nid oes angen i chi wneud dim.\n\nOs nad chi wnaeth, efallai "
        "y gall rhywun arall fewngofnodi i’ch cyfrif. Gwiriwch ddiogelwch eich cyfrif ac allgofnodwch ar bob "
        "dyfais: ((account_link))",
    ),
]
_ID, _WHEN = sa.Uuid(), UTCDateTime()


def _template_table(name: str, id_column: str) -> sa.TableClause:
    return sa.table(
        name,
        sa.column(id_column, _ID),
        sa.column("service_id", _ID),
        sa.column("created_at", _WHEN),
        *(sa.column(column) for column in ("type", "name", "subject", "content", "version", "archived", "created_by")),
    )


notify_templates = _template_table("notify_templates", "id")
notify_template_versions = _template_table("notify_template_versions", "template_id")

revision: str = "0016_identity_account_history"
down_revision: str | None = "0015_identity_sessions"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _add_templates() -> None:
    now = datetime.now(UTC)
    rows = [
        {
            "service_id": PLATFORM_SERVICE_ID,
            "type": "email",
            "name": stable if language == "en" else f"{stable} (cy)",
            "subject": subject,
            "content": content,
            "version": 1,
            "archived": False,
            "created_at": now,
            "created_by": "GovPlatform",
        }
        for _id, stable, language, subject, content in TEMPLATES
    ]
    ids = [uuid.UUID(template[0]) for template in TEMPLATES]
    op.bulk_insert(notify_templates, [{"id": id_, **row} for id_, row in zip(ids, rows, strict=True)])
    op.bulk_insert(notify_template_versions, [{"template_id": id_, **row} for id_, row in zip(ids, rows, strict=True)])


def upgrade() -> None:
    op.create_table(
        "identity_account_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_account_events")),
    )
    with op.batch_alter_table("identity_account_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_account_events_citizen_id"), ["citizen_id"], unique=False)
    _add_templates()


def downgrade() -> None:
    ids = [uuid.UUID(template[0]) for template in TEMPLATES]
    notifications = sa.table("notifications", sa.column("template_id", _ID))
    op.execute(sa.delete(notifications).where(notifications.c.template_id.in_(ids)))
    op.execute(sa.delete(notify_template_versions).where(notify_template_versions.c.template_id.in_(ids)))
    op.execute(sa.delete(notify_templates).where(notify_templates.c.id.in_(ids)))
    with op.batch_alter_table("identity_account_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_account_events_citizen_id"))
    op.drop_table("identity_account_events")
