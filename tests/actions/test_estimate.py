"""estimate_form validation, action_estimate and action_estimate_detail."""

import asyncio
from datetime import date

import pytest

from actions.estimate import (
    ASK_REGION,
    NO_ESTIMATE_YET,
    REASK_REGION,
    STOPPED,
    ActionAskRegion,
    ActionEstimate,
    ActionEstimateDetail,
    ActionOutsideForm,
    ValidateEstimateForm,
)
from actions.estimate_logic import (
    ABSURD_AMOUNT,
    ALL_IN_CATALOGUE,
    EXIT_YEAR_UNKNOWN,
    OUT_OF_CATALOGUE_ABOVE_TOTAL,
    date_basis,
    estimate_reply,
)
from actions.registry_port import CadreRecord
from actions.sdk import (
    ActionExecutionRejected,
    CollectingDispatcher,
    FollowupAction,
    SlotSet,
    Tracker,
)
from settlement.estimate import estimate, parse_request
from settlement.identifiers import Category, Region
from tests.actions.fakes import FakeRegistry, guyang_resident
from tests.actions.helpers import DOMAIN, SENDER, entity, message, run, text_message, tracker

GUYANG_20000 = (
    "固阳县住院总费用20000.00元，预计个人自付1000.00元。其中基本医疗保险16787.50元，"
    "医疗扶贫救助基金2212.50元。按固阳县2017年、2021年起施行的规定估算，现行标准可能已调整。"
    "以当地医保经办机构结算为准。回复“详细”看计算过程。"
)
GUYANG_SLOTS = {"region": "guyang", "setting": "inpatient", "level": "county", "total": "20000.00"}


def test_guyang_poor_inpatient_20000_pays_1000() -> None:
    # The Done-when line: 固阳 建档立卡 resident, county hospital stay of 20000 yuan.
    latest = message("好的", "affirm")
    state = tracker(latest, GUYANG_SLOTS | {"category": "poor"})
    events, messages = run(ActionEstimate(FakeRegistry()), state)
    assert messages == [text_message(GUYANG_20000)]
    assert len(events) == 1 and events[0]["name"] == "estimate_detail"
    assert events[0]["value"][-2].startswith("注：部分基础参数为估算")
    assert events[0]["value"][-1].endswith("施行的规定（2017年、2021年起施行）")


def test_estimate_without_category_says_what_it_assumed() -> None:
    _, messages = run(
        ActionEstimate(FakeRegistry()), tracker(message("好", "affirm"), GUYANG_SLOTS)
    )
    assert "（按建档立卡贫困人口估算）按固阳县2017年、2021年起施行的规定估算" in messages[0]["text"]


def test_verified_resident_uses_the_registry_not_the_slots() -> None:
    registry = FakeRegistry(senders={"stk_a1": guyang_resident()})
    slots = GUYANG_SLOTS | {"category": "dibao", "verified": True, "sender_token": "stk_a1"}
    _, messages = run(ActionEstimate(registry), tracker(message("好", "affirm"), slots))
    assert messages == [text_message(GUYANG_20000)]  # poor from the registry, not dibao


@pytest.mark.parametrize(
    ("span", "total"),
    [
        ("两万三", "23000.00"),
        ("2.3万", "23000.00"),
        ("二万零五百元", "20500.00"),
        ("一万二左右", "12000.00"),
        ("23000块", "23000.00"),
        ("3千5", "3500.00"),
        ("1.5w", "15000.00"),
        ("壹万贰仟", "12000.00"),
        ("10万多点", "100000.00"),
    ],
)
def test_amount_in_every_numeral_form(span: str, total: str) -> None:
    latest = message(f"住院花了{span}", "estimate_cost", [entity("amount", span, 4)])
    state = tracker(latest, {"region": "guyang", "requested_slot": "total"}, "estimate_form")
    events, messages = run(ValidateEstimateForm(), state)
    assert events == [SlotSet("total", total)]
    assert messages == []


def test_absurd_amount_is_asked_again_politely() -> None:
    latest = message("花了5亿", "inform", [entity("amount", "5亿", 2)])
    state = tracker(latest, {"requested_slot": "total"}, "estimate_form")
    events, messages = run(ValidateEstimateForm(), state)
    # Nothing filled: the form asks again in other words (reask) rather than being rejected.
    assert events == [SlotSet("total", None), SlotSet("reask", True)]
    assert messages == [text_message(ABSURD_AMOUNT)]


