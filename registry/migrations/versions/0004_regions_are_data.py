"""Regions are data: drop the CHECK constraints that listed the four regions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

The list of regions is policies/rules/<key>.yaml (settlement/regions.py); registry/sqltypes.py's
RegionKey checks a key against it in Python, so adding a region needs no migration. Batch mode
recreates the tables on SQLite, which cannot drop a constraint in place.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The regions the dropped constraints allowed (for downgrade only).
REGIONS = ("nantong", "rongchang", "guyang", "yancheng")
CHECKS = (
    ("residents", "ck_residents_region", "region"),
    ("cadres", "ck_cadres_cadre_region", "region"),
    ("campaigns", "ck_campaigns_campaign_region", "region"),
)


def upgrade() -> None:
    for table, name, _column in CHECKS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(name), type_="check")


def downgrade() -> None:
    listed = ", ".join(f"'{region}'" for region in REGIONS)
    for table, name, column in CHECKS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_check_constraint(op.f(name), f"{column} IN ({listed})")
