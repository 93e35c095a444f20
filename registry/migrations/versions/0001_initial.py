"""Residents with phones and chronic diseases, this year's ledger, the audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Values of enumerated columns are spelled out here, not imported from settlement.identifiers:
a migration records the schema as it was, and a later change to the enums gets its own one.
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGIONS = ("nantong", "rongchang", "guyang", "yancheng")
CATEGORIES = ("poor", "dibao", "tekun", "edge", "exited", "none")
DISABILITIES = ("none", "severe", "child")
FUNDS = (
    "basic_insurance",
    "critical_illness",
    "medical_assistance",
    "supplementary",
    "emergency_relief",
    "poverty_fund",
    "charity",
)


def _one_of(column: str, values: tuple[str, ...], table: str) -> sa.CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=op.f(f"ck_{table}_{column}"))


def _timestamp(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "residents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("village", sa.String(64), nullable=False),
        sa.Column("exit_year", sa.Integer(), nullable=True),
        sa.Column("disability", sa.String(32), nullable=False),
        sa.Column("family_doctor", sa.String(64), nullable=True),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _one_of("region", REGIONS, "residents"),
        _one_of("category", CATEGORIES, "residents"),
        _one_of("disability", DISABILITIES, "residents"),
        sa.CheckConstraint(
            "category <> 'exited' OR exit_year IS NOT NULL",
            name=op.f("ck_residents_exited_has_year"),
        ),
        sa.CheckConstraint(
            "id_number = upper(id_number)", name=op.f("ck_residents_id_number_upper")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residents")),
        sa.UniqueConstraint("id_number", name=op.f("uq_residents_id_number")),
    )
    op.create_table(
        "resident_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(11), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_resident_phones_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_phones")),
        sa.UniqueConstraint("phone", name=op.f("uq_resident_phones_phone")),
    )
    op.create_index(op.f("ix_resident_phones_resident_id"), "resident_phones", ["resident_id"])
    op.create_table(
        "resident_diseases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("disease", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_resident_diseases_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_diseases")),
        sa.UniqueConstraint(
            "resident_id", "disease", name=op.f("uq_resident_diseases_resident_id_disease")
        ),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("fund", sa.String(32), nullable=False),
        sa.Column("disease", sa.String(64), nullable=True),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        _timestamp("created_at"),
        _one_of("fund", FUNDS, "ledger_entries"),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_ledger_entries_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
    )
    op.create_index("ix_ledger_entries_resident_id_year", "ledger_entries", ["resident_id", "year"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        _timestamp("at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_audit_log_resident_id_residents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_resident_id"), "audit_log", ["resident_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes and constraints with it, on both backends.
    for table in (
        "audit_log",
        "ledger_entries",
        "resident_diseases",
        "resident_phones",
        "residents",
    ):
        op.drop_table(table)
