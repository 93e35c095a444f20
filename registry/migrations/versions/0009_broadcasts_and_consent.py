"""Broadcasts, and residents' consent to receive them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

- residents.broadcast_consent (同意接收通知): false for everyone registered before, since no
  consent was recorded for them.
- broadcasts: one text for an audience, sent through the outbox (registry/broadcast_models.py).
- broadcast_recipients: what became of each resident the sender reached (queued, opted out).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("residents") as batch:
        batch.add_column(
            sa.Column("broadcast_consent", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("villages", sa.Text(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("disease", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("started_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("finished_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("lease_holder", sa.String(length=32), nullable=True),
        sa.Column("lease_until", UTC_TIMESTAMP, nullable=True),
        sa.CheckConstraint("channel IN ('sms', 'wechat')", name=op.f("ck_broadcasts_channel")),
        sa.CheckConstraint(
            "status IN ('scheduled', 'sending', 'done')", name=op.f("ck_broadcasts_status")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_broadcasts_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    op.create_index("ix_broadcasts_campaign_id", "broadcasts", ["campaign_id"])
    op.create_index("ix_broadcasts_status_scheduled_at", "broadcasts", ["status", "scheduled_at"])
    op.create_table(
        "broadcast_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("recipient_key", sa.String(length=80), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "outcome IN ('queued', 'opted_out')", name=op.f("ck_broadcast_recipients_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_recipients_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_broadcast_recipients_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_broadcast_recipients_outbox_id_outbox"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_recipients")),
        sa.UniqueConstraint(
            "broadcast_id",
            "resident_id",
            name=op.f("uq_broadcast_recipients_broadcast_id_resident_id"),
        ),
    )
    op.create_index(
        "ix_broadcast_recipients_recipient_key", "broadcast_recipients", ["recipient_key"]
    )
    op.create_index("ix_broadcast_recipients_outbox_id", "broadcast_recipients", ["outbox_id"])


def downgrade() -> None:
    op.drop_index("ix_broadcast_recipients_outbox_id", table_name="broadcast_recipients")
    op.drop_index("ix_broadcast_recipients_recipient_key", table_name="broadcast_recipients")
    op.drop_table("broadcast_recipients")
    op.drop_index("ix_broadcasts_status_scheduled_at", table_name="broadcasts")
    op.drop_index("ix_broadcasts_campaign_id", table_name="broadcasts")
    op.drop_table("broadcasts")
    with op.batch_alter_table("residents") as batch:
        batch.drop_column("broadcast_consent")
