"""actions.clause_search: the right clause, and no confidence for small talk."""

import pytest

from actions.clause_search import EXTRA_MIN_SCORE, confident, detail, quote, search
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
    hit = confident(search("住院押金", Region("guyang")), "住院押金")
    assert hit is not None
    assert (hit.document.id, hit.clause.number) == ("guyang_2017", "五（四）3")


def test_bright_project_finds_the_national_clause() -> None:
    hit = confident(search("光明工程"), "光明工程")
    assert hit is not None
    assert (hit.document.id, hit.clause.number) == ("national_2016", "二（二）")


def test_the_residents_region_comes_first() -> None:
    assert search("家庭医生签约", Region("yancheng"))[0].document.id == "yancheng_2021"
    assert search("家庭医生签约", Region("rongchang"))[0].document.id == "rongchang_2017"


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


# ---- detail: the sentence answering what a topic's summary leaves out --------------------
# Questions written for these tests (never copied from data/nlu/ or the conversation set).


@pytest.mark.parametrize(
    ("question", "region", "clause", "fact"),
    [
        ("医疗扶贫救助基金总共有多少钱", Region("guyang"), "五（三）5", "1045万"),
        ("慢病要去哪里做鉴定", Region("guyang"), "五（四）1", "鉴定意见书"),
        ("医院乱开药过度治疗的钱谁出", Region("guyang"), "五（四）5", "由医疗机构承担"),
        ("2020年区内就诊率定的多少", Region("rongchang"), "一", "90%"),
        ("市里重点帮扶哪几个县", Region("yancheng"), "一（一）", "响水"),
    ],
)
def test_a_detail_question_gets_the_sentence_that_answers_it(
    question: str, region: Region, clause: str, fact: str
) -> None:
    found = detail(question, region)
    assert found is not None
    assert f"》{clause}：" in found and fact in found
    assert "年《" in found  # the document's year is named


@pytest.mark.parametrize(
    ("question", "region"),
    [
        ("住院报几成", Region("guyang")),
        ("低保户看病要交押金吗", Region("nantong")),
        # no region: the national guideline does not say who pays for over-treatment
        ("医院给乱开药那钱谁出", None),
    ],
)
def test_no_detail_for_a_question_no_sentence_answers(question: str, region: Region) -> None:
    assert detail(question, region) is None


def test_what_the_answer_already_says_adds_nothing() -> None:
    answer = "固阳县医疗扶贫救助基金：按照市、县1:1配套设立医疗扶贫救助基金，共计1045万。"
    assert detail("医疗扶贫救助基金总共有多少钱", Region("guyang"), answer) is None


def test_after_an_answer_one_rare_shared_word_is_enough() -> None:
    answer = "固阳县特殊慢性病共45种，每种有年度最高支付限额，贫困人口用药个人只负担5%。"
    question = "慢病药要自己去拿还是有人送"
    assert detail(question, Region("guyang"), answer) is None
    extra = detail(question, Region("guyang"), answer, EXTRA_MIN_SCORE)
    assert extra is not None and "上门服务" in extra