def test_correction_replaces_the_total() -> None:
    latest = message("不对，是3万", "correct", [entity("amount", "3万", 4)])
    state = tracker(latest, GUYANG_SLOTS, "estimate_form")
    events, messages = run(ValidateEstimateForm(), state)
    assert events == [SlotSet("total", "30000.00")]
    assert messages == []


def test_the_out_of_catalogue_part_is_never_asked() -> None:
    # Few residents know it: the estimate counts the bill as in the catalogue and says so.
    latest = message("区医院", "inform", [entity("level", "county")])
    slots = {"region": "rongchang", "setting": "inpatient", "total": "20000.00"}
    state = tracker(latest, slots, "estimate_form", new_slots={"level": "county"})
    events, _ = run(ValidateEstimateForm(), state)
    assert events == [SlotSet("level", "county")]  # nothing more to ask: the form completes


def test_an_estimate_without_the_out_of_catalogue_part_says_it_assumed_none() -> None:
    rongchang = {"region": "rongchang", "setting": "inpatient", "level": "county"}
    reply = estimate_reply({**rongchang, "total": "12000.00"}, None)
    # Today: basic (12000 − 150) × 70% = 8295; 3705 left, below the 大病 threshold 6458.50; the
    # 健康扶贫基金 (from 2018) pays (3705 − 1000) × 70% = 1893.50, so 1811.50 is left to pay.
    assert "1811.50" in reply.text and ALL_IN_CATALOGUE in reply.text
    told = estimate_reply({**rongchang, "total": "12000.00", "out_of_catalogue": "0.00"}, None)
    assert ALL_IN_CATALOGUE not in told.text


def test_out_of_catalogue_none_counts_as_zero() -> None:
    latest = message("都是目录内的", "inform", [entity("out_of_catalogue", "0")])
    slots = {"region": "rongchang", "setting": "inpatient", "level": "county", "total": "20000.00"}
    state = tracker(latest, slots, "estimate_form")
    events, _ = run(ValidateEstimateForm(), state)
    assert events == [SlotSet("out_of_catalogue", "0.00"), SlotSet("requested_slot", None)]


def test_guyang_chronic_asks_for_the_disease_and_names_it_as_the_annex_does() -> None:
    latest = message("高血压", "inform", [entity("disease", "高血压")])
    slots = {"region": "guyang", "setting": "chronic", "level": "township", "total": "1000.00"}
    state = tracker(latest, slots, "estimate_form", new_slots={"disease": "高血压"})
    events, _ = run(ValidateEstimateForm(), state)
    assert events == [SlotSet("disease", "高血压二级及以上"), SlotSet("requested_slot", None)]


def test_region_button_payload_and_chinese_name_are_both_understood() -> None:
    latest = message("我是固阳县的", "inform", [entity("region", "固阳县")])
    state = tracker(latest, {}, "estimate_form", new_slots={"region": "固阳县"})
    events, _ = run(ValidateEstimateForm(), state)
    assert events == [SlotSet("region", "guyang")]


def test_detail_shows_the_stored_lines() -> None:
    lines = ["基本医疗保险：…", "个人自付：20000.00−各项报销19000.00=1000.00元"]
    events, messages = run(
        ActionEstimateDetail(), tracker(message("详细", "ask_detail"), {"estimate_detail": lines})
    )
    assert events == []
    assert messages == [text_message("\n".join(lines))]


def test_detail_before_any_estimate() -> None:
    _, messages = run(ActionEstimateDetail(), tracker(message("详细", "ask_detail")))
    assert messages == [text_message(NO_ESTIMATE_YET)]


# ---- issue kinds 2, 5, 6: ask only what matters, stray answers, impossible amounts ----------


