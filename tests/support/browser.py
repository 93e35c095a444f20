"""Debian's headless Chromium driven by Selenium, for the browser tests; screenshots go to
test-output/browser/."""

import subprocess
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from healthaid.stack import ROOT

OUTPUT = ROOT / "test-output" / "browser"


def chromium_paths() -> tuple[str, str]:
    """The browser and its driver (scripts/chromium.sh installs them on a fresh machine)."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "chromium.sh")], capture_output=True, text=True, check=True
    )
    browser, driver = done.stdout.split()
    return browser, driver


def start_chromium(profile: Path, width: int = 420, height: int = 900) -> WebDriver:
    binary, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--window-size={width},{height}",
        "--lang=zh-CN",
    ):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    # An explicit driver path: Selenium Manager must not try to download one.
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    chrome.set_page_load_timeout(30)
    return chrome


def screenshot(browser: WebDriver, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(OUTPUT / f"{name}.png"))
