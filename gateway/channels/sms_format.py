"""SMS length rules and the SMS rendering of long answers and quick replies, for any provider.

Segment sizes (3GPP TS 23.038 / 23.040): a message that fits the GSM 7-bit alphabet holds 160
septets alone, 153 per part when concatenated (7 go to the UDH); anything else (all Chinese)
is sent as UCS-2: 70 UTF-16 code units alone, 67 per part. GSM extension characters take two
septets (escape + char) and, like a UTF-16 surrogate pair, are never split across parts, so a
part may carry one unit less than its capacity.
"""

import re
import unicodedata

from gateway.text import to_half_width

# GSM 03.38 basic character set (one septet each); ESC (0x1B) is not a printable character.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# GSM 03.38 extension table (escape + char: two septets each).
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

MORE_SUFFIX = "\n回复“更多”看下一页"

_SENTENCE_END = frozenset("。！？；\n")
_CLAUSE_END = frozenset("，、：,;: ")
# A number is a run of digits with inner separators (2.3, 1,000, 2024-01-01, 50%, …123X);
# a page break inside one would turn "12,000元" into "12," and "000元".
_NUMBER = re.compile(r"\d+(?:[.,:/\-]\d+)*[%Xx]?")


def is_gsm7(text: str) -> bool:
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def _units(text: str) -> list[int]:
    """The size of each character in its encoding's units (septets or UTF-16 code units)."""
    if is_gsm7(text):
        return [2 if ch in GSM_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segments(text: str) -> int:
    """How many SMS parts `text` is billed as; 0 for the empty string."""
    units = _units(text)
    single, multi = (160, 153) if is_gsm7(text) else (70, 67)
    if sum(units) <= single:
        return 1 if units else 0
    parts, room = 1, multi
    for size in units:
        if size > room:  # an escape pair or surrogate pair is never split
            parts, room = parts + 1, multi
        room -= size
    return parts


def _fits(page: str, max_segments: int) -> bool:
    return segments(page) <= max_segments


def _longest_fit(text: str, start: int, max_segments: int) -> int:
    """The largest end such that text[start:end] + MORE_SUFFIX fits (binary search:
    `segments` never decreases as characters are appended)."""
    # No page can hold more than 160 characters per part (GSM-7, one part), which bounds the
    # search window and keeps long answers linear.
    low, high = start, min(len(text), start + 160 * max_segments)
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(text[start:middle] + MORE_SUFFIX, max_segments):
            low = middle
        else:
            high = middle - 1
    return low


def _inside_number(text: str) -> set[int]:
    """Cut positions that would fall strictly inside a number."""
    return {i for m in _NUMBER.finditer(text) for i in range(m.start() + 1, m.end())}


def _choose_cut(text: str, start: int, limit: int, forbidden: set[int]) -> int:
    """Prefer a sentence end, then a clause end, in the second half of the page; else the
    furthest position not inside a number; else `limit` (a number longer than a page)."""
    allowed = [i for i in range(limit, start, -1) if i not in forbidden]
    half = start + (limit - start) // 2
    for ends in (_SENTENCE_END, _CLAUSE_END):
        for i in allowed:
            if i <= half:
                break
            if text[i - 1] in ends:
                return i
    return allowed[0] if allowed else limit


def paginate(text: str, max_segments: int = 3) -> list[str]:
    """Cut `text` into pages of at most `max_segments` SMS parts each, MORE_SUFFIX included.

    Every page but the last ends with MORE_SUFFIX; removing it and joining the pages gives
    `text` back exactly. A later step stores the remaining pages for the reply "更多".
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    forbidden = _inside_number(text)
    pages: list[str] = []
    start = 0
    while not _fits(text[start:], max_segments):
        limit = _longest_fit(text, start, max_segments)
        if limit == start:  # MORE_SUFFIX alone would not fit: cannot happen for max ≥ 1
            raise ValueError("max_segments too small for the page suffix")
        cut = _choose_cut(text, start, limit, forbidden)
        pages.append(text[start:cut] + MORE_SUFFIX)
        start = cut
    pages.append(text[start:])
    return pages


_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_REPLY = re.compile(r"([0-9]+)[.。,，!！]?")


def numbered_choices(buttons: list[tuple[str, str]]) -> str:
    """Quick replies for SMS, where there are no buttons: 回复1 住院 回复2 门诊.

    `buttons` are (title, payload) pairs, in the order shown.
    """
    return " ".join(f"回复{number} {title}" for number, (title, _) in enumerate(buttons, 1))


def choice_for_reply(reply: str, buttons: list[tuple[str, str]]) -> str | None:
    """The payload of the button a reply like "2", "２", " 2 ", "2。" or "二" picks, else None."""
    cleaned = unicodedata.normalize("NFKC", to_half_width(reply)).strip()
    if cleaned in _CHINESE_DIGITS:
        number = _CHINESE_DIGITS[cleaned]
    elif match := _REPLY.fullmatch(cleaned):
        number = int(match.group(1))
    else:
        return None
    if 1 <= number <= len(buttons):
        return buttons[number - 1][1]
    return None
