"""identity: what a citizen needs to recognise each of their sessions on the signed-in devices page: the browser
and operating system in plain words and when it was last used (never the User-Agent header or an address)

Sessions open before this revision have none of the three; the page shows them as an unknown browser, last
used when signed in. A downgrade drops the three columns.

Revision ID: 0018_identity_session_devices
Revises: 0017_identity_proven
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0018_identity_session_devices"
down_revision: str | None = "0017_identity_proven"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("identity_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("browser", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("operating_system", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identity_sessions", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("operating_system")
        batch_op.drop_column("browser")
