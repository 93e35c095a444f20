"""Issue kind 10: a long letter is condensed for the NLU, its facts kept, phones masked."""

from gateway.letters import NLU_CHARS, condense, mask_phones

LETTER = (
    "领导好，我是固阳县兴顺西镇的建档立卡贫困户，家里情况比较难。"
    + "老伴常年卧病在床，孩子在外打工，一年到头也攒不下几个钱。" * 8
    + "今年老伴在县医院住了半个月。请问住院花了两万三，最后自己要掏多少钱？"
)


def test_a_short_message_is_left_alone() -> None:
    assert condense("住院能报几成") == "住院能报几成"


def test_a_letter_keeps_its_question_and_the_facts_named_earlier() -> None:
    short = condense(LETTER)
    assert len(short) <= NLU_CHARS
    assert short.endswith("请问住院花了两万三，最后自己要掏多少钱？")
    assert short.startswith("固阳县")  # the region, named only at the start of the letter
    assert "建档立卡贫困户" in short


def test_phone_numbers_in_a_letter_are_masked() -> None:
    assert mask_phones("有事打我电话13812345678谢谢") == "有事打我电话138****5678谢谢"
