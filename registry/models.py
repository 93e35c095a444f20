"""What the registry records: residents (居民), this year's ledger (台账) and the audit log.

Enumerated columns hold the values of settlement.identifiers and are guarded by CHECK
constraints, so a row written by hand in psql is held to the same vocabulary as the code.
"""

from datetime import datetime
from decimal import Decimal
from typing import TypedDict

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, validates

from registry import idnumber
from registry.sqltypes import RegionKey, UTCDateTime, enum_column, utcnow
from settlement.identifiers import Category, Disability, Fund, Region

# Deterministic constraint names, so later migrations can drop or alter them by name on
# PostgreSQL and in SQLite batch mode.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

NAME_LENGTH = 64  # names, villages, doctors and diseases share one limit
CENT = Decimal("0.01")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Resident(Base):
    """A resident (居民) covered by the health poverty alleviation policies."""

    __tablename__ = "residents"
    __table_args__ = (
        # Lookups compare the stored value exactly, so the check character X must be upper-case.
        CheckConstraint("id_number = upper(id_number)", name="id_number_upper"),
        # 已脱贫 only means something together with the year of exit (ARCHITECTURE.md).
        CheckConstraint("category <> 'exited' OR exit_year IS NOT NULL", name="exited_has_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    region: Mapped[Region] = mapped_column(RegionKey())
    category: Mapped[Category] = mapped_column(enum_column(Category, "category"))
    village: Mapped[str] = mapped_column(String(NAME_LENGTH))
    exit_year: Mapped[int | None]
    disability: Mapped[Disability] = mapped_column(
        enum_column(Disability, "disability"), default=Disability.NONE
    )
    family_doctor: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    # 同意接收通知: the resident agreed to receive broadcasts (reminders, campaigns). Unknown
    # means no; an opt-out (退订/TD/STOP, registry.traffic) wins over it on that channel.
    broadcast_consent: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    phones: Mapped[list["ResidentPhone"]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="ResidentPhone.id"
    )
    diseases: Mapped[list["ResidentDisease"]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="ResidentDisease.id"
    )

    @validates("id_number")
    def _normalise_id_number(self, _key: str, value: str) -> str:
        reason = idnumber.explain_invalid(value)
        if reason is not None:
            raise ValueError(reason)
        return idnumber.normalize(value)

    @property
    def phone_numbers(self) -> list[str]:
        return [entry.phone for entry in self.phones]

    @property
    def disease_names(self) -> list[str]:
        return [entry.disease for entry in self.diseases]


class ResidentPhone(Base):
    """A mainland mobile number, 11 digits without +86; one number belongs to one resident."""

    __tablename__ = "resident_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str] = mapped_column(String(11), unique=True)

    resident: Mapped[Resident] = relationship(back_populates="phones")


class ResidentDisease(Base):
    """A recognised chronic or special disease (认定的慢性病/特殊病) of a resident."""

    __tablename__ = "resident_diseases"
    __table_args__ = (UniqueConstraint("resident_id", "disease"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    disease: Mapped[str] = mapped_column(String(NAME_LENGTH))

    resident: Mapped[Resident] = relationship(back_populates="diseases")


class LedgerEntry(Base):
    """One amount a fund paid for a resident this year (年度台账), for annual caps (封顶线)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_resident_id_year", "resident_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No cascade: money already paid must not vanish with a deleted resident.
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    year: Mapped[int]
    fund: Mapped[Fund] = mapped_column(enum_column(Fund, "fund"))
    # Set for chronic outpatient payments, whose caps are per disease.
    disease: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @validates("amount")
    def _whole_fen(self, _key: str, value: Decimal) -> Decimal:
        # Rounding to the fen happens once, in settlement (STYLE.md point 2); a float or a
        # fraction of a fen here is a bug upstream, and the two backends would round it apart.
        if not isinstance(value, Decimal):
            raise TypeError(f"amount must be a Decimal, not {type(value).__name__}")
        if value != value.quantize(CENT):
            raise ValueError(f"amount {value} is not a whole number of fen")
        return value


class AuditLog(Base):
    """Who looked at or changed what. Never holds a full ID number (ARCHITECTURE.md)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(NAME_LENGTH))  # "cli", "cadre:<id>", "sms:<hash>"
    action: Mapped[str] = mapped_column(String(NAME_LENGTH))
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    detail: Mapped[str] = mapped_column(Text, default="")

    @validates("actor", "detail")
    def _mask_id_numbers(self, _key: str, value: str) -> str:
        # The last line of defence: whatever a caller passes, a full ID number is not stored.
        return idnumber.mask_in_text(value)


def audit(
    session: Session, actor: str, action: str, detail: str = "", resident_id: int | None = None
) -> AuditLog:
    """Add one audit entry to the session's transaction."""
    entry = AuditLog(actor=actor, action=action, detail=detail, resident_id=resident_id)
    session.add(entry)
    return entry


class YearToDate(TypedDict):
    funds: dict[Fund, Decimal]  # every fund, zero when it paid nothing yet
    diseases: dict[str, dict[Fund, Decimal]]  # per disease, only the funds that paid for it


def year_to_date(session: Session, resident_id: int, year: int) -> YearToDate:
    """What each fund has paid for the resident in `year`, overall and per disease (累计已报销)."""
    funds = {fund: Decimal("0.00") for fund in Fund}
    diseases: dict[str, dict[Fund, Decimal]] = {}
    rows = session.execute(
        select(LedgerEntry.fund, LedgerEntry.disease, LedgerEntry.amount).where(
            LedgerEntry.resident_id == resident_id, LedgerEntry.year == year
        )
    )
    # Summed in Python, not with SQL SUM: SQLite would add the amounts as binary floats.
    for fund, disease, amount in rows:
        funds[fund] += amount
        if disease is not None:
            per_fund = diseases.setdefault(disease, {})
            per_fund[fund] = per_fund.get(fund, Decimal("0.00")) + amount
    return {"funds": funds, "diseases": diseases}
