"""The race as a student uses it: a real `streamlit run` server driven by chromium.

The race is the stage (static/stage/, ui/stage.py). Selectors, read off the live DOM
(streamlit 1.67, plotly.js 4.1):
- the stage is `.stage`; `data-ready` holds the id of the race it has drawn, `data-busy`
  is set while it draws one, `data-grid` and `data-ladders` are "ready" once the drag
  grid and the ladders' runs have arrived;
- its plots are plotly graph divs: `.stage-map`, `.stage-chart`, `.stage-scene` (the 3D
  mesh) and `.stage-marks` (the 3D markers, a transparent scene above the mesh);
- each moving trace names its role in `meta` ("paths:0", "markers:2", "start:0");
- the player: `.stage-play`, `.stage-speed`, `.stage-step` (a range input) and
  `.stage-counter` ("step 12 / 200"); the scrubbers: `.stage-scrubs input[data-scrub]`;
- the share box: `.share-url` (a read-only input holding the link).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import numpy as np
import pytest

from tests.e2e.conftest import (
    SHOTS,
    ConsoleLog,
    address,
    after_frames,
    new_page,
    rerun_started,
    wait_for_app,
    wait_for_js,
    wait_for_rerun,
    watch_script_state,
)
from views.race import label_slots, stacked_label

pytestmark = pytest.mark.browser

RACERS = ("SGD", "Momentum", "Adam")
MAP = ".stage-map"

#: The traces of one role in a stage plot: [{meta, name, x, y}] in trace order.
JS_ROLE = """([plot, role]) => {
  const gd = document.querySelector('.stage-' + plot);
  return gd.data.filter(t => typeof t.meta === 'string' && t.meta.startsWith(role + ':'))
    .map(t => ({meta: t.meta, name: t.name || null, x: Array.from(t.x || [], Number),
                y: Array.from(t.y || [], Number)}));
}"""

#: Page pixel of a data point (x, y) on the map's axes.
JS_DATA_TO_PAGE = """([x, y]) => {
  const gd = document.querySelector('.stage-map');
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const box = gd.getBoundingClientRect();
  return [box.left + xa._offset + xa.l2p(x), box.top + ya._offset + ya.l2p(y)];
}"""

#: Whether the start inputs hold (x, y), to the inputs' rounding.
JS_START_INPUTS_AT = """([x, y]) => {
  const value = label => Number([...document.querySelectorAll("[data-testid='stNumberInput']")]
    .find(box => box.innerText.includes(label))?.querySelector('input')?.value ?? NaN);
  return Math.abs(value('start x') - x) <= 6e-4 && Math.abs(value('start y') - y) <= 6e-4;
}"""

#: The current value of a query key in the address bar ('' if absent).
JS_QUERY_VALUE = "(key) => new URLSearchParams(window.location.search).get(key) || ''"

#: The step the player's counter shows, past ``after``.
JS_COUNTER_PAST = """(after) => {
  const m = document.querySelector('.stage-counter')?.textContent.match(/^step (\\d+) \\//);
  return m !== null && m !== undefined && Number(m[1]) > after;
}"""

#: Whether the race's summary table (the page's last table) holds a text.
JS_SUMMARY_HOLDS = """(text) => {
  const tables = document.querySelectorAll("[data-testid='stMarkdownContainer'] table");
  return tables.length > 0 && tables[tables.length - 1].innerText.includes(text);
}"""

#: Every 3D camera of the stage (the mesh's scene and the markers' scene above it).
JS_CAMERAS = """() => ['scene', 'marks'].map(name =>
  JSON.parse(JSON.stringify(document.querySelector('.stage-' + name)._fullLayout.scene.camera)))"""


def wait_for_paused_frame_in_link(page) -> None:
    """Wait until the frame the stage paused on is in the address bar: a pause sends it
    to the server (one rerun)."""
    frame = int(page.locator(".stage-step").input_value())
    wait_for_js(page, f"() => ({JS_QUERY_VALUE})('frame') === '{frame}'",
                what="the address bar to hold the paused frame", timeout_ms=60_000)


def open_app(page, base: str, query: str = "") -> None:
    page.goto(f"{base}/{query}")
    wait_for_app(page)


def role(page, plot: str, name: str) -> list[dict]:
    return page.evaluate(JS_ROLE, [plot, name])


def paths(page) -> dict[str, tuple[list[float], list[float]]]:
    """Each racer's whole path on the map, by name."""
    return {t["name"]: (t["x"], t["y"]) for t in role(page, "map", "paths") if t["name"]}


def markers(page) -> dict[str, tuple[float, float]]:
    return {t["name"]: (t["x"][0], t["y"][0]) for t in role(page, "map", "markers")}


def start_marker(page) -> tuple[float, float]:
    (start,) = role(page, "map", "start")
    return start["x"][0], start["y"][0]


def step_shown(page) -> int:
    text = page.locator(".stage-counter").text_content() or ""
    match = re.fullmatch(r"step (\d+) / \d+", text.strip())
    assert match, f"the counter reads {text!r}, not 'step <n> / <steps>'"
    return int(match.group(1))


def number_input(page, label: str) -> float:
    box = page.locator("[data-testid='stNumberInput']", has_text=label)
    return float(box.locator("input").input_value())


def start_from_url(url: str) -> tuple[float, float]:
    values = parse_qs(urlsplit(url).query).get("start")
    assert values, f"no start= in {url}"
    x, y = values[0].split(",")
    return float(x), float(y)


def pixel(page, x: float, y: float) -> tuple[float, float]:
    return tuple(page.evaluate(JS_DATA_TO_PAGE, [x, y]))


def click_start(page, x: float, y: float, console=None) -> None:
    """Click the map at data point (x, y); wait for the start inputs to show it
    (reporting what the page raised, if it raised instead)."""
    px, py = pixel(page, x, y)
    page.mouse.move(px, py)
    page.mouse.click(px, py)
    try:
        wait_for_js(page, JS_START_INPUTS_AT, [x, y],
                    what=f"start inputs to show ({x:.3f}, {y:.3f})", timeout_ms=60_000)
    except AssertionError:
        if console is not None and console.errors:
            raise AssertionError(f"the click raised in the page: {console.errors}") from None
        raise
    wait_for_app(page)


def background_href(page) -> str | None:
    image = page.locator(f"{MAP} g.imagelayer image")
    return image.get_attribute("href") if image.count() == 1 else None


def track_sent_frames(page) -> list[str]:
    """Every websocket frame the page sends from now on (Streamlit's BackMsgs)."""
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    return sent


# -- drawn once ---------------------------------------------------------------------------


def test_the_page_draws_the_stage_from_the_apps_own_plotly(page, server, console):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    open_app(page, server)
    assert page.locator(".stage-legend-item").all_text_contents() == list(RACERS)
    href = background_href(page)
    assert href and href.startswith("blob:"), "no contour image"
    assert page.locator("h3", has_text="Rosenbrock").count() == 1
    assert step_shown(page) == 0
    assert markers(page).keys() == set(RACERS)
    assert start_marker(page) == pytest.approx((-1.5, 2.5))
    assert all(len(x) == 201 for x, _ in paths(page).values())
    # plotly.js comes from the app itself, and nothing from another host
    assert any(re.search(r"/app/static/plotly-[\d.]+\.min\.js$", url) for url in requests)
    host = urlsplit(server).netloc
    assert [u for u in requests if urlsplit(u).netloc not in (host, "")] == []
    assert not page.locator("[data-testid='stException']").count()
    page.screenshot(path=str(SHOTS / "stage_default.png"))
    assert console.errors == []


# -- playback ---------------------------------------------------------------------------------


def test_play_advances_pause_stops_and_the_link_keeps_the_frame(page, server, console):
    open_app(page, server)
    before = markers(page)
    page.click(".stage-play")
    wait_for_js(page, JS_COUNTER_PAST, 5, what="Play to advance the counter")
    after = markers(page)
    assert after.keys() == before.keys() == set(RACERS)
    assert any(after[name] != before[name] for name in RACERS), "no marker moved"

    watch_script_state(page)
    page.click(".stage-play")  # now reads "Pause"
    paused = step_shown(page), markers(page)
    after_frames(page, 30)  # a second of a playing clock's frames
    assert (step_shown(page), markers(page)) == paused, "Pause did not stop"
    # the paused frame reaches the link (one rerun), and the stage stays where it was
    wait_for_paused_frame_in_link(page)
    wait_for_app(page)
    assert (step_shown(page), markers(page)) == paused
    assert console.errors == []


def test_after_playing_to_the_end_a_click_still_sets_the_start(page, server, console):
    open_app(page, server, "?v=1&steps=60")
    tag_stage(page)
    for x in (0.5, 0.3, 0.1):  # a new race often supersedes its own first render
        page.select_option(".stage-speed", "4")
        page.click(".stage-play")
        wait_for_js(page, "() => document.querySelector('.stage-counter').textContent"
                    ".startsWith('step 60 /')", what="playback to reach the end")
        assert background_href(page), "the contour image went away while playing"
        click_start(page, x, -0.5, console)
        assert background_href(page)
        assert start_marker(page) == pytest.approx((x, -0.5), abs=1e-3)
        assert stage_tags(page) == ["kept"], "the new race made a new stage"
    assert console.errors == []


def tag_stage(page) -> None:
    page.evaluate("document.querySelector('.stage').dataset.tag = 'kept'")


def stage_tags(page) -> list[str]:
    """Each stage on the page: 'kept' if it is the one `tag_stage` tagged."""
    return page.evaluate("Array.from(document.querySelectorAll('.stage'), "
                         "(s) => s.dataset.tag || 'new')")


#: Streamlit's cleanup of the stage element's mount, called on the element's container:
#: first while it is on the page, then after it left.
JS_RELEASE = """async (onPage) => {
  const { release } = await import(new URL('app/static/stage/stage.js', document.baseURI));
  const container = document.querySelector('.stage').parentElement;
  const holder = container.parentElement;
  if (!onPage) container.remove();
  release(container);
  await new Promise((done) => setTimeout(done, 50));
  const left = { stage: container.querySelector('.stage') !== null };
  if (!onPage) holder.append(container);
  return left;
}"""


def test_a_superseded_render_keeps_the_stage_and_leaving_the_page_ends_it(
        page, server, console):
    """Streamlit also calls a mount's cleanup when a newer message superseded that mount
    while it loaded, with the element still on the page: the stage must live on (ending
    it purged the plots the newer race was drawn on, and a new stage drew everything
    again). Only an element that left the page ends its stage."""
    open_app(page, server)
    tag_stage(page)
    assert page.evaluate(JS_RELEASE, True) == {"stage": True}
    before = markers(page)
    page.click(".stage-play")
    wait_for_js(page, JS_COUNTER_PAST, 5, what="the kept stage to play")
    assert markers(page) != before
    assert stage_tags(page) == ["kept"]
    assert page.evaluate(JS_RELEASE, False) == {"stage": False}
    assert console.errors == []


def test_the_3d_view_plays_and_keeps_the_users_camera(page, server, console):
    open_app(page, server, "?v=1&view=3d&steps=60")
    assert page.locator(".stage-scene .gl-container canvas").count() >= 1
    # the user turns the view; the markers' scene above follows the mesh's
    page.evaluate("""() => Plotly.relayout(document.querySelector('.stage-scene'),
                       {'scene.camera.eye': {x: 0.3, y: -2.1, z: 0.9}})""")
    wait_for_js(page, f"() => ({JS_CAMERAS})()[1].eye.y === -2.1",
                what="the markers' scene to follow the camera")
    page.click(".stage-play")
    wait_for_js(page, JS_COUNTER_PAST, 10, what="3D playback to advance")
    page.click(".stage-play")
    # the pause sends its frame to the link (a rerun): the step change below must come
    # after it, or it joins that rerun and no new one starts
    wait_for_paused_frame_in_link(page)
    # a new race (another learning rate) keeps the camera: the plots are updated in place
    wait_for_rerun(page, lambda: page.locator("[data-testid='stSlider']", has_text="steps")
                   .locator("input[type='range']").press("ArrowRight"), "a new step count")
    cameras = page.evaluate(JS_CAMERAS)
    assert [c["eye"] for c in cameras] == [{"x": 0.3, "y": -2.1, "z": 0.9}] * 2
    page.screenshot(path=str(SHOTS / "stage_3d.png"))
    assert console.errors == []


# -- the pointer on the map ---------------------------------------------------------------


def test_a_click_anywhere_on_the_map_sets_the_start(page, server, console):
    open_app(page, server)
    assert (number_input(page, "start x"), number_input(page, "start y")) == (-1.5, 2.5)
    x, y = 0.8, -0.7  # no marker, no path near: the map itself takes the click
    click_start(page, x, y, console)
    wait_for_js(page, "(key) => { const v = new URLSearchParams(window.location.search)"
                ".get(key); return v !== null && v !== '-1.5,2.5'; }", "start",
                what="the URL to follow")
    url_x, url_y = start_from_url(address(page))
    assert (url_x, url_y) == pytest.approx((x, y), abs=2e-3)
    # the race now starts there: every path begins at the clicked point
    for name, (px, py) in paths(page).items():
        assert (px[0], py[0]) == pytest.approx((url_x, url_y), abs=1e-4), name
    assert console.errors == []


def test_dragging_the_start_moves_every_path_and_release_sets_it(page, server, console):
    open_app(page, server)
    sx, sy = pixel(page, -1.5, 2.5)
    page.mouse.move(sx + 30, sy + 30)
    page.mouse.move(sx, sy)  # nearing the start asks the server for the grid of starts
    wait_for_js(page, "() => document.querySelector('.stage').dataset.grid === 'ready'",
                what="the drag grid to arrive", timeout_ms=60_000)
    before = paths(page)
    page.mouse.down()
    tx, ty = pixel(page, 0.5, 0.5)
    moved_mid_drag = False
    for k in range(1, 11):
        page.mouse.move(sx + (tx - sx) * k / 10, sy + (ty - sy) * k / 10, steps=2)
        after_frames(page, 1)
        now = paths(page)
        moved_mid_drag |= all(now[n][0][0] != before[n][0][0] for n in RACERS)
    assert moved_mid_drag, "the paths did not follow the pointer during the drag"
    first = {n: (p[0][0], p[1][0]) for n, p in paths(page).items()}
    for name in RACERS:  # previews start at the grid start nearest the pointer
        assert first[name] == pytest.approx((0.5, 0.5), abs=0.2), name
    page.mouse.up()
    wait_for_js(page, "() => new URLSearchParams(window.location.search).get('start')"
                " !== '-1.5,2.5'", what="the release to reach the link", timeout_ms=60_000)
    wait_for_app(page)
    url_start = start_from_url(address(page))
    assert url_start == pytest.approx((0.5, 0.5), abs=0.02)
    assert start_marker(page) == pytest.approx(url_start, abs=1e-4)
    for name, (px, py) in paths(page).items():  # the exact runs from the released point
        assert (px[0], py[0]) == pytest.approx(url_start, abs=1e-4), name
    opacity = page.evaluate("() => document.querySelector('.stage-chart')._fullData"
                            ".map(t => t.opacity)")
    assert set(opacity) == {1}, "the chart stayed dimmed after the drag"
    assert console.errors == []


def test_a_click_on_the_metric_chart_keeps_the_start(page, server, console):
    """Only the map sets the start: a click on the chart is no start point, and no rerun."""
    open_app(page, server)
    box = page.locator(".stage-chart").bounding_box()
    watch_script_state(page)
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    assert not rerun_started(page, within_ms=1_500)
    assert (number_input(page, "start x"), number_input(page, "start y")) == (-1.5, 2.5)
    assert console.errors == []


# -- scrubbing ------------------------------------------------------------------------------


def test_scrubbing_a_learning_rate_moves_its_path_without_a_round_trip(page, server,
                                                                        console):
    sent = track_sent_frames(page)
    open_app(page, server)
    # the ladders' runs are asked for as soon as the race is drawn
    wait_for_js(page, "() => document.querySelector('.stage').dataset.ladders === 'ready'",
                what="the ladders to arrive", timeout_ms=60_000)
    scrub = page.locator(".stage-scrubs input[aria-label^='learning rate']"
                         "[aria-label$='of racer 3']")
    assert scrub.count() == 1
    before = paths(page)
    box = scrub.bounding_box()
    lo, hi = int(scrub.get_attribute("min")), int(scrub.get_attribute("max"))
    value = int(scrub.input_value())
    thumb = box["x"] + box["width"] * (value - lo) / (hi - lo)
    watch_script_state(page)
    sent.clear()
    page.mouse.move(thumb, box["y"] + box["height"] / 2)
    page.mouse.down()
    for dx in range(4, 44, 4):  # ten moves to the right, a few notches
        page.mouse.move(thumb + dx, box["y"] + box["height"] / 2)
        after_frames(page, 1)
    scrubbed = paths(page)
    assert int(scrub.input_value()) > value
    assert scrubbed["Adam"] != before["Adam"], "Adam's path did not follow the scrub"
    assert scrubbed["SGD"] == before["SGD"] and scrubbed["Momentum"] == before["Momentum"]
    assert sent == [], f"{len(sent)} messages reached the server before the release"
    assert page.evaluate("window._scriptStates") == []
    page.mouse.up()  # the release commits the notch: the link, the table, the exports
    wait_for_js(page, f"() => ({JS_QUERY_VALUE})('r3.learning_rate') !== '0.1'",
                what="the committed value to reach the link", timeout_ms=60_000)
    wait_for_app(page)
    committed = parse_qs(urlsplit(address(page)).query)["r3.learning_rate"][0]  # Adam
    # the address changes as the run begins, the table as it ends
    wait_for_js(page, JS_SUMMARY_HOLDS, f"learning_rate={float(committed):g}",
                what=f"the summary to show Adam's learning_rate={committed}")
    assert sent, "the release sent nothing"
    assert console.errors == []


# -- links ------------------------------------------------------------------------------------


def test_the_copied_link_reproduces_the_view_in_a_new_context(page, browser, server,
                                                              console):
    open_app(page, server)
    page.locator("[data-testid='stSelectbox']", has_text="Loss surface").click()
    page.locator("[role='option']", has_text="Himmelblau").click()
    page.locator("h3", has_text="Himmelblau").wait_for(timeout=60_000)
    wait_for_app(page)
    wait_for_js(page, f"() => ({JS_QUERY_VALUE})('surface') === 'himmelblau'",
                what="the URL to follow")
    click_start(page, 1.0, -1.0, console)
    page.fill(".stage-step", "40")  # scrub the player to a frame, then let it settle
    page.dispatch_event(".stage-step", "change")
    wait_for_js(page, f"() => ({JS_QUERY_VALUE})('frame') === '40'",
                what="the frame to reach the link", timeout_ms=60_000)
    wait_for_app(page)

    link = page.locator(".share-url").input_value()
    assert link.split("?", 1)[1] == urlsplit(address(page)).query, "share link != address bar"
    assert parse_qs(urlsplit(link).query)["surface"] == ["himmelblau"]
    seen = paths(page), markers(page), start_marker(page), step_shown(page)

    other_console = ConsoleLog()
    other = new_page(browser, other_console)
    try:
        other.goto(link)
        wait_for_app(other)
        assert other.locator("h3", has_text="Himmelblau").count() == 1
        assert (paths(other), markers(other), start_marker(other), step_shown(other)) == seen
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
    # the stage draws the fallbacks: Rosenbrock, and Adam alone (zzz skipped)
    assert page.locator(".stage-legend-item").all_text_contents() == ["Adam"]
    assert page.locator("h3", has_text="Rosenbrock").count() == 1
    assert background_href(page)
    after_frames(page, 10)  # the drawn page has painted: a script would have run by now
    assert dialogs == []
    assert console.errors == []


def test_a_hostile_value_is_echoed_only_as_code(page, server, console):
    """A link like those the load harness sends: one warning naming each bad key, a
    hostile value shown as text in a code span (never markup), and still a race."""
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
    assert page.locator(".stage-legend-item").all_text_contents() == ["SGD"]
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
    good = paths(page)
    assert list(good) == ["SGD", "Adam"]

    box.fill("x.__class__")
    box.press("Enter")
    page.locator("[data-testid='stAlert']", has_text="formula was not used").wait_for(
        timeout=60_000)
    wait_for_app(page)
    assert paths(page) == good, "a refused formula must keep the previous view"
    assert "sin" in parse_qs(urlsplit(address(page)).query)["formula"][0]
    page.screenshot(path=str(SHOTS / "formula_refused.png"), full_page=True)
    assert console.errors == []


#: A label that would run a script and draw bold text if anything rendered it.
MARKUP_LABEL = "<img src=x onerror=alert(1)><b>bold</b>"


def test_an_optimizer_twice_shows_both_racers_with_their_labels_as_text(page, server,
                                                                        console):
    """A v=2 link racing Adam twice (β₁ = 0.9 and 0), the second labelled with markup: the
    legend lists both, each in its own colour, and the label shows as typed: no element
    made of it anywhere on the page, no script run, the link keeps it."""
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    query = urlencode({"v": "2", "racers": "adam,adam", "r2.b1": "0",
                       "r2.label": MARKUP_LABEL, "steps": "60"})
    open_app(page, server, f"?{query}")
    assert page.locator("[data-testid='stAlert']").count() == 0
    items = page.locator(".stage-legend-item")
    assert items.all_text_contents() == ["Adam (β₁=0.9)", MARKUP_LABEL]
    strokes = [items.nth(i).locator("line").get_attribute("stroke") for i in range(2)]
    assert strokes[0] != strokes[1]
    # two different runs, both drawn
    (x1, y1), (x2, y2) = (p for p in paths(page).values())
    assert len(x1) > 1 and len(x2) > 1 and (x1, y1) != (x2, y2)
    # nothing anywhere was made of the label's markup
    assert not page.locator("img[src='x'], b:has-text('bold')").count()
    table = page.locator("[data-testid='stMarkdown'] table", has_text="hyperparameters")
    assert MARKUP_LABEL in table.inner_text()
    assert page.evaluate(JS_QUERY_VALUE, "r2.label") == MARKUP_LABEL
    assert page.evaluate(JS_QUERY_VALUE, "racers") == "adam,adam"
    after_frames(page, 10)  # the drawn page has painted: a script would have run by now
    assert dialogs == []
    assert console.errors == []


def test_a_folded_racer_box_shows_its_settings_when_opened_and_keeps_them(page, server,
                                                                       console):
    """Three racers start with folded boxes that hold no widgets; a click on one opens
    it (a rerun draws its sliders), a moved slider reaches the link, and folding the box
    again keeps the value. Picking an optimizer adds a racer."""
    open_app(page, server)
    sidebar = page.locator("[data-testid='stSidebar']")
    sliders = sidebar.locator("[data-testid='stSlider']", has_text="learning rate")
    assert sliders.count() == 0
    title = sidebar.locator("[data-testid='stExpander'] summary", has_text="Adam")
    title.click()
    wait_for_js(page, """() => [...document.querySelectorAll(
        "[data-testid='stSidebar'] [data-testid='stSlider']")]
        .some((s) => s.innerText.includes('learning rate'))""",
                what="Adam's sliders to be drawn")
    wait_for_app(page)
    slider = sliders.first.locator("input[type='range']")
    slider.focus()
    page.keyboard.press("ArrowRight")
    wait_for_js(page, f"() => ({JS_QUERY_VALUE})('r3.learning_rate') !== '0.1'",
                what="the moved learning rate to reach the link")
    wait_for_app(page)
    moved = page.evaluate(JS_QUERY_VALUE, "r3.learning_rate")
    title.click()  # folded again: the sliders go, the value stays
    wait_for_js(page, """() => ![...document.querySelectorAll(
        "[data-testid='stSidebar'] [data-testid='stSlider']")]
        .some((s) => s.innerText.includes('learning rate'))""",
                what="the folded box to draw nothing")
    wait_for_app(page)
    page.locator("[data-testid='stSidebar'] [data-testid='stSlider']", has_text="Steps") \
        .locator("input[type='range']").focus()
    page.keyboard.press("ArrowRight")  # another run while the box is folded
    wait_for_js(page, f"() => ({JS_QUERY_VALUE})('steps') !== '200'",
                what="the steps to change")
    wait_for_app(page)
    assert page.evaluate(JS_QUERY_VALUE, "r3.learning_rate") == moved
    # picking an optimizer in "Add a racer" adds it, its box open, the picker empty again
    picker = sidebar.locator("[data-testid='stSelectbox']", has_text="Add a racer")
    picker.locator("input").click()
    page.keyboard.type("RMSProp")
    page.keyboard.press("Enter")
    wait_for_js(page, f"() => ({JS_QUERY_VALUE})('racers') === 'sgd,momentum,adam,rmsprop'",
                what="the picked optimizer to join the race")
    wait_for_app(page)
    assert sidebar.locator("[data-testid='stSlider']", has_text="decay").count() == 1
    field = picker.locator("input")
    assert field.input_value() == ""
    assert field.get_attribute("placeholder") == "Pick an optimizer to race…"
    assert console.errors == []


#: The words of the map's divergence marks as drawn: [text, left, top, right, bottom].
JS_DIVERGENCE_WORDS = """() => [...document.querySelectorAll('.stage-map g.textpoint text')]
  .filter((t) => t.textContent.includes('diverged'))
  .map((t) => { const r = t.getBoundingClientRect();
                return [t.textContent.trim(), r.left, r.top, r.right, r.bottom]; })"""

#: static/stage/labels.js's placement of each case: [slots, [[text, position], …]].
JS_LABEL_PLACES = """async (cases) => {
  const { labelSlots, stackedLabel } = await import(
    new URL('app/static/stage/labels.js', document.baseURI));
  return cases.map(([points, domain]) => {
    const slots = labelSlots(points, domain);
    return [slots, slots.map((slot, i) => stackedLabel('w', slot, i % 2 === 1))];
  });
}"""


def test_racers_diverging_at_one_place_list_their_words(page, server, console):
    """SGD twice on Goldstein–Price: both diverge at the first step, where they started,
    and their words sit on two lines, not over each other. The stage places them by the
    exported figure's rule (views/race.py), checked on random marks."""
    query = urlencode({"v": "2", "surface": "goldstein_price", "racers": "sgd,sgd",
                       "r1.label": "SGD", "r2.label": "SGD again", "steps": "60"})
    open_app(page, server, f"?{query}")
    words = page.evaluate(JS_DIVERGENCE_WORDS)
    assert sorted(w[0].split(" diverged")[0] for w in words) == ["SGD", "SGD again"]
    (_, l1, t1, r1, b1), (_, l2, t2, r2, b2) = words
    assert b1 > t1 and b2 > t2, words  # drawn
    assert min(b1, b2) <= max(t1, t2) or min(r1, r2) <= max(l1, l2), words

    rng = np.random.default_rng(0)
    cases = []
    for _ in range(40):
        domain = [[-2.0, 3.0], [-1.0, 1.5]]
        n = int(rng.integers(1, 9))
        clustered = rng.normal([0.5, 0.25], [0.6, 0.15], (n, 2)).tolist()
        cases.append(([None if rng.random() < 0.2 else p for p in clustered], domain))
    for (points, domain), (slots, places) in zip(cases, page.evaluate(JS_LABEL_PLACES, cases),
                                                 strict=True):
        assert slots == label_slots(points, domain)
        assert places == [list(stacked_label("w", s, i % 2 == 1)) for i, s in enumerate(slots)]
    assert console.errors == []
