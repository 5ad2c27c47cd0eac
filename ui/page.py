"""The page: URL -> widgets -> Scene -> cached compute -> figure -> st.*."""

from __future__ import annotations

import gc
import os

import streamlit as st

from compute import cache_key, frame_steps
from optimizers import OPTIMIZERS
from optimizers.engine import use_compilation_cache
from scene import Scene, from_query, from_state, query_string, to_query, to_state
from scene.settings import RACE, hidden_in
from ui import network, stage, studies, teaching, tuning
from ui.caches import cached_result, raced_setup
from ui.controls import (
    keep_while_hidden,
    mode_selector,
    prepare_state,
    sidebar,
    unfold_what_is_set,
)
from ui.lazy import lazy_panel
from ui.reconnect import rerun_on_reconnect
from ui.share import share_box
from views.summary import markdown_table, plain_markdown, summary_rows

#: Compiled programs persist here across server restarts (empty: off).
COMPILATION_CACHE = os.environ.get(
    "OPTPLAY_JAX_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "optimizer-playground"))
use_compilation_cache(COMPILATION_CACHE)

#: Python's full collection walks every tracked object of the server: ~250k once JAX,
#: plotly and the compiled programs are in, ~150 ms holding the GIL. By default it ran
#: twice per 100 students opening one link, 3-4 ms of CPU each (bench/load.py). It now
#: waits for 100 younger collections instead of 10; the young ones still free most
#: garbage at once, and the memory scenario stays flat (bench/load.py --scenario memory).
FULL_COLLECTION_EVERY = 100
gc.set_threshold(*gc.get_threshold()[:2], FULL_COLLECTION_EVERY)


#: The page's own layout rules, whatever the mode.
_LAYOUT_CSS = """
<style>
/* A phone: the mode switch is one row that scrolls sideways, not three rows of buttons
   before anything moves. */
@media (max-width: 640px) {
  .st-key-modes [role="radiogroup"] { flex-wrap: nowrap; overflow-x: auto;
    scrollbar-width: none; }
  .st-key-modes [role="radiogroup"] button { flex: 0 0 auto; }
}
/* A study's figure (panels side by side) keeps the width its layout needs and scrolls
   sideways on a narrower screen. */
[class*="st-key-scrolls-"] { overflow-x: auto; overflow-y: hidden; }
[class*="st-key-wide-"] { min-width: 1100px; }
/* Small curves (a tuned race's) keep a panel readable on a phone. */
[class*="st-key-fits-"] { min-width: 640px; }
/* A formula wider than the screen scrolls inside its own box. */
.katex-display { overflow-x: auto; overflow-y: hidden; }
/* The race's heading holds the surface's formula (title_line): about text size beside
   the name, on a line of its own when the screen is narrow, scrolling if still wider. */
[data-testid="stMainBlockContainer"] h3 .katex { font-size: 0.75em; display: inline-block;
  max-width: 100%; overflow-x: auto; overflow-y: hidden; vertical-align: middle; }
</style>
"""


def _query_lists() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in st.query_params}


def _start_session() -> None:
    scene, warnings = from_query(_query_lists())
    last = len(frame_steps(scene.setup.steps, scene.display.view == "3d")) - 1
    if scene.display.frame > last:  # as the sidebar will: a frame past the end opens at the end
        scene = scene.replace(frame=last)
    st.session_state.update(to_state(scene))
    unfold_what_is_set()
    st.session_state["_warnings"] = warnings
    st.session_state["_decoded"] = scene
    st.session_state["_good"] = scene


def _current_scene() -> Scene:
    """The widgets' scene; a refused formula keeps the last good view, with the reason."""
    ss = st.session_state
    try:
        scene = from_state(ss)
        landscape = scene.setup.landscape()
    except ValueError as err:  # FormulaError is a ValueError
        st.error(f"**The formula was not used.** {err}")
        return ss["_good"]
    (x0, x1), (y0, y1) = landscape.domain
    x, y = scene.setup.start
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        st.warning(f"The start ({x:g}, {y:g}) lies outside the plotting domain; it was "
                   "moved to the nearest point inside.")
        scene = scene.with_start(min(max(x, x0), x1), min(max(y, y0), y1))
        # before the sidebar draws: the start boxes show the point the race runs from
        ss["start.x"], ss["start.y"] = scene.setup.start
    ss["_good"] = scene
    return scene


