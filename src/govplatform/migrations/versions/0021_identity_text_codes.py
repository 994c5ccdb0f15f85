"""identity: text message codes as a citizen's second factor: the number as the citizen typed it (beside the
E.164 form the account already had a column for), the number chosen while an account is being made, the codes
texted during a sign-in or a sign-up, and international texts from the platform's own notify service

Citizens live abroad, and One Login texts international numbers; the platform-owned notify service (migration
0011) was made with international texts off, so they are turned on here (its international daily limit, 100,
stays). A downgrade drops the codes and the two columns, and turns international texts off again; a citizen
whose only second factor was a phone then has none, so a downgrade is for a database with no such citizens.

Revision ID: 0021_identity_text_codes
Revises: 0020_identity_passkeys
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

PLATFORM_SERVICE_ID = uuid.UUID("f6715e34-7f62-4088-acdf-5d9daaa1bff2")  # migration 0011's platform service
notify_settings = sa.table(
    "notify_settings", sa.column("service_id", sa.Uuid()), sa.column("international_sms", sa.Boolean())
)

revision: str = "0021_identity_text_codes"
down_revision: str | None = "0020_identity_passkeys"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _international_texts(allowed: bool) -> None:
    op.execute(
        sa.update(notify_settings)
        .where(notify_settings.c.service_id == PLATFORM_SERVICE_ID)
        .values(international_sms=allowed)
    )


def upgrade() -> None:
    op.create_table(
        "identity_text_codes",
        sa.Column("sign_in_hash", sa.String(length=64), nullable=False),
        sa.Column("citizen_id", sa.Uuid(), nullable=True),
        sa.Column("phone_number", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("wrong_guesses", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sign_in_hash", name=op.f("pk_identity_text_codes")),
    )
    with op.batch_alter_table("identity_text_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_text_codes_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_identity_text_codes_expires_at"), ["expires_at"], unique=False)
    with op.batch_alter_table("identity_citizens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_number_as_typed", sa.String(length=40), nullable=True))
    with op.batch_alter_table("identity_sign_ups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("phone_number_as_typed", sa.String(length=40), nullable=True))
    _international_texts(True)


def downgrade() -> None:
    _international_texts(False)
    with op.batch_alter_table("identity_sign_ups", schema=None) as batch_op:
        batch_op.drop_column("phone_number_as_typed")
        batch_op.drop_column("phone_number")
    with op.batch_alter_table("identity_citizens", schema=None) as batch_op:
        batch_op.drop_column("phone_number_as_typed")
    with op.batch_alter_table("identity_text_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_text_codes_expires_at"))
        batch_op.drop_index(batch_op.f("ix_identity_text_codes_citizen_id"))
    op.drop_table("identity_text_codes")
