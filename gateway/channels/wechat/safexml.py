"""Reading WeChat's flat XML without trusting it.

WeChat's payloads are one <xml> element of leaf fields. Anything else (a DTD, entity
declarations, a huge body, repeated fields) is not from WeChat and is refused before any
library sees it. xmltodict already refuses entity declarations (disable_entities=True, its
default since 0.13) and expat caps entity amplification, but the DOCTYPE check makes this
independent of library versions: no DTD, no entities, no billion laughs, no XXE.
"""

from typing import Any

import xmltodict  # type: ignore[import-untyped]

from gateway.messages import MalformedPayload

MAX_XML_BYTES = 64 * 1024  # WeChat messages are a few hundred bytes; Content ≤ 2048 bytes


def _text(body: str | bytes) -> str:
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    if len(raw) > MAX_XML_BYTES:
        raise MalformedPayload(f"XML body larger than {MAX_XML_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedPayload("XML body is not UTF-8") from None


def read_xml(body: str | bytes) -> dict[str, str]:
    """The leaf fields of a WeChat <xml> document; nested elements are left out.

    Raises MalformedPayload for a DTD, malformed XML, another root, or a repeated field.
    """
    text = _text(body)
    if "<!doctype" in text.lower() or "<!entity" in text.lower():
        raise MalformedPayload("XML with a DTD or entity declaration is refused")
    try:
        document: Any = xmltodict.parse(text, disable_entities=True)
    except Exception as error:  # expat.ExpatError, or ValueError from the entity guard
        raise MalformedPayload(f"malformed XML: {error}") from None
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise MalformedPayload("XML root must be a non-empty <xml> element")
    fields: dict[str, str] = {}
    for name, value in root.items():
        if isinstance(value, list):
            raise MalformedPayload(f"XML field {name} is repeated")
        if value is None or isinstance(value, str):
            fields[name] = value or ""
    return fields


def required(fields: dict[str, str], name: str) -> str:
    """A field that must be present and non-empty."""
    value = fields.get(name, "")
    if not value:
        raise MalformedPayload(f"WeChat XML lacks the field {name}")
    return value