def share_url(scene: Scene) -> str:
    base = st.context.url or ""
    return f"{base}?{query_string(scene)}"


def _sidebars(mode: str, lr_notes: dict[int, tuple[str, bool]] | None = None) -> None:
    if mode in network.MODE_LABELS:
        network.mlp_sidebar()
    elif mode != "race":
        studies.study_sidebar(mode)
    teaching.sidebar_top(race=mode == "race")
    sidebar(race=mode == "race", lr_notes=lr_notes)


def main() -> None:
    if "_decoded" not in st.session_state:
        _start_session()
    keep_while_hidden(hidden_in(st.session_state["mode"]))
    prepare_state()
    st.html(_LAYOUT_CSS)
    # a presenter's screen holds the figure: the switch waits in the sidebar
    mode_selector({**studies.MODE_LABELS, **network.MODE_LABELS},
                  in_sidebar=bool(st.session_state.get("present")))
    # The Scene is read from the session state before the sidebar is drawn: the figure's
    # data leaves for the browser before the sidebar's widgets do.
    scene = _current_scene()
    teaching.presenter_style(scene)
    warnings = st.session_state["_warnings"]
    if warnings and scene == st.session_state["_decoded"]:
        st.warning("Some settings in this link could not be used and were reset to their "
                   "defaults:\n\n" + "\n".join(f"- {w}" for w in warnings))

    query = to_query(scene)
    if _query_lists() != {k: [v] for k, v in query.items()}:
        st.query_params.from_dict(query)

    mode = scene.display.mode
    if mode == "race":
        raced = _race(scene)
    elif mode in network.MODE_LABELS:
        _sidebars(mode)
        network.render_mlp(scene)
    else:
        _sidebars(mode)
        studies.render(scene)
    share_box(share_url(scene))
    if mode == "race":
        stage.helper_elements(raced)  # whose fragment holds the reconnect timer
    else:
        _rerun_on_reconnect()


@rerun_on_reconnect
def _rerun_on_reconnect() -> None:
    """Draws nothing: a page without the stage's helpers holds this timer instead."""


def _update_rules(scene: Scene) -> None:
    box = lazy_panel("Update rules", "rules.open")
    if box is None:
        return
    with box:
        for slug in dict.fromkeys(scene.setup.slugs):  # each optimizer's rule once
            spec = OPTIMIZERS[slug]
            st.markdown(f"**{spec.name}** — {spec.reference}")
            st.latex(spec.latex)
            if spec.notes:
                st.caption(spec.notes)


def title_line(title: str, latex: str) -> str:
    """The race's heading: the surface's name and its formula, one Markdown element (not
    two columns of two: a message each per first view), sized by the page's CSS. No
    HTML: markup would make every browser load Markdown's raw-HTML parser (189 kB)
    before the first view."""
    return f"### {plain_markdown(title)}&emsp;${latex}$"


def _race(scene: Scene) -> Scene:
    """The race view of ``scene``; returns the scene it raced (with tuning on, its racers
    at their tuned rates), which the stage's helper elements draw too."""
    raced = Scene(raced_setup(scene.setup), scene.display)
    key = cache_key(raced.setup, RACE)
    result = cached_result(key)
    # one line (two on a phone): in presenter mode the figure must fit below it
    st.markdown(title_line(result.surface.title, result.surface.latex))
    teaching.lesson_text(scene)
    # above the figure: in presenter mode everything fits one screen, the stage below
    teaching.step_buttons(scene)
    stage.show_race(raced, teaching.font_scale(scene))
    tuning.panel(scene, result)
    _sidebars("race", tuning.slider_notes(scene))
    teaching.inside_panel(raced, key)
    st.markdown(markdown_table(summary_rows(result)))
    _update_rules(scene)
    teaching.exports(scene, raced, result, key, st.context.url or "")
    return raced


def reset_to_defaults() -> None:
    st.session_state.clear()
    st.query_params.clear()
