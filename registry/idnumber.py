"""居民身份证号码 (GB 11643-1999): check digit, masking and finding numbers in free text.

Pure functions with no database import, so the gateway can redact text without a session.
"""

import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"

# An 18-digit number (last may be X) or a 15-digit one, not glued to other digits.
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")


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


def find_id_numbers(text: str) -> list[str]:
    """ID numbers in free text: valid 18-digit ones and any 15-digit (pre-1999) one."""
    found = []
    for match in _CANDIDATE.finditer(text):
        candidate = match.group(1)
        if len(candidate) == 15 or is_valid(candidate):
            found.append(candidate)
    return found


def mask_in_text(text: str) -> str:
    """The text with every ID number found by find_id_numbers shown masked."""
    for id_number in find_id_numbers(text):
        text = text.replace(id_number, mask(id_number))
    return text
