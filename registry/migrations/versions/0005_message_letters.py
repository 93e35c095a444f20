"""A long message's whole text is kept beside the condensed text the NLU got.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

messages.letter (nullable): the whole letter, ID numbers replaced and phone numbers masked,
for a person to read; messages.text stays what the assistant was asked. Empty for messages
short enough to go to the NLU as they are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("letter", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("letter")
