"""Two-way handoff in a real browser (headless Chromium) against the running stack: a resident
asks for a person in the widget (opened from the demo campaign's link, so the request lands in
固阳县), a cadre signs in and sees the masked transcript at /handoffs, replies; the reply
appears in the resident's widget; the resident's next message reaches the cadre and not the
assistant; 「结束人工」 gives the conversation back. Screenshots under test-output/browser/.

Resident and cadre use one browser with two host names (127.0.0.1 and localhost), so their
cookies — the widget's sender and the cadre's session — stay apart as on two devices.
"""

from collections.abc import Callable

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from healthaid.demo import CAMPAIGN
from tests.e2e.conftest import CADRE_PASSWORD, Stack
from tests.e2e.test_widget_browser import (  # noqa: F401  (browser: a fixture, found by name)
    _bubbles,
    _no_horizontal_scroll,
    _shot,
    browser,
)

PASSED_ON = "已转给工作人员，请稍候。"
RESUMED = "已结束人工服务，您可以继续问我。"
PHONE = "13912345678"


def _type(page: WebDriver, text: str) -> None:
    page.find_element(By.ID, "message").send_keys(text)
    page.find_element(By.CSS_SELECTOR, "#ask button[type=submit]").click()


def _until(page: WebDriver, check: Callable[[WebDriver], object], seconds: float = 40) -> None:
    WebDriverWait(page, seconds, poll_frequency=0.3).until(check)


def _card_text(page: WebDriver) -> str:
    cards = page.find_elements(By.CSS_SELECTOR, "#inbox .handoff")
    return "\n".join(card.text for card in cards)


def test_a_cadre_answers_a_resident_in_the_widget_and_hands_back(
    healthy: Stack,
    browser: WebDriver,  # noqa: F811  (the fixture imported above)
) -> None:
    resident_site = healthy.gateway  # http://127.0.0.1:<port>
    cadre_site = resident_site.replace("127.0.0.1", "localhost")
    browser.set_window_size(420, 900)

    # The resident asks for a person; the assistant records the request (action_handoff).
    browser.get(f"{resident_site}/c/gy-treat-first")
    resident = browser.current_window_handle
    _until(browser, lambda b: len(_bubbles(b)) >= 1)  # the campaign's topic, answered once
    start = len(_bubbles(browser))
    _type(browser, "人工")
    _until(browser, lambda b: any("人工服务" in t for t in _bubbles(b)[start + 1 :]))
    _type(browser, f"我家老人住院了，电话{PHONE}，请回电")
    _until(browser, lambda b: _bubbles(b)[-1].endswith(PASSED_ON))
    _shot(browser, "handoff-1-resident-asks")

    # The cadre, on another "device", signs in and opens the inbox.
    browser.switch_to.new_window("tab")
    cadre = browser.current_window_handle
    browser.get(f"{cadre_site}/login?next=/handoffs")
    browser.find_element(By.ID, "username").send_keys("demo_cadre")
    browser.find_element(By.ID, "password").send_keys(CADRE_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    browser.get(f"{cadre_site}/handoffs")
    _until(browser, lambda b: "139****5678" in _card_text(b))
    card = _card_text(browser)
    _shot(browser, "handoff-2-inbox")
    assert PHONE not in browser.page_source
    assert "网页" in card and f"活动：{CAMPAIGN['name']}" in card and "已等待" in card
    assert _no_horizontal_scroll(browser)

    browser.find_element(By.CSS_SELECTOR, "#inbox form.reply textarea").send_keys(
        "您好，我是金山镇干部，马上给您回电"
    )
    browser.find_element(By.CSS_SELECTOR, "#inbox form.reply button[type=submit]").click()
    _until(browser, lambda b: "已提交" in _card_text(b) and "已回复" in _card_text(b))

    # The reply appears in the resident's open widget, without reloading.
    browser.switch_to.window(resident)
    _until(browser, lambda b: "马上给您回电" in _bubbles(b)[-1])
    assert (
        "工作人员" in browser.find_elements(By.CSS_SELECTOR, "#transcript .bubble.cadre")[-1].text
    )
    _shot(browser, "handoff-3-reply-arrives")

    # The resident's next message goes to the cadre, not to the assistant.
    before = len(_bubbles(browser))
    _type(browser, "好的，谢谢，我等电话")
    browser.switch_to.window(cadre)
    _until(browser, lambda b: "我等电话" in _card_text(b))
    _shot(browser, "handoff-4-inbox-next-message")
    browser.switch_to.window(resident)
    assert len(_bubbles(browser)) == before + 1  # only the resident's own bubble

    # 「结束人工」 gives the conversation back; the assistant answers again.
    _type(browser, "结束人工")
    _until(browser, lambda b: _bubbles(b)[-1].endswith(RESUMED))
    start = len(_bubbles(browser))
    _type(browser, "住院要交押金吗")
    _until(browser, lambda b: len(_bubbles(b)) > start + 1)
    answer = "\n".join(_bubbles(browser)[start + 1 :])
    _shot(browser, "handoff-5-back-to-the-assistant")
    assert "押金" in answer or "先诊疗后付费" in answer

    browser.switch_to.window(cadre)
    _until(browser, lambda b: not b.find_elements(By.CSS_SELECTOR, "#inbox .handoff"))
    assert browser.find_element(By.ID, "handoffs-empty").is_displayed()
    browser.close()
    browser.switch_to.window(resident)
