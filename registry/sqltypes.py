"""Column types that behave the same on SQLite and PostgreSQL."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Dialect, Enum, String
from sqlalchemy.types import TypeDecorator

from settlement.identifiers import Region


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always an aware UTC datetime in Python.

    PostgreSQL keeps the zone (timestamptz); SQLite keeps none, so values are stored as naive UTC
    there and given their zone back on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: registry timestamps must carry a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_column(enum_class: type[StrEnum], name: str, length: int = 32) -> Enum:
    """A VARCHAR holding the enum's *values* (e.g. 'nantong'), guarded by a CHECK constraint.

    Not a native PostgreSQL ENUM: adding a member then needs no ALTER TYPE, and SQLite and
    PostgreSQL get the same schema.
    """
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class RegionKey(TypeDecorator[Region]):
    """A region's key (VARCHAR(32), e.g. 'nantong'), checked against policies/ in Python.

    The list of regions is data (policies/rules/<key>.yaml), so the database holds no CHECK
    constraint naming them: a county adds a region without a migration. Writing or reading a
    key that has no rules file raises ValueError (Region's), naming the known regions.
    """

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: object, dialect: Dialect) -> str | None:
        return None if value is None else Region(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> Region | None:
        return None if value is None else Region(value)
