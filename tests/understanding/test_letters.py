"""Long letters (issue kind 10): which question is the main one, and what the NLU is given.

Letters here are written for these tests (never copied from data/nlu/ or the conversation set).
"""

from understanding.letters import NLU_CHARS, condense, main_question, other_questions

STORY = "老伴前年中风，腿脚一直不利索，家里就靠我一个人种地，两个孩子还在上学。" * 5


def test_the_question_after_i_want_to_ask_is_the_main_one() -> None:
    letter = (
        "我是荣昌仁义镇的贫困户。"
        + STORY
        + "村里干部说可以来问问，但是我不晓得找哪个部门。"
        + "我想问一哈：医保目录外的药，扶贫济困医疗基金管不管？"
    )
    assert main_question(letter) == "我想问一哈：医保目录外的药，扶贫济困医疗基金管不管？"


def test_a_further_question_is_never_the_main_one_but_is_kept() -> None:
    letter = (
        "俺是固阳怀朔镇的建档立卡户。"
        + STORY
        + "想问问，帕金森一年最多能给报多少钱？"
        + "另外还想问一下，慢病的药是自己去拿还是有人送上门？"
    )
    assert main_question(letter) == "想问问，帕金森一年最多能给报多少钱？"
    assert other_questions(letter) == ["另外还想问一下，慢病的药是自己去拿还是有人送上门？"]


def test_a_request_for_a_person_wins_over_any_question() -> None:
    letter = (
        "我是南通海门的低收入户。"
        + STORY
        + "出院的时候好像多收了一千多块。医保到底报了多少？这个钱该找谁去说？"
    )
    assert "找谁去说" in main_question(letter)


def test_a_letter_without_punctuation_is_cut_at_its_spaces() -> None:
    letter = (
        "俺是固阳县的贫困户 "
        + " ".join(["老汉腰不好 地里的活都是俺干"] * 12)
        + " 俺就想问一句 贫困户在镇卫生院住院 自个儿到底出几成"
    )
    short = condense(letter)
    assert short.endswith("俺就想问一句 贫困户在镇卫生院住院 自个儿到底出几成")
    assert short.startswith("固阳县")


def test_a_rule_question_gets_who_and_where_but_no_bill() -> None:
    letter = (
        "我是如东的建档立卡低收入户，在县人民医院住过院，花了三万多。"
        + STORY
        + "我想知道：医保报完以后，医疗救助还能再给多少？"
    )
    short = condense(letter)
    assert len(short) <= NLU_CHARS
    assert "如东" in short and "建档立卡" in short
    assert "花了" not in short and "县人民医院" not in short


def test_a_calculation_gets_the_bill_told_elsewhere_in_the_letter() -> None:
    letter = (
        "我是海安的建档立卡户。公公骨折在县人民医院住了十天，单子上总费用是一万八千块。"
        + STORY
        + "请问这次住院我们自己最后要出多少钱？"
    )
    short = condense(letter)
    assert "县人民医院" in short and "花了一万八千" in short
    assert short.endswith("请问这次住院我们自己最后要出多少钱？")


def test_the_year_of_leaving_poverty_told_earlier_is_kept() -> None:
    letter = (
        "我们家2018年就脱贫了，住在南通通州。" + STORY + "我想问问，脱贫以后的政策还能享受几年？"
    )
    assert "2018年脱贫" in condense(letter)
