"""delivery reports: a delay notice recorded on the outbox mail; a bounce marks it bounced

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("delayed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("delivery_report", sa.JSON(), nullable=True))
    # A returned mail was "undelivered"; it is "bounced" now.
    op.execute("UPDATE outbox SET status = 'bounced' WHERE status = 'undelivered'")


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'undelivered' WHERE status = 'bounced'")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("delivery_report")
        batch.drop_column("delayed_at")
