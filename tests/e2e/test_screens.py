"""The screens a shared link is opened on: a phone, a tablet, a projector in presenter
mode and a desktop, in the light and the dark theme.

For every view (the race in contour and 3D, a network's race with its data panel, every
study and the MLP) and every screen: nothing of {axis titles, tick labels, colour bar,
legend, annotations, playback controls} overlaps anything else; in the dark theme as in
the light one, the figures show the page's background (no white block in a dark room),
and the racers' lines keep a contrast of 3:1 against it. Presenter mode at 1280 × 720
and 1920 × 1080 keeps the title, the figure, the playback controls and the step buttons
on one screen, in text of 18 px or more. A tap on a touch screen sets the start.
Screenshots: artifacts/screens/.

One page per view: the screen sizes are visited by resizing that page (the layouts
follow the width) in the light theme; then the browser turns dark on the last screen,
where every part must keep its place.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import (
    ARTIFACTS,
    ConsoleLog,
    address,
    after_frames,
    serving,
    wait_for_app,
    wait_for_js,
    wait_for_rerun,
)
from views.style import LINE_CONTRAST, contrast

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "screens"
READ = (Path(__file__).parent / "screens.js").read_text()
#: name -> (width, height)
SCREENS = {"phone": (390, 844), "tablet": (820, 1180), "projector": (1280, 720),
           "desktop": (1920, 1080)}
THEMES = ("light", "dark")
RACERS = "opt=sgd,momentum,adam"
VIEWS = {
    "race": RACERS,
    "race-3d": f"{RACERS}&view=3d",
    "network": f"{RACERS}&surface=tanh_unit",
    "network-3d": f"{RACERS}&surface=tanh_unit&view=3d",
    "lr_fan": "mode=lr_fan",
    "lr_frames": "mode=lr_frames",
    "lr_curve": "mode=lr_curve&surface=quadratic",
    "heatmap": "mode=heatmap&opt=momentum",
    "basins": "mode=basins&surface=himmelblau",
    "seeds": "mode=seeds",
    "mlp": "mode=mlp",
}
#: Two boxes overlap when they share more than this many pixels each way (a text's box
#: is its font's whole line height, taller than its glyphs).
SLACK_PX = 2.0


def _rgb(css: str) -> str:
    """'rgb(r, g, b)' / 'rgba(...)' / '#rrggbb' -> '#rrggbb'."""
    if css.startswith("#"):
        return css[:7]
    r, g, b = (int(float(v)) for v in re.findall(r"[\d.]+", css)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def _transparent(css: str) -> bool:
    return css in ("", "transparent") or css.replace(" ", "").startswith("rgba(0,0,0,0")


def _crossing(a: dict, b: dict) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > SLACK_PX
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > SLACK_PX)


def overlaps(seen: dict) -> list[str]:
    """Every pair of things drawn on top of each other, in words."""
    items, found = seen["items"], []
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            if a["kind"] == b["kind"] and not a["kind"].startswith("tick labels"):
                continue  # one kind's own parts (a colour bar's pieces, the controls)
            together = "stage" in (a["where"], b["where"]) or a["where"] == b["where"]
            if together and _crossing(a, b):
                found.append(f"{a['kind']} '{a['text']}' ({a['where']}) × "
                                 f"{b['kind']} '{b['text']}' ({b['where']})")
    found += [f"plot {where} drew past its cell" for where in seen["overflowing"]]
    plots = [p for p in seen["plotBoxes"] if "stage-marks" not in p["where"]]
    for i, a in enumerate(plots):
        for b in plots[i + 1:]:
            if _crossing(a, b):
                found.append(f"plot {a['where']} × plot {b['where']}")
    return found


#: Every scroll position on the page, to put back after a screenshot scrolled.
JS_SCROLLS = """(put) => { const all = [document.scrollingElement,
  ...document.querySelectorAll('[data-testid=stMain], [data-testid=stAppViewContainer]')];
  if (put) all.forEach((el, i) => { if (el) el.scrollTop = put[i]; });
  return all.map((el) => el ? el.scrollTop : 0); }"""
#: A pixel of the scene's own (the surface, an axis, a title), not of the background: one
#: whose colour differs from the box's corner by more than this (sum over R, G and B).
INK = 60


def scene_cut(page) -> list[str]:
    """The 3D scene reaching a side of its box: drawn too large for it, its surface or the
    axes' titles cut off (a box much taller than wide, or a small one, without
    screen.js's fitCamera)."""
    scene = page.locator(".stage-scene")
    if not scene.count() or not scene.is_visible():
        return []
    scrolls = page.evaluate(JS_SCROLLS, None)
    rgb = np.asarray(Image.open(io.BytesIO(scene.screenshot())).convert("RGB"), dtype=int)
    page.evaluate(JS_SCROLLS, scrolls)
    sides = np.concatenate([rgb[:, :3], rgb[:, -3:]], axis=1)
    ink = np.abs(sides - rgb[0, 0]).sum(axis=-1) > INK
    if ink.sum() > 10:
        return [f"the 3D scene is cut at a side of its box ({ink.sum()} of its pixels on "
                f"the box's sides)"]
    return []


