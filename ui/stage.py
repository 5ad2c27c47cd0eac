"""The race on the page: the browser stage (static/stage/), a Streamlit component that
holds the scene's data in the browser and moves only what moves.

Four elements feed it, each a binary message (views/stage.py) cached across sessions and
sent only when it changes (Streamlit sends an unchanged large element as a reference to
the copy the browser already holds):

- ``stage.surface``: the surface, once per surface;
- ``stage``: the race, its figures, every run and the ladders to scrub; it reports a new
  start (a click or a drag), a committed scrub, and the frame a pause stopped at;
- ``stage.grid``: every racer's runs from a grid of starts, computed when the pointer
  first nears the start marker (a fragment: only it reruns);
- ``stage.ladders``: each scrubbed slider's runs over its ladder, asked for by the
  browser as soon as the race is drawn (so the first paint waits for the race alone).

The component's JavaScript is served by the app itself (``server.enableStaticServing``)
from static/stage/, and so is plotly.js, copied from the pinned plotly package.
"""

from __future__ import annotations

import functools
import hashlib
import math
import shutil
from collections.abc import Callable
from pathlib import Path

import plotly
import plotly.offline
import streamlit as st

from compute import cache_key
from optimizers import OPTIMIZERS
from scene import Scene, racer_key
from scene.settings import DRAG, RACE, SURFACE
from ui.caches import (
    cached_grid_message,
    cached_ladders_message,
    cached_race_message,
    cached_surface_message,
    raced_setup,
)
from ui.reconnect import rerun_on_reconnect
from views.packing import Packer

STATIC = Path(__file__).resolve().parent.parent / "static"
PLOTLY_JS = f"plotly-{plotly.offline.get_plotlyjs_version()}.min.js"
PLOTLY_URL = f"app/static/{PLOTLY_JS}"
# The component's own module: it starts plotly.js loading at once, beside stage.js (the
# page's first paint waits for both; plotly.js is the larger by far).
_LOADER = """
export default async function (component) {
  const at = (path) => new URL(path, document.baseURI).href;
  import(at("app/static/stage/plotly_loader.js")).then((m) => m.loadPlotly("PLOTLY_URL"));
  const stage = await import(at("app/static/stage/stage.js"));
  return stage.mount(component);
}
""".replace("PLOTLY_URL", PLOTLY_URL)
STAGE = st.components.v2.component(
    "optplay_stage", js=_LOADER, css=(STATIC / "stage" / "stage.css").read_text(),
    isolate_styles=False)


@functools.cache
def ensure_plotly_js() -> str:
    """The page-relative URL of plotly.js, copied once per server process from the pinned
    plotly package (keeping its modification time, so browsers may cache it for long);
    not a file check on every page run."""
    target = STATIC / PLOTLY_JS
    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        shutil.copy2(source, target)
    return PLOTLY_URL


def message_id(kind: str, *parts: object) -> str:
    """A short, stable id of what a message of ``kind`` shows. The kind is part of it:
    the keys of different computations can be the same link (the default scene's)."""
    return hashlib.sha1("|".join(map(str, (kind, *parts))).encode()).hexdigest()[:16]


@rerun_on_reconnect
def _wanted_elements(wants: tuple[tuple[str, str, Callable[[], bytes]], ...]) -> None:
    """Elements that hold what the browser asks for when it wants it (the drag grid,
    the ladders' runs): until then, how to ask. Asking reruns this fragment alone, both
    elements (one fragment, not one each: each costs every first view a container and
    its bookkeeping; an element sent again unchanged goes as a reference to the browser's
    copy). It also holds the page's reconnect timer (``ui.reconnect``)."""
    for name, wanted_id, build in wants:
        wanted = st.session_state.get(f"_wanted.{name}") == wanted_id
        data = build() if wanted else Packer().pack({"kind": "request", "of": name,
                                                     "id": wanted_id})
        STAGE(key=f"stage.{name}", data=data, height=0,
              on_want_change=functools.partial(_on_want, name))


def _on_want(name: str) -> None:
    value = (st.session_state.get(f"stage.{name}") or {}).get("want")
    if isinstance(value, str):
        st.session_state[f"_wanted.{name}"] = value


