"""Chinese words for regions, settings, hospital levels and categories, as contract ids.

NLU normally delivers the canonical value (the DomainReader); these catch button payloads, raw
spans and free text, so a form never stores a value settlement refuses. The words themselves
live in policies/words/ and are read by understanding/ (one vocabulary for NLU and actions).
"""

from typing import TypeVar

from settlement.identifiers import Category, Level, Region, Setting
from understanding.reader import read

E = TypeVar("E", Region, Setting, Level, Category)


def _by_value_or_words(value: object, enum: type[E], entity: str) -> E | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return enum(text.lower())
    except ValueError:
        pass
    for found in read(text):
        if found.entity == entity:
            try:
                return enum(found.value)
            except ValueError:
                return None
    return None


def to_region(value: object) -> Region | None:
    """A region's key, name or town (policies/words/<region>.yaml) → its Region; None when the
    text names no region of policies/."""
    return _by_value_or_words(value, Region, "region")


def to_setting(value: object) -> Setting | None:
    return _by_value_or_words(value, Setting, "setting")


def to_level(value: object) -> Level | None:
    return _by_value_or_words(value, Level, "level")


def to_category(value: object) -> Category | None:
    return _by_value_or_words(value, Category, "category")
