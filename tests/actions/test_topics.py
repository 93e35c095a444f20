"""action_answer_topic: per-region answers with clauses; ask the region once, then answer."""

from actions.context import region_buttons
from actions.sdk import SlotSet
from actions.topics import ASK_REGION, ActionAnswerTopic
from tests.actions.helpers import entity, message, run, text_message, tracker

POVERTY_FUND_RONGCHANG = (
    "荣昌区扶贫济困医疗基金：农村贫困人口医保目录外费用单次超过3000元的，在不超过总费用30%以内"
    "分段分档救助，每人每年最多5万元。（《重庆市荣昌区健康扶贫工程实施方案》二（一）7）"
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
            "出院时只付个人5%的自费部分。（《固阳县贫困人口医疗救助实施方案》五（四）3）"
        )
    ]


def test_silent_region_gets_the_national_rule_said_to_be_national() -> None:
    latest = message("两癌筛查", "ask_women_children")
    _, messages = run(ActionAnswerTopic(), tracker(latest, {"region": "nantong"}))
    assert messages[0]["text"].startswith("南通市文件没有写妇幼健康项目。国家规定：")
    assert messages[0]["text"].endswith("（《关于实施健康扶贫工程的指导意见》二（八））")


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
            "高血压二级及以上在固阳县45种特殊慢性病名单里，年度最高支付限额1500元，"
            "贫困人口用药个人只负担5%。（《固阳县贫困人口医疗救助实施方案》附件）"
        )
    ]
