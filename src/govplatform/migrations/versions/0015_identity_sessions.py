"""identity: citizens' sessions at the provider (single sign-on), the services each citizen has used, changes
of email address waiting for their code (and the platform service's two email templates for them), and the
per-client opt-in to `max_age` (One Login's MaxAgeEnabled)

docs/adr/0018-citizen-sessions.md says why a session is kept as it is. A downgrade drops the tables: every
citizen then signs in again at their next /authorize, as before.

Revision ID: 0015_identity_sessions
Revises: 0014_identity_sign_up
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
        "2656a606-6e5d-484c-ab3f-087004ce50d1",
        "citizen-email-change-code",
        "en",
        "Confirm your new email address",
        "((code)) is your code to confirm this email address for your account. It expires in ((minutes)) "
        "minutes. Do not share it with anyone.\n\nIf you did not ask to change your email address, you can "
        "ignore this email.",
    ),
    (
        "5a8b5217-025b-4253-b41c-0211150b8830",
        "citizen-email-change-code",
        "cy",
        "Cadarnhewch eich cyfeiriad e-bost newydd",
        "((code)) yw eich cod i gadarnhau’r cyfeiriad e-bost hwn ar gyfer eich cyfrif. Mae’n dod i ben ymhen "
        "((minutes)) munud. Peidiwch â’i rannu ag unrhyw un.\n\nOs na wnaethoch ofyn am newid eich cyfeiriad "
        "e-bost, gallwch anwybyddu’r e-bost hwn.",
    ),
    (
        "0e6d1c5e-ef3f-4319-900e-25d82743e139",
        "citizen-email-in-use",
        "en",
        "Someone tried to use this email address",
        "Someone tried to change the email address of an account to this one. This address already has an "
        "account, so nothing was changed.\n\nIf it was you, sign in with this address instead. If it was "
        "not you, you do not need to do anything.",
    ),
    (
        "1d6bb99c-cb4f-4b82-ab43-b0ae6012ac32",
        "citizen-email-in-use",
        "cy",
        "Ceisiodd rhywun ddefnyddio’r cyfeiriad e-bost hwn",
        "Ceisiodd rhywun newid cyfeiriad e-bost cyfrif i’r un hwn. Mae gan y cyfeiriad hwn gyfrif yn barod, "
        "felly ni newidiwyd dim.\n\nOs mai chi oedd hyn, mewngofnodwch gyda’r cyfeiriad hwn yn lle hynny. "
        "Os nad chi oedd hyn, nid oes angen i chi wneud dim.",
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


def _add_templates() -> None:
    """The platform service's templates for a change of email address (as 0011 added the others)."""
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


revision: str = "0015_identity_sessions"
down_revision: str | None = "0014_identity_sign_up"
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
    op.create_table(
        "identity_email_changes",
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("new_email", sa.String(length=320), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id", name=op.f("pk_identity_email_changes")),
    )
    with op.batch_alter_table("identity_email_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_email_changes_expires_at"), ["expires_at"], unique=False)
    _add_templates()
    with op.batch_alter_table("identity_relying_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_age_enabled", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("identity_relying_parties", schema=None) as batch_op:
        batch_op.drop_column("max_age_enabled")
    ids = [uuid.UUID(template[0]) for template in TEMPLATES]
    notifications = sa.table("notifications", sa.column("template_id", _ID))
    op.execute(sa.delete(notifications).where(notifications.c.template_id.in_(ids)))
    op.execute(sa.delete(notify_template_versions).where(notify_template_versions.c.template_id.in_(ids)))
    op.execute(sa.delete(notify_templates).where(notify_templates.c.id.in_(ids)))
    with op.batch_alter_table("identity_email_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_email_changes_expires_at"))
    op.drop_table("identity_email_changes")
    op.drop_table("identity_service_uses")
    with op.batch_alter_table("identity_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_sessions_expires_at"))
        batch_op.drop_index(batch_op.f("ix_identity_sessions_citizen_id"))
    op.drop_table("identity_sessions")
