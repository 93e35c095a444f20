"""Every page the gateway serves, in Chromium at a phone's width (360 px) and a desk's (1280
px): nothing scrolls sideways, no button's label breaks over two lines or spills out of it,
and every table scrolls inside its own box. The gateway runs in this process with a fake Rasa
and a database filled with long texts; screenshots go to test-output/browser/pages-*.png."""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import update

from gateway.app import create_app
from gateway.channels.wechat.api import WeChatAPI
from registry import cadres, campaigns, traffic
from registry.channel_models import Handoff
from registry.db import get_engine, make_sessionmaker, upgrade
from registry.outbox_models import OutboxMessage
from settlement.identifiers import Region
from tests.gateway.conftest import (
    APP_ID,
    APP_SECRET,
    actions_up,
    make_settings,
    queue_wechat_reply,
)
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.fake_wechat import FakeWeChat
from tests.support.browser import screenshot, start_chromium

PASSWORD = "pages-browser-password"
WIDTHS = [360, 1280]
# The quick replies the assistant really offers (hospital levels, a region's name).
BUTTONS = ["村卫生室", "乡镇卫生院", "县级医院", "市级医院", "省级及以上医院", "重庆市荣昌区"]
LONG_TEXT = "我家老人去年在县医院住院做了心脏搭桥手术，" * 6


def answer(text: str) -> list[dict[str, Any]]:
    """A long reply with every quick reply, so the widget's transcript is as full as it gets."""
    buttons = [{"title": title, "payload": f"/inform{{{i}}}"} for i, title in enumerate(BUTTONS)]
    return [{"text": f"您问的是：{text}。{LONG_TEXT}", "buttons": buttons}]


