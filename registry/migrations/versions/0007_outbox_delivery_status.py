"""What became of an outbox message after the provider accepted it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10

- outbox.provider_id: the provider's id of the message (Twilio's "SM…" SID), unique;
- outbox.delivery_status, delivery_error_code, delivery_updated_at: the latest status the
  provider reported (Twilio's status callbacks), its error code and when it came.

All nullable: rows sent before this revision have no report, and WeChat sends none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Batch mode, as in 0006: SQLite rebuilds the table where it cannot alter it in place.
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("provider_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("delivery_status", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("delivery_error_code", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("delivery_updated_at", UTC_TIMESTAMP, nullable=True))
    op.create_index("ix_outbox_provider_id", "outbox", ["provider_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_outbox_provider_id", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("delivery_updated_at")
        batch.drop_column("delivery_error_code")
        batch.drop_column("delivery_status")
        batch.drop_column("provider_id")
