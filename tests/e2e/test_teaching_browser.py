"""Teaching tools in a real browser: the exported HTML plays offline, presenter mode is
large and steps with the arrow keys, and a lesson link shows its text.

Selectors as in tests/e2e/test_browser.py (plotly.js: `g.updatemenu-button`, the slider
label `.slider-group > text.slider-label`; Streamlit: `[data-testid=...]`). The address
bar is read with `window.location.href` (Playwright's `page.url` lags Streamlit's
history.replaceState).
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import SHOTS, ConsoleLog, new_page, wait_for_app

pytestmark = pytest.mark.browser

PLOT = ".js-plotly-plot"
CURRENT_STEP = f"{PLOT} .slider-group > text.slider-label"
JS_FONT_SIZE = "() => document.querySelector('.js-plotly-plot')._fullLayout.font.size"


def current_step(page) -> int:
    text = (page.locator(CURRENT_STEP).text_content() or "").strip()
    match = re.fullmatch(r"step (\d+)", text)
    assert match, f"slider label reads {text!r}, not 'step <n>'"
    return int(match.group(1))


def shows_step(page, step: int) -> bool:
    """Whether the page shows one chart, whose slider reads ``step`` (while Streamlit
    swaps a chart after a rerun, the old one can briefly stay beside the new)."""
    return page.locator(CURRENT_STEP).all_text_contents() == [f"step {step}"]


def address(page) -> str:
    return page.evaluate("window.location.href")


def wait_until(predicate, timeout_s: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            value = predicate()
        except AssertionError:
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.2)


def test_exported_html_plays_offline(browser, tmp_path):
    """The HTML export: plotly.js inside, no request leaves the file, ▶ Play animates."""
    from compute import compute_race
    from scene import Scene
    from views import race_figure
    from views.export import figure_html

    scene = Scene.of(steps=60)
    html_file = tmp_path / "race.html"
    html_file.write_text(figure_html(race_figure(compute_race(scene.setup)), "offline race"),
                         encoding="utf-8")
    log = ConsoleLog()
    page = new_page(browser, log)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(html_file.as_uri())
        page.wait_for_selector(f"{PLOT} .main-svg", timeout=30_000)
        assert page.title() == "offline race"
        assert page.locator(f"{PLOT} .legendtext").all_text_contents() == [
            "SGD", "Momentum", "Adam"]
        assert current_step(page) == 0
        page.locator(f"{PLOT} g.updatemenu-button", has_text="▶ Play").click()
        wait_until(lambda: current_step(page) > 10, 20, "Play to advance the slider")
        page.locator(f"{PLOT} g.updatemenu-button", has_text="❚❚ Pause").click()
        page.screenshot(path=str(SHOTS / "exported_html_offline.png"))
    finally:
        page.context.close()
    offsite = [url for url in requests if not url.startswith(("file:", "data:", "blob:"))]
    assert offsite == [], f"the exported page made network requests: {offsite}"
    assert requests and requests[0].startswith("file:")
    assert log.errors == []


def test_presenter_mode_is_large_and_steps_with_buttons_and_keys(page, server, console):
    page.goto(f"{server}/?present=1&lesson=ravine")
    wait_for_app(page)
    assert page.evaluate(JS_FONT_SIZE) >= 20
    height = page.evaluate("() => document.querySelector('.js-plotly-plot')._fullLayout.height")
    assert height >= 800
    box = page.locator("[data-testid='stSidebar']").bounding_box()
    assert box is None or box["width"] < 5 or box["x"] + box["width"] <= 0, "sidebar shown"
    assert current_step(page) == 0

    page.locator("[data-testid='stButton'] button", has_text="step ▶").click()
    wait_until(lambda: shows_step(page, 1), what="step ▶ to open the next frame")
    wait_for_app(page)
    page.keyboard.press("ArrowRight")
    wait_until(lambda: shows_step(page, 2), what="→ to open the next frame")
    wait_for_app(page)
    page.keyboard.press("ArrowLeft")
    wait_until(lambda: shows_step(page, 1), what="← to open the previous frame")
    wait_for_app(page)
    wait_until(lambda: parse_qs(urlsplit(address(page)).query).get("frame") == ["1"],
               what="the address bar to hold frame=1")
    query = parse_qs(urlsplit(address(page)).query)
    assert query["present"] == ["1"] and query["lesson"] == ["ravine"]
    assert page.evaluate(JS_FONT_SIZE) >= 20  # still presenting after the reruns
    assert console.errors == []


def test_a_lesson_link_shows_its_text(page, server, console):
    from lessons import LESSONS

    lesson = LESSONS["adam-saddle"]
    page.goto(f"{server}/?lesson=adam-saddle")
    wait_for_app(page)
    alerts = page.locator("[data-testid='stAlert']")
    assert alerts.count() == 1, "only the lesson's text: no warning"
    text = alerts.inner_text()
    assert lesson.title in text and lesson.text[:120] in text
    assert page.locator(f"{PLOT} .legendtext").all_text_contents() == ["SGD", "Adam"]
    assert page.locator("h3", has_text="Saddle").count() == 1
    wait_until(lambda: "lesson=adam-saddle" in address(page), what="the URL to keep the lesson")
    assert console.errors == []