def test_a_guyang_poor_inpatient_stay_is_estimated_without_asking_the_level() -> None:
    # Kind 2: 5% at every level below the 50万 total, so the level is never asked.
    slots = {"region": "guyang", "setting": "inpatient", "total": "46000.00", "category": "poor"}
    latest = message("固阳建档立卡户住院花了4万6自个儿掏多少", "estimate_cost")
    events, _ = run(ValidateEstimateForm(), tracker(latest, slots, "estimate_form"))
    assert events == [SlotSet("requested_slot", None)]
    _, messages = run(ActionEstimate(FakeRegistry()), tracker(latest, slots))
    assert messages[0]["text"].startswith(
        "固阳县住院总费用46000.00元，预计个人自付2300.00元（各级医院自付相同）。"
    )


def test_the_level_is_asked_where_it_changes_the_answer() -> None:
    slots = {"region": "nantong", "setting": "inpatient", "total": "30000.00"}
    latest = message("南通住院三万", "estimate_cost")
    events, _ = run(ValidateEstimateForm(), tracker(latest, slots, "estimate_form"))
    assert events == []  # the domain's order: level is next, Rasa asks it


def test_a_stray_answer_is_asked_again_in_other_words() -> None:
    # Kind 5: 「贫困户」 while the level is asked fills nothing; the form must not be rejected.
    latest = message("贫困户", "inform", [entity("category", "poor")])
    slots = {"region": "nantong", "setting": "inpatient", "total": "30000.00"}
    state = tracker(latest, slots | {"requested_slot": "level"}, "estimate_form")
    events, _ = run(ValidateEstimateForm(), state)
    assert events == [SlotSet("reask", True)]


def test_a_side_question_lets_the_form_step_aside() -> None:
    # A topic question is not a stray answer: the form's turn is rejected even though Rasa's
    # slot extraction read a region from it, so the rule answers the question first.
    latest = message("荣昌门诊报几成", "ask_deductible", [entity("region", "rongchang")])
    slots = {"region": "nantong", "setting": "inpatient", "total": "30000.00"}
    state = tracker(
        latest, slots | {"requested_slot": "level"}, "estimate_form", new_slots={"region": "荣昌"}
    )
    events, _ = run(ValidateEstimateForm(), state)
    assert events == [ActionExecutionRejected("estimate_form")]


def test_the_form_goes_on_after_the_side_question_was_answered() -> None:
    # Coming back, the form's validation sees the same question again: no second rejection.
    latest = message("住院要先交押金吗", "ask_treat_first", [entity("setting", "inpatient")])
    slots = {"region": "nantong", "setting": "inpatient", "requested_slot": "total"}
    state = tracker(latest, slots, "estimate_form")
    state.events.append({"event": "action", "name": "action_answer_topic", "timestamp": 2.2})
    events, _ = run(ValidateEstimateForm(), state)
    assert ActionExecutionRejected("estimate_form") not in events


def test_a_side_question_is_not_read_as_the_out_of_catalogue_amount() -> None:
    latest = message("一站式结算在哪办", "ask_one_stop")
    slots = {"region": "rongchang", "setting": "inpatient", "total": "32000.00"}
    state = tracker(latest, slots | {"requested_slot": "out_of_catalogue"}, "estimate_form")
    events, messages = run(ValidateEstimateForm(), state)
    assert (events, messages) == ([ActionExecutionRejected("estimate_form")], [])


@pytest.mark.parametrize("amount", ["-5000", "0", "100000000000"])
def test_impossible_amounts_are_refused_never_estimated(amount: str) -> None:
    # Kind 6: the reader keeps the sign (负五千 → -5000); zero and 一千亿 are refused too.
    latest = message("住院花了负五千", "estimate_cost", [entity("amount", amount)])
    state = tracker(latest, {"region": "guyang", "requested_slot": "total"}, "estimate_form")
    events, messages = run(ValidateEstimateForm(), state)
    assert events == [SlotSet("total", None), SlotSet("reask", True)]
    assert messages == [text_message(ABSURD_AMOUNT)]


def test_out_of_catalogue_above_the_total_is_refused() -> None:
    latest = message(
        "荣昌区医院住院两万 目录外的有三万",
        "estimate_cost",
        [entity("amount", "20000"), entity("out_of_catalogue", "30000")],
    )
    slots = {"region": "rongchang", "setting": "inpatient", "level": "county"}
    state = tracker(latest, slots, "estimate_form", new_slots={"total": "20000"})
    events, messages = run(ValidateEstimateForm(), state)
    assert SlotSet("out_of_catalogue", None) in events
    assert messages == [text_message(OUT_OF_CATALOGUE_ABOVE_TOTAL)]