def check_screen(page, view: str, screen: str, theme: str) -> list[str]:
    """What is wrong with ``view`` on ``screen`` in ``theme`` (empty: nothing)."""
    seen = page.evaluate(READ)
    page.screenshot(path=str(SHOTS / f"{view}-{screen}-{theme}.png"))
    problems = overlaps(seen)
    background = _rgb(seen["appBackground"])
    for paper in seen["papers"]:
        if not _transparent(paper) and _rgb(paper) != background:
            problems.append(f"a figure's background {paper} is not the page's {background}")
    for color in seen["tickColors"]:
        if color and contrast(_rgb(color), background) < 4.5:
            problems.append(f"tick labels in {color} on {background}")
            break
    for color in seen["chartLines"]:
        if contrast(_rgb(color), background) < LINE_CONTRAST:
            problems.append(f"a chart line in {color} on {background}: "
                            f"{contrast(_rgb(color), background):.2f}:1")
    problems += scene_cut(page)
    if seen["stageTheme"] and seen["stageTheme"] != theme:
        problems.append(f"the stage drew the {seen['stageTheme']} palette in the {theme} theme")
    return [f"{view} on a {screen} ({theme}): {p}" for p in problems]


def open_view(browser, server, query: str, theme: str, log: ConsoleLog, **context):
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, color_scheme=theme,
                              **context)
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    page.on("console", log.on_console)
    page.on("pageerror", log.on_pageerror)
    page.goto(f"{server}/?{query}")
    wait_for_app(page)
    return page


#: Every plot is drawn at its cell's size, and the stage at its width class.
JS_SETTLED = """() => {
  const stage = document.querySelector('.stage');
  if (stage && (stage.dataset.busy ||
      stage.dataset.narrow !== (stage.clientWidth < 640 ? 'yes' : 'no'))) return false;
  return [...document.querySelectorAll('.js-plotly-plot')].every((div) => {
    const svg = div.querySelector('.main-svg');
    if (!svg || div.clientWidth === 0) return true;
    return Math.abs(svg.clientWidth - div.clientWidth) < 3
      && (div.closest('[data-testid=stPlotlyChart]')
          || Math.abs(svg.clientHeight - div.clientHeight) < 3);
  });
}"""


#: The page's layout has stopped moving: the main column's and the sidebar's widths and
#: every plot's size are the same at 12 animation frames in a row (Streamlit opens or
#: closes its sidebar with a transition after a resize).
JS_STEADY = """() => {
  const size = (el) => el ? `${Math.round(el.getBoundingClientRect().width)}x` +
    `${Math.round(el.getBoundingClientRect().height)}` : '-';
  const now = [document.querySelector("[data-testid='stMain']"),
               document.querySelector("[data-testid='stSidebar']"),
               ...document.querySelectorAll('.js-plotly-plot')].map(size).join('|');
  const last = window._steady || { now: '', frames: 0 };
  window._steady = { now, frames: now === last.now ? last.frames + 1 : 0 };
  return window._steady.frames >= 12;
}"""


