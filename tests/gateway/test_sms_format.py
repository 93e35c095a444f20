"""gateway.channels.sms_format: segment counting, pagination, numbered quick replies."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.channels.sms_format import (
    MORE_SUFFIX,
    choice_for_reply,
    numbered_choices,
    paginate,
    segments,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # nothing to send
        ("", 0),
        # GSM-7: 160 septets fit one SMS…
        ("a" * 160, 1),
        # …one more and it is concatenated at 153 per part
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        # accented letters of the GSM basic set stay GSM-7
        ("é" * 160, 1),
        # an extension character (€ [ ] { } ~ ^ | \) costs two septets
        ("€" * 80, 1),
        ("€" * 81, 2),
        # an escape pair is never split: 152 + "[" cannot share the 153-septet first part
        ("a" * 152 + "[" + "a" * 152, 3),
        # Chinese is UCS-2: 70 alone, 67 per part
        ("中" * 70, 1),
        ("中" * 71, 2),
        ("中" * 134, 2),
        ("中" * 135, 3),
        # one Chinese character turns a whole ASCII text into UCS-2
        ("a" * 69 + "中", 1),
        ("a" * 159 + "中", 3),
        # an emoji is a surrogate pair (2 units) and is never split either
        ("中" * 69 + "😀", 2),
        ("中" * 66 + "😀" + "中" * 66, 3),
        # 'ç' (lower case) is not in the GSM set: UCS-2
        ("ç" * 71, 2),
    ],
)
def test_segments(text: str, expected: int) -> None:
    assert segments(text) == expected


POLICY = (
    "建档立卡贫困人口在县域内定点医疗机构住院实行先诊疗后付费，入院时不需缴纳住院押金。"
    "出院时只需支付个人自付部分。经基本医保、大病保险、医疗救助等报销后，"
    "个人自付比例控制在10%以内，年度自付费用不超过3,000元。"
)


def _body(page: str) -> str:
    return page.removesuffix(MORE_SUFFIX)


def test_short_answer_is_one_page_without_suffix() -> None:
    assert paginate("住院押金不用交。") == ["住院押金不用交。"]


def test_long_answer_is_cut_at_sentence_ends() -> None:
    text = POLICY * 4

    pages = paginate(text)

    assert len(pages) > 1
    assert all(page.endswith(MORE_SUFFIX) for page in pages[:-1])
    assert all(segments(page) <= 3 for page in pages)
    assert all(_body(page)[-1] in "。！？；\n，、" for page in pages[:-1])
    assert "".join(_body(page) for page in pages) == text


def test_a_number_is_never_cut() -> None:
    # Place an amount exactly where the page limit falls: 190 characters fit with the suffix.
    text = "好" * 185 + "12,345.67元" + "好" * 300

    first = _body(paginate(text)[0])

    assert first.endswith("好")
    assert "12,345.67元" in paginate(text)[1]


def test_one_segment_pages() -> None:
    pages = paginate("中" * 200, max_segments=1)

    assert all(segments(page) == 1 for page in pages)
    assert "".join(_body(page) for page in pages) == "中" * 200


def test_max_segments_must_be_positive() -> None:
    with pytest.raises(ValueError):
        paginate("中", max_segments=0)


_NUMBER = re.compile(r"\d+(?:[.,:/\-]\d+)*[%Xx]?")
_ALPHABET = st.sampled_from(
    list("住院门诊报销先诊疗后付费医保大病救助")
    + list("。！？；，、\n ")
    + list("0123456789.,%")
    + list("abcXYZ")
    + ["€", "[", "😀", "é"]
)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=900))
def test_pages_fit_and_restore_the_text(text: str) -> None:
    pages = paginate(text)

    assert all(segments(page) <= 3 for page in pages)
    assert all(page.endswith(MORE_SUFFIX) for page in pages[:-1])
    assert all(_body(page) for page in pages[:-1])  # every cut makes progress
    assert "".join(_body(page) for page in pages) == text
    cut = 0
    for page in pages[:-1]:
        cut += len(_body(page))
        inside = [m for m in _NUMBER.finditer(text) if m.start() < cut < m.end()]
        # only a number longer than a whole page may be cut
        assert all(m.end() - m.start() > 150 for m in inside)


BUTTONS = [("住院", "/ask_inpatient"), ("门诊", "/ask_outpatient"), ("慢病", "/ask_chronic")]


def test_numbered_choices() -> None:
    assert numbered_choices(BUTTONS[:2]) == "回复1 住院 回复2 门诊"


@pytest.mark.parametrize(
    ("reply", "payload"),
    [
        # plain digit
        ("1", "/ask_inpatient"),
        # surrounded by blanks
        (" 2 ", "/ask_outpatient"),
        # full-width digit from a Chinese keyboard
        ("３", "/ask_chronic"),
        # full-width digit with ideographic space and a full stop
        ("\u3000１。", "/ask_inpatient"),
        # Chinese numeral
        ("二", "/ask_outpatient"),
        # out of range
        ("4", None),
        ("0", None),
        # not a bare choice: a real message goes to the NLU
        ("1万", None),
        ("住院", None),
        ("", None),
    ],
)
def test_choice_for_reply(reply: str, payload: str | None) -> None:
    assert choice_for_reply(reply, BUTTONS) == payload


def test_every_rendered_choice_maps_back() -> None:
    rendered = numbered_choices(BUTTONS)

    numbers = re.findall(r"回复(\d+)", rendered)

    assert [choice_for_reply(n, BUTTONS) for n in numbers] == [p for _, p in BUTTONS]
