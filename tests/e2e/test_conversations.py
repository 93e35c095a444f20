"""End to end: the real gateway, Rasa and action server, over signed Twilio posts and WeChat XML."""

import json
import re
import time

import httpx

from tests.e2e.clients import sms, twilio_post, wechat_reply_text, wechat_text
from tests.e2e.conftest import Stack, log_files

WANG_PHONE = "+8613800000001"  # demo/residents.csv: 王秀英, 固阳县, poor, 高血压 and 糖尿病
WANG_ID = "150222195803150024"
FULL_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")

# What the assistant may ask while filling the cost form, and a resident's answer to each.
# A digit answers a question that offered numbered choices (回复3 固阳).
ANSWERS = [
    ("哪个地方", "3"),
    ("地区", "固阳"),
    ("住院还是", "住院"),
    ("医院", "县医院"),
    ("多少钱", "两万"),
    ("花了多少", "两万"),
]


def _estimate_over_sms(stack: Stack, sender: str, opening: str) -> str:
    reply = sms(stack, opening, sender)
    for _ in range(4):
        if "个人自付" in reply:
            return reply
        answer = next((a for cue, a in ANSWERS if cue in reply), None)
        assert answer is not None, f"unexpected question: {reply}"
        reply = sms(stack, answer, sender)
    return reply


def test_sms_estimate_for_a_guyang_poor_inpatient_stay(healthy: Stack) -> None:
    reply = _estimate_over_sms(
        healthy, "+8613911110001", "俺是固阳的贫困户，在县医院住院花了两万，自己掏多少"
    )

    assert "个人自付1000.00元" in reply


def test_sms_estimate_asks_for_what_is_missing(healthy: Stack) -> None:
    reply = _estimate_over_sms(healthy, "+8613911110002", "住院花了2万能报多少")

    assert "个人自付1000.00元" in reply


def test_sms_verified_personal_lookup(healthy: Stack) -> None:
    asked = sms(healthy, "查一下我的待遇", WANG_PHONE)
    answer = sms(healthy, WANG_ID[-6:], WANG_PHONE)

    assert "后6位" in asked or "后六位" in asked
    assert "150222********0024" in answer
    assert "高血压" in answer
    assert WANG_ID not in asked + answer


def test_a_stranger_cannot_look_up_benefits(healthy: Stack) -> None:
    reply = sms(healthy, "查一下我的待遇", "+8613999999999")

    assert "150222" not in reply
    assert "登记" in reply or "人工" in reply


def test_wechat_text_gets_a_passive_reply(healthy: Stack) -> None:
    response = wechat_text(healthy, "oE2E_follower_0001", "先诊疗后付费是什么")

    assert response.status_code == 200
    assert "先诊疗后付费" in wechat_reply_text(response)


def _wechat_turn(stack: Stack, openid: str, text: str) -> str:
    response = wechat_text(stack, openid, text)
    assert response.status_code == 200
    reply = wechat_reply_text(response)
    assert reply, "no passive reply within WeChat's deadline"
    return reply


def test_wechat_estimate_and_verified_lookup_for_a_bound_follower(healthy: Stack) -> None:
    openid = "oDemoFollowerWangXiuying"  # bound to 王秀英 by `healthaid demo`
    estimate = _wechat_turn(healthy, openid, "俺是固阳的，在县医院住院花了两万三，自己掏多少")
    asked = _wechat_turn(healthy, openid, "查一下我的待遇")
    answer = _wechat_turn(healthy, openid, WANG_ID[-6:])

    assert "个人自付1150.00元" in estimate  # 5% of 23000 (固阳 五（三）5)
    assert "后6位" in asked or "后六位" in asked
    assert "150222********0024" in answer
    assert WANG_ID not in estimate + asked + answer


def test_a_twilio_retry_is_answered_once(healthy: Stack) -> None:
    before = healthy.proxy.faults.calls["/webhooks/rest/webhook"]

    replies = [
        twilio_post(healthy, "你好", "+8613911110003", sid="SM" + "7" * 32) for _ in range(3)
    ]

    assert [r.status_code for r in replies] == [200, 200, 200]
    assert healthy.proxy.faults.calls["/webhooks/rest/webhook"] == before + 1


def test_no_full_id_number_reaches_rasa_a_log_or_a_reply(healthy: Stack) -> None:
    sender = "+8613911110004"
    reply = sms(healthy, f"我的身份证号是{WANG_ID}，能报多少", sender)
    bodies = [json.loads(b) for b in healthy.proxy.faults.bodies if b.startswith(b"{")]
    senders = {b["sender"] for b in bodies if "sender" in b}

    assert not FULL_ID.search(reply)
    assert not any(FULL_ID.search(b["message"]) for b in bodies if "message" in b)
    for key in senders:
        tracker = httpx.get(f"{healthy.rasa}/conversations/{key}/tracker", timeout=10).text
        assert WANG_ID not in tracker
    time.sleep(0.5)  # let the processes flush their logs
    for path in log_files(healthy):
        assert WANG_ID not in path.read_text(encoding="utf-8", errors="replace"), path.name