def settle(page) -> None:
    """After a resize: the layout has followed (Streamlit may open or close its sidebar,
    which animates), and every plot has been redrawn at its new size."""
    page.evaluate("() => { window._steady = null; }")
    wait_for_js(page, JS_STEADY, what="the layout to stop moving")
    wait_for_js(page, JS_SETTLED, what="the plots to follow the new size")
    after_frames(page, 2)
    wait_for_js(page, JS_SETTLED, what="the plots to follow the new size")


def switch_theme(page, theme: str) -> None:
    """The browser's colour scheme becomes ``theme``, as when a person turns the system
    dark. The stage follows it live (it watches the page's colours); the studies read the
    theme when they run (``st.context.theme``), so their page is loaded again (the
    server's caches answer: nothing is computed twice)."""
    page.emulate_media(color_scheme=theme)
    if page.locator(".stage").count():
        wait_for_js(page, "(theme) => document.querySelector('.stage').dataset.theme === theme",
                    theme, what=f"the stage to take the {theme} theme")
    else:
        page.reload()
        wait_for_app(page)


def moved(before: dict, after: dict) -> list[str]:
    """The parts that are not where they were (text boxes may round a pixel apart)."""
    sides = ("left", "top", "right", "bottom")
    parts = [[(i["kind"], i["text"], i["where"]) for i in seen["items"]]
             for seen in (before, after)]
    if parts[0] != parts[1]:
        return [f"other parts: {sorted(set(parts[0]) ^ set(parts[1]))[:6]}"]
    return [f"{a['kind']} '{a['text']}' ({a['where']}): "
            f"{[round(a[s]) for s in sides]} -> {[round(b[s]) for s in sides]}"
            for a, b in zip(before["items"], after["items"], strict=True)
            if any(abs(a[s] - b[s]) > SLACK_PX for s in sides)]


