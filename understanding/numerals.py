"""Money as residents write it: 两万三, 2.3万, 二万零五百元, 3千5, 1.5w, 壹万贰仟, 2,300元.

`parse_amount` reads the first amount in a message and refuses what cannot be a medical bill
(nothing, negative, 0, more than 1亿); the form turns None into a polite question. A sign
before the number (-5000, 负五千, 减两万) makes it negative, so 「花了负五千」 is refused, never
read as 5000. Pure functions only (stdlib; runs in the Rasa environment too, Python 3.10).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")
# Above 1亿 a "medical bill" is a typo or a joke; EstimateRequest also caps digits at 12.
MAX_AMOUNT = Decimal(100_000_000)

# 大写 financial numerals and colloquial spellings, mapped onto the plain digits and units.
_FOLD = str.maketrans(
    {
        "壹": "一", "贰": "二", "貳": "二", "叁": "三", "參": "三", "肆": "四", "伍": "五",
        "陆": "六", "陸": "六", "柒": "七", "捌": "八", "玖": "九", "拾": "十", "佰": "百",
        "仟": "千", "萬": "万", "億": "亿", "两": "二", "兩": "二", "俩": "二", "〇": "零",
        "洞": "零",
    }
)  # fmt: skip
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}

# A run of digits, Chinese numerals and units; commas only between digits (2,300).
_SPAN = re.compile(r"(?:\d+(?:,\d{3})*(?:\.\d+)?|[零一二三四五六七八九十百千万亿])+")
# 1.5w and 3k only right after a digit: elsewhere a Latin letter is part of a word or a token.
_LATIN_UNIT = re.compile(r"(?<=\d)([wWkK])(?![A-Za-z])")
_LATIN_UNITS = {"w": "万", "k": "千"}
# A number followed by one of these counts days, years, people… not yuan.
_NOT_MONEY_AFTER = re.compile(
    r"^\s*(?:年|月|日|号|天|岁|次|个(?!人)|种|人|级|%|％|分之|分钟|周|小时|点钟"
    r"|来[天年月岁个次周]|多[天年月岁个次周了]|几[天年月岁个次]"
    r"|(?:来|多|几)?(?:只|头|亩|口|斤|公斤|公里|米|床|张|间|名|位|遍|趟|样|盒|瓶|片|粒|支|针|疗程|辆|棵|袋))"
)
# 「加一块」「凑一块儿」: together, not one yuan.
_TOGETHER = re.compile(r"(?:加|合|凑|放|搁|在|到|算)$")
_MONEY_AFTER = re.compile(r"^\s*(?:元|块|圆|钱)")
_FILLER = re.compile(r"(?<=[0-9零一二三四五六七八九十百千])个(?=[万亿])")
# A minus sign or 负/减 right before the number (spaces aside).
_SIGN_BEFORE = re.compile(r"(?:-|－|−|负|减)\s*$")


@dataclass(frozen=True)
class AmountSpan:
    """An amount found in a text: its value in yuan (signed) and where it stands."""

    value: Decimal
    start: int
    end: int


def parse_amount(text: str) -> Decimal | None:
    """The amount in yuan, to the fen, or None when there is none or it is absurd (0, > 1亿)."""
    value = read_amount(text)
    if value is None or value <= 0 or value > MAX_AMOUNT:
        return None
    return value


def read_amount(text: str) -> Decimal | None:
    """The first amount in the text without any plausibility check (0, -5000 and 5亿 included)."""
    span = find_amount(text)
    return span.value if span is not None else None


def find_amount(text: str) -> AmountSpan | None:
    """The amount in the text and its span: one marked 元/块 wins, otherwise the first one.

    Spans are positions in `text` (NFKC folding keeps one character for one).
    """
    folded = unicodedata.normalize("NFKC", text)
    if len(folded) != len(text):
        folded = text
    folded = folded.translate(_FOLD)
    folded = _LATIN_UNIT.sub(lambda m: _LATIN_UNITS[m.group(1).lower()], folded)
    # 一千个亿 / 三百个万: the 个 between a number and its unit is colloquial filler. 零 keeps
    # the length (spans stay positions in `text`) and adds nothing to the value.
    folded = _FILLER.sub("零", folded)
    candidates: list[tuple[int, AmountSpan]] = []
    for match in _SPAN.finditer(folded):
        span, after = match.group(), folded[match.end() :]
        before = folded[: match.start()]
        # Digits glued to Latin letters belong to a token (idtk0f3a…), never to an amount.
        if re.search(r"[A-Za-z]$", before) or re.match(r"[A-Za-z]", after):
            continue
        if _NOT_MONEY_AFTER.match(after):
            continue
        # 几十万 / 好几万: a rough size, not an amount.
        if before.endswith("几"):
            continue
        # A Chinese digit without a unit is usually a word (一下, 一站式); it is an amount only
        # when it is the whole answer (五) or is followed by 元/块 (五块).
        has_arabic = any(c.isdigit() for c in span)
        bare = not has_arabic and not any(c in span for c in "十百千万亿")
        # 千 or 万 with no number (「几千」「上万」) is no amount; nor is a lone 十 inside a
        # word (红十字会) unless 元/块 follows or it is the whole answer.
        if not has_arabic and not any(c in span for c in "零一二三四五六七八九十"):
            continue
        if span == "十" and not (_MONEY_AFTER.match(after) or folded.strip() == span):
            continue
        if bare and not (_MONEY_AFTER.match(after) or folded.strip() == span):
            continue
        if (
            bare
            and after.startswith("块")
            and _TOGETHER.search(before)
            and not after.startswith("块钱")
        ):
            continue
        value = _span_value(span.replace(",", ""))
        if value is None:
            continue
        start = match.start()
        sign = _SIGN_BEFORE.search(before)
        if sign is not None:
            value, start = -value, sign.start()
        rank = 0 if _MONEY_AFTER.match(after) else 1
        candidates.append((rank, AmountSpan(value, start, match.end())))
    if not candidates:
        return None
    return min(candidates, key=lambda item: item[0])[1]


def _tokens(span: str) -> list[Decimal | str] | None:
    """Numbers (Arabic or one Chinese digit) and unit characters, in order."""
    tokens: list[Decimal | str] = []
    for match in re.finditer(r"\d+(?:\.\d+)?|.", span):
        piece = match.group()
        if piece[0].isdigit():
            try:
                tokens.append(Decimal(piece))
            except InvalidOperation:
                return None
        elif piece in _DIGITS:
            tokens.append(piece if piece == "零" else Decimal(_DIGITS[piece]))
        else:
            tokens.append(piece)
    return tokens


def _span_value(span: str) -> Decimal | None:
    """Value of one span: 二万零五百 → 20500, 两万三 → 23000 (the trailing digit is 3千)."""
    tokens = _tokens(span)
    if not tokens:
        return None
    total = Decimal(0)  # whole 亿 and 万 groups already closed
    section = Decimal(0)  # the group below the next 万/亿
    pending: Decimal | None = None
    last_unit = 1  # the unit just used, for the colloquial tail (一万二 → 2 × 1000)
    zero_gap = False  # 零 before the tail: 一万零八 is 10008, not 18000
    for token in tokens:
        if isinstance(token, Decimal):
            if pending is not None:
                return None  # two numbers in a row (二三) is not an amount
            pending = token
        elif token == "零":
            zero_gap = True
        elif token in _SMALL_UNITS:
            unit = _SMALL_UNITS[token]
            section += (Decimal(1) if pending is None else pending) * unit
            pending, last_unit, zero_gap = None, unit, False
        else:
            unit = _BIG_UNITS[token]
            group = section + (pending or 0)
            if group == 0 and total == 0:
                group = Decimal(1)  # 万 alone
            if unit > 10_000:
                total = (total + group) * unit
            else:
                total += group * unit
            section, pending, last_unit, zero_gap = Decimal(0), None, unit, False
    if pending is not None:
        # 两万三 / 3千5 / 一百二: a bare digit after a unit counts in the next unit down.
        tail_unit = 1 if zero_gap or last_unit == 1 else last_unit // 10
        section += pending * tail_unit
    value = total + section
    exact = value.quantize(CENT)
    return exact if exact == value else None
