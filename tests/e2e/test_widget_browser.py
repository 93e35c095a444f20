"""The cadres' chat widget in a real browser (Debian's headless Chromium, driven by Selenium):
sign in, ask, click a quick reply, read the answer, look up a resident of one's own village and
be refused one from another village; open the policies page from the widget on a 420 px
screen. Saves screenshots under test-output/browser/."""

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.conftest import CADRE_PASSWORD, Stack
from tests.support.browser import screenshot, start_chromium

OWN_VILLAGE_ID = "150222195803150024"  # 王秀英, 金山镇东河村 (the cadre's village)
OTHER_VILLAGE_ID = "15022220120808004X"  # 刘小宝, 兴顺西镇西坝村


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    chrome = start_chromium(tmp_path_factory.mktemp("chromium"), 420, 900)
    yield chrome
    chrome.quit()


def _bubbles(browser: WebDriver) -> list[str]:
    return [b.text for b in browser.find_elements(By.CSS_SELECTOR, "#transcript .bubble")]


def _ask(browser: WebDriver, text: str) -> str:
    before = len(_bubbles(browser))
    field = browser.find_element(By.ID, "message")
    field.send_keys(text)
    browser.find_element(By.CSS_SELECTOR, "#ask button[type=submit]").click()
    return _wait_for_answer(browser, before + 1)


def _wait_for_answer(browser: WebDriver, after: int) -> str:
    """The text of the assistant's bubbles that arrive after the first `after` bubbles."""
    WebDriverWait(browser, 40).until(lambda b: len(_bubbles(b)) > after)
    return "\n".join(_bubbles(browser)[after:])


def _shot(browser: WebDriver, name: str) -> None:
    screenshot(browser, name)


def test_a_cadre_signs_in_asks_clicks_a_quick_reply_and_looks_up_residents(
    healthy: Stack, browser: WebDriver
) -> None:
    browser.get(f"{healthy.gateway}/login")
    browser.find_element(By.ID, "username").send_keys("demo_cadre")
    browser.find_element(By.ID, "password").send_keys(CADRE_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.ID, "transcript"))
    assert "金山镇干部" in browser.find_element(By.TAG_NAME, "body").text  # who is signed in

    # An outpatient bill: the level changes the answer (80% up to county level), so it is asked
    # (a 固阳 inpatient stay would not be: 5% at every level).
    question = _ask(browser, "门诊花了两千能报多少")
    buttons = browser.find_elements(By.CSS_SELECTOR, "#transcript .choices button:not([disabled])")
    assert buttons, f"no quick replies offered: {question}"
    county = next(b for b in buttons if "县" in b.text)
    before = len(_bubbles(browser))
    county.click()
    answer = _wait_for_answer(browser, before + 1)
    _shot(browser, "estimate")
    assert "个人自付400.00元" in answer

    own = _ask(browser, f"查一下{OWN_VILLAGE_ID}")
    assert "150222********0024" in own
    assert OWN_VILLAGE_ID not in own
    # Not even the cadre's own bubble keeps the full number (it is stored in localStorage).
    assert not any(OWN_VILLAGE_ID in text for text in _bubbles(browser))
    other = _ask(browser, f"查一下{OTHER_VILLAGE_ID}")
    _shot(browser, "lookups")
    assert "150222********004X" not in other
    assert "无权" in other or "不能" in other or "只能" in other

    browser.refresh()  # the conversation is kept across reloads
    WebDriverWait(browser, 20).until(lambda b: len(_bubbles(b)) >= 4)
    assert any("400.00" in text for text in _bubbles(browser))


def test_the_policies_page_opens_from_the_widget_and_fits_a_phone(
    healthy: Stack, browser: WebDriver
) -> None:
    browser.set_window_size(420, 900)
    browser.get(f"{healthy.gateway}/chat")
    browser.find_element(By.ID, "policies-link").click()
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".region-list a"))
    _shot(browser, "policies-index")
    assert _no_horizontal_scroll(browser)
    browser.find_element(By.LINK_TEXT, "固阳县").click()
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".fund"))
    assert "固阳县健康帮扶政策" in browser.find_element(By.ID, "policy-title").text

    # A fixed day, so the figures do not depend on when the test runs.
    browser.get(f"{healthy.gateway}/policies/guyang?date=2024-05-01")
    clause = browser.find_element(By.XPATH, "//blockquote[contains(., '由70%提高到80%')]")
    cap = browser.find_element(By.XPATH, "//article[@id='basic_insurance.inpatient.deductible']")
    badge = cap.find_element(By.CSS_SELECTOR, "h3 .badge")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", badge)
    _shot(browser, "policies-guyang")
    assert clause.is_displayed()
    assert badge.is_displayed() and badge.text == "估算"
    assert "100元" in cap.text and "乌兰察布" in cap.text  # the figure and its reason
    assert _no_horizontal_scroll(browser)


def _no_horizontal_scroll(browser: WebDriver) -> bool:
    width, inner = browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    return bool(width <= inner)
