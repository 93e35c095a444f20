"""The conversation set (tests/conversations/): its shape, its sources, and that none of it is
ever trained on. Running it against the stack is `make eval-conversations` (bench/conversations).
"""

import re
from collections import Counter

from bench.conversations.cases import CASE_DIR, KINDS, Turn, judge, load_cases, mentions
from bench.nlu_report import examples

SOURCES = CASE_DIR / "sources.md"


def _normalised(texts: list[str]) -> set[str]:
    return {re.sub(r"[\s，。？！,.?!~、]", "", t) for t in texts}


def test_the_set_has_enough_cases_of_every_kind() -> None:
    cases = load_cases()
    assert len(cases) >= 250
    kinds = Counter(case.kind for case in cases)
    assert set(kinds) == set(KINDS)
    real = [case for case in cases if case.id.startswith("r-")]
    assert len(real) >= 100


def test_every_real_case_names_a_logged_public_source() -> None:
    logged = SOURCES.read_text(encoding="utf-8")
    for case in load_cases():
        if case.id.startswith("r-"):
            assert case.source.startswith("http"), case.id
            assert f"| {case.id} | {case.source} |" in logged, case.id


def test_no_conversation_message_is_in_the_training_data() -> None:
    training = _normalised([text for _, text in examples.training_examples()])
    said = _normalised([turn.user for case in load_cases() for turn in case.turns])
    assert sorted(said & training) == []


def test_numbers_are_matched_as_numbers() -> None:
    assert mentions("预计个人自付1150.00元。", "1150")
    assert not mentions("预计个人自付11500.00元。", "1150")
    assert mentions("一年最高支付50万元", "500000")
    assert mentions("一年最高支付500000元", "50万")
    assert mentions("报销比例80%", ["八成", "80%"])


def test_a_turn_fails_on_a_missing_or_a_forbidden_fact() -> None:
    turn = Turn("固阳门诊报几成", expect=("80%",), forbid=("一共花了多少钱",))
    assert judge(turn, "门诊报销比例由70%提高到80%").passed
    assert not judge(turn, "一共花了多少钱？").passed
    assert judge(turn, "一共花了多少钱？").missing == ["80%"]
