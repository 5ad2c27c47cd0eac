"""Teaching tools in a real browser: the exported HTML plays offline, presenter mode is
large and steps with the arrow keys, and a lesson link shows its text.

The page's race is the stage (selectors in tests/e2e/test_browser.py); the exported HTML
is a plotly figure of its own (`g.updatemenu-button`, the slider label
`.slider-group > text.slider-label`). The address bar is read with
`window.location.href` (Playwright's `page.url` lags Streamlit's history.replaceState).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from compute import frame_steps
from tests.e2e.conftest import (
    SHOTS,
    ConsoleLog,
    address,
    new_page,
    wait_for_app,
    wait_for_js,
)

pytestmark = pytest.mark.browser

PLOT = ".js-plotly-plot"
#: Whether the exported figure's slider label reads "step <n>" with n past ``after``.
JS_STEP_PAST = """([plot, after]) => {
  const label = document.querySelector(plot + ' .slider-group > text.slider-label');
  const match = label && label.textContent.trim().match(/^step (\\d+)$/);
  return match !== null && Number(match[1]) > after;
}"""
CURRENT_STEP = f"{PLOT} .slider-group > text.slider-label"
JS_FONT_SIZE = "() => document.querySelector('.js-plotly-plot')._fullLayout.font.size"


def current_step(page) -> int:
    """The exported figure's slider step."""
    text = (page.locator(CURRENT_STEP).text_content() or "").strip()
    match = re.fullmatch(r"step (\d+)", text)
    assert match, f"slider label reads {text!r}, not 'step <n>'"
    return int(match.group(1))


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
        wait_for_js(page, JS_STEP_PAST, [PLOT, 10], what="Play to advance the slider",
                    timeout_ms=20_000)
        page.locator(f"{PLOT} g.updatemenu-button", has_text="❚❚ Pause").click()
        page.screenshot(path=str(SHOTS / "exported_html_offline.png"))
    finally:
        page.context.close()
    offsite = [url for url in requests if not url.startswith(("file:", "data:", "blob:"))]
    assert offsite == [], f"the exported page made network requests: {offsite}"
    assert requests and requests[0].startswith("file:")
    assert log.errors == []


LESSON_STEPS = 150  # the ravine lesson's
STAGE_FONT_SIZE = "() => document.querySelector('.stage-map')._fullLayout.font.size"
#: The step the stage's counter shows.
JS_COUNTER = "() => document.querySelector('.stage-counter')?.textContent ?? ''"


def expect_counter(page, step: int, what: str) -> None:
    wait_for_js(page, f"() => ({JS_COUNTER})().startsWith('step {step} /')",
                what=what, timeout_ms=60_000)


def test_presenter_mode_is_large_and_steps_with_buttons_and_keys(page, server, console):
    page.goto(f"{server}/?present=1&lesson=ravine")
    wait_for_app(page)
    assert page.evaluate(STAGE_FONT_SIZE) >= 20
    # the figure fills what the title, the lesson and the controls leave of the screen
    box = page.locator(".stage-map").bounding_box()
    window = page.viewport_size["height"]
    assert box["y"] + box["height"] <= window, "the map runs below the fold"
    assert box["height"] >= 0.4 * window, f"the map is {box['height']} px high"
    box = page.locator("[data-testid='stSidebar']").bounding_box()
    assert box is None or box["width"] < 5 or box["x"] + box["width"] <= 0, "sidebar shown"
    steps_at = frame_steps(LESSON_STEPS)
    expect_counter(page, 0, "the race to open at its first frame")

    # the page's buttons (a clicker's keys): each step reruns and reaches the link
    page.locator("[data-testid='stButton'] button", has_text="step ▶").click()
    expect_counter(page, steps_at[1], "step ▶ to open the next frame")
    wait_for_app(page)
    page.keyboard.press("ArrowRight")
    expect_counter(page, steps_at[2], "→ to open the next frame")
    wait_for_app(page)
    page.keyboard.press("ArrowLeft")
    expect_counter(page, steps_at[1], "← to open the previous frame")
    wait_for_app(page)
    wait_for_js(page, "() => new URLSearchParams(window.location.search).getAll('frame')"
                ".join() === '1'", what="the address bar to hold frame=1", timeout_ms=60_000)
    # the stage itself, focused, steps at once with the same keys, and reports the frame
    page.locator(".stage").focus()
    page.keyboard.press("ArrowRight")
    expect_counter(page, steps_at[2], "→ on the stage to step")
    wait_for_js(page, "() => new URLSearchParams(window.location.search).getAll('frame')"
                ".join() === '2'", what="the address bar to hold frame=2", timeout_ms=60_000)
    wait_for_app(page)
    expect_counter(page, steps_at[2], "the stage to stay at the frame it stepped to")
    query = parse_qs(urlsplit(address(page)).query)
    assert query["present"] == ["1"] and query["lesson"] == ["ravine"]
    assert page.evaluate(STAGE_FONT_SIZE) >= 20  # still presenting after the reruns
    page.screenshot(path=str(SHOTS / "presenter.png"))
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
    assert page.locator(".stage-legend-item").all_text_contents() == ["SGD", "Adam"]
    assert page.locator("h3", has_text="Saddle").count() == 1
    wait_for_js(page, "() => window.location.href.includes('lesson=adam-saddle')",
                what="the URL to keep the lesson", timeout_ms=60_000)
    assert console.errors == []
