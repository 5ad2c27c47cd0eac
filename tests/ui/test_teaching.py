"""The teaching tools in the page (ui/teaching.py, in-process with AppTest): a lesson
link shows its text and the selector loads another, presenter mode enlarges the figure
and steps the frame, `overlay=1` draws what is inside the optimizers, and every export
is offered."""

from __future__ import annotations

import pytest

from compute import frame_steps
from lessons import LESSONS
from scene import from_state, to_query
from tests.helpers import OVERLAY_RACERS as RACERS
from tests.helpers import OVERLAY_SCENE as SCENE
from tests.helpers import assert_clean, race_result, run_app, share_link, staged, tables
from tests.helpers import lesson_scene as lesson

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def result():
    return race_result(SCENE)


def test_a_lesson_link_shows_its_text_and_the_selector_loads_another():
    at = run_app({"lesson": "adam-saddle"})
    assert_clean(at)
    assert not at.warning
    (info,) = at.info
    assert LESSONS["adam-saddle"].title in info.value
    assert LESSONS["adam-saddle"].text in info.value
    assert from_state(at.session_state) == lesson("adam-saddle").replace(
                                                       lesson="adam-saddle")
    assert at.query_params["lesson"] == "adam-saddle"
    assert at.selectbox(key="lesson").value == "adam-saddle"

    at.selectbox(key="lesson").set_value("lr-too-large").run()
    assert_clean(at)
    assert from_state(at.session_state) == lesson("lr-too-large").replace(
                                                       lesson="lr-too-large")
    assert LESSONS["lr-too-large"].text in at.info[0].value
    assert at.query_params["r1.learning_rate"] == "0.21"
    assert not [b for b in at.button if b.label == "Back to the lesson"]

    # a change of the lesson's settings keeps the text, says so, and can be undone
    at.select_slider(key="r1.learning_rate").set_value(0.1).run()
    assert_clean(at)
    assert LESSONS["lr-too-large"].text in at.info[0].value
    (back,) = [b for b in at.button if b.label == "Back to the lesson"]
    back.click().run()
    assert_clean(at)
    assert at.query_params["r1.learning_rate"] == "0.21"

    at.selectbox(key="lesson").set_value("").run()  # no lesson: the text goes
    assert not at.info and "lesson" not in at.query_params


def line_widths(race) -> list[float]:
    return [t["line"]["width"] for t in race.plot("map")["traces"]
            if "width" in t.get("line", {})]


def test_presenter_mode_enlarges_the_figure_and_steps_the_frame():
    normal = staged(run_app({"steps": "40"}))
    at = run_app({"present": "1", "steps": "40"})
    assert_clean(at)
    race = staged(at)
    font = race.plot("map")["layout"]["font"]["size"]
    assert font >= 20 > normal.plot("map")["layout"]["font"]["size"]
    assert race["fontScale"] > normal["fontScale"] == 1.0
    assert race["mapHeight"] > normal["mapHeight"]
    assert race["chartHeight"] > normal["chartHeight"]
    assert max(line_widths(race)) > max(line_widths(normal))
    assert at.toggle(key="present").value is True
    labels = [b.label for b in at.button]
    assert "◀ step" in labels and "step ▶" in labels
    forward = next(b for b in at.button if b.label == "step ▶")
    assert forward.proto.shortcut and "right" in forward.proto.shortcut.lower()

    steps_at = frame_steps(40)
    for expected in (1, 2):
        next(b for b in at.button if b.label == "step ▶").click().run()
        assert at.session_state["frame"] == expected
    next(b for b in at.button if b.label == "◀ step").click().run()
    assert_clean(at)
    assert at.session_state["frame"] == 1 and at.query_params["frame"] == "1"
    assert staged(at)["frame"] == 1
    assert f"step {steps_at[1]}" in " ".join(m.value for m in at.markdown)
    at.toggle(key="present").set_value(False).run()
    assert at.query_params["present"] == "0"
    assert staged(at).plot("map")["layout"]["font"]["size"] < 20


@pytest.mark.slow  # what is inside five optimizers, as tests/views/test_overlays.py
def test_the_page_draws_the_overlays_at_the_chosen_frame():
    query = {**to_query(SCENE), "overlay": "1", "frame": "4"}
    at = run_app(query)
    assert_clean(at)
    assert not at.warning

    def annotations():
        return staged(at).plot("map")["layout"].get("annotations")

    names = {a.get("name") for a in annotations()}
    # arrows are named by the racer's position: r1 SGD, r2 momentum, r3 Adam
    assert {"r1.step", "r3.momentum", "r2.momentum", "curvature.1.label"} <= names
    step = next(a for a in annotations() if a["name"] == "r3.step")
    k = int(frame_steps(SCENE.setup.steps)[4])
    adam = next(r for r in result().runs if r.slug == "adam")
    assert (step["ax"], step["ay"]) == pytest.approx(tuple(adam.path[k]), abs=1e-6)
    inside, summary = tables(at)  # the effective learning rates, then the summary
    assert len(inside) == 2 * len(RACERS) and len(summary) == len(RACERS)
    assert [t.label for t in at.tabs] == [r.name for r in result().runs]
    assert any(r"\begin{aligned}" in e.value for e in at.latex)
    assert at.toggle(key="overlay").value is True

    next(b for b in at.button if b.label == "step ▶").click().run()
    assert_clean(at)
    k = int(frame_steps(SCENE.setup.steps)[5])
    step = next(a for a in annotations() if a["name"] == "r3.step")
    assert (step["ax"], step["ay"]) == pytest.approx(tuple(adam.path[k]), abs=1e-6)
    assert any(f"update {k} → {k + 1}" in m.value for m in at.markdown)
    at.toggle(key="overlay").set_value(False).run()
    assert not annotations()
    assert at.query_params["overlay"] == "0"
    assert "overlay=1" not in share_link(at)


def test_the_page_offers_every_export_once_the_panel_is_open():
    at = run_app({"steps": "40"})
    assert_clean(at)
    # folded, the panel sends nothing: a hundred students do not each get five buttons
    assert [e.label for e in at.expander if e.label == "Export this view"]
    assert not at.get("download_button")
    at.session_state["exports.open"] = True  # what the browser sends when it is opened
    at.run()
    assert_clean(at)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Animation (HTML)", "Trajectories (CSV)", "Trajectories (JSON)",
                      "optax script (.py)", "Animated GIF"]