@pytest.mark.slow
@pytest.mark.parametrize("view", list(VIEWS))
def test_every_view_fits_every_screen(browser, server, view):
    """The layout on every screen in the light theme; then the dark theme, on the last
    screen: its colours, and every part where the light theme put it (a theme changes
    colours only, so the other screens' layouts hold in the dark too)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = ConsoleLog()
    light, dark = THEMES
    page = open_view(browser, server, VIEWS[view], light, log)
    try:
        problems = []
        for screen, (width, height) in SCREENS.items():
            page.set_viewport_size({"width": width, "height": height})
            settle(page)
            problems += check_screen(page, view, screen, light)
        in_light = page.evaluate(READ)
        switch_theme(page, dark)
        settle(page)
        problems += check_screen(page, view, screen, dark)
        problems += [f"{view} in the dark theme: {p}"
                     for p in moved(in_light, page.evaluate(READ))]
        assert not problems, "\n".join(problems)
        assert not log.errors
    finally:
        page.context.close()


#: What a presenter needs on the first screen, by CSS selector.
PRESENTER_MUST_SHOW = {
    "title": "[data-testid='stMainBlockContainer'] h3", "map": ".stage-map .main-svg",
    "chart": ".stage-chart .main-svg", "play": ".stage-play", "step slider": ".stage-step",
    "◀ step": ".st-key-frame-back button", "step ▶": ".st-key-frame-forward button"}
#: The text the room reads, by CSS selector.
PRESENTER_TEXT = [
    ".stage-map .xtick text", ".stage-map .ytick text", ".stage-legend-item",
    ".stage-chart .xtick text", ".stage-chart .ytick text", ".stage-controls button",
    ".stage-counter", "[data-testid='stMainBlockContainer'] h3",
    ".st-key-frame-back button p", "[data-testid='stMainBlockContainer'] p"]
#: The visible text of those selectors under 18 px, as [text, px].
JS_SMALL_TEXT = """(selectors) => selectors.flatMap((s) =>
  [...document.querySelectorAll(s)].filter((el) => {
    const r = el.getBoundingClientRect();
    return el.textContent.trim() && r.height > 0 && r.top < innerHeight && r.bottom > 0;
  })
  .map((el) => [el.textContent.trim().slice(0, 30), parseFloat(getComputedStyle(el).fontSize)])
  .filter(([, px]) => px < 18))"""


@pytest.mark.parametrize("view", ["race", "race-3d", "network"])
def test_presenter_mode_fits_one_screen_in_large_text(browser, server, view):
    """On a projector's 1280 × 720 and 1920 × 1080, one page resized from one to the
    other."""
    log = ConsoleLog()
    page = open_view(browser, server, f"{VIEWS[view]}&present=1", "light", log)
    try:
        for width, height in ((1280, 720), (1920, 1080)):
            page.set_viewport_size({"width": width, "height": height})
            settle(page)
            page.screenshot(path=str(SHOTS / f"{view}-presenter-{width}x{height}.png"))
            outside = {}
            for name, selector in PRESENTER_MUST_SHOW.items():
                box = page.locator(selector).first.bounding_box()
                assert box is not None, f"no {name} on the page"
                if box["y"] < 0 or box["y"] + box["height"] > height + 1:
                    outside[name] = box
            assert not outside, f"below the fold at {width}×{height}: {outside}"
            small = page.evaluate(JS_SMALL_TEXT, PRESENTER_TEXT)
            assert not small, f"text under 18 px at {width}×{height}: {small[:8]}"
        assert not log.errors
    finally:
        page.context.close()


def test_a_tap_on_a_touch_screen_sets_the_start(browser, server):
    log = ConsoleLog()
    page = open_view(browser, server, RACERS, "light", log, is_mobile=True, has_touch=True)
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        settle(page)
        area = page.locator(".stage-map .nsewdrag").first
        area.scroll_into_view_if_needed()
        box = area.bounding_box()
        before = address(page)
        wait_for_rerun(page, lambda: page.touchscreen.tap(box["x"] + box["width"] * 0.75,
                                                          box["y"] + box["height"] * 0.7),
                       "a tap on the map")
        after = address(page)
        assert after != before
        x, y = (float(v) for v in re.search(r"start=([-\d.e]+)%2C([-\d.e]+)", after).groups())
        assert 0.5 < x < 2.0 and -1.0 < y < 0.5  # the lower right of Rosenbrock's map
        assert not log.errors
    finally:
        page.context.close()


#: A custom theme (a dark blue room), as `.streamlit/config.toml` or flags would set it.
CUSTOM = {"base": "dark", "backgroundColor": "#14213d", "textColor": "#e5e5e5",
          "secondaryBackgroundColor": "#1f2f52"}


@pytest.fixture(scope="module")
def custom_theme_server():
    flags = [f"--theme.{name}={value}" for name, value in CUSTOM.items()]
    with serving(*flags, log_name="e2e-custom-theme-server.log") as url:
        yield url


def test_figures_follow_a_custom_theme(browser, custom_theme_server):
    log = ConsoleLog()
    page = open_view(browser, custom_theme_server, RACERS, "light", log)
    try:
        seen = page.evaluate(READ)
        assert _rgb(seen["appBackground"]) == CUSTOM["backgroundColor"]
        assert seen["stageTheme"] == "dark"  # its background is dark, whatever the browser
        for color in seen["tickColors"][:5]:
            assert _rgb(color) == CUSTOM["textColor"]
        assert not check_screen(page, "race-custom-theme", "desktop", "dark")
        assert not log.errors
    finally:
        page.context.close()


def test_the_stage_follows_a_theme_change_without_a_reload(browser, server):
    log = ConsoleLog()
    page = open_view(browser, server, RACERS, "light", log)
    try:
        light = page.evaluate(READ)
        switch_theme(page, "dark")  # the stage's branch: no reload
        settle(page)
        dark = page.evaluate(READ)
        assert _rgb(dark["appBackground"]) != _rgb(light["appBackground"])
        assert dark["chartLines"] != light["chartLines"]  # the dark palette
        assert not check_screen(page, "race", "desktop", "dark")
        assert not log.errors
    finally:
        page.context.close()
