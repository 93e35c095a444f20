"""Two-way handoff over SMS and WeChat against the running stack, the cadre in a real browser
(headless Chromium): the resident names 固阳 and asks for a person with signed Twilio posts
or signed WeChat XML, a cadre signs in and sees the request with the masked transcript at
/handoffs, replies in the page; the reply reaches the fake provider for the resident's number
or OpenID (SMS: with a signed status callback recorded as delivered on the outbox row); the
resident's next message reaches the cadre's open page and not the assistant; 「结束人工」 gives
the conversation back. Screenshots under test-output/browser/handoff-{sms,wechat}-*.png.

The widget's side of the same scenario is tests/e2e/test_handoff_browser.py.
"""

import time
from collections.abc import Callable
from typing import Any

import httpx
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from sqlalchemy import select

from registry.db import get_engine, make_sessionmaker
from registry.outbox_models import OutboxMessage
from tests.e2e.clients import sms, wechat_reply_text, wechat_text
from tests.e2e.conftest import CADRE_PASSWORD, TWILIO_NUMBER, Stack
from tests.e2e.test_widget_browser import (  # noqa: F401  (browser: a fixture, found by name)
    _no_horizontal_scroll,
    _shot,
    browser,
)

PASSED_ON = "已转给工作人员，请稍候。"
RESUMED = "已结束人工服务，您可以继续问我。"
CADRE_PREFIX = "工作人员："
PHONE = "+8613922224001"  # the resident's own number, texting the gateway's
MASKED_PHONE = "139****4001"
OPENID = "oE2Ehandoff_follower_0000001"  # 28 characters, as WeChat's OpenIDs
# A detail each resident writes, to find their card (other tests may leave requests open).
SMS_REFERENCE = "缴费单号20240001"
WECHAT_REFERENCE = "缴费单号20240002"


def _until(check: Callable[[], Any], what: str, seconds: float = 40) -> Any:
    """The first true value of `check()`, tried every 0.3 s for up to `seconds` (a card the
    page redraws meanwhile is read again)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if found := check():
                return found
        except StaleElementReferenceException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"not within {seconds} s: {what}")


def _card(page: WebDriver, marker: str) -> WebElement | None:
    """The inbox card whose text holds `marker`."""
    cards = page.find_elements(By.CSS_SELECTOR, "#inbox .handoff")
    return next((card for card in cards if marker in card.text), None)


def _card_text(page: WebDriver, marker: str) -> str:
    card = _card(page, marker)
    return card.text if card is not None else ""


def _sign_in_to_the_inbox(page: WebDriver, site: str) -> None:
    page.get(f"{site}/login?next=/handoffs")
    page.delete_all_cookies()  # a cadre signed in by an earlier test signs in again
    page.get(f"{site}/login?next=/handoffs")
    page.find_element(By.ID, "username").send_keys("demo_cadre")
    page.find_element(By.ID, "password").send_keys(CADRE_PASSWORD)
    page.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    page.get(f"{site}/handoffs")


def _reply_in_the_page(page: WebDriver, marker: str, text: str) -> None:
    card = _card(page, marker)
    assert card is not None, f"no open request showing {marker}"
    card.find_element(By.CSS_SELECTOR, "form.reply textarea").send_keys(text)
    card.find_element(By.CSS_SELECTOR, "form.reply button[type=submit]").click()
    _until(lambda: "已提交" in _card_text(page, marker), "the reply accepted")


def _fake_twilio(stack: Stack) -> dict[str, Any]:
    records: dict[str, Any] = httpx.get(f"{stack.twilio}/_fake/messages", timeout=10).json()
    return records


def _outbox_row(stack: Stack, provider_id: str) -> OutboxMessage | None:
    engine = get_engine(stack.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            query = select(OutboxMessage).where(OutboxMessage.provider_id == provider_id)
            return session.scalars(query).one_or_none()
    finally:
        engine.dispose()


def test_a_cadre_answers_a_resident_by_sms_and_the_resident_hands_back(
    healthy: Stack,
    browser: WebDriver,  # noqa: F811  (the fixture imported above)
) -> None:
    browser.set_window_size(420, 900)
    first = sms(healthy, "我是固阳县的，住院要交押金吗", PHONE)
    assert "押金" in first or "先诊疗后付费" in first
    asked = sms(healthy, "人工", PHONE)
    assert "人工服务" in asked and "固阳" in asked  # recorded for 固阳's cadres
    assert sms(healthy, f"{SMS_REFERENCE}多收了钱，请回电{PHONE[3:]}", PHONE) == PASSED_ON

    # The cadre sees the request with the masked transcript, and no full phone number.
    _sign_in_to_the_inbox(browser, healthy.gateway)
    _until(lambda: MASKED_PHONE in _card_text(browser, SMS_REFERENCE), "the request in the inbox")
    card = _card_text(browser, SMS_REFERENCE)
    _shot(browser, "handoff-sms-1-inbox")
    assert PHONE[3:] not in browser.page_source
    assert "短信" in card and "已等待" in card
    assert "住院要交押金吗" in card  # what the resident asked the assistant before
    assert _no_horizontal_scroll(browser)

    # The reply goes to the resident's number through the fake Twilio API, and its signed
    # status callback is recorded on the outbox row.
    reply = "您好，我是金山镇干部，明天上午给您回电"
    _reply_in_the_page(browser, SMS_REFERENCE, reply)
    body = CADRE_PREFIX + reply

    def delivered() -> dict[str, Any] | None:
        records = _fake_twilio(healthy)
        sent = [m for m in records["messages"] if m["body"] == body]
        reports = [
            c
            for c in records["callbacks"]
            if sent and c["params"]["MessageSid"] == sent[0]["sid"] and c["answer"] == 200
        ]
        final = any(c["params"]["MessageStatus"] == "delivered" for c in reports)
        return {"sent": sent, "records": records} if final else None

    seen = _until(delivered, "the reply sent and reported delivered")
    assert [(m["to"], m["from"]) for m in seen["sent"]] == [(PHONE, TWILIO_NUMBER)]
    assert [m for m in seen["records"]["messages"] if m["to"] == PHONE] == seen["sent"]
    request = next(r for r in seen["records"]["requests"] if r.get("Body") == body)
    assert request["StatusCallback"].startswith(f"{healthy.gateway}/twilio/status?row=")
    row = _outbox_row(healthy, seen["sent"][0]["sid"])
    assert row is not None
    assert (row.channel, row.kind, row.status) == ("sms", "handoff", "sent")
    assert row.delivery_status == "delivered"
    # The open page shows the carrier's report without reloading.
    _until(lambda: "已送达" in _card_text(browser, SMS_REFERENCE), "the reply shown delivered")
    assert "已回复" in _card_text(browser, SMS_REFERENCE)
    _shot(browser, "handoff-sms-2-replied")

    # The resident's next SMS reaches the open page, and the assistant says nothing.
    assert sms(healthy, "好的，谢谢，我等电话", PHONE) == ""
    _until(lambda: "我等电话" in _card_text(browser, SMS_REFERENCE), "the next SMS in the inbox")
    _shot(browser, "handoff-sms-3-next-message")

    # 「结束人工」 gives the conversation back; the assistant answers the next message.
    assert sms(healthy, "结束人工", PHONE) == RESUMED
    again = sms(healthy, "住院要交押金吗", PHONE)
    assert "押金" in again or "先诊疗后付费" in again
    _until(lambda: _card(browser, SMS_REFERENCE) is None, "the request gone from the inbox")
    _shot(browser, "handoff-sms-4-handed-back")
    # Everything after the reply was answered in TwiML: nothing else was sent to the number.
    assert [m["body"] for m in _fake_twilio(healthy)["messages"] if m["to"] == PHONE] == [body]


def _wechat_answer(stack: Stack, text: str) -> str:
    """The assistant's answer to a follower's message: the passive reply, or when Rasa was
    too slow for WeChat's 5 seconds, the customer-service message that follows it."""
    before = len(stack.wechat.delivered)
    response = wechat_text(stack, OPENID, text)
    assert response.status_code == 200, response.text
    if passive := wechat_reply_text(response):
        return passive

    def later() -> str | None:
        mine = [m for m in stack.wechat.delivered[before:] if m["touser"] == OPENID]
        return mine[0]["text"]["content"] if mine else None

    answer: str = _until(later, "the answer by customer-service message")
    return answer


