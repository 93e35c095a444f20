"""Verified personal lookups, the 5-failure lock, cadre lookups by village; all audited."""

from actions.lookup import (
    FOLLOW_UP_HINT,
    NOT_A_CADRE_PERSONAL,
    NOT_FOUND,
    NOT_YOUR_VILLAGE,
    ActionLookupResident,
    ActionMyBenefits,
    ValidateVerifyForm,
)
from actions.registry_port import CadreRecord
from actions.sdk import FollowupAction, SlotSet, Tracker
from actions.verification import NOW_LOCKED, UNREGISTERED
from settlement.identifiers import Region
from tests.actions.fakes import FakeRegistry, guyang_resident
from tests.actions.helpers import SENDER, entity, message, run, text_message, tracker

TOKEN = "stk_0a1b2c3d4e5f6a7b"
META = {"channel": "sms", "sender_token": TOKEN}
DONE = SlotSet("requested_slot", None)


def _answer(digits: str) -> dict[str, object]:
    return message(digits, "provide_digits", [entity("digits", digits)], META)


def _step(registry: FakeRegistry, digits: str):  # type: ignore[no-untyped-def]
    state = tracker(_answer(digits), {"requested_slot": "digits"}, "verify_form")
    return run(ValidateVerifyForm(registry), state)


def test_right_digits_verify_and_benefits_are_masked() -> None:
    registry = FakeRegistry(senders={TOKEN: guyang_resident()})
    events, messages = _step(registry, "010016")
    assert events == [SlotSet("digits", None), SlotSet("verified", True), DONE]
    assert messages == []

    latest = message("010016", "provide_digits", metadata=META)
    events, messages = run(ActionMyBenefits(registry), tracker(latest, {"verified": True}))
    assert events == [SlotSet("region", "guyang")]  # later rule questions: their own region
    assert messages == [
        text_message(
            "已核实：150222********0016\n地区：固阳县\n人员类别：建档立卡贫困人口\n"
            "高血压二级及以上：年度限额1500.00元，今年已报300.00元，还剩1200.00元\n"
            "家庭医生：李医生\n现行政策：住院个人只付实际花销的5%，慢病用药个人负担5%（五（三）5）\n"
            "依据：2017年《固阳县贫困人口医疗救助实施方案》。"
            "这是2017年的文件，现行规定以当地医保经办机构为准。"
        )
    ]
    assert [(a.action, a.resident_id) for a in registry.audits] == [
        ("verify_ok", 7),
        ("benefits_lookup", 7),
    ]


def test_form_start_asks_for_the_digits() -> None:
    registry = FakeRegistry(senders={TOKEN: guyang_resident()})
    latest = message("查一下我的待遇", "my_benefits", metadata=META)
    events, messages = run(ValidateVerifyForm(registry), tracker(latest, {}, "verify_form"))
    assert events == [SlotSet("requested_slot", "digits")]
    assert messages == []


def test_unregistered_sender_is_told_and_audited() -> None:
    registry = FakeRegistry()
    latest = message("查一下我的待遇", "my_benefits", metadata=META)
    events, messages = run(ValidateVerifyForm(registry), tracker(latest, {}, "verify_form"))
    assert events == [SlotSet("digits", None), SlotSet("verified", False), DONE]
    assert messages == [text_message(UNREGISTERED)]
    assert [a.action for a in registry.audits] == ["benefits_unregistered"]


def test_five_wrong_answers_lock_and_the_sixth_right_one_is_refused() -> None:
    registry = FakeRegistry(senders={TOKEN: guyang_resident()})
    for attempt in range(1, 5):
        events, messages = _step(registry, "999999")
        assert events == [SlotSet("digits", None), SlotSet("requested_slot", "digits")]
        left = 5 - attempt
        assert messages == [text_message(f"后6位不对，还可以再试{left}次。请再回复身份证号后6位。")]
    events, messages = _step(registry, "999999")
    assert events == [SlotSet("digits", None), SlotSet("verified", False), DONE]
    assert messages == [text_message(NOW_LOCKED)]
    # The sixth attempt is right, and still refused: the lock holds for 30 minutes.
    events, messages = _step(registry, "010016")
    assert events == [SlotSet("digits", None), SlotSet("verified", False), DONE]
    assert messages == [text_message("身份验证失败次数太多，请30分钟后再试，或回复“人工”。")]
    actions = [a.action for a in registry.audits]
    assert actions == ["verify_failed"] * 5 + ["verify_locked"]
    assert registry.audits[4].detail == "failures=5"


def test_benefits_without_verification_start_the_form() -> None:
    latest = message("查一下我的待遇", "my_benefits", metadata=META)
    events, messages = run(ActionMyBenefits(FakeRegistry()), tracker(latest))
    assert events == [FollowupAction("verify_form")]
    assert messages == []


def test_failed_verification_is_reset_silently_for_a_later_try() -> None:
    latest = message("123456", "provide_digits", metadata=META)
    events, messages = run(ActionMyBenefits(FakeRegistry()), tracker(latest, {"verified": False}))
    assert events == [SlotSet("verified", None)]
    assert messages == []


