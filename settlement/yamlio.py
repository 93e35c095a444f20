"""Strict YAML reading: duplicate keys are errors, dates stay strings until validated.

PyYAML silently keeps the last of two equal keys; in policy data that hides a typo, so the
loader below refuses it with the line number.
"""

from pathlib import Path
from typing import Any

import yaml

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
