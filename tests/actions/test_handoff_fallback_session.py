"""action_handoff, action_fallback_search and action_session_start."""

from collections.abc import Mapping

from actions.fallback import (
    FEELINGS,
    FEELINGS_MID_FORM,
    MID_FORM_ASIDE,
    POLITE_FALLBACK,
    ActionFallbackSearch,
)
from actions.handoff import DESPAIR, DESPAIR_SUMMARY, ActionHandoff
from actions.sdk import ActionExecuted, SessionStarted, SlotSet, Tracker
from actions.session import ActionSessionStart, ValidateSlotMappings
from settlement.identifiers import Region
from tests.actions.fakes import FakeRegistry
from tests.actions.helpers import SENDER, message, run, text_message, tracker


def test_handoff_names_the_regions_unit_and_records_a_request() -> None:
    registry = FakeRegistry()
    meta = {"channel": "sms", "campaign": "gy2024", "sender_token": "stk_0a1b2c3d4e5f6a7b"}
    latest = message("转人工", "human_handoff", metadata=meta)
    state = tracker(latest, {"region": "guyang", "requested_topic": "after_exit"})
    events, messages = run(ActionHandoff(registry), state)
    assert events == []
    assert messages == [
        text_message(
            "已为您登记人工服务，工作人员会尽快联系您。也可以找固阳县县人社局医疗扶贫救助“一站式”"
            "服务窗口（2017年《固阳县贫困人口医疗救助实施方案》五（四）4）。"
        )
    ]
    assert registry.handoffs == [
        {
            "region": Region("guyang"),
            "sender_key": SENDER,
            "channel": "sms",
            "campaign": "gy2024",
            "summary": "地区：固阳县；待答话题：after_exit",
            # so a cadre's reply can reach the phone the request came from
            "contact_token": "stk_0a1b2c3d4e5f6a7b",
        }
    ]
    assert [(a.action, a.detail) for a in registry.audits] == [("handoff", "handoff=1")]


def test_fallback_quotes_a_confident_clause() -> None:
    latest = message("荣昌的扶贫济困医疗基金怎么救助", "out_of_scope")
    events, messages = run(ActionFallbackSearch(), tracker(latest))
    assert events == []
    assert messages == [
        text_message(
            "根据《重庆市荣昌区健康扶贫工程实施方案》二（一）7：在继续实施基本医保、大病保险、"
            "医疗救助、商业保险等政策的基础上，按照我区救助对象人数人均不低于100元设立扶贫济困医疗基金。"
        )
    ]


def test_fallback_refuses_politely_with_examples() -> None:
    events, messages = run(
        ActionFallbackSearch(), tracker(message("今天天气怎么样", "out_of_scope"))
    )
    assert events == []
    assert messages == [text_message(POLITE_FALLBACK)]


def test_an_off_topic_remark_mid_form_gets_a_short_aside_not_the_list_of_examples() -> None:
    # The rule runs the form right after this action: its question follows the aside.
    latest = message("你们那边今天下雨没", "out_of_scope")
    events, messages = run(ActionFallbackSearch(), tracker(latest, active_loop="estimate_form"))
    assert events == []
    assert messages == [text_message(MID_FORM_ASIDE)]
    # A health question mid-form is still answered from the documents, not set aside.
    latest = message("荣昌的扶贫济困医疗基金怎么救助", "out_of_scope")
    _, messages = run(ActionFallbackSearch(), tracker(latest, active_loop="estimate_form"))
    assert "扶贫济困医疗基金" in messages[0]["text"]


def test_words_of_despair_reach_a_person_first_and_the_cadres_see_why() -> None:
    registry = FakeRegistry()
    latest = message("家里这样 我真是活不下去了", "human_handoff", metadata={"channel": "sms"})
    events, messages = run(ActionHandoff(registry), tracker(latest, {"region": "nantong"}))
    assert events == []
    [said] = messages
    assert said["text"].startswith(DESPAIR + "已为您登记人工服务")
    [request] = registry.handoffs
    assert request["summary"] == f"{DESPAIR_SUMMARY}；地区：南通市"
    assert [a.action for a in registry.audits] == ["handoff"]


def test_a_resident_saying_how_hard_it_is_is_answered_kindly() -> None:
    latest = message("唉 这日子愁死了", "out_of_scope")
    _, messages = run(ActionFallbackSearch(), tracker(latest))
    assert messages == [text_message(FEELINGS)]
    # in the middle of a form: kind, short, and the form's question follows
    _, messages = run(ActionFallbackSearch(), tracker(latest, active_loop="estimate_form"))
    assert messages == [text_message(FEELINGS_MID_FORM)]


def _session_tracker(meta: Mapping[str, object]) -> Tracker:
    state = tracker(message("/session_start", "session_start", metadata=dict(meta)))
    state.slots["session_started_metadata"] = dict(meta)
    return state


def test_session_start_copies_metadata_without_answering_the_campaign_topic() -> None:
    # The gateway opens a campaign conversation with /ask_<topic>; answering here would repeat it.
    meta = {
        "channel": "wechat",
        "campaign": "gy2024",
        "topic": "treat_first",
        "region": "guyang",
        "sender_token": "stk_0a1b2c3d4e5f6a7b",
        "cadre_id": None,
    }
    events, messages = run(ActionSessionStart(), _session_tracker(meta))
    assert events == [
        SessionStarted(),
        SlotSet("channel", "wechat"),
        SlotSet("campaign", "gy2024"),
        SlotSet("sender_token", "stk_0a1b2c3d4e5f6a7b"),
        SlotSet("region", "guyang"),
        ActionExecuted("action_listen"),
    ]
    assert messages == []


def test_metadata_slots_follow_every_turn() -> None:
    latest = message("你好", "greet", metadata={"channel": "web", "cadre_id": 3})
    events, messages = run(ValidateSlotMappings(), tracker(latest, {"channel": "web"}))
    assert events == [SlotSet("cadre_id", "3")]
    assert messages == []


def test_a_health_question_nothing_answers_is_never_refused_as_off_topic() -> None:
    # Issue kind 4: a domain word means 「文件里没有写」 and where to ask, not the refusal.
    from actions.fallback import NOT_IN_DOCUMENTS, POLITE_FALLBACK, fallback_reply

    assert fallback_reply("医院给乱开药那钱谁出") == NOT_IN_DOCUMENTS
    assert fallback_reply("今天天气咋样") == POLITE_FALLBACK
    assert fallback_reply("我是成都的", place="成都") == (
        "目前只有南通、荣昌、固阳、盐城的政策，成都的规定我查不到。"
        "请问当地医保经办机构，或回复“人工”请工作人员帮忙。"
    )


def test_a_long_letter_is_kept_whole_in_the_handoff() -> None:
    # Issue kind 10: the gateway's condensed text reaches the NLU; a person reads the letter.
    registry = FakeRegistry()
    letter = "我是固阳的贫困户，" + "家里情况很难。" * 60 + "能不能找个人帮我？"
    latest = message("转人工", "human_handoff", metadata={"channel": "sms", "letter": letter})
    run(ActionHandoff(registry), tracker(latest, {"region": "guyang"}))
    assert registry.handoffs[0]["summary"].endswith(f"来信全文：{letter}")
