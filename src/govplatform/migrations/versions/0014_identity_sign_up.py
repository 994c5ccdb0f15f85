"""identity: accounts being created (sign-ups), and the platform's two emails for them

A citizen creates an account during a sign-in (issue 15): an email, a 6-digit code sent to it, a password,
an authenticator app. `identity_sign_ups` holds that progress, one row per sign-in: the code as a keyed
hash with its expiry and wrong guesses, the password as an argon2id hash, the authenticator secret
encrypted. The platform-owned notify service (migration 0011) gets two templates in English and Welsh: the
code, and the notice sent instead of a code when the email already has an account, so that creating an
account never tells anyone whether an email has one. Their text is a copy frozen at this revision.

A downgrade drops the table (accounts half-made are lost; made accounts are not touched) and removes the
two templates.

Revision ID: 0014_identity_sign_up
Revises: 0013_read_cache_notices
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0014_identity_sign_up"
down_revision: str | None = "0013_read_cache_notices"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

SERVICE_ID = uuid.UUID("f6715e34-7f62-4088-acdf-5d9daaa1bff2")  # the platform-owned service, migration 0011

# (id, stable name, language, subject, content): emails only.
TEMPLATES = [
    (
        "c1c9fbba-04bc-4ee0-940b-fb6b948896dd",
        "citizen-sign-up-code",
        "en",
        "Your security code to create an account",
        "((code)) is your security code to create an account for ((service_name)).\n\n"
        "It expires in 15 minutes. Do not share it with anyone.\n\n"
        "If you did not try to create an account, you can ignore this email.",
    ),
    (
        "e9ef6b30-3a1e-49d2-91a9-536f64e73ae8",
        "citizen-sign-up-code",
        "cy",
        "Eich cod diogelwch i greu cyfrif",
        "((code)) yw eich cod diogelwch i greu cyfrif ar gyfer ((service_name)).\n\n"
        "Mae’n dod i ben ymhen 15 munud. Peidiwch â’i rannu ag unrhyw un.\n\n"
        "Os na wnaethoch geisio creu cyfrif, gallwch anwybyddu’r e-bost hwn.",
    ),
    (
        "e11122d3-78f0-4c29-8174-ffd4e8e4dcfd",
        "citizen-account-exists",
        "en",
        "Someone tried to create an account with your email address",
        "Someone tried to create an account for ((service_name)) with this email address, "
        "but there is already an account for it.\n\n"
        "To sign in, go back to ((service_name)), choose to sign in, and enter this email address, "
        "your password and the code from your authenticator app.\n\n"
        "If this was not you, you can ignore this email. Nobody can use your account without your password.",
    ),
    (
        "264ee68b-1ea1-498c-9cae-edf71de56aca",
        "citizen-account-exists",
        "cy",
        "Mae rhywun wedi ceisio creu cyfrif gyda’ch cyfeiriad e-bost",
        "Mae rhywun wedi ceisio creu cyfrif ar gyfer ((service_name)) gyda’r cyfeiriad e-bost hwn, "
        "ond mae cyfrif ar ei gyfer yn barod.\n\n"
        "I fewngofnodi, ewch yn ôl i ((service_name)), dewiswch fewngofnodi, a rhowch y cyfeiriad e-bost hwn, "
        "eich cyfrinair a’r cod o’ch ap dilysu.\n\n"
        "Os nad chi oedd hyn, gallwch anwybyddu’r e-bost hwn. Ni all neb ddefnyddio eich cyfrif heb eich cyfrinair.",
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


def upgrade() -> None:
    op.create_table(
        "identity_sign_ups",
        sa.Column("sign_in_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("code_expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("wrong_codes", sa.Integer(), nullable=False),
        sa.Column("email_confirmed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("totp_secret_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sign_in_hash", name=op.f("pk_identity_sign_ups")),
    )
    with op.batch_alter_table("identity_sign_ups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_sign_ups_expires_at"), ["expires_at"], unique=False)

    now = datetime.now(UTC)
    rows = [
        {
            "service_id": SERVICE_ID,
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


def downgrade() -> None:
    ids = [uuid.UUID(template[0]) for template in TEMPLATES]
    connection = op.get_bind()
    connection.execute(sa.delete(notify_template_versions).where(notify_template_versions.c.template_id.in_(ids)))
    connection.execute(sa.delete(notify_templates).where(notify_templates.c.id.in_(ids)))
    with op.batch_alter_table("identity_sign_ups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_sign_ups_expires_at"))
    op.drop_table("identity_sign_ups")
