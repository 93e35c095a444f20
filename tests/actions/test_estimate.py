"""estimate_form validation, action_estimate and action_estimate_detail."""

import pytest

from actions.estimate import (
    NO_ESTIMATE_YET,
    ActionEstimate,
    ActionEstimateDetail,
    ValidateEstimateForm,
)
from actions.estimate_logic import ABSURD_AMOUNT
from actions.sdk import SlotSet
from tests.actions.fakes import FakeRegistry, guyang_resident
from tests.actions.helpers import entity, message, run, text_message, tracker

GUYANG_20000 = (
    "固阳县住院总费用20000.00元，预计个人自付1000.00元。其中基本医疗保险16787.50元，"
    "医疗扶贫救助基金2212.50元。以当地医保经办机构结算为准。回复“详细”看计算过程。"
)
GUYANG_SLOTS = {"region": "guyang", "setting": "inpatient", "level": "county", "total": "20000.00"}


def test_guyang_poor_inpatient_20000_pays_1000() -> None:
    # The Done-when line: 固阳 建档立卡 resident, county hospital stay of 20000 yuan.
    latest = message("好的", "affirm")
    state = tracker(latest, GUYANG_SLOTS | {"category": "poor"})
    events, messages = run(ActionEstimate(FakeRegistry()), state)
    assert messages == [text_message(GUYANG_20000)]
    assert len(events) == 1 and events[0]["name"] == "estimate_detail"
    assert events[0]["value"][-1].startswith("注：部分基础参数为估算")


def test_estimate_without_category_says_what_it_assumed() -> None:
    _, messages = run(
        ActionEstimate(FakeRegistry()), tracker(message("好", "affirm"), GUYANG_SLOTS)
    )
    assert "（按建档立卡贫困人口估算）以当地医保经办机构结算为准。" in messages[0]["text"]


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
    assert events == [SlotSet("total", None)]
    assert messages == [text_message(ABSURD_AMOUNT)]


def test_correction_replaces_the_total() -> None:
    latest = message("不对，是3万", "correct", [entity("amount", "3万", 4)])
    state = tracker(latest, GUYANG_SLOTS, "estimate_form")
    events, messages = run(ValidateEstimateForm(), state)
    assert events == [SlotSet("total", "30000.00")]
    assert messages == []


def test_rongchang_inpatient_asks_for_out_of_catalogue_costs() -> None:
    latest = message("区医院", "inform", [entity("level", "county")])
    slots = {"region": "rongchang", "setting": "inpatient", "total": "20000.00"}
    state = tracker(latest, slots, "estimate_form", new_slots={"level": "county"})
    events, _ = run(ValidateEstimateForm(), state)
    assert events == [SlotSet("level", "county"), SlotSet("requested_slot", "out_of_catalogue")]


def test_out_of_catalogue_none_counts_as_zero() -> None:
    latest = message("没有", "deny")
    slots = {"region": "rongchang", "setting": "inpatient", "level": "county", "total": "20000.00"}
    state = tracker(latest, slots | {"requested_slot": "out_of_catalogue"}, "estimate_form")
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
