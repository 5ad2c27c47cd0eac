"""Fixtures for the browser tests: a real `streamlit run` server and Debian's chromium.

The server and the browser live for the whole session; each test gets a fresh browser
context (own cookies, own Streamlit session). Screenshots land in artifacts/e2e/: one per
test, and a full-page one named after the test when it fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SHOTS = ARTIFACTS / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
SERVER_START_TIMEOUT_S = 60.0
#: The first page load compiles JAX in a cold server: allow ~60 s, plus slack.
APP_TIMEOUT_MS = 90_000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """A `streamlit run app.py` on a free loopback port; yields its base URL."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false"]
    log_path = ARTIFACTS / "e2e-server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while not _healthy(url):
                if proc.poll() is not None:
                    pytest.fail(f"streamlit exited with code {proc.returncode} before "
                                f"answering /_stcore/health; see {log_path}")
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not answer {url}/_stcore/health within "
                                f"{SERVER_START_TIMEOUT_S:.0f} s; see {log_path}")
                time.sleep(0.25)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by playwright (never `playwright install`)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
                    "(apt-get install -y chromium); .ci/run installs it.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


#: plotly.js rejects the promise of an animation that another Plotly.animate call
#: interrupts (Pause, or Play while playing) and logs "WARN: API call to Plotly.animate
#: rejected. undefined"; the rejection is never caught, so the page reports an uncaught
#: `undefined` (plotly/plotly.js#5613). Harmless: one such error per such warning is
#: forgiven, nothing else.
ANIMATE_REJECTED = "API call to Plotly.animate rejected"


class ConsoleLog:
    """What a page reported: console messages of type "error" and uncaught exceptions."""

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.uncaught: list[str] = []
        self.animate_rejections = 0

    def on_console(self, msg) -> None:
        if msg.type == "error":
            self.console_errors.append(msg.text)
        elif ANIMATE_REJECTED in msg.text:
            self.animate_rejections += 1

    def on_pageerror(self, exc) -> None:
        self.uncaught.append(exc.message)

    @property
    def errors(self) -> list[str]:
        """Every error except the known-harmless interrupted-animation rejections."""
        forgiven = self.animate_rejections
        kept = []
        for message in self.uncaught:
            if message == "undefined" and forgiven:
                forgiven -= 1
            else:
                kept.append(f"uncaught: {message}")
        return self.console_errors + kept


def new_page(browser, log: ConsoleLog):
    """A page in a fresh context (its own Streamlit session) that records errors."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.on("console", log.on_console)
    page.on("pageerror", log.on_pageerror)
    return page


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def page(browser, server, request, console):
    """A fresh page; screenshots it after the test (full page, and by name, on failure)."""
    page = new_page(browser, console)
    try:
        yield page
    finally:
        rep = getattr(request.node, "rep_call", None)
        name = request.node.name.replace("/", "_")
        failed = rep is None or rep.failed
        keep, stale = (f"{name}.png", f"{name}.ok.png") if failed else (
            f"{name}.ok.png", f"{name}.png")
        (SHOTS / stale).unlink(missing_ok=True)
        try:
            page.screenshot(path=str(SHOTS / keep), full_page=True)
        except Exception as exc:  # a screenshot must never hide the test's own result
            print(f"screenshot failed: {exc}", file=sys.stderr)
        page.context.close()


def wait_for_app(page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the script has finished and the plotly chart has drawn."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg",
                           timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           timeout=timeout_ms)