CADRE = CadreRecord(3, "刘村干", "cadre", Region("guyang"), ("下湿壕村", "大英图村"))
ID_TOKEN = "idtk0f3a9c2b71d4e5a6"


def _cadre_request(cadre_id: int = 3):  # type: ignore[no-untyped-def]
    latest = message(
        f"查一下 {ID_TOKEN}",
        "lookup_resident",
        [entity("id_token", ID_TOKEN, 4)],
        {"channel": "web", "cadre_id": cadre_id},
    )
    return tracker(latest, {"cadre_id": str(cadre_id)})


def test_cadre_sees_a_resident_of_their_own_village() -> None:
    registry = FakeRegistry(id_tokens={ID_TOKEN: guyang_resident()}, cadres={3: CADRE})
    events, messages = run(ActionLookupResident(registry), _cadre_request())
    # The resident is remembered by the expiring token (never the number) for follow-ups.
    assert events == [SlotSet("subject", ID_TOKEN)]
    assert messages == [text_message("\n".join((*guyang_resident().card, FOLLOW_UP_HINT)))]
    assert [(a.actor, a.action, a.resident_id) for a in registry.audits] == [
        ("cadre:3", "cadre_lookup", 7)
    ]


def _follow_up(text: str, village: str = "下湿壕村") -> tuple[FakeRegistry, Tracker]:
    registry = FakeRegistry(
        id_tokens={ID_TOKEN: guyang_resident(village=village)}, cadres={3: CADRE}
    )
    latest = message(text, "lookup_resident", metadata={"channel": "web", "cadre_id": 3})
    return registry, tracker(latest, {"subject": ID_TOKEN, "cadre_id": "3"})


def test_cadre_follow_up_about_the_resident_looked_up() -> None:
    registry, state = _follow_up("他慢病额度还剩多少")
    events, messages = run(ActionLookupResident(registry), state)
    assert events == []
    assert (
        "高血压二级及以上：年度限额1500.00元，今年已报300.00元，还剩1200.00元"
        in (messages[0]["text"])
    )
    assert [(a.action, a.resident_id) for a in registry.audits] == [("cadre_followup", 7)]


def test_cadre_follow_up_is_refused_once_the_resident_left_the_villages() -> None:
    registry, state = _follow_up("他还有啥待遇", village="西斗铺村")
    events, messages = run(ActionLookupResident(registry), state)
    assert events == [SlotSet("subject", None)]
    assert messages == [text_message(NOT_FOUND)]
    assert [a.action for a in registry.audits] == ["cadre_followup_refused"]


def test_a_resident_asking_about_someone_else_is_told_what_they_can_do() -> None:
    latest = message("他的待遇还剩多少", "lookup_resident")
    events, messages = run(ActionLookupResident(FakeRegistry()), tracker(latest))
    assert events == []
    assert messages == [text_message(NOT_A_CADRE_PERSONAL)]


def test_cadre_is_refused_for_another_village() -> None:
    other = guyang_resident(village="西斗铺村")
    registry = FakeRegistry(id_tokens={ID_TOKEN: other}, cadres={3: CADRE})
    events, messages = run(ActionLookupResident(registry), _cadre_request())
    assert events == []
    assert messages == [text_message(NOT_YOUR_VILLAGE)]
    assert [(a.action, a.detail) for a in registry.audits] == [
        ("cadre_lookup_refused", "not the cadre's village")
    ]


def test_resident_cannot_use_the_cadre_lookup() -> None:
    latest = message(f"查一下 {ID_TOKEN}", "lookup_resident", [entity("id_token", ID_TOKEN)])
    registry = FakeRegistry(id_tokens={ID_TOKEN: guyang_resident()})
    _, messages = run(ActionLookupResident(registry), tracker(latest, sender=SENDER))
    assert messages == [text_message("这个功能只对登录的村干部开放。")]


def test_a_registered_resident_asking_about_their_child_gets_their_own_record() -> None:
    # Kind 7: 「俺家娃在你们这登记过 他能享受啥」 from the phone on file is no cadre lookup:
    # the household's record, after the usual verification (action_my_benefits decides).
    registry = FakeRegistry(senders={"stk_a1": guyang_resident()})
    latest = message(
        "俺家娃在你们这登记过 他看病能享受哪些待遇",
        "lookup_resident",
        metadata={"channel": "sms", "sender_token": "stk_a1"},
    )
    events, messages = run(ActionLookupResident(registry), tracker(latest))
    assert (events, messages) == ([FollowupAction("action_my_benefits")], [])


def test_an_unregistered_sender_asking_about_someone_is_told_it_is_for_cadres() -> None:
    latest = message("他看病能享受哪些待遇", "lookup_resident")
    events, messages = run(ActionLookupResident(FakeRegistry()), tracker(latest))
    assert (events, messages) == ([], [text_message(NOT_A_CADRE_PERSONAL)])
