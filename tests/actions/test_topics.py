"""action_answer_topic: per-region answers with clauses; ask the region once, then answer."""

from actions.context import region_buttons
from actions.sdk import SlotSet
from actions.topics import ASK_REGION, NO_FIGURE, OFFER, ActionAnswerTopic
from tests.actions.helpers import entity, message, run, text_message, tracker

POVERTY_FUND_RONGCHANG = (
    "荣昌区扶贫济困医疗基金：农村贫困人口医保目录外费用单次超过3000元的，在不超过总费用30%以内"
    "分段分档救助，每人每年最多5万元。（2017年《重庆市荣昌区健康扶贫工程实施方案》二（一）7）"
    "这是2017年的文件，现行规定以当地医保经办机构为准。"
)


def test_topic_answered_for_the_region_in_the_message() -> None:
    latest = message("荣昌的兜底基金咋报", "ask_poverty_fund", [entity("region", "rongchang")])
    events, messages = run(ActionAnswerTopic(), tracker(latest))
    assert events == [SlotSet("region", "rongchang")]
    assert messages == [text_message(POVERTY_FUND_RONGCHANG)]


def test_topic_answered_for_the_region_in_the_slot() -> None:
    latest = message("住院要交押金吗", "ask_treat_first")
    events, messages = run(ActionAnswerTopic(), tracker(latest, {"region": "guyang"}))
    assert events == []
    assert messages == [
        text_message(
            "固阳县贫困人口在全县14所定点医疗机构看病实行“先诊疗、后结算”，入院不用交住院押金，"
            "出院时只付个人5%的自费部分。（2017年《固阳县贫困人口医疗救助实施方案》五（四）3）"
            "这是2017年的文件，现行规定以当地医保经办机构为准。"
        )
    ]


def test_silent_region_gets_the_national_rule_said_to_be_national() -> None:
    latest = message("两癌筛查", "ask_women_children")
    _, messages = run(ActionAnswerTopic(), tracker(latest, {"region": "nantong"}))
    assert messages[0]["text"].startswith("南通市文件没有写妇幼健康项目。国家规定：")
    assert messages[0]["text"].endswith(
        "（2016年《关于实施健康扶贫工程的指导意见》二（八））"
        # screening is a health service: the health authority knows today's rule
        "这是2016年的文件，现行规定以当地卫生健康部门为准。"
    )


def test_region_independent_topic_needs_no_region() -> None:
    latest = message("先诊疗后付费咋弄", "ask_treat_first")
    events, messages = run(ActionAnswerTopic(), tracker(latest))
    assert events == []
    assert messages[0]["text"].startswith("先诊疗后付费：贫困患者在县域内定点医疗机构住院")


def test_region_dependent_topic_asks_once_then_answers_when_the_region_arrives() -> None:
    # Turn 1: no region anywhere → one question with buttons, the topic remembered.
    ask = message("扶贫济困医疗基金咋申请", "ask_poverty_fund")
    events, messages = run(ActionAnswerTopic(), tracker(ask))
    assert events == [SlotSet("requested_topic", "poverty_fund")]
    assert messages == [text_message(ASK_REGION, region_buttons())]
    # Turn 2: the button's payload gives the region → the waiting topic is answered.
    answer = message('/inform{"region":"rongchang"}', "inform", [entity("region", "rongchang")])
    state = tracker(answer, {"requested_topic": "poverty_fund"})
    events, messages = run(ActionAnswerTopic(), state)
    assert events == [SlotSet("region", "rongchang"), SlotSet("requested_topic", None)]
    assert messages == [text_message(POVERTY_FUND_RONGCHANG)]


def test_asked_once_and_still_no_region_gives_the_national_answer() -> None:
    latest = message("不知道", "inform")
    events, messages = run(ActionAnswerTopic(), tracker(latest, {"requested_topic": "premium"}))
    assert events == [SlotSet("requested_topic", None)]
    assert messages[0]["text"].startswith("国家规定：农村贫困人口参加新型农村合作医疗")
    assert messages[0]["text"].endswith("告诉我您所在地区，可以查当地规定。")


