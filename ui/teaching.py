"""Teaching tools on the page: lessons, presenter mode, what is inside the optimizers,
and the exports. Widget keys are URL keys (``lesson``, ``present``, ``overlay``); the
page calls these functions around the race figure (ui/page.py).

- Lessons (lessons/lessons.toml): a selector at the top of the sidebar; choosing one
  sets every widget from its link, and its paragraph is shown above the figure.
- Presenter mode (``present=1``): the sidebar starts collapsed (app.py), fonts and lines
  are 1.6× larger, the figure is taller, and "◀ step" / "step ▶" buttons with the ← / →
  keys move the frame the figure opens at (plotly's own slider has no keys).
- Overlays (``overlay=1``): arrows of each racer's update at the chosen frame, the
  curvature at the first racer's point, the gradient field, a table of effective learning
  rates and the update rule with this step's numbers. Computed once per scene
  (compute_inside, cached); the frame only selects rows.
- Exports: download buttons whose files are built only when clicked.
"""

from __future__ import annotations

import streamlit as st

from compute import Result, cache_key, frame_steps
from lessons import LESSONS
from scene import Scene, from_query, query_string, to_state
from scene.settings import RACE
from ui.caches import cached_figure, cached_inside
from ui.controls import unfold_what_is_set
from ui.lazy import lazy_panel
from views.export import (
    animation_gif,
    figure_html,
    python_snippet,
    trajectories_csv,
    trajectories_json,
)
from views.overlays import live_rule, table_rows, update_index
from views.summary import markdown_table, plain_markdown

#: Font and line scale of the figure in presenter mode.
PRESENTER_SCALE = 1.6

_PRESENTER_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.75rem; padding-bottom: 1rem;
  max-width: 100%; }
[data-testid="stMainBlockContainer"] h3 { padding: 0; }
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] li {
  font-size: 1.3rem; line-height: 1.5; }
[data-testid="stMainBlockContainer"] h3 { font-size: 2.2rem; }
[data-testid="stMainBlockContainer"] .stButton button p { font-size: 1.25rem; }
</style>
"""


def lesson_scene(slug: str) -> Scene:
    """The scene a lesson's link opens (with ``lesson`` set, so its text shows)."""
    return from_query({"lesson": slug})[0]


def _on_lesson() -> None:
    ss = st.session_state
    slug = ss.get("lesson") or ""
    if not slug:
        return
    scene = lesson_scene(slug).replace(present=bool(ss.get("present")),
                                       overlay=bool(ss.get("overlay")))
    ss.update(to_state(scene))
    unfold_what_is_set()


def _back_to_lesson(slug: str) -> None:
    st.session_state["lesson"] = slug
    _on_lesson()


def sidebar_top(race: bool = True) -> None:
    """The lesson selector and the teaching switches, at the top of the sidebar."""
    with st.sidebar:
        st.header("Teach")
        st.selectbox("Lesson", ["", *LESSONS], key="lesson", on_change=_on_lesson,
                     format_func=lambda s: LESSONS[s].title if s else "— no lesson —",
                     help="A preset scene with a paragraph that explains what to look for.")
        st.toggle("Presenter mode", key="present",
                  help="Large fonts and lines, a taller figure; ← / → step through the "
                  "frames.")
        if race:
            st.toggle("Show inside the optimizers", key="overlay",
                      help="Arrows of the gradient, the momentum and the step at the chosen "
                      "frame, the curvature, and the update rule with this step's numbers.")


def presenter_style(scene: Scene) -> None:
    if scene.display.present:
        st.markdown(_PRESENTER_CSS, unsafe_allow_html=True)


def font_scale(scene: Scene) -> float:
    return PRESENTER_SCALE if scene.display.present else 1.0


def lesson_text(scene: Scene) -> None:
    """The open lesson's paragraph, above the figure."""
    slug = scene.display.lesson
    if not slug or slug not in LESSONS:
        return
    lesson = LESSONS[slug]
    st.info(f"**Lesson: {lesson.title}.** {lesson.text}", icon=":material/school:")
    if cache_key(scene.setup, RACE) != cache_key(lesson_scene(slug).setup, RACE):
        c1, c2 = st.columns([3, 1])
        c1.caption("The settings now differ from the lesson's: what the text describes may "
                   "no longer show.")
        c2.button("Back to the lesson", key="lesson.back", on_click=_back_to_lesson,
                  args=(slug,))