def _number(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _is_index(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _on_event() -> None:
    """What the stage reported: a new start, a committed scrub, a paused frame. Values
    come from a browser: each is checked, and anything malformed is ignored."""
    ss = st.session_state
    event = ss.get("stage") or {}
    start = event.get("start")
    if isinstance(start, list) and len(start) == 2:
        x, y = (_number(v) for v in start)
        if x is not None and y is not None:
            ss["start.x"], ss["start.y"] = x, y
            ss["frame"] = 0
    commit = event.get("commit")
    if isinstance(commit, dict):
        _commit(commit)
    frame = event.get("frame")
    if _is_index(frame) and frame < 10**6:
        ss["frame"] = frame


def _commit(commit: dict) -> None:
    """A scrubbed value: the notch of the slider's ladder the stage showed (around the
    value the race ran: with tuning on, the tuned rate). Scrubbing a tuned learning rate
    picks a rate by hand: tuning turns off and every racer keeps the rate it raced at."""
    ss = st.session_state
    slugs = ss.get("racers") or []
    racer, name, index = commit.get("racer"), commit.get("name"), commit.get("index")
    if not (_is_index(racer) and racer < len(slugs) and _is_index(index)):
        return
    spec = OPTIMIZERS[slugs[racer]].hparams.get(name) if isinstance(name, str) else None
    key = racer_key(racer, name) if spec is not None else ""
    if spec is None or key not in ss:
        return
    raced = _raced(ss)
    ladder = spec.ladder(raced[racer].get(name, ss[key]) if racer < len(raced) else ss[key])
    if not 0 <= index < len(ladder):
        return
    if name == "learning_rate" and ss.get("tune", "off") != "off":
        for i, values in enumerate(raced[:len(slugs)]):
            ss[racer_key(i, "learning_rate")] = values["learning_rate"]
        ss["tune"] = "off"
        st.toast("Tuning is off: you chose a learning rate by hand. Every other optimizer "
                 "keeps the rate it raced at.")
    ss[key] = ladder[index]


def _raced(ss) -> list[dict[str, float]]:
    """The hyperparameters each racer raced at in the run the stage shows."""
    shown = ss.get("_good")
    return [] if shown is None else [r.values for r in raced_setup(shown.setup).racers]


def show_race(scene: Scene, font_scale: float) -> None:
    """The race stage for ``scene``."""
    setup, display = scene.setup, scene.display
    race_key = cache_key(setup, RACE)
    overlay = display.overlay
    ids = (message_id(RACE, race_key, display.view, display.curve, font_scale,
                      display.frame if overlay else ""),
           message_id(SURFACE, cache_key(setup, SURFACE)),
           message_id(DRAG, cache_key(setup, DRAG)),
           _ladders_id(race_key, display.view, display.curve))
    data = cached_race_message(race_key, ids, display.frame, display.view, display.curve,
                               font_scale, overlay, ensure_plotly_js())
    STAGE(key="stage", data=data, on_start_change=_on_event, on_commit_change=_on_event,
          on_frame_change=_on_event)


def _ladders_id(race_key: str, view: str, curve: str) -> str:
    return message_id("ladders", race_key, view, curve)


def helper_elements(scene: Scene) -> None:
    """The elements the stage draws and scrubs with (after the page's content: they
    draw nothing): the surface, the drag grid and the ladders' runs."""
    setup, display = scene.setup, scene.display
    key = cache_key(setup, SURFACE)
    STAGE(key="stage.surface", data=cached_surface_message(key, message_id(SURFACE, key)),
          height=0)
    drag_key = cache_key(setup, DRAG)
    grid_id = message_id(DRAG, drag_key)
    race_key = cache_key(setup, RACE)
    ladders_id = _ladders_id(race_key, display.view, display.curve)
    _wanted_elements((
        ("grid", grid_id, lambda: cached_grid_message(drag_key, grid_id)),
        ("ladders", ladders_id, lambda: cached_ladders_message(
            race_key, ladders_id, display.view, display.curve))))
