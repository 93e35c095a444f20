"""The outbox, and receipts that carry a claim with an expiry.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

- outbox: every message sent outside an HTTP reply (registry/outbox_models.py), written before
  it is sent and claimed by one sender at a time for a lease.
- receipts.claimed_until: while a worker answers a provider message; NULL once answered (so
  every receipt recorded before this revision counts as answered).
- receipts.message_id: the message the claim answers, so a lapsed claim's message can be
  marked failed when a retry takes it over.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("recipient_key", sa.String(length=80), nullable=False),
        sa.Column("recipient_token", sa.String(length=40), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("sent_at", UTC_TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed', 'undeliverable')",
            name=op.f("ck_outbox_status"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_token"],
            ["secret_tokens.token"],
            name=op.f("fk_outbox_recipient_token_secret_tokens"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_recipient_token", "outbox", ["recipient_token"])
    # Batch mode: SQLite cannot add a foreign key to an existing table, so it is rebuilt.
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("claimed_until", UTC_TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_receipts_message_id_messages"),
            "messages",
            ["message_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("receipts") as batch:
        batch.drop_constraint(op.f("fk_receipts_message_id_messages"), type_="foreignkey")
        batch.drop_column("message_id")
        batch.drop_column("claimed_until")
    op.drop_index("ix_outbox_recipient_token", table_name="outbox")
    op.drop_index("ix_outbox_status_next_attempt_at", table_name="outbox")
    op.drop_table("outbox")