def _frame_at(scene: Scene) -> tuple[int, int, int]:
    """(frame, its path step, the last frame) of the race as drawn."""
    steps_at = frame_steps(scene.setup.steps, scene.display.view == "3d")
    frame = min(max(scene.display.frame, 0), len(steps_at) - 1)
    return frame, int(steps_at[frame]), len(steps_at) - 1


def _move(delta: int, last: int) -> None:
    ss = st.session_state
    ss["frame"] = min(max(int(ss.get("frame", 0)) + delta, 0), last)


def step_buttons(scene: Scene) -> None:
    """◀ step / step ▶ (keys ← / →): move the frame the figure opens at."""
    if not (scene.display.present or scene.display.overlay):
        return
    frame, at, last = _frame_at(scene)
    c1, c2, c3 = st.columns([1, 1, 5], vertical_alignment="center")
    c1.button("◀ step", key="frame.back", shortcut="Left", on_click=_move, args=(-1, last),
              disabled=frame == 0, width="stretch")
    c2.button("step ▶", key="frame.forward", shortcut="Right", on_click=_move,
              args=(1, last), disabled=frame == last, width="stretch")
    c3.markdown(f"Opens at **step {at}** of {scene.setup.steps} (frame {frame} of {last}); "
                "the ← and → keys step too.")


ARROWS_LEGEND = (
    "**Arrows** at each optimizer's point: black **−∇f**, the descent direction; "
    "**−v** / **−m**, the momentum it carries (same scale as −∇f); the thick coloured "
    "**step** it actually took, to scale (or magnified, as its label says). Purple: the "
    "Hessian's eigenvectors at the first optimizer's point, with **2/λmax**, the largest "
    "stable learning rate of gradient descent there. White ticks: the direction of −∇f "
    "across the map."
)


def inside_panel(scene: Scene, key: str) -> None:
    """The numbers behind the arrows: effective learning rates and the live rules."""
    if not scene.display.overlay:
        return
    insides = cached_inside(key)
    _, at, _ = _frame_at(scene)
    st.caption(ARROWS_LEGEND)
    k = update_index(scene.setup.steps, at)
    st.markdown(f"**Inside the optimizers: update {k} → {k + 1}** (optax's count t = "
                f"{k + 1}). *step ÷ (−g)* is what the update multiplied each coordinate of "
                "the negative gradient by (ĝ: after clipping); *η_eff* is the per-coordinate "
                "learning rate the optimizer's state implies (none for momentum: η scales "
                "the velocity v).")
    st.markdown(markdown_table(table_rows(insides, at)))
    tabs = st.tabs([plain_markdown(run.name) for run in insides.runs])
    for tab, run in zip(tabs, insides.runs, strict=True):
        with tab:
            st.latex(live_rule(run, update_index(run.steps, at), insides.clip_norm))


def exports(scene: Scene, raced: Scene, result: Result, key: str, base_url: str) -> None:
    """Download buttons, in a panel drawn only while it is open (a lazy panel); each file
    is built when its button is clicked. ``raced`` is the
    scene the race ran (with tuning on, at the tuned rates): the script runs its first
    racer; the links are ``scene``'s."""
    box = lazy_panel("Export this view", "exports.open")
    if box is None:
        return
    name = f"optimizers-{scene.setup.surface}"
    link = f"{base_url}?{query_string(scene)}"
    d = scene.display

    def html() -> str:
        figure = cached_figure(key, d.frame, d.view, d.curve, font_scale(scene))
        return figure_html(figure, result.surface.title)

    with box:
        c1, c2, c3, c4, c5 = st.columns(5)
        c1.download_button("Animation (HTML)", html,
                           file_name=f"{name}.html", mime="text/html", key="export.html",
                           help="Plays offline: plotly.js is inside the file.",
                           on_click="ignore")
        c2.download_button("Trajectories (CSV)", lambda: trajectories_csv(result),
                           file_name=f"{name}.csv", mime="text/csv", key="export.csv",
                           on_click="ignore")
        c3.download_button("Trajectories (JSON)",
                           lambda: trajectories_json(scene, result, base_url),
                           file_name=f"{name}.json", mime="application/json",
                           key="export.json", on_click="ignore")
        c4.download_button("optax script (.py)", lambda: python_snippet(raced, link),
                           file_name=f"{name}-{scene.setup.racers[0].slug}.py",
                           mime="text/x-python", key="export.py", on_click="ignore",
                           help="Reproduces the first optimizer with optax.")
        c5.download_button("Animated GIF", lambda: animation_gif(result),
                           file_name=f"{name}.gif", mime="image/gif", key="export.gif",
                           on_click="ignore")