def test_an_amount_after_a_rule_answer_starts_the_estimate() -> None:
    latest = message("两万", "inform", [entity("amount", "20000")])
    events, messages = run(ActionOutsideForm(), tracker(latest, {"region": "guyang"}))
    assert events == [FollowupAction("estimate_form")]
    assert messages == []


def test_an_answer_nobody_asked_for_gets_what_next() -> None:
    events, messages = run(ActionOutsideForm(), tracker(message("好的", "affirm")))
    assert events == []
    assert messages[0]["response"] == "utter_anything_else"


def test_the_estimate_names_the_years_of_the_rules_it_used() -> None:
    # Kind 11 and issue 11 §2: the years the rules in force on the episode's day came into
    # force (固阳's 2017 plan, 包头's 2021 大病保险 notice), and that they may have changed since.
    latest = message("好", "affirm")
    _, messages = run(ActionEstimate(FakeRegistry()), tracker(latest, GUYANG_SLOTS))
    assert "按固阳县2017年、2021年起施行的规定估算，现行标准可能已调整。" in messages[0]["text"]


@pytest.mark.parametrize(
    ("day", "today", "basis"),
    [
        # A 2019 stay: 包头's 2021 notice was not in force yet.
        (date(2019, 6, 1), date(2019, 6, 1), "按固阳县2017年起施行的规定估算。"),
        (
            date(2019, 6, 1),
            date(2026, 11, 30),
            "按固阳县2017年起施行的规定估算，现行标准可能已调整。",
        ),
        (date(2022, 6, 1), date(2022, 6, 1), "按固阳县2017年、2021年起施行的规定估算。"),
    ],
)
def test_the_date_basis_is_the_rules_in_force_on_the_episodes_day(
    day: date, today: date, basis: str
) -> None:
    request = parse_request({**GUYANG_SLOTS, "category": "poor"})
    result = estimate(request, day)

    assert date_basis(result, today) == basis


def test_a_cadre_estimate_uses_the_resident_looked_up() -> None:
    # Kind 8: 「帮他算下县医院住院一万二」 uses that resident's record, checked and audited.
    registry = FakeRegistry(
        id_tokens={"idtk0f3a9c2b71d4e5a6": guyang_resident(category=Category.DIBAO)},
        cadres={3: CadreRecord(3, "刘村干", "cadre", Region("guyang"), ("下湿壕村",))},
    )
    slots = {
        "setting": "inpatient",
        "level": "county",
        "total": "12000.00",
        "subject": "idtk0f3a9c2b71d4e5a6",
        "cadre_id": "3",
    }
    latest = message("帮他算下", "estimate_cost", metadata={"channel": "web", "cadre_id": 3})
    _, messages = run(ActionEstimate(registry), tracker(latest, slots))
    assert messages[0]["text"].startswith("固阳县住院总费用12000.00元，预计个人自付600.00元")
    assert [a.action for a in registry.audits] == ["cadre_estimate"]


def test_an_amount_while_the_total_is_asked_is_an_answer_whatever_its_intent() -> None:
    # 「-5000」 read as out_of_scope is still the answer to 「一共花了多少钱」: refused as
    # impossible and asked again, never the off-topic refusal.
    latest = message("-5000", "out_of_scope")
    state = tracker(latest, {"region": "guyang", "requested_slot": "total"}, "estimate_form")
    events, messages = run(ValidateEstimateForm(), state)
    assert ActionExecutionRejected("estimate_form") not in events
    assert SlotSet("total", None) in events and messages == [text_message(ABSURD_AMOUNT)]


def test_an_out_of_catalogue_part_said_just_before_the_total_is_counted() -> None:
    # 「目录外的药自费花了8000 能不能补点」 (a rule question) then 「总共花了2万5」: the estimate
    # counts the 8000 said a turn before instead of assuming none.
    earlier = message(
        "目录外的药自费花了8000 能不能补点",
        "ask_poverty_fund",
        [entity("out_of_catalogue", "8000")],
    )
    latest = message("总共花了2万5", "estimate_cost", [entity("amount", "25000")])
    slots = {"region": "rongchang", "setting": "inpatient", "level": "county"}
    state = tracker(latest, slots, "estimate_form")
    state.events.insert(-1, {"event": "user", "text": earlier["text"], "parse_data": earlier})
    needed = asyncio.run(
        ValidateEstimateForm().required_slots([], CollectingDispatcher(), state, {})
    )
    assert "out_of_catalogue" in needed
    events, _ = run(ValidateEstimateForm(), state)
    assert SlotSet("out_of_catalogue", "8000.00") in events


