"""End to end under faults: a 10-second Rasa, Rasa down, the action server down.

Runs after the other end-to-end files (pytest takes files in name order): the last test stops
the action server for good.
"""

import os
import signal
import time

import httpx

from tests.e2e.clients import sms, wechat_reply_text, wechat_text
from tests.e2e.conftest import Stack

BUSY = "系统繁忙"


def test_a_10_second_rasa_gets_a_polite_sms_reply(healthy: Stack) -> None:
    healthy.proxy.faults.delay_seconds = 10
    start = time.monotonic()

    reply = sms(healthy, "先诊疗后付费咋弄", "+8613922220001")

    assert BUSY in reply
    assert time.monotonic() - start < 10


def test_a_10_second_rasa_on_wechat_is_acknowledged_then_delivered_once(healthy: Stack) -> None:
    healthy.proxy.faults.delay_seconds = 10
    delivered_before = len(healthy.wechat.delivered)
    start = time.monotonic()

    response = wechat_text(healthy, "oE2E_slow_follower", "一站式结算在哪")

    assert response.status_code == 200
    assert wechat_reply_text(response) == ""  # `success`: the answer comes later
    assert time.monotonic() - start < 5
    deadline = time.monotonic() + 30
    while len(healthy.wechat.delivered) == delivered_before and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)  # a second delivery would have arrived by now
    mine = [
        m
        for m in healthy.wechat.delivered[delivered_before:]
        if m["touser"] == "oE2E_slow_follower"
    ]
    assert len(mine) == 1
    assert mine[0]["text"]["content"]


def test_rasa_down_gets_a_polite_reply_and_readyz_says_so(healthy: Stack) -> None:
    healthy.proxy.faults.down = True

    reply = sms(healthy, "大病保险怎么报", "+8613922220002")
    ready = httpx.get(f"{healthy.gateway}/readyz", timeout=10)

    assert BUSY in reply
    assert ready.status_code == 503
    assert "rasa" in ready.text


def test_action_server_down_gets_a_polite_reply_and_readyz_says_so(healthy: Stack) -> None:
    action = next(s for s in healthy.services if s.name == "action-server")
    assert action.process is not None
    os.killpg(action.process.pid, signal.SIGTERM)
    action.process.wait(timeout=15)
    time.sleep(1.5)  # the gateway re-checks a healthy action server at most once a second

    reply = sms(healthy, "荣昌的扶贫济困医疗基金怎么救助", "+8613922220003")
    ready = httpx.get(f"{healthy.gateway}/readyz", timeout=10)

    assert BUSY in reply
    assert ready.status_code == 503
    assert "action" in ready.text
