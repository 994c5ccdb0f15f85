"""identity: recovery that keeps two factors: password reset links and requests to replace a lost second factor,
and the platform service's two emails for them (the reset link; the wait began, with a cancel link), in English
and Welsh

docs/adr/0022-identity-recovery.md says why recovery works as it does. A downgrade drops both tables (links in
flight and waits under way are forgotten: the citizen asks again) and the two templates (and any notifications
sent from them).

Revision ID: 0019_identity_recovery
Revises: 0018_identity_session_devices
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
        "c9b3bc90-13f6-4f69-896f-a81622f92234",
        "citizen-password-reset",
        "en",
        "Reset your password",
        "Someone asked to reset the password of the account that uses this email address.\n\nTo choose a new "
        "password, open this link within ((minutes)) minutes. You will also need your security code:\n\n"
        "((reset_link))\n\nThe link works once. If you did not ask for it, you do not need to do anything: your "
        "password has not changed.",
    ),
    (
        "f0f6c81b-8963-433a-a409-7b7c89675a3d",
        "citizen-password-reset",
        "cy",
        "Ailosod eich cyfrinair",
        "Gofynnodd rhywun am ailosod cyfrinair y cyfrif sy’n defnyddio’r cyfeiriad e-bost hwn.\n\nI ddewis "
        "cyfrinair newydd, agorwch y ddolen hon o fewn ((minutes)) munud. Bydd angen eich cod diogelwch arnoch "
        "hefyd:\n\n((reset_link))\n\nMae’r ddolen yn gweithio unwaith. Os na wnaethoch ofyn amdani, nid oes "
        "angen i chi wneud dim: nid yw eich cyfrinair wedi newid.",
    ),
    (
        "4c8c544d-23d1-4061-b31c-44ecd68357b5",
        "citizen-factor-recovery",
        "en",
        "Someone asked to replace your way to get security codes",
        "Someone signed in with your password and this email address and said they cannot use your "
        "authenticator app. In ((hours)) hours they will be able to set up a new way to get security codes "
        "for your account.\n\nIf this was you, you do not need to do anything.\n\nIf it was not you, cancel "
        "the request now and change your password:\n\n((cancel_link))",
    ),
    (
        "30c59770-520b-4679-acf7-4ac57f29138c",
        "citizen-factor-recovery",
        "cy",
        "Gofynnodd rhywun am newid eich ffordd o gael codau diogelwch",
        "Mewngofnododd rhywun gyda’ch cyfrinair a’r cyfeiriad e-bost hwn a dweud na allant ddefnyddio eich ap "
        "dilysu. Ymhen ((hours)) awr byddant yn gallu sefydlu ffordd newydd o gael codau diogelwch ar gyfer "
        "eich cyfrif.\n\nOs mai chi oedd hyn, nid oes angen i chi wneud dim.\n\nOs nad chi oedd hyn, canslwch "
        "y cais nawr a newidiwch eich cyfrinair:\n\n((cancel_link))",
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

revision: str = "0019_identity_recovery"
down_revision: str | None = "0018_identity_session_devices"
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
        "identity_password_resets",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("password_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("second_factor_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_identity_password_resets")),
    )
    with op.batch_alter_table("identity_password_resets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_password_resets_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_password_resets_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "identity_factor_recoveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("wrong_codes", sa.Integer(), nullable=False),
        sa.Column("email_confirmed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("ready_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancel_token_hash", sa.String(length=64), nullable=True),
        sa.Column("new_totp_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_factor_recoveries")),
        sa.UniqueConstraint("cancel_token_hash", name=op.f("uq_identity_factor_recoveries_cancel_token_hash")),
    )
    with op.batch_alter_table("identity_factor_recoveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_factor_recoveries_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_factor_recoveries_expires_at"), ["expires_at"], unique=False)
    _add_templates()


def downgrade() -> None:
    ids = [uuid.UUID(template[0]) for template in TEMPLATES]
    notifications = sa.table("notifications", sa.column("template_id", _ID))
    op.execute(sa.delete(notifications).where(notifications.c.template_id.in_(ids)))
    op.execute(sa.delete(notify_template_versions).where(notify_template_versions.c.template_id.in_(ids)))
    op.execute(sa.delete(notify_templates).where(notify_templates.c.id.in_(ids)))
    with op.batch_alter_table("identity_factor_recoveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_factor_recoveries_expires_at"))
        batch_op.drop_index(batch_op.f("ix_identity_factor_recoveries_citizen_id"))
    op.drop_table("identity_factor_recoveries")
    with op.batch_alter_table("identity_password_resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_password_resets_expires_at"))
        batch_op.drop_index(batch_op.f("ix_identity_password_resets_citizen_id"))
    op.drop_table("identity_password_resets")