def test_guyang_disease_gets_its_own_cap() -> None:
    latest = message("高血压能报吗", "ask_chronic_disease", [entity("disease", "高血压")])
    _, messages = run(ActionAnswerTopic(), tracker(latest, {"region": "guyang"}))
    assert messages == [
        text_message(
            "固阳县45种特殊慢性病名单里有：高血压二级及以上年度最高支付限额1500元，"
            "贫困人口用药个人只负担5%。（2017年《固阳县贫困人口医疗救助实施方案》附件）"
        )
    ]


def test_a_rule_question_is_answered_by_its_cue_words_with_an_offer_to_calculate() -> None:
    # Issue kind 1: 「门诊报几成」 asks about rates whatever topic the classifier picked.
    latest = message("固阳贫困户村卫生室看门诊报几成", "ask_coverage", [entity("region", "guyang")])
    _, messages = run(ActionAnswerTopic(), tracker(latest))
    text = messages[0]["text"]
    assert "县级及以下门诊报销比例由70%提高到80%" in text
    assert text.endswith(OFFER)


def test_a_cap_question_gets_the_annual_total() -> None:
    latest = message("固阳贫困户一年报销有没有上限", "ask_deductible", [entity("region", "guyang")])
    _, messages = run(ActionAnswerTopic(), tracker(latest))
    assert "最高支付50万元" in messages[0]["text"]


def test_a_disease_named_in_a_cap_question_gets_its_annex_cap() -> None:
    # Issue kind 4: 「帕金森吃药一年封顶多少」 is answered from the annex (4800), never refused.
    latest = message(
        "固阳 帕金森吃药一年封顶多少",
        "ask_chronic_disease",
        [entity("region", "guyang"), entity("disease", "帕金森氏综合征")],
    )
    _, messages = run(ActionAnswerTopic(), tracker(latest))
    assert "帕金森氏综合征年度最高支付限额4800元" in messages[0]["text"]


def test_diabetes_without_saying_insulin_gets_both_rows() -> None:
    latest = message("固阳糖尿病慢病限额", "ask_chronic_disease", [entity("disease", "糖尿病")])
    _, messages = run(ActionAnswerTopic(), tracker(latest, {"region": "guyang"}))
    assert "糖尿病（注射胰岛素治疗）年度最高支付限额4300元" in messages[0]["text"]
    assert "糖尿病非注射胰岛素治疗年度最高支付限额1500元" in messages[0]["text"]


def test_the_documents_give_no_deductible_amount_and_the_answer_says_so() -> None:
    # Issue kind 9: the 50% cut is not an amount; say where to ask.
    latest = message("固阳县医院住院起付线是多少钱", "ask_deductible", [entity("region", "guyang")])
    _, messages = run(ActionAnswerTopic(), tracker(latest))
    assert "文件没有写起付线的具体金额，以县医保经办机构为准" in messages[0]["text"]


def test_a_registered_resident_asking_about_themselves_is_verified_first() -> None:
    # Issue kind 7: the personal answer (category, disability, caps) beats asking the region.
    from actions.sdk import FollowupAction
    from actions.topics import VERIFY_FIRST
    from tests.actions.fakes import FakeRegistry, guyang_resident

    registry = FakeRegistry(senders={"stk_a1": guyang_resident()})
    latest = message(
        "我住院是不是不用交起付线",
        "ask_deductible",
        metadata={"channel": "sms", "sender_token": "stk_a1"},
    )
    events, messages = run(ActionAnswerTopic(registry), tracker(latest))
    assert events == [FollowupAction("verify_form")]
    assert messages == [text_message(VERIFY_FIRST)]


def test_a_question_for_a_figure_the_documents_do_not_give_is_told_so() -> None:
    # Issue kind 9: 「能给好多钱」 about a fund the document names without an amount.
    from actions.topics import NO_FIGURE

    latest = message(
        "荣昌 临时救助 能给好多", "ask_medical_assistance", [entity("region", "rongchang")]
    )
    _, messages = run(ActionAnswerTopic(), tracker(latest))
    assert NO_FIGURE in messages[0]["text"]


def test_a_question_about_the_national_document_is_answered_nationally() -> None:
    # Issue kind 11: 「国家…文件是哪一年出的」 needs no region, and the answer names the year.
    latest = message("国家那个健康扶贫文件说住院报销比例提高吗", "ask_deductible")
    events, messages = run(ActionAnswerTopic(), tracker(latest))
    assert events == []
    assert "2016年《关于实施健康扶贫工程的指导意见》" in messages[0]["text"]


