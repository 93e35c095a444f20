"""Ledger entries may record the 健康扶贫基金 (fund health_poverty_fund), a layer added to the
settlement chain after 医疗救助.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

The fund values are spelled out, as in 0001: a migration records the schema as it was.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNDS_BEFORE = (
    "basic_insurance",
    "critical_illness",
    "medical_assistance",
    "supplementary",
    "emergency_relief",
    "poverty_fund",
    "charity",
)
FUNDS = (
    "basic_insurance",
    "critical_illness",
    "medical_assistance",
    "health_poverty_fund",
    "supplementary",
    "emergency_relief",
    "poverty_fund",
    "charity",
)
NAME = "ck_ledger_entries_fund"


def _allow(funds: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{fund}'" for fund in funds)
    # SQLite cannot alter a CHECK constraint: batch mode rebuilds the table with the new one.
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(op.f(NAME), f"fund IN ({listed})")


def upgrade() -> None:
    _allow(FUNDS)


def downgrade() -> None:
    _allow(FUNDS_BEFORE)
