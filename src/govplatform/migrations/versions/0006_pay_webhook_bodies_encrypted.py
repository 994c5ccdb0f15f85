"""pay: webhook message bodies encrypted at rest

A message's body is the payment as the API shows it, with the payer's email,
cardholder name and billing address, which the payment row keeps encrypted
(issue 13). `body` (clear) becomes `body_encrypted`: AES-256-GCM under the
platform's field cipher, with the message's id as associated data, as the
pay component writes it (`services.webhooks.seal_body`).

Rows already stored are sealed here with the keys the platform runs with
(the settings `govplatform db upgrade` was given, else those of the
environment), and opened again by the downgrade.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

from govplatform.core.crypto import FieldCipher
from govplatform.core.settings import load_settings

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

_MESSAGES = sa.table(
    "pay_webhook_messages",
    sa.column("id", sa.String),
    sa.column("body", sa.Text),
    sa.column("body_encrypted", sa.Text),
)


def _cipher() -> FieldCipher:
    settings = context.config.attributes.get("settings") or load_settings()
    return FieldCipher(settings.encryption_key_list())


def _associated_data(message_id: str) -> str:
    return f"pay-webhook-message:{message_id}"  # the pay component's, copied: a migration keeps its own facts


def _rows(column: sa.ColumnClause[str]) -> list[tuple[str, str]]:
    found = op.get_bind().execute(sa.select(_MESSAGES.c.id, column).where(column.is_not(None)))
    return [(row[0], row[1]) for row in found]


def upgrade() -> None:
    with op.batch_alter_table("pay_webhook_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_encrypted", sa.Text(), nullable=True))
    rows = _rows(_MESSAGES.c.body)
    if rows:
        cipher = _cipher()
        for message_id, body in rows:
            sealed = cipher.encrypt_text(body, _associated_data(message_id))
            op.execute(_MESSAGES.update().where(_MESSAGES.c.id == message_id).values(body_encrypted=sealed))
    with op.batch_alter_table("pay_webhook_messages", schema=None) as batch_op:
        batch_op.alter_column("body_encrypted", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("body")


def downgrade() -> None:
    with op.batch_alter_table("pay_webhook_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
    rows = _rows(_MESSAGES.c.body_encrypted)
    if rows:
        cipher = _cipher()
        for message_id, sealed in rows:
            body = cipher.decrypt_text(sealed, _associated_data(message_id))
            op.execute(_MESSAGES.update().where(_MESSAGES.c.id == message_id).values(body=body))
    with op.batch_alter_table("pay_webhook_messages", schema=None) as batch_op:
        batch_op.alter_column("body", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("body_encrypted")
