"""The workspace in a real browser (Debian's chromium through Selenium, headless): import
the example, solve, reject a move in the review, re-plan, and see what changed."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from allocator.workspace.app import Settings, create_app
from tests.builders import INSTANCES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    app = create_app(Settings(folder=tmp_path / "ws"))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100):
        if running.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "needs Debian's chromium and chromium-driver (.ci/run installs them)"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    yield chrome
    chrome.quit()


def _wait_done(browser: webdriver.Chrome) -> None:
    WebDriverWait(browser, 120).until(
        lambda b: b.find_element(By.ID, "status").text in ("done", "failed", "cancelled")
    )
    assert browser.find_element(By.ID, "status").text == "done"


def test_import_solve_reject_and_replan_in_a_browser(
    server: str, browser: webdriver.Chrome
) -> None:
    browser.get(f"{server}/import")
    browser.find_element(By.NAME, "name").send_keys("example <b>book</b>")
    browser.find_element(By.NAME, "instance").send_keys(str(INSTANCES / "example.json"))
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains("/scenarios/"))
    assert "example <b>book</b>" in browser.find_element(By.TAG_NAME, "h1").text
    scenario_url = browser.current_url
    time_limit = browser.find_element(By.NAME, "time_limit")
    time_limit.clear()
    time_limit.send_keys("10")
    time_limit.submit()
    _wait_done(browser)
    assert "clean" in browser.find_element(By.ID, "summary").text
    browser.find_element(By.LINK_TEXT, "Review the moves").click()
    first = browser.find_element(By.ID, "move-1")
    account = first.find_element(By.TAG_NAME, "td").text.split()[0]
    first.find_element(By.CSS_SELECTOR, "button[value=reject]").click()
    WebDriverWait(browser, 30).until(
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "main"), "1 rejected")
    )
    browser.get(scenario_url)
    button = browser.find_element(By.XPATH, "//button[contains(., 'Re-plan')]")
    button.click()
    _wait_done(browser)
    assert "accounts have a different owner" in browser.find_element(By.ID, "changed").text
    assert account
