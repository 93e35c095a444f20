"""Normalising resident text, redacting ID numbers, and hashing sender ids.

The gateway applies, in this order: `normalize_text` → `redact_id_numbers` → `clip`.
Redaction runs before clipping so a cut can never leave the first digits of an ID number
behind; normalisation runs before redaction so full-width digits (１５０２…) are found too.
"""

import functools
import hashlib
import hmac
import re
from collections.abc import Callable
from typing import Protocol

from registry.idnumber import replace_id_numbers

# The most of one message the gateway keeps: far more than an SMS (1,600) or a WeChat text
# (2,048 bytes) can hold, and what the widget lets a cadre paste. A long letter is never
# refused: it is condensed for the NLU and kept whole for a person (gateway/letters.py);
# beyond this, only the rest is cut off, after redaction.
MAX_MESSAGE_CHARS = 8000

# Chinese sentence punctuation stays full-width. NFKC would turn ，？！：；（） into ASCII
# (but leave 。、「」“” alone), giving mixed text like "住院,能报多少?" that reads badly in
# replies that quote it, mismatches the NLU training data (written with Chinese punctuation),
# and hides the sentence ends that SMS pagination cuts at. Everything else in the full-width
# ASCII block (digits, letters, ．％＋－／ …) is mapped, so 「２．３万」 becomes "2.3万" and
# the ID-number finder sees ordinary digits.
_KEEP_FULL_WIDTH = "，！？：；（）"
_WIDTH_TABLE: dict[int, int | None] = {
    code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if chr(code) not in _KEEP_FULL_WIDTH
}
_WIDTH_TABLE[0x3000] = 0x20  # ideographic space
# Zero-width characters pasted from WeChat or web pages would split an ID number in two.
_WIDTH_TABLE.update({0x200B: None, 0x200C: None, 0x200D: None, 0xFEFF: None})

_WHITESPACE = re.compile(r"\s+")


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


@functools.cache
def _t2s() -> _Converter:
    """The OpenCC 繁→简 converter, built on first use (it reads dictionaries from disk)."""
    import opencc  # type: ignore[import-untyped]

    converter: _Converter = opencc.OpenCC("t2s")
    return converter


def to_half_width(text: str) -> str:
    """Full-width digits, letters and symbols → ASCII; Chinese sentence punctuation kept."""
    return text.translate(_WIDTH_TABLE)


def normalize_text(text: str) -> str:
    """Traditional → simplified, full-width → half-width, whitespace collapsed and trimmed.

    Residents in Hong Kong, Taiwan or with a traditional-script phone keyboard write 診療;
    the NLU is trained on simplified text. Newlines collapse too: the NLU sees one line.
    Callers should bound the raw input (e.g. 4 × MAX_MESSAGE_CHARS) before calling, since
    conversion is linear in the input.
    """
    simplified = _t2s().convert(to_half_width(text))
    return _WHITESPACE.sub(" ", simplified).strip()


def clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """At most `limit` characters; apply after redaction (see the module docstring)."""
    return text[:limit]


def redact_id_numbers(text: str, tokenize: Callable[[str], str]) -> str:
    """Replace every ID number (身份证号) by `tokenize(number)`, whole, however it is written.

    Finding is `registry.idnumber.find_id_numbers_in` (valid 18-character, any 15-digit;
    full-width digits, a lower-case x, blanks, U+3000, hyphens between groups of digits), so
    「1502 2219 5803 1500 24」 is replaced as one number, not left in pieces. A number glued to
    other digits or letters is not one. `tokenize` receives the canonical number (ASCII, no
    blanks, …x → …X), once per distinct number, so one person gets one token however the
    number was typed.
    """
    tokens: dict[str, str] = {}

    def token_for(number: str) -> str:
        if number not in tokens:
            tokens[number] = tokenize(number)
        return tokens[number]

    return replace_id_numbers(text, token_for)


def sender_key(raw: str, secret: bytes) -> str:
    """A stable pseudonym for a phone number or OpenID: "u_" + hex HMAC-SHA256.

    Keyed (not a bare hash) because phone numbers are few enough to enumerate: without the
    secret, nobody holding the logs or the Rasa tracker store can recover the number.
    """
    if not secret:
        raise ValueError("sender_key needs a non-empty secret")
    digest = hmac.new(secret, raw.strip().encode("utf-8"), hashlib.sha256).hexdigest()
    return "u_" + digest


# Characters XML 1.0 forbids even escaped (C0 controls but tab/newline/CR, lone surrogates,
# U+FFFE/U+FFFF): one in a reply would make the whole TwiML or WeChat XML unparseable.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry."""
    return _XML_INVALID.sub("", text)
