"""actions.numerals.parse_amount: every way residents write money."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from understanding.numerals import parse_amount

DIGITS = "零一二三四五六七八九"
FINANCIAL = str.maketrans("一二三四五六七八九十百千万", "壹贰叁肆伍陆柒捌玖拾佰仟萬")


def render_four(n: int) -> str:
    """0 < n < 10000 in standard Chinese numerals: 2005 → 二千零五, 230 → 二百三十."""
    out, zero = "", False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit_value % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[digit] + unit
    return out


def render(n: int) -> str:
    """1 ≤ n < 1亿: 23000 → 二万三千, 10080 → 一万零八十, 100003 → 十万零三."""
    high, low = divmod(n, 10000)
    if not high:
        text = render_four(low)
        return text[1:] if text.startswith("一十") else text  # 十二, not 一十二
    text = render(high) + "万"
    if low:
        text += ("零" if low < 1000 else "") + render_four(low)
    return text


@given(st.integers(min_value=1, max_value=99_999_999))
def test_chinese_numerals_parse_back(n: int) -> None:
    assert parse_amount(render(n)) == Decimal(n)


@given(st.integers(min_value=1, max_value=99_999_999))
def test_financial_numerals_parse_back(n: int) -> None:
    assert parse_amount(render(n).translate(FINANCIAL) + "元") == Decimal(n)


@given(st.integers(min_value=1, max_value=99_999_999))
def test_arabic_digits_with_separators_parse_back(n: int) -> None:
    assert parse_amount(f"{n:,}元") == Decimal(n)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("两万三", 23000),  # the tail digit counts in the next unit down
        ("2.3万", 23000),
        ("二万零五百元", 20500),
        ("一万二左右", 12000),  # 左右: an estimate is still the amount
        ("23000块", 23000),
        ("3千5", 3500),
        ("八百", 800),
        ("1.5w", 15000),
        ("10万多点", 100000),
        ("两千五百块钱", 2500),
        ("壹万贰仟", 12000),  # financial numerals
        ("2,300元", 2300),
        ("２３０００", 23000),  # full-width digits, if the gateway missed them
        ("一万零八十", 10080),  # 零 keeps the tail as written
        ("三万五千六", 35600),
        ("十万", 100000),
        ("十二万", 120000),
        ("0.8万", 8000),
        ("一百二", 120),
        ("3k", 3000),
        ("住院花了2.3万 自己掏多少", 23000),  # an amount inside a sentence
        ("2023年住院花了两万", 20000),  # a year is not money
        ("查一下住院花了两万", 20000),  # 一下 is a word, not one yuan
        ("住了15天花了8000元", 8000),  # days are not money
        ("1亿", 100_000_000),  # the largest accepted
    ],
)
def test_colloquial_forms(text: str, expected: int) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "今天天气怎么样",  # no amount
        "0元",  # zero is no bill
        "5亿",  # absurd
        "1亿零1",  # above 1亿
        "idtk0f3a9c2b71d4e5a6",  # a token's hex digits are not money
        "",
    ],
)
def test_refused(text: str) -> None:
    assert parse_amount(text) is None


def test_result_is_to_the_fen() -> None:
    assert parse_amount("1234.5元") == Decimal("1234.50")
    assert parse_amount("12.345元") is None  # a fraction of a fen is a typo, not an amount
