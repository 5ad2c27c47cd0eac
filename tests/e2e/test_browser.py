"""The app as a student sees it: a real `streamlit run` server driven by chromium.

Selectors were read off the live DOM (streamlit 1.67, plotly.js 4.2):
- the plotly graph div is `.js-plotly-plot` inside `[data-testid='stPlotlyChart']`;
- the background image is `g.subplot.xy g.imagelayer image` (an axis-referenced image
  with layer "below" is drawn in its subplot's image layer, not in `.layer-below`);
- the slider's current value is `.slider-group > text.slider-label` ("step 12");
- the buttons are `g.updatemenu-button` ("▶ Play", "▶▶ Fast", "❚❚ Pause").
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.e2e.conftest import (
    JS_PLAYBACK_STOPPED,
    JS_STEP_PAST,
    SHOTS,
    ConsoleLog,
    address,
    after_frames,
    new_page,
    rerun_started,
    wait_for_app,
    wait_for_js,
    watch_script_state,
)

pytestmark = pytest.mark.browser

PLOT = "[data-testid='stPlotlyChart'] .js-plotly-plot"
CURRENT_STEP = f"{PLOT} .slider-group > text.slider-label"
RACERS = ("SGD", "Momentum", "Adam")
# The click layer of views/race.py: a CLICK_GRID x CLICK_GRID grid over the domain.
CLICK_GRID = 31
ROSENBROCK = ((-2.0, 2.0), (-1.0, 3.0))

#: Markers (x, y) of each racer's moving marker, by racer name.
JS_MARKERS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  const out = {};
  for (const t of gd._fullData) {
    if (t.mode === 'markers' && t.xaxis === 'x' && t.x.length === 1
        && gd.data[t.index].name === t.name
        && !['start', 'global minimum', 'saddle point'].includes(t.name)) {
      out[t.name] = [Number(t.x[0]), Number(t.y[0])];
    }
  }
  return out;
}"""

#: The full faded path of each racer (the static `lines` trace named after it).
JS_PATHS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  return gd._fullData.filter(t => t.mode === 'lines' && gd.data[t.index].name === t.name)
    .map(t => ({name: t.name, x: Array.from(t.x, Number), y: Array.from(t.y, Number)}));
}"""


#: Page pixel of a data point (x, y) on the contour axes.
JS_DATA_TO_PAGE = """([x, y]) => {
  const gd = document.querySelector('.js-plotly-plot');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  return [box.left + xa._offset + xa.d2p(x), box.top + ya._offset + ya.d2p(y)];
}"""


def open_app(page, base: str, query: str = "") -> None:
    page.goto(f"{base}/{query}")
    wait_for_app(page)


def current_step(page) -> int:
    text = page.locator(CURRENT_STEP).text_content() or ""
    match = re.fullmatch(r"step (\d+)", text.strip())
    assert match, f"slider label reads {text!r}, not 'step <n>'"
    return int(match.group(1))


def click_button(page, label: str) -> None:
    page.locator(f"{PLOT} g.updatemenu-button", has_text=label).click()


def background_image_href(page) -> str | None:
    image = page.locator(f"{PLOT} g.subplot.xy g.imagelayer image")
    if image.count() != 1:
        return None
    return image.get_attribute("href")


def number_input(page, label: str) -> float:
    box = page.locator("[data-testid='stNumberInput']", has_text=label)
    return float(box.locator("input").input_value())


#: Whether the start inputs hold (x, y), to the inputs' rounding.
JS_START_INPUTS_AT = """([x, y]) => {
  const value = label => Number([...document.querySelectorAll("[data-testid='stNumberInput']")]
    .find(box => box.innerText.includes(label))?.querySelector('input')?.value ?? NaN);
  return Math.abs(value('start x') - x) <= 6e-4 && Math.abs(value('start y') - y) <= 6e-4;
}"""

#: The current value of a query key in the address bar ('' if absent).
JS_QUERY_VALUE = "(key) => new URLSearchParams(window.location.search).get(key) || ''"


def start_from_url(url: str) -> tuple[float, float]:
    values = parse_qs(urlsplit(url).query).get("start")
    assert values, f"no start= in {url}"
    x, y = values[0].split(",")
    return float(x), float(y)


def grid_point(i: int, j: int, domain=ROSENBROCK) -> tuple[float, float]:
    (x0, x1), (y0, y1) = domain
    n = CLICK_GRID - 1
    return x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * j / n


def pause(page) -> None:
    """Press Pause and wait until plotly.js's animation loop has stopped."""
    click_button(page, "❚❚ Pause")
    wait_for_js(page, JS_PLAYBACK_STOPPED, PLOT, what="Pause to stop the animation loop")


def click_start(page, x: float, y: float, console=None) -> None:
    """Click the contour at data point (x, y); wait for the start inputs to show it
    (reporting what the page raised, if it raised instead)."""
    px, py = page.evaluate(JS_DATA_TO_PAGE, [x, y])
    page.mouse.move(px, py)
    page.mouse.click(px, py)
    try:
        wait_for_js(page, JS_START_INPUTS_AT, [x, y],
                    what=f"start inputs to show ({x:.3f}, {y:.3f})")
    except AssertionError:
        if console is not None and console.errors:
            raise AssertionError(f"the click raised in the page: {console.errors}") from None
        raise
    wait_for_app(page)