def test_after_yanchengs_transition_the_estimate_says_it_counts_as_an_ordinary_resident() -> None:
    # The reply and its 「详细」 agree: no 「按建档立卡贫困人口估算」 over an ordinary calculation.
    slots = {"region": "yancheng", "setting": "inpatient", "level": "county", "total": "50000"}
    reply = estimate_reply(slots, None, date(2026, 3, 1))
    assert "文件定的过渡期已于2025年底结束，按普通参保居民估算" in reply.text
    assert "按建档立卡贫困人口估算" not in reply.text
    during = estimate_reply(slots, None, date(2024, 3, 1))
    assert "按建档立卡贫困人口估算" in during.text and "过渡期已于" not in during.text


def test_a_process_question_asked_with_the_bill_is_answered_after_the_estimate() -> None:
    # 「花了八千五 自己掏多少 还要交押金不」 asks two things: the estimate, then the deposit rule.
    latest = message("固阳县 我住院花了八千五 自己掏多少 还要交押金不", "estimate_cost")
    slots = {"region": "guyang", "setting": "inpatient", "total": "8500.00"}
    _, messages = run(ActionEstimate(FakeRegistry()), tracker(latest, slots))
    assert "425" in messages[0]["text"]
    assert len(messages) == 2 and "押金" in messages[1]["text"]


def test_a_bill_alone_gets_the_estimate_alone() -> None:
    latest = message("固阳县 住院花了八千五 自己掏多少", "estimate_cost")
    slots = {"region": "guyang", "setting": "inpatient", "total": "8500.00"}
    _, messages = run(ActionEstimate(FakeRegistry()), tracker(latest, slots))
    assert len(messages) == 1


@pytest.mark.parametrize(("reask", "text"), [(None, ASK_REGION), (True, REASK_REGION)])
def test_the_region_is_asked_with_a_button_per_region_of_policies(
    reask: bool | None, text: str
) -> None:
    _, messages = run(ActionAskRegion(), tracker(message("算一下", "estimate"), {"reask": reask}))

    assert [m["text"] for m in messages] == [text]
    assert messages[0]["buttons"] == [
        {"title": short, "payload": f'/inform{{"region":"{key}"}}'}
        for key, short in [
            ("nantong", "南通"),
            ("rongchang", "荣昌"),
            ("guyang", "固阳"),
            ("yancheng", "盐城"),
        ]
    ]


