"""Two-way handoff: the messages of a handoff, and what a handoff needs to be answered.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

- handoff_messages: the resident's messages while a handoff is open (they no longer go to
  Rasa), the cadres' replies and what the assistant said about the handoff; text masked.
- handoffs.contact_token: the secret token of the raw phone or OpenID a reply is sent to.
- handoffs.last_resident_at: WeChat's 48-hour customer-service window runs from it.
- handoffs.closed_at, closed_by: who gave the conversation back, and when.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table, so it is rebuilt.
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("contact_token", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("last_resident_at", UTC_TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("closed_at", UTC_TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("closed_by", sa.String(length=40), nullable=True))
        batch.create_foreign_key(
            op.f("fk_handoffs_contact_token_secret_tokens"),
            "secret_tokens",
            ["contact_token"],
            ["token"],
            ondelete="SET NULL",
        )
    op.create_index("ix_handoffs_sender_key_status", "handoffs", ["sender_key", "status"])
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handoff_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_TIMESTAMP, nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("cadre_id", sa.Integer(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "direction IN ('resident', 'cadre', 'assistant')",
            name=op.f("ck_handoff_messages_direction"),
        ),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_handoff_messages_handoff_id_handoffs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cadre_id"],
            ["cadres.id"],
            name=op.f("fk_handoff_messages_cadre_id_cadres"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_handoff_messages_outbox_id_outbox"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_messages")),
    )
    op.create_index("ix_handoff_messages_handoff_id_id", "handoff_messages", ["handoff_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_handoff_messages_handoff_id_id", table_name="handoff_messages")
    op.drop_table("handoff_messages")
    op.drop_index("ix_handoffs_sender_key_status", table_name="handoffs")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_constraint(op.f("fk_handoffs_contact_token_secret_tokens"), type_="foreignkey")
        batch.drop_column("closed_by")
        batch.drop_column("closed_at")
        batch.drop_column("last_resident_at")
        batch.drop_column("contact_token")
