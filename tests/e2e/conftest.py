"""Fixtures for the browser tests: a real `streamlit run` server and Debian's chromium.

The server and the browser live for the whole session; each test gets a fresh browser
context (own cookies, own Streamlit session). Screenshots land in artifacts/e2e/: one per
test, and a full-page one named after the test when it fails.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
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


def _copy_until_ready(proc: subprocess.Popen, log, ready_text: str,
                      ready: threading.Event) -> None:
    """Copy the server's output into its log; set ``ready`` once it prints
    ``ready_text`` (or once its output ends, i.e. it exited)."""
    for line in proc.stdout:
        log.write(line)
        log.flush()
        if ready_text.encode() in line:
            ready.set()
    ready.set()


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """A `streamlit run app.py` on a free loopback port; yields its base URL."""
    with serving() as url:
        yield url


@contextlib.contextmanager
def serving(*options: str, log_name: str = "e2e-server.log") -> Iterator[str]:
    """Run `streamlit run app.py` (with extra command-line ``options``) until the block
    ends; give its base URL."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false", *options]
    log_path = ARTIFACTS / log_name
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        # Streamlit prints its URL once it listens: wait for that line, not a fixed time.
        ready = threading.Event()
        copier = threading.Thread(target=_copy_until_ready, daemon=True,
                                  args=(proc, log, f"{url}", ready))
        copier.start()
        try:
            if not ready.wait(SERVER_START_TIMEOUT_S):
                pytest.fail(f"streamlit did not print {url} within "
                            f"{SERVER_START_TIMEOUT_S:.0f} s; see {log_path}")
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with code {proc.returncode} before "
                            f"listening; see {log_path}")
            if not _healthy(url):
                pytest.fail(f"streamlit printed {url} but /_stcore/health does not answer "
                            f"ok; see {log_path}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            copier.join(timeout=10)
            proc.stdout.close()


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


#: The page is drawn: its script has finished, and the race stage (static/stage/) has
#: drawn its newest message, or else (a study, the MLP) a plotly chart has drawn.
JS_APP_DRAWN = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const stage = document.querySelector('.stage');
  if (stage) return stage.dataset.ready !== undefined && stage.dataset.busy === undefined;
  return document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot .main-svg")
    !== null;
}"""


def wait_for_app(page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the page is drawn, and still is two painted frames later (a message
    that arrived with the end of the run is being handed to the stage meanwhile)."""
    wait_for_js(page, JS_APP_DRAWN, what="the page to be drawn", timeout_ms=timeout_ms)
    after_frames(page, 2)
    wait_for_js(page, JS_APP_DRAWN, what="the page to be drawn", timeout_ms=timeout_ms)


def address(page) -> str:
    """The address bar as the page has it. Playwright's ``page.url`` only follows
    navigations: it lags behind Streamlit's history.replaceState by one update."""
    return page.evaluate("window.location.href")


def wait_for_js(page, predicate: str, arg=None, what: str = "condition",
                timeout_ms: int = 30_000):
    """Wait until the JavaScript ``predicate`` (called with ``arg``) is truthy in the page
    (playwright polls it at every animation frame); return its value."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        return page.wait_for_function(predicate, arg=arg, timeout=timeout_ms).json_value()
    except PlaywrightTimeout:
        raise AssertionError(f"timed out after {timeout_ms / 1000:.0f} s waiting for "
                             f"{what}") from None


def after_frames(page, count: int) -> None:
    """Return once the page has painted ``count`` more animation frames: the clock that
    plotly.js animates by, so a running animation would have moved meanwhile."""
    page.evaluate("""(count) => new Promise(done => {
      let left = count;
      const tick = () => (--left <= 0 ? done() : requestAnimationFrame(tick));
      requestAnimationFrame(tick);
    })""", count)


#: Record every change of the app's script state (Streamlit's `data-test-script-state`).
JS_WATCH_SCRIPT_STATE = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  window._scriptStates = [];
  new MutationObserver(() => window._scriptStates.push(
      app.getAttribute('data-test-script-state')))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def watch_script_state(page) -> None:
    """From now on, record the app's script-state changes (for ``rerun_started``)."""
    page.evaluate(JS_WATCH_SCRIPT_STATE)


def rerun_started(page, within_ms: int) -> bool:
    """Whether a rerun started (since ``watch_script_state``) within ``within_ms``."""
    try:
        wait_for_js(page, "() => window._scriptStates.includes('running')",
                    what="a rerun to start", timeout_ms=within_ms)
    except AssertionError:
        return False
    return True


def wait_for_rerun(page, act, what: str, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Do ``act()`` and wait until the rerun it triggers has started and the page is
    drawn again.

    A rerun still running when ``act()`` asks for one takes the request in without the
    app's state ever leaving 'running', so the page must be idle first; a caller whose
    earlier action sends a message (a pause sends its frame) waits for that rerun."""
    wait_for_app(page, timeout_ms)
    watch_script_state(page)
    act()
    wait_for_js(page, "() => window._scriptStates.includes('running')",
                what=f"{what} to start a rerun", timeout_ms=timeout_ms)
    wait_for_app(page, timeout_ms)
