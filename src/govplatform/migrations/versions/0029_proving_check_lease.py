"""identity: a proving attempt's document check in progress (its token and when it started)

The journey asks the document check outside any transaction (a source may take seconds, and the exchange's
records check writes a transaction of its own), so the attempt row is no longer locked while it runs. The token
marks the one submission whose check is running: a second submission of the same page waits for it instead of
asking the source again, and a result whose attempt moved on meanwhile is not applied to it. A check that never
came back (a process stopped) stops counting after a minute.

Revision ID: 0029_proving_check_lease
Revises: 0028_exchange_consents
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from govplatform.core.models import UTCDateTime

revision: str = "0029_proving_check_lease"
down_revision: str | None = "0028_exchange_consents"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("identity_proving_attempts") as batch:
        batch.add_column(sa.Column("check_token", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("check_started_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("identity_proving_attempts") as batch:
        batch.drop_column("check_started_at")
        batch.drop_column("check_token")
