"""gateway.text: normalisation, ID-number redaction, sender pseudonyms."""

import subprocess
import sys

import pytest

from gateway.text import (
    MAX_MESSAGE_CHARS,
    clip,
    normalize_text,
    redact_id_numbers,
    sender_key,
    xml_safe,
)

VALID_18 = "150222198001011237"
VALID_18_X = "11010519491231002X"
INVALID_CHECKSUM_18 = "150222198001011230"
OLD_15 = "150222800101123"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # traditional → simplified, the question from the brief
        ("先診療後付費是什麼", "先诊疗后付费是什么"),
        # full-width digits and full stop inside an amount
        ("報銷了２．３万", "报销了2.3万"),
        # full-width letters and percent
        ("ＤＲＧ付费９０％", "DRG付费90%"),
        # Chinese sentence punctuation is kept full-width (readable, matches NLU data)
        ("住院，能报多少？（县医院）！", "住院，能报多少？（县医院）！"),
        # 。、「」“” were never in the full-width ASCII block and stay
        ("「慢病」、“门诊”。", "「慢病」、“门诊”。"),
        # ideographic space, tabs and newlines collapse to one space; ends trimmed
        ("\u3000 住院\t\n  门诊 \u3000", "住院 门诊"),
        # zero-width characters disappear (they would split an ID number)
        ("1502\u200b22", "150222"),
        # plain ASCII is untouched
        ("Hello 123", "Hello 123"),
        # empty stays empty
        ("", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_full_width_id_number_becomes_findable_after_normalisation() -> None:
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in VALID_18)

    redacted = redact_id_numbers(normalize_text(f"我的身份证{full_width}"), lambda _: "<ID>")

    assert redacted == "我的身份证<ID>"


def test_opencc_is_not_loaded_at_import_time() -> None:
    code = "import sys, gateway.text; print('opencc' in sys.modules)"

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"


def _token(number: str) -> str:
    return f"<ID:{number[-4:]}>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a valid 18-digit number is replaced
        (f"身份证号{VALID_18}查一下", "身份证号<ID:1237>查一下"),
        # an 18-digit number with a wrong check digit is not an ID: left alone
        (f"单号{INVALID_CHECKSUM_18}", f"单号{INVALID_CHECKSUM_18}"),
        # a 15-digit (pre-1999) number is replaced
        (f"老证{OLD_15}", f"老证<ID:{OLD_15[-4:]}>"),
        # a lower-case check letter is found and tokenised upper-case
        (f"{VALID_18_X.lower()}", "<ID:002X>"),
        # IDs glued to Chinese characters on both sides, twice in one message
        (f"我{VALID_18}和他{VALID_18}", "我<ID:1237>和他<ID:1237>"),
        # ID at the very start and end, separated by a space
        (f"{VALID_18} {OLD_15}", f"<ID:1237> <ID:{OLD_15[-4:]}>"),
        # digits glued to letters are not an ID (order numbers, etc.)
        (f"NO{VALID_18}", f"NO{VALID_18}"),
        # a 15-digit ID that is also the prefix of a longer, invalid (checksum) number
        (f"{OLD_15} 和 {OLD_15}000", f"<ID:{OLD_15[-4:]}> 和 {OLD_15}000"),
        # a phone number (11 digits) is not an ID
        ("电话13800138000", "电话13800138000"),
    ],
)
def test_redact_id_numbers(text: str, expected: str) -> None:
    assert redact_id_numbers(text, _token) == expected


def test_redact_passes_each_distinct_number_once_and_token_is_literal() -> None:
    seen: list[str] = []

    def tokenize(number: str) -> str:
        seen.append(number)
        return r"tok\1"  # a backslash must not be read as a regex group reference

    redacted = redact_id_numbers(f"{VALID_18},{VALID_18}", tokenize)

    assert redacted == r"tok\1,tok\1"
    assert seen == [VALID_18]


def test_clip_keeps_at_most_the_limit() -> None:
    assert clip("住" * (MAX_MESSAGE_CHARS + 10)) == "住" * MAX_MESSAGE_CHARS
    assert clip("短") == "短"


@pytest.mark.parametrize(
    ("raw", "same_as"),
    [
        # surrounding blanks do not change the pseudonym
        (" +8613800138000 ", "+8613800138000"),
        # an OpenID works the same way
        ("oyORnuP8q7ou2gfYjqLzSIWZf0rs", "oyORnuP8q7ou2gfYjqLzSIWZf0rs"),
    ],
)
def test_sender_key_is_stable(raw: str, same_as: str) -> None:
    assert sender_key(raw, b"k") == sender_key(same_as, b"k")


def test_sender_key_shape_and_secrecy() -> None:
    key = sender_key("+8613800138000", b"secret-1")

    assert key.startswith("u_") and len(key) == 2 + 64
    assert "13800138000" not in key
    assert key != sender_key("+8613800138000", b"secret-2")  # keyed, not a bare hash
    assert key != sender_key("+8613800138001", b"secret-1")


def test_sender_key_refuses_an_empty_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        sender_key("+8613800138000", b"")


def test_xml_safe_drops_control_characters_only() -> None:
    assert xml_safe("住\x00院\x1b\t\n费") == "住院\t\n费"
