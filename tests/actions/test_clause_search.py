"""actions.clause_search: the right clause, and no confidence for small talk."""

import pytest

from actions.clause_search import confident, quote, search
from settlement.identifiers import Region


def test_rongchang_poverty_fund_question_finds_its_clause() -> None:
    question = "荣昌的扶贫济困医疗基金怎么救助"
    hit = confident(search(question), question)
    assert hit is not None
    assert (hit.document.id, hit.clause.number) == ("rongchang_2017", "二（一）7")


def test_deposit_finds_a_treat_first_clause() -> None:
    top = search("住院押金")[0]
    assert "先诊疗" in top.clause.text


def test_deposit_is_confident_for_a_guyang_resident() -> None:
    hit = confident(search("住院押金", Region.GUYANG), "住院押金")
    assert hit is not None
    assert (hit.document.id, hit.clause.number) == ("guyang_2017", "五（四）3")


def test_bright_project_finds_the_national_clause() -> None:
    hit = confident(search("光明工程"), "光明工程")
    assert hit is not None
    assert (hit.document.id, hit.clause.number) == ("national_2016", "二（二）")


def test_the_residents_region_comes_first() -> None:
    assert search("家庭医生签约", Region.YANCHENG)[0].document.id == "yancheng_2021"
    assert search("家庭医生签约", Region.RONGCHANG)[0].document.id == "rongchang_2017"


@pytest.mark.parametrize(
    "question",
    ["今天天气怎么样", "asdf qwer zxcv", "啊啊啊啊", "养老金什么时候发", "帮我买火车票", ""],
)
def test_small_talk_and_gibberish_are_not_confident(question: str) -> None:
    assert confident(search(question), question) is None


def test_quote_cites_title_and_clause_and_drops_departments() -> None:
    question = "荣昌的扶贫济困医疗基金怎么救助"
    hit = confident(search(question), question)
    assert hit is not None
    text = quote(hit, question)
    assert text.startswith("根据《重庆市荣昌区健康扶贫工程实施方案》二（一）7：")
    assert "负责" not in text and len(text) <= 140
