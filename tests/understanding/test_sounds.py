"""Region names typed with a wrong character of the same sound (understanding/sounds.py).

Found in a newcomer's trial: 「固羊」 was not read as 固阳, so the resident was asked 「您是哪个
地方的？」 again. Messages here are written for these tests.
"""

import pytest

from understanding.reader import read


def regions(text: str) -> list[tuple[str, str]]:
    """[(region id, the text it was read from)]."""
    return [(found.value, found.text) for found in read(text) if found.entity == "region"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one character of each region's name replaced by another of the same syllable
        ("固羊的贫困户住院能报多少", [("guyang", "固羊")]),
        ("我们故阳县的低保户", [("guyang", "故阳县")]),
        ("我是容昌的", [("rongchang", "容昌")]),
        ("严城 住院花了两万", [("yancheng", "严城")]),
        ("南同市的特困供养人员", [("nantong", "南同市")]),
        # a county-level place: the body misspelt, the 县/市 ending as written
        ("如冬县的老人吃药一年报多少", [("nantong", "如冬县")]),
        ("起东市医保", [("nantong", "起东市")]),
        # a county without its 县/市 ending, misspelt too
        ("海暗的低保户", [("nantong", "海暗")]),
        ("俺是阜凝的", [("yancheng", "阜凝")]),
        # a polyphonic typed character: 长 may be read chang
        ("荣长的贫困户", [("rongchang", "荣长")]),
    ],
)
def test_a_region_typed_with_a_homophone_is_read(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert regions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # real words that sound like a region: jieba's general dictionary knows them
        "男童住院报销多少",
        "手续冗长",
        "严惩骗保",
        # a stretch that cuts through real words: 不吃/东西 holds 吃东 (吃 may be read qi ~ 启东)
        "孩子不吃东西咋办",
        # a town is not matched by sound (too many short words sound like one: 金单 ~ 金山)
        "扶贫济困基金单次超多少才管",
        "金三镇",
        # 内 has an old reading na, but the name's 南 is read nan
        "国内通用的报销单",
        # two wrong characters are another word, not a slip
        "古羊肉汤",
    ],
)
def test_a_word_that_only_sounds_like_a_region_is_not_a_region(text: str) -> None:
    assert regions(text) == []


def test_a_correct_spelling_is_never_replaced_by_a_sound_alike() -> None:
    # 固阳 is found exactly; 严城 later in the message is not looked for.
    assert regions("固阳的，不是严城") == [("guyang", "固阳")]


def test_the_rest_of_the_message_is_still_read_around_a_misspelt_region() -> None:
    found = {f.entity: f.value for f in read("固羊县贫困户 住院花了4万6")}
    assert found == {
        "region": "guyang",
        "category": "poor",
        "setting": "inpatient",
        "amount": "46000",
    }