def _sent_to_wechat(stack: Stack, content: str) -> list[str]:
    return [m["touser"] for m in stack.wechat.delivered if m["text"]["content"] == content]


def test_a_cadre_answers_a_wechat_follower_and_the_follower_hands_back(
    healthy: Stack,
    browser: WebDriver,  # noqa: F811  (the fixture imported above)
) -> None:
    browser.set_window_size(420, 900)
    first = _wechat_answer(healthy, "我是固阳县的，住院要交押金吗")
    assert "押金" in first or "先诊疗后付费" in first
    asked = _wechat_answer(healthy, "人工")
    assert "人工服务" in asked and "固阳" in asked
    passed_on = wechat_text(healthy, OPENID, f"{WECHAT_REFERENCE}，电话13812345678，请联系我")
    assert wechat_reply_text(passed_on) == PASSED_ON

    _sign_in_to_the_inbox(browser, healthy.gateway)
    _until(
        lambda: "138****5678" in _card_text(browser, WECHAT_REFERENCE), "the request in the inbox"
    )
    card = _card_text(browser, WECHAT_REFERENCE)
    _shot(browser, "handoff-wechat-1-inbox")
    assert OPENID not in browser.page_source and "13812345678" not in browser.page_source
    assert "微信" in card and "已等待" in card
    assert "住院要交押金吗" in card

    # The reply goes through the customer-service API to the follower's OpenID, and only there.
    reply = "您好，我是金山镇干部，请把缴费单拍照发来"
    _reply_in_the_page(browser, WECHAT_REFERENCE, reply)
    _until(lambda: _sent_to_wechat(healthy, CADRE_PREFIX + reply), "the reply at the fake API")
    assert _sent_to_wechat(healthy, CADRE_PREFIX + reply) == [OPENID]
    _until(lambda: "已发送" in _card_text(browser, WECHAT_REFERENCE), "the reply shown as sent")
    _shot(browser, "handoff-wechat-2-replied")

    # The follower's next message reaches the open page; the assistant says nothing.
    delivered_before = len(healthy.wechat.delivered)
    next_message = wechat_text(healthy, OPENID, "好的，我这就拍照")
    assert next_message.status_code == 200 and next_message.text == "success"
    _until(
        lambda: "我这就拍照" in _card_text(browser, WECHAT_REFERENCE),
        "the next message in the inbox",
    )
    _shot(browser, "handoff-wechat-3-next-message")
    assert not [m for m in healthy.wechat.delivered[delivered_before:] if m["touser"] == OPENID]

    # 「结束人工」 gives the conversation back; the assistant answers the next message.
    assert _wechat_answer(healthy, "结束人工") == RESUMED
    again = _wechat_answer(healthy, "住院要交押金吗")
    assert "押金" in again or "先诊疗后付费" in again
    _until(lambda: _card(browser, WECHAT_REFERENCE) is None, "the request gone from the inbox")
    _shot(browser, "handoff-wechat-4-handed-back")