def _seed(url: str) -> None:
    with make_sessionmaker(get_engine(url))() as db:
        for username, name, role in (("li", "李村医", "cadre"), ("wang", "王管理员", "admin")):
            cadres.create(
                db,
                username=username,
                display_name=name,
                password=PASSWORD,
                region=Region("guyang"),
                villages=["东河村"],
                role=role,
            )
        campaign = campaigns.create(
            db,
            code="gy2024",
            name="固阳县先诊疗后付费和一站式结算宣传月活动",
            topic="treat_first",
            region=Region("guyang"),
        )
        conversation = traffic.conversation_for(db, "sms", "u_a", campaign.id)
        for topic in ("treat_first", "one_stop", "one_stop", "major_diseases", "retired_topic"):
            traffic.log_message(db, conversation, "问题", status="answered", topic=topic)
        traffic.log_message(db, conversation, LONG_TEXT, status="unanswered")
        db.add(Handoff(region="guyang", channel="wechat", sender_key="u_a", campaign="gy2024"))
        db.add(Handoff(region="guyang", channel="sms", sender_key="u_b", summary=LONG_TEXT))
        queue_wechat_reply(db, LONG_TEXT, "pages", recipient_key="u_3f1c" + "0" * 60)
        error = "45015 response out of time limit or subscription is canceled rid: 6655-0a1b2c3d"
        db.execute(update(OutboxMessage).values(status="undeliverable", last_error=error))
        db.commit()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'gateway.db'}"
    upgrade(url)
    _seed(url)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(url, public_base_url=base)
    fake_wechat = FakeWeChat(APP_ID, APP_SECRET, clock=time.monotonic)
    app = create_app(
        settings,
        rasa=FakeRasa(answer=answer).client(settings.rasa_timeout_seconds),
        wechat_api=WeChatAPI(
            APP_ID, APP_SECRET, "http://fake-wechat", httpx.ASGITransport(app=fake_wechat.app())
        ),
        probe_transport=httpx.MockTransport(actions_up),
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    chrome = start_chromium(tmp_path_factory.mktemp("chromium"))
    yield chrome
    chrome.quit()


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    who: str | None  # the username signed in, or None
    ask: bool = False  # send a message first, so the transcript holds bubbles and buttons
    expect: tuple[str, ...] = ()  # texts the page must show (it is the page we meant)


PAGES = [
    Page("chat", "/chat", None, ask=True, expect=("有问题，问我吧",)),
    Page("chat-cadre", "/chat", "li", ask=True, expect=("已登录：李村医",)),
    Page("campaign", "/c/gy2024", None, expect=("宣传月活动",)),
    Page("login", "/login", None, expect=("村干部登录",)),
    Page("policies", "/policies", None, expect=("固阳县",)),
    Page("policies-guyang", "/policies/guyang?date=2024-05-01", None, expect=("估算",)),
    Page("not-found", "/c/no-such-campaign", None, expect=("没有找到这个页面",)),
    Page("handoffs", "/handoffs", "li", expect=("待处理的转人工请求",)),
    Page("admin", "/admin", "wang", expect=("一站式结算：2次",)),
    Page("forbidden", "/admin", "li", expect=("无权访问", "已登录：李村医")),
]

# What the page looks like to a person: page width, every button and button-like link whose
# label takes more than one line or does not fit in it, every table not inside a scroll box.
LAYOUT = """
const lines = (element) => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const tops = [];
  for (const rect of range.getClientRects()) {
    if (rect.width > 0 && !tops.some((top) => Math.abs(top - rect.top) < 3)) tops.push(rect.top);
  }
  return tops.length;
};
const shown = (element) => element.getClientRects().length > 0;
const controls = [...document.querySelectorAll(
  'button, input[type="submit"], .region-list a, .top a')].filter(shown);
const tables = [...document.querySelectorAll("table")].filter((table) => {
  for (let box = table.parentElement; box && box !== document.body; box = box.parentElement) {
    if (["auto", "scroll"].includes(getComputedStyle(box).overflowX)) return false;
  }
  return true;
});
return {
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  controls: controls.length,
  wrapped: controls.filter((c) => lines(c) > 1).map((c) => c.textContent.trim()),
  spilling: controls.filter((c) => c.scrollWidth > c.clientWidth + 1)
    .map((c) => c.textContent.trim()),
  looseTables: tables.map((table) => table.outerHTML.slice(0, 60)),
};
"""


def _become(browser: WebDriver, base: str, who: str | None) -> None:
    """Start from nothing (no cookies, no kept transcript), then sign in as `who`."""
    browser.get(f"{base}/login")
    browser.delete_all_cookies()
    browser.execute_script("localStorage.clear()")
    if who is None:
        return
    browser.get(f"{base}/login")
    browser.find_element(By.ID, "username").send_keys(who)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()
    # The sign-in page is replaced by the next one: wait for that, not for an element of either.
    WebDriverWait(browser, 20).until(lambda b: "/login" not in b.current_url)
    assert "已登录" in browser.find_element(By.ID, "signed-in").text


def _width(browser: WebDriver, width: int) -> None:
    # Device emulation gives the exact viewport (a window's size includes its frame); at phone
    # width it is a phone's, so the page's viewport meta tag applies as on a real one.
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def _ask(browser: WebDriver) -> None:
    browser.find_element(By.ID, "message").send_keys("先诊疗后付费咋弄")
    browser.find_element(By.CSS_SELECTOR, "#ask button[type=submit]").click()
    WebDriverWait(browser, 20).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "#transcript .choices button")
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_the_page_fits_the_screen(gateway: str, browser: WebDriver, page: Page, width: int) -> None:
    _become(browser, gateway, page.who)
    _width(browser, width)
    browser.get(f"{gateway}{page.path}")
    if page.ask:
        _ask(browser)
    if page.name == "campaign":  # the campaign's topic is asked once on opening
        WebDriverWait(browser, 20).until(
            lambda b: b.find_elements(By.CSS_SELECTOR, "#transcript .bubble.bot")
        )

    layout = browser.execute_script(LAYOUT)
    screenshot(browser, f"pages-{page.name}-{width}")

    text = browser.find_element(By.TAG_NAME, "body").text
    assert [expected for expected in page.expect if expected not in text] == []
    assert layout["innerWidth"] == width  # the emulated screen is the one we meant
    assert layout["scrollWidth"] <= layout["innerWidth"], "the page scrolls sideways"
    assert layout["controls"] > 0  # every page has a control (sign-in link, buttons)
    assert layout["wrapped"] == [], "a label breaks over two lines"
    assert layout["spilling"] == [], "a label does not fit its button"
    assert layout["looseTables"] == [], "a table is not inside its own scroll box"


def test_the_admin_table_scrolls_inside_its_box_on_a_phone(
    gateway: str, browser: WebDriver
) -> None:
    """The undelivered messages' table is wider than a phone: its box scrolls, not the page."""
    _become(browser, gateway, "wang")
    _width(browser, 360)
    browser.get(f"{gateway}/admin")

    box = browser.find_element(By.CSS_SELECTOR, "#undelivered .table-scroll")
    inner, outer = browser.execute_script(
        "return [arguments[0].scrollWidth, arguments[0].clientWidth]", box
    )

    browser.execute_script("arguments[0].scrollIntoView(); arguments[0].scrollLeft = 200", box)
    screenshot(browser, "pages-admin-table-360")
    status = browser.find_element(By.CSS_SELECTOR, "#undelivered td.status")
    status_lines = browser.execute_script(
        "const r = document.createRange(); r.selectNodeContents(arguments[0]);"
        "return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size",
        status,
    )
    assert inner > outer  # the table is wider than its box …
    assert (status.text, status_lines) == ("无法送达", 1)  # … its columns are not squeezed
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 360  # … and the page is not