def test_page_loads_and_chart_renders(page, server, console):
    open_app(page, server)
    legend = page.locator(f"{PLOT} .legendtext").all_text_contents()
    assert legend == list(RACERS)
    href = background_image_href(page)
    assert href and href.startswith("data:image/png;base64,"), "no background image"
    assert page.locator("h3", has_text="Rosenbrock").count() == 1
    assert current_step(page) == 0
    assert page.evaluate(JS_MARKERS).keys() == set(RACERS)
    assert not page.locator("[data-testid='stException']").count()
    assert console.errors == []


def test_play_advances_frames_and_pause_stops(page, server, console):
    open_app(page, server)
    assert current_step(page) == 0
    before = page.evaluate(JS_MARKERS)

    click_button(page, "▶ Play")
    wait_for_js(page, JS_STEP_PAST, [PLOT, 0], what="Play to advance the slider")
    step = current_step(page)
    assert step > 0, "Play did not advance the slider"
    after = page.evaluate(JS_MARKERS)
    assert after.keys() == before.keys() == set(RACERS)
    assert any(after[name] != before[name] for name in RACERS), "no marker moved"

    pause(page)
    paused = current_step(page), page.evaluate(JS_MARKERS)
    after_frames(page, 30)  # half a second of a playing animation's frames
    assert (current_step(page), page.evaluate(JS_MARKERS)) == paused, "Pause did not stop"
    assert paused[0] >= step
    assert console.errors == []


def test_after_playing_background_stays_and_click_works(page, server, console):
    open_app(page, server)
    click_button(page, "▶▶ Fast")
    wait_for_js(page, JS_STEP_PAST, [PLOT, 40], what="Fast play to pass step 40")
    pause(page)
    assert current_step(page) > 0
    href = background_image_href(page)
    assert href and href.startswith("data:image/png;base64,"), "background gone after play"

    x, y = grid_point(10, 20)
    click_start(page, x, y, console)
    assert background_image_href(page)
    assert console.errors == [], "plotly failed on a click after playing"


def test_click_on_contour_moves_start(page, server, console):
    open_app(page, server)
    assert (number_input(page, "start x"), number_input(page, "start y")) == (-1.5, 2.5)
    x, y = grid_point(19, 4)  # (0.533, -0.467), near (0.5, -0.5), away from every path
    click_start(page, x, y, console)

    assert number_input(page, "start x") == pytest.approx(x, abs=6e-4)
    assert number_input(page, "start y") == pytest.approx(y, abs=6e-4)
    wait_for_js(page, "(key) => { const v = new URLSearchParams(window.location.search)"
                ".get(key); return v !== null && v !== '-1.5,2.5'; }", "start",
                what="the URL to follow")
    url_x, url_y = start_from_url(address(page))
    assert (round(url_x, 3), round(url_y, 3)) == (round(x, 3), round(y, 3))
    # the race now starts there: every path begins at the clicked point
    for path in page.evaluate(JS_PATHS):
        assert path["x"][0] == pytest.approx(x, abs=1e-4), path["name"]
        assert path["y"][0] == pytest.approx(y, abs=1e-4), path["name"]
    assert console.errors == []


def test_copied_link_reproduces_the_scene(page, browser, server, console):
    open_app(page, server)
    page.locator("[data-testid='stSelectbox']", has_text="Loss surface").click()
    page.locator("[role='option']", has_text="Himmelblau").click()
    page.locator("h3", has_text="Himmelblau").wait_for(timeout=60_000)
    wait_for_app(page)
    wait_for_js(page, f"() => ({JS_QUERY_VALUE})('surface') === 'himmelblau'",
                what="the URL to follow")

    link = page.locator("[data-testid='stCode'] code").inner_text().strip()
    assert link.split("?", 1)[1] == urlsplit(address(page)).query, "share link != address bar"
    assert parse_qs(urlsplit(link).query)["surface"] == ["himmelblau"]
    start = number_input(page, "start x"), number_input(page, "start y")
    paths = page.evaluate(JS_PATHS)
    assert [p["name"] for p in paths] == list(RACERS)

    other_console = ConsoleLog()
    other = new_page(browser, other_console)
    try:
        other.goto(link)
        wait_for_app(other)
        assert other.locator("h3", has_text="Himmelblau").count() == 1
        assert (number_input(other, "start x"), number_input(other, "start y")) == start
        assert other.evaluate(JS_PATHS) == paths
        assert not other.locator("[data-testid='stAlert']").count(), "the link warned"
        other.screenshot(path=str(SHOTS / "copied_link_opened.png"), full_page=True)
    finally:
        other.context.close()
    assert other_console.errors == []
    assert console.errors == []