def test_a_year_of_leaving_poverty_gets_the_continuation_worked_out_for_today() -> None:
    # Kind 11: 南通's 延续二年 (三（三）) from 2019 ended with 2021; today is later.
    latest = message(
        "南通 俺家2019年脱贫了 今年住院还能享受不", "ask_after_exit", [entity("region", "nantong")]
    )
    _, messages = run(ActionAnswerTopic(), tracker(latest))
    assert "2019年脱贫的，2年延续期已于2021年底结束（三（三））" in messages[0]["text"]


def test_a_yancheng_answer_says_its_transition_is_over() -> None:
    latest = message(
        "盐城低收入户住院还要交押金吗", "ask_treat_first", [entity("region", "yancheng")]
    )
    _, messages = run(ActionAnswerTopic(), tracker(latest))
    assert "文件定的过渡期已于2025年底结束" in messages[0]["text"]


def test_a_letters_next_question_is_answered_after_the_first() -> None:
    # Kind 10: the gateway condensed the letter to its main question; the whole letter is in
    # the metadata, and its next question (medicines brought home) gets its own sentence.
    letter = (
        "俺是固阳县的建档立卡户。"
        + "老汉常年咳嗽喘不上气，地里的活都是俺干。" * 6
        + "想问问，慢阻肺这个病一年最多能报多少钱？还有就是这药是得自己去县里买，还是有人给送？"
    )
    latest = message(
        "固阳县 想问问，慢阻肺这个病一年最多能报多少钱？",
        "ask_annual_cap",
        [entity("region", "guyang")],
        metadata={"channel": "sms", "letter": letter},
    )
    _, messages = run(ActionAnswerTopic(), tracker(latest))
    assert "50万" in messages[0]["text"]
    assert any("上门服务" in m["text"] for m in messages[1:])


def test_a_disabled_childs_deductible_question_gets_the_rule_for_disabled_children() -> None:
    # Kind 7/9: 五（三）2 — no deductible for disabled children at county and township level.
    latest = message(
        "固阳 残疾娃在镇卫生院住院 要扣起付线不", "ask_rehabilitation", [entity("region", "guyang")]
    )
    _, messages = run(ActionAnswerTopic(), tracker(latest))
    assert "残疾儿童和重度残疾人在县级、乡镇级定点医院住院不设起付线" in messages[0]["text"]


def test_a_deductible_amount_asked_of_another_topic_is_told_the_documents_give_none() -> None:
    # Kind 9: 「大病保险起付线多少」 is answered by the critical-illness rule (降低50%), which is
    # no amount; 「10万元」 there is a band's bound, not the deductible.
    latest = message(
        "荣昌 大病保险起付标准 是好多钱", "ask_critical_illness", [entity("region", "rongchang")]
    )
    _, messages = run(ActionAnswerTopic(), tracker(latest))
    assert NO_FIGURE in messages[0]["text"]


def test_a_short_message_asking_two_rules_gets_both_answers() -> None:
    # 「…押金… 出院…结账」: the part after the space asks another rule (一站式 settlement).
    latest = message("盐城 看病要先交押金吗 出院怎么结账", "ask_treat_first")
    _, messages = run(ActionAnswerTopic(), tracker(latest, {"region": "yancheng"}))
    assert len(messages) == 2
    assert "押金" in messages[0]["text"]
    assert "一站式" in messages[1]["text"]
    # the note that the document is old is said once, not after each part
    assert "现行规定以当地医保经办机构为准" not in messages[1]["text"]


def test_a_short_message_with_one_rule_gets_one_answer() -> None:
    latest = message("盐城 住院押金 要交吗", "ask_treat_first")
    _, messages = run(ActionAnswerTopic(), tracker(latest, {"region": "yancheng"}))
    assert len(messages) == 1


def test_an_insurance_rule_says_to_ask_the_insurance_office() -> None:
    latest = message("住院要交押金吗", "ask_treat_first")
    _, messages = run(ActionAnswerTopic(), tracker(latest, {"region": "guyang"}))
    assert messages[0]["text"].endswith("现行规定以当地医保经办机构为准。")
