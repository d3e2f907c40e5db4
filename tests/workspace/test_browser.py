"""The workspace in a real browser (Debian's chromium through Selenium, headless): upload
the example, solve, reject a move in the review, re-plan, accept the rest and export: the
rejected account stays with its owner in the exported file.

With ALLOCATOR_SCREENSHOTS=DIR the pages are also saved there as PNGs (the README's are in
docs/workspace/, made with ALLOCATOR_SCREENSHOTS=docs/workspace)."""

from __future__ import annotations

import csv
import json
import os
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
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads: Path) -> Iterator[webdriver.Chrome]:
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "needs Debian's chromium and chromium-driver (.ci/run installs them)"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,900")
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    chrome = webdriver.Chrome(service=Service(driver), options=options)
    yield chrome
    chrome.quit()


def _shot(browser: webdriver.Chrome, name: str) -> None:
    folder = os.environ.get("ALLOCATOR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))


def _wait_done(browser: webdriver.Chrome) -> None:
    WebDriverWait(browser, 120).until(
        lambda b: b.find_element(By.ID, "status").text in ("done", "failed", "cancelled")
    )
    assert browser.find_element(By.ID, "status").text == "done"


def test_upload_solve_reject_replan_and_export_in_a_browser(
    server: str, browser: webdriver.Chrome, downloads: Path
) -> None:
    browser.get(f"{server}/import")
    browser.find_element(By.NAME, "name").send_keys("example <b>book</b>")
    browser.find_element(By.NAME, "instance").send_keys(str(INSTANCES / "example.json"))
    _shot(browser, "1-import")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains("/scenarios/"))
    assert "example <b>book</b>" in browser.find_element(By.TAG_NAME, "h1").text
    scenario_url = browser.current_url
    _shot(browser, "2-scenario")
    time_limit = browser.find_element(By.NAME, "time_limit")
    time_limit.clear()
    time_limit.send_keys("10")
    time_limit.submit()
    _wait_done(browser)
    assert "clean" in browser.find_element(By.ID, "summary").text
    _shot(browser, "3-run")
    browser.find_element(By.LINK_TEXT, "Review the moves").click()
    rejected = None
    for row in browser.find_elements(By.CSS_SELECTOR, "#moves tr[data-forced=no]"):
        cells = row.find_elements(By.TAG_NAME, "td")
        if cells[3].text != "(new)":  # a voluntary move of an account with an owner today
            rejected, owner = cells[0].text.split()[0], cells[3].text
            row.find_element(By.CSS_SELECTOR, "button[value=reject]").click()
            break
    assert rejected is not None
    WebDriverWait(browser, 30).until(
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "main"), "1 rejected")
    )
    _shot(browser, "4-review")
    browser.get(scenario_url)
    browser.find_element(By.XPATH, "//button[contains(., 'Re-plan')]").click()
    _wait_done(browser)
    assert "accounts have a different owner" in browser.find_element(By.ID, "changed").text
    _shot(browser, "5-replanned")
    run_url = browser.current_url
    browser.find_element(By.LINK_TEXT, "Review the moves").click()
    browser.find_element(By.ID, "accept-rest").click()
    WebDriverWait(browser, 30).until(
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "main"), "accepted")
    )
    browser.get(run_url)
    browser.find_element(By.LINK_TEXT, "salesforce").click()
    for _ in range(100):
        files = [p for p in downloads.glob("*.csv")]
        if files:
            break
        time.sleep(0.1)
    assert files, "no export downloaded"
    with files[0].open(encoding="utf-8") as handle:
        exported = {row["Id"]: row["OwnerId"] for row in csv.DictReader(handle)}
    assert exported and rejected not in exported  # it stays with its owner: no update
    solution = json.loads(
        (INSTANCES / "example.json").read_text(encoding="utf-8")
    )  # the rejected account's owner today, for the record
    today = {a["id"]: a.get("current_csm") for a in solution["accounts"]}
    assert today[rejected] == owner