def _after_a_topic_answer(first: str, intent: str, then: str) -> Tracker:
    """A tracker where `first` (intent `intent`) was answered by action_answer_topic and
    `then` (inform) is the latest message."""
    latest = message(then, "inform", [entity("setting", "inpatient")])
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": 1.0},
        {"event": "session_started", "timestamp": 1.1},
        {"event": "slot", "name": "region", "value": "nantong", "timestamp": 1.2},
        {"event": "action", "name": "action_listen", "timestamp": 1.3},
        {"event": "user", "text": first, "parse_data": message(first, intent), "timestamp": 1.4},
        {"event": "action", "name": "action_answer_topic", "timestamp": 1.5},
        {"event": "bot", "text": "……", "timestamp": 1.6},
        {"event": "action", "name": "action_listen", "timestamp": 1.7},
        {"event": "user", "text": then, "parse_data": latest, "timestamp": 1.8},
    ]
    return Tracker.from_dict(
        {
            "sender_id": SENDER,
            "slots": {"region": "nantong"},
            "latest_message": latest,
            "events": events,
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def test_a_question_going_on_from_a_rules_answer_gets_that_rule_again() -> None:
    state = _after_a_topic_answer(
        "南通低保户看门诊 医疗救助给多少", "ask_medical_assistance", "住院呢 也一样？"
    )
    events, messages = run(ActionOutsideForm(), state)
    assert events == [
        SlotSet("requested_topic", "medical_assistance"),
        FollowupAction("action_answer_topic"),
    ]
    assert messages == []


def test_a_fact_alone_after_a_rules_answer_is_not_taken_for_a_question() -> None:
    state = _after_a_topic_answer(
        "南通低保户看门诊 医疗救助给多少", "ask_medical_assistance", "住院"
    )
    events, messages = run(ActionOutsideForm(), state)
    assert events == []
    assert [m["response"] for m in messages] == ["utter_anything_else"]


def _detail_of_estimate(said: str) -> list[str]:
    latest = message(said, "estimate_cost")
    state = tracker(latest, GUYANG_SLOTS | {"category": "poor"})
    events, _ = run(ActionEstimate(FakeRegistry()), state)
    [detail] = [e["value"] for e in events if e.get("name") == "estimate_detail"]
    return [line for line in detail if "起付线" in line]


def test_a_disabled_child_or_a_second_stay_said_in_the_conversation_has_no_deductible() -> None:
    # 固阳 五（三）2: none for 残疾儿童 and 重度残疾人 at county level, none on a second stay.
    ordinary = _detail_of_estimate("县医院住院花了两万")
    child = _detail_of_estimate("俺家娃是残疾 县医院住院花了两万")
    second = _detail_of_estimate("今年第二次住院了 还是县医院 花了两万")
    assert any("起付线250" in line for line in ordinary)
    assert not any("起付线250" in line for line in child + second)
    assert any("残疾儿童" in line for line in child)


def _exited_estimate(said: str) -> str:
    slots = {
        "region": "nantong",
        "setting": "inpatient",
        "level": "county",
        "total": "20000.00",
        "category": "exited",
    }
    _, messages = run(
        ActionEstimate(FakeRegistry()), tracker(message(said, "estimate_cost"), slots)
    )
    return str(messages[0]["text"])


def test_the_year_of_leaving_poverty_said_in_the_conversation_decides_the_continuation() -> None:
    # 南通 三（三）: benefits continue two years after leaving poverty.
    unknown = _exited_estimate("脱贫户 县医院住院花了两万")
    recent = _exited_estimate(f"我家{date.today().year - 1}年脱的贫 县医院住院花了两万")
    long_ago = _exited_estimate("我家2018年脱的贫 县医院住院花了两万")
    assert EXIT_YEAR_UNKNOWN in unknown
    assert EXIT_YEAR_UNKNOWN not in recent and "普通参保居民" not in recent
    assert EXIT_YEAR_UNKNOWN not in long_ago and "按普通参保居民估算" in long_ago


def test_stopping_the_estimate_ends_the_form_with_nothing_estimated() -> None:
    latest = message("先不算了 俺想问问慢性病药能报不", "ask_chronic_disease")
    state = tracker(
        latest, {"setting": "outpatient", "total": "500.00"}, active_loop="estimate_form"
    )
    events = asyncio.run(ValidateEstimateForm().run(CollectingDispatcher(), state, DOMAIN))
    assert events == [SlotSet("total", None), SlotSet("requested_slot", None)]


def test_an_estimate_stopped_says_so_and_answers_the_rule_asked_with_it() -> None:
    latest = message("先不算了 俺想问问慢性病药能报不", "ask_chronic_disease")
    events, messages = run(ActionEstimate(FakeRegistry()), tracker(latest, {"region": "guyang"}))
    assert messages == [text_message(STOPPED)]
    assert events == [
        SlotSet("requested_topic", "chronic_disease"),
        FollowupAction("action_answer_topic"),
    ]
    # stopped with nothing else asked: only the acknowledgement
    events, messages = run(ActionEstimate(FakeRegistry()), tracker(message("别算了", "deny")))
    assert (events, messages) == ([], [text_message(STOPPED)])


def test_a_question_going_on_from_a_rule_is_that_rule_whatever_the_classifier_said() -> None:
    from actions.topics import ActionAnswerTopic

    state = _after_a_topic_answer(
        "南通低保户看门诊 医疗救助给多少", "ask_medical_assistance", "住院呢 一样不"
    )
    state.latest_message["intent"] = {"name": "ask_major_diseases", "confidence": 0.4}
    _, messages = run(ActionAnswerTopic(), state)
    assert "不低于自付费用70%的医疗救助" in messages[0]["text"]
