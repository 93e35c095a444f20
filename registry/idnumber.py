"""居民身份证号码 (GB 11643-1999): check digit, masking and finding numbers in free text.

Pure functions with no database import, so the gateway can redact text without a session.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def check_digit(first17: str) -> str:
    """GB 11643 校验码: ISO 7064 MOD 11-2 over the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize(id_number: str) -> str:
    """Upper-case the check character and drop surrounding blanks."""
    return id_number.strip().upper()


def is_valid(id_number: str) -> bool:
    """True for an 18-character number whose check digit is right (a date is not checked)."""
    value = normalize(id_number)
    if len(value) != 18 or not value[:17].isdigit():
        return False
    return check_digit(value[:17]) == value[17]


def explain_invalid(id_number: str) -> str | None:
    """A short Chinese reason why the number is not valid, or None when it is."""
    value = normalize(id_number)
    if len(value) != 18:
        return f"身份证号应为18位，实际{len(value)}位"
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "身份证号含有非法字符"
    if check_digit(value[:17]) != value[17]:
        return "身份证号校验位不正确"
    return None


def mask(id_number: str) -> str:
    """Show the first 6 and the last 4 characters only: 150222********1234."""
    value = normalize(id_number)
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(phone: str) -> str:
    """138****1111; a leading +86 is kept out of the visible part."""
    digits = phone.strip()
    if digits.startswith("+86"):
        digits = digits[3:]
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


@dataclass(frozen=True)
class Found:
    """One ID number in a text: `text[start:end]` as written, `number` canonical (18 or 15
    ASCII characters, check letter upper-case)."""

    start: int
    end: int
    number: str


# Written forms people use: full-width digits and X (１５０２…Ｘ), and between groups of digits
# blanks (ASCII, no-break, ideographic U+3000, tabs), zero-width characters, or hyphens.
# The table maps one character to one character, so positions in the translated text are
# positions in the original.
_WIDTH = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}  # ０-９
_WIDTH.update({code: code - 0xFEE0 for code in range(0xFF21, 0xFF5B) if chr(code).isalpha()})
_SEPARATOR = r"[ \t\n\r\u00a0\u3000\u200b\u200c\u200d\ufeff\-\uff0d]{1,3}"
# Maximal runs of ASCII letters and digits: an ID number is a whole run or several whole runs.
_WORD = re.compile(r"[0-9A-Za-z]+")
_DIGITS = re.compile(r"[0-9]+[Xx]?")
_SEPARATOR_ONLY = re.compile(_SEPARATOR)


def _plausible_date(yymmdd: str) -> bool:
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31


def _groups(text: str) -> list[list[re.Match[str]]]:
    """Runs of digit groups joined by separators only ("1502 2219 …"), each group a whole
    word: a group glued to letters (an order number, a token) ends the run and is no ID."""
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    for word in _WORD.finditer(text):
        numeric = _DIGITS.fullmatch(word.group()) is not None
        joined = bool(current) and _SEPARATOR_ONLY.fullmatch(text, current[-1].end(), word.start())
        if numeric and (joined or not current):
            current.append(word)
            continue
        if current:
            runs.append(current)
        current = [word] if numeric else []
    if current:
        runs.append(current)
    return runs


def _candidate(groups: list[re.Match[str]]) -> str | None:
    """The canonical ID number these whole groups spell, or None.

    One group: a valid 18-character number or any 15-digit one (as before separators were
    read). Several groups: a valid 18-character number, or 15 digits whose birth date
    (characters 7–12, YYMMDD) could be one, so a list of amounts is not taken for an ID.
    """
    value = "".join(group.group() for group in groups).upper()
    if len(value) == 18 and is_valid(value):
        return value
    if len(value) == 15 and value.isdigit():
        return value if len(groups) == 1 or _plausible_date(value[6:12]) else None
    return None


def find_id_numbers_in(text: str) -> list[Found]:
    """Every ID number in free text, however it is written, left to right, not overlapping.

    Found: valid 18-character numbers and 15-digit (pre-1999) ones, written with full-width
    digits, a lower-case x, or blanks, ideographic spaces (U+3000), zero-width characters or
    hyphens between groups of digits (「1502 2219 5803 1500 24」, 「150222 19580315002x」).
    A number must stand alone: glued to other letters or digits it is not one.
    """
    plain = text.translate(_WIDTH)
    found: list[Found] = []
    for run in _groups(plain):
        i = 0
        while i < len(run):
            match = _longest_from(run, i)
            if match is None:
                i += 1
                continue
            j, number = match
            found.append(Found(run[i].start(), run[j].end(), number))
            i = j + 1
    return found


def _longest_from(run: list[re.Match[str]], i: int) -> tuple[int, str] | None:
    """(last group, number) of the ID starting at group i, preferring 18 characters to 15."""
    best: tuple[int, str] | None = None
    length = 0
    for j in range(i, len(run)):
        length += len(run[j].group())
        if length > 18:
            break
        number = _candidate(run[i : j + 1])
        if number is not None and (best is None or len(number) > len(best[1])):
            best = (j, number)
    return best


def find_id_numbers(text: str) -> list[str]:
    """The canonical forms of the ID numbers in free text (see `find_id_numbers_in`)."""
    return [found.number for found in find_id_numbers_in(text)]


def replace_id_numbers(text: str, replacement: Callable[[str], str]) -> str:
    """The text with each ID number found, as written, replaced by `replacement(number)`;
    `number` is canonical (no blanks, ASCII, check letter upper-case)."""
    pieces: list[str] = []
    last = 0
    for found in find_id_numbers_in(text):
        pieces += [text[last : found.start], replacement(found.number)]
        last = found.end
    pieces.append(text[last:])
    return "".join(pieces)


def mask_in_text(text: str) -> str:
    """The text with every ID number, however written, shown masked (150222********1234)."""
    return replace_id_numbers(text, mask)