def test_hostile_link_warns_and_still_draws(page, server, console):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_app(page, server,
             "?v=1&steps=abc&surface=nope&opt=adam,zzz&junk=<script>alert(1)</script>")

    warning = page.locator("[data-testid='stAlert']")
    assert warning.count() == 1
    text = warning.inner_text()
    for key in ("steps", "surface", "opt", "junk"):
        assert re.search(rf"(^|\W){re.escape(key)}\W", text), f"warning does not name {key}"
    assert "<script" not in text
    assert not page.locator("[data-testid='stMain'] script").count()
    # the chart draws the fallbacks: Rosenbrock, and Adam alone (zzz skipped)
    assert page.locator(f"{PLOT} .legendtext").all_text_contents() == ["Adam"]
    assert page.locator("h3", has_text="Rosenbrock").count() == 1
    assert background_image_href(page)
    after_frames(page, 10)  # the drawn page has painted: a script would have run by now
    assert dialogs == []
    assert console.errors == []


def test_a_hostile_value_is_echoed_only_as_code(page, server, console):
    """A link like those the load harness sends: one warning naming each bad key, a
    hostile value shown as text in a code span (never markup), and still a chart."""
    hostile = urlencode({"v": "9", "surface": "nope<script>", "adam.learning_rate": "abc",
                         "opt": "sgd,evil", "start": "1e999,0", "zzz": "[x](javascript:1)"})
    open_app(page, server, f"?{hostile}")
    warning = page.locator("[data-testid='stAlert']")
    assert warning.count() == 1
    spans = warning.locator("code").all_text_contents()
    for key in ("v", "surface", "opt", "start", "zzz"):
        assert key in spans, f"the warning does not name `{key}`: {spans}"
    assert "nope<script>" in spans  # echoed as the text of a code span: nothing renders
    assert not page.locator("[data-testid='stMain'] script").count()
    assert not page.locator("[data-testid='stMain'] a[href^='javascript']").count()
    assert not page.locator("[data-testid='stException']").count()
    assert page.locator(f"{PLOT} .legendtext").all_text_contents() == ["SGD"]
    assert console.errors == []


#: Page pixel of racer `k`'s moving marker on the metric chart (x2, y2), and its value.
JS_CURVE_MARKER = """(k) => {
  const gd = document.querySelector('.js-plotly-plot');
  const t = gd._fullData.filter(t => t.xaxis === 'x2' && t.mode === 'markers')[k];
  const xa = gd._fullLayout.xaxis2, ya = gd._fullLayout.yaxis2;
  const box = gd.getBoundingClientRect();
  return [box.left + xa._offset + xa.c2p(t.x[0]), box.top + ya._offset + ya.c2p(t.y[0]),
          t.x[0], t.y[0]];
}"""


def test_click_on_metric_chart_keeps_start(page, server, console):
    """Only the contour sets the start: a click on the metric chart (step, f − f*) must
    not become a start point."""
    open_app(page, server)
    start = number_input(page, "start x"), number_input(page, "start y")
    px, py, step, value = page.evaluate(JS_CURVE_MARKER, 2)  # Adam's marker at step 0
    px += 4  # the marker sits on the axis edge; hover picks it within 20 px
    events = page.evaluate("""() => { window._clicks = [];
      document.querySelector('.js-plotly-plot').on('plotly_click',
        e => window._clicks.push(e.points.map(p => [p.x, p.y]))); }""")
    assert events is None
    page.mouse.move(px, py)
    watch_script_state(page)
    page.mouse.click(px, py)
    wait_for_js(page, "() => window._clicks.length", what="plotly to report the click",
                timeout_ms=10_000)
    # The selection normally reruns the script (then its end is awaited); under load
    # Streamlit can fold it into no rerun at all, and then the page is already idle.
    rerun_started(page, within_ms=10_000)
    wait_for_app(page)
    assert page.evaluate("window._clicks")[0] == [[step, value]]
    assert (number_input(page, "start x"), number_input(page, "start y")) == start, (
        f"a click on the metric chart at (step {step}, {value:.4g}) moved the start")
    assert not page.locator("[data-testid='stAlert']").count()
    assert console.errors == []


def test_typed_formula_renders_and_bad_one_keeps_view(page, server, console):
    open_app(page, server, "?v=1&surface=formula&formula=x%5E2%2By%5E2&opt=sgd,adam")
    assert page.locator("h3", has_text="f(x, y)").count() == 1
    box = page.locator("[data-testid='stTextInput']", has_text="f(x, y) =").locator("input")
    box.fill("sin(x)*cos(y) + 0.1*(x^2 + y^2)")
    box.press("Enter")
    wait_for_js(page, f"() => ({JS_QUERY_VALUE})('formula').includes('sin')",
                what="the typed formula to reach the URL")
    wait_for_app(page)
    good = page.evaluate(JS_PATHS)
    assert [p["name"] for p in good] == ["SGD", "Adam"]

    box.fill("x.__class__")
    box.press("Enter")
    page.locator("[data-testid='stAlert']", has_text="formula was not used").wait_for(
        timeout=60_000)
    wait_for_app(page)
    assert page.evaluate(JS_PATHS) == good, "a refused formula must keep the previous view"
    assert "sin" in parse_qs(urlsplit(address(page)).query)["formula"][0]
    page.screenshot(path=str(SHOTS / "formula_refused.png"), full_page=True)
    assert console.errors == []
