"""Configuration files rendered from templates with `${NAME}` fields (string.Template): Rasa's
endpoints per profile (bot/endpoints/<profile>.yml.tmpl) and HAProxy's (deploy/haproxy.cfg.tmpl).

The file's shape stays readable in one place, next to its comments, and a county's IT team can
read the same template the stack renders. In a YAML template a field is a whole value and the
renderer quotes it, so a password with a quote or a colon cannot change the file's structure.
"""

import json
import string
from collections.abc import Mapping
from pathlib import Path

Value = str | int | None


class TemplateError(ValueError):
    """A template names a field nobody gave a value for, or is malformed."""


def render(template: Path, values: Mapping[str, str | int]) -> str:
    """The template with every `${NAME}` replaced by `str(values[NAME])`, as is."""
    text = template.read_text(encoding="utf-8")
    try:
        return string.Template(text).substitute({k: str(v) for k, v in values.items()})
    except KeyError as missing:
        raise TemplateError(f"{template}: no value for ${{{missing.args[0]}}}") from None
    except ValueError as error:
        raise TemplateError(f"{template}: {error}") from None


def yaml_scalar(value: Value) -> str:
    """A YAML value: a number as is, None as null, text as a double-quoted string (JSON's
    quoting, which YAML reads the same way)."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # bool is an int; a flag here would be a caller's mistake
        raise TypeError("yaml_scalar takes text, whole numbers or None")
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def render_yaml(template: Path, values: Mapping[str, Value]) -> str:
    return render(template, {name: yaml_scalar(value) for name, value in values.items()})
