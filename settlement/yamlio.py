"""Strict YAML reading: duplicate keys are errors, dates stay strings until validated.

PyYAML silently keeps the last of two equal keys; in policy data that hides a typo, so the
loader below refuses it with the line number.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from settlement.errors import PolicyError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys and keeps dates as text."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


# Dates are validated by the schema (with a precise message), not guessed by YAML.
def _construct_timestamp(loader: _StrictLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file strictly; any problem becomes a PolicyError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(str(path), "", f"not UTF-8 ({exc.reason})") from exc
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        where = f"line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise PolicyError(str(path), where, exc.problem or str(exc)) from exc
    except yaml.YAMLError as exc:
        raise PolicyError(str(path), "", str(exc)) from exc


def readable_path(loc: Iterable[int | str]) -> str:
    """A pydantic error location as a reader writes it: ('clauses', 3, 'number') →
    'clauses[3].number'."""
    path = ""
    for item in loc:
        if isinstance(item, int):
            path += f"[{item}]"
        else:
            path += f".{item}" if path else str(item)
    return path


M = TypeVar("M", bound=BaseModel)


def load_model(model: type[M], path: Path) -> M:
    """Read a YAML file strictly into a pydantic model; the first problem is a PolicyError."""
    raw = load_yaml(path)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PolicyError(str(path), readable_path(first["loc"]), first["msg"]) from None
