"""The page, end to end in-process (streamlit.testing.v1.AppTest): URL -> widgets -> Scene
-> the stage's message, widget changes -> URL, hostile links, the stage's events (a new
start, a committed scrub, a paused frame; hostile values too) and the error boundary.

Every AppTest runs in this process, so JAX programs compiled by one test serve the next;
only the first run of a (surface, optimizer, step bucket) waits for a compile.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ui.caches
from compute import frame_steps
from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS
from scene import Racer, Scene, from_state, query_string, to_query
from scene.settings import value_of
from tests.helpers import (
    assert_clean,
    open_racer_box,
    run_app,
    share_link,
    stage_elements,
    stage_event,
    staged,
    summary_table,
)

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def assert_url_is(at: AppTest, scene: Scene) -> None:
    assert at.query_params == to_query(scene)


# -- the default page ---------------------------------------------------------------------


def test_default_page_renders_the_race():
    at = run_app()
    assert_clean(at)
    assert not at.warning
    race = staged(at)
    assert race.names == ["SGD", "Momentum", "Adam"]
    assert len(race.frames) == len(frame_steps(Scene().setup.steps)) == 150
    assert race.start == pytest.approx(Scene().setup.start)
    assert from_state(at.session_state) == Scene()
    assert_url_is(at, Scene())
    # the share link is the canonical query string
    assert share_link(at).endswith("?" + query_string(Scene()))
    # no DataFrame (its chunks weigh 1.2 MB): the summary is a Markdown table, one row a racer
    assert not at.dataframe
    assert [row["optimizer"] for row in summary_table(at)] == ["SGD", "Momentum", "Adam"]


def test_the_update_rules_are_drawn_once_their_panel_is_open():
    at = run_app()
    assert_clean(at)
    rules = [OPTIMIZERS[r.slug].latex for r in Scene().setup.racers]
    # folded: nothing of it leaves the server (a lecture's hundred first views)
    def shown() -> list[str]:  # st.latex wraps its body in $$ … $$
        return [rule for e in at.latex for rule in rules if e.value.strip("$\n") == rule]

    assert not shown()
    at.session_state["rules.open"] = True  # what the browser sends when it is opened
    at.run()
    assert_clean(at)
    assert shown() == rules
    assert from_state(at.session_state) == Scene()  # opening it changed no setting


# -- widgets change the figure and the URL ---------------------------------------------------


def test_widget_changes_update_figure_and_url():
    at = run_app()
    assert_clean(at)

    at.selectbox(key="surface").set_value("himmelblau").run()
    assert_clean(at)
    race = staged(at)
    assert race.plot("map")["layout"]["xaxis"]["range"] == [-5, 5]
    assert race.plot("map")["layout"]["yaxis"]["range"] == [-5, 5]
    assert race.start == pytest.approx(LANDSCAPES["himmelblau"].start)
    scene = Scene.of(surface="himmelblau")
    assert from_state(at.session_state) == scene
    assert at.query_params["v"] == "2"
    assert at.query_params["surface"] == "himmelblau"
    assert_url_is(at, scene)

    adam_before, sgd_before = race.path("Adam"), race.path("SGD")
    open_racer_box(at, 2)
    at.select_slider(key="r3.learning_rate").set_value(0.2).run()
    assert_clean(at)
    race = staged(at)
    adam_after = race.path("Adam")
    assert adam_before.shape != adam_after.shape or not np.allclose(adam_before, adam_after)
    np.testing.assert_array_equal(race.path("SGD"), sgd_before)
    assert at.query_params["r3.learning_rate"] == "0.2"
    assert at.query_params["v"] == "2"
    assert from_state(at.session_state).setup.racers[2].values["learning_rate"] == 0.2

    at.selectbox(key="racer.pick").set_value("rmsprop").run()
    assert_clean(at)
    assert staged(at).names == ["SGD", "Momentum", "Adam", "RMSProp"]
    assert at.query_params["racers"] == "sgd,momentum,adam,rmsprop"
    assert at.query_params["r4.learning_rate"] == "0.01"
    assert at.query_params["r3.learning_rate"] == "0.2"  # the earlier change is kept
    assert_url_is(at, from_state(at.session_state))
    assert not at.warning


# -- a link reproduces its scene -------------------------------------------------------------

EVERY_FIELD = Scene.of(
    surface="quadratic", surface_params=(("kappa", 50.0), ("theta", 30.0)),
    racers=(Racer("adam", (("b1", 0.8), ("b2", 0.99), ("eps", 1e-06), ("learning_rate", 0.02))),
            Racer("nesterov", (("learning_rate", 0.005), ("momentum", 0.95)))),
    start=(-1.5, 1.0), steps=300, seed=7, schedule="warmup_cosine",
    schedule_params=(("alpha", 0.1), ("decay_rate", 0.25), ("transition_steps", 40.0),
                     ("warmup_steps", 20.0)),
    clip_norm=5.0, noise=0.25, frame=12, view="3d", curve="distance",
)


def test_a_link_with_every_key_reproduces_its_scene():
    default = Scene()
    for field in ("surface", "surface_params", "racers", "start", "steps", "seed", "schedule",
                  "schedule_params", "clip_norm", "noise", "frame", "view", "curve"):
        assert value_of(EVERY_FIELD, field) != value_of(default, field), field
    at = run_app(to_query(EVERY_FIELD))
    assert_clean(at)
    assert not at.warning
    assert from_state(at.session_state) == EVERY_FIELD
    assert_url_is(at, EVERY_FIELD)  # nothing was rewritten
    race = staged(at)
    assert race.names == ["Adam", "Nesterov"]
    assert race.start == pytest.approx(EVERY_FIELD.setup.start)
    assert race["frame"] == EVERY_FIELD.display.frame
    assert len(race.frames) == len(frame_steps(300, three_d=True))
    assert race["view"] == "3d"
    assert "scene" in race["plots"] and "marks" in race["plots"]  # the 3D view
    assert race["chartLabel"].startswith("distance")
    # a rerun without changes keeps the scene and the URL
    at.run()
    assert from_state(at.session_state) == EVERY_FIELD
    assert_url_is(at, EVERY_FIELD)


def test_a_formula_link_renders_its_surface():
    at = run_app({"v": "1", "surface": "formula", "formula": "x**2+y**2", "opt": "adam"})
    assert_clean(at)
    assert not at.warning
    scene = from_state(at.session_state)
    assert scene.setup.surface == "formula" and scene.setup.formula == "x**2+y**2"
    assert at.query_params["formula"] == "x**2+y**2"
    (x0, x1), (y0, y1) = scene.setup.landscape().domain
    race = staged(at)
    assert race.plot("map")["layout"]["xaxis"]["range"] == [x0, x1]
    assert race.plot("map")["layout"]["yaxis"]["range"] == [y0, y1]
    assert race.names == ["Adam"]
    assert "%2B" in share_link(at)  # the share link keeps the '+'
    # one title line: the surface's name, then its formula
    title = scene.setup.landscape()
    assert any(e.value.startswith("### ") and e.value.endswith(f"&emsp;${title.latex}$")
               for e in at.markdown), [e.value for e in at.markdown]


# -- hostile links ----------------------------------------------------------------------------

HOSTILE = {
    "steps": "nan", "seed": "-3", "surface": "nope", "opt": "sgd,zzz,adam",
    "momentum.momentum": "0.5", "adam.learning_rate": "1e309", "start": "1",
    "view": "<script>alert(1)</script>", "curve": "λ", "foo": "[x](https://evil.example)",
    "clip": "abc", "v": "3",
}


def test_hostile_link_warns_once_naming_every_bad_key():
    at = run_app(HOSTILE)
    assert_clean(at)
    (warning,) = at.warning
    text = warning.value
    for key in HOSTILE:
        assert text.count(f"- `{key}`") == 1, key  # one bullet per bad key
    assert text.count("\n- ") == len(HOSTILE)
    assert "<script>" not in text.replace("`<script>alert(1)</script>`", "")
    assert "[x](https" not in text.replace("`[x](https://evil.example)`", "")
    expected = Scene.of(racers=(Racer.default("sgd"), Racer.default("adam")))
    assert from_state(at.session_state) == expected
    assert_url_is(at, expected)  # the link in the address bar is repaired
    assert staged(at).names == ["SGD", "Adam"]
    # the warning stays while the view is the decoded one, and goes once it changes
    at.run()
    assert len(at.warning) == 1
    at.selectbox(key="surface").set_value("saddle").run()
    assert_clean(at)
    assert not at.warning


def test_a_frame_past_the_end_does_not_hide_the_warnings():
    """The sidebar clamps `frame` to the last frame; the decoded scene must agree, or the
    page thinks the user already changed the view and drops the link's warnings."""
    at = run_app({"frame": "500", "steps": "nan"})
    assert_clean(at)
    (warning,) = at.warning
    assert "`steps`" in warning.value
    last = len(frame_steps(Scene().setup.steps)) - 1
    assert from_state(at.session_state) == Scene.of(frame=last)
    assert at.query_params["frame"] == str(last)
    assert staged(at)["frame"] == last


# -- what the stage reports ------------------------------------------------------------------


def test_a_click_or_a_drag_on_the_map_moves_the_start():
    at = run_app()
    assert_clean(at)
    stage_event(at, "start", [0.5, -0.5])
    assert_clean(at)
    scene = from_state(at.session_state)
    assert scene == Scene().with_start(0.5, -0.5)
    assert at.session_state["start.x"] == 0.5 and at.session_state["start.y"] == -0.5
    race = staged(at)
    assert race.start == pytest.approx((0.5, -0.5))
    assert race.path("SGD")[0] == pytest.approx((0.5, -0.5))
    assert at.query_params["start"] == "0.5,-0.5"
    # a rerun without an event keeps the start
    at.run()
    assert from_state(at.session_state).setup.start == (0.5, -0.5)


def test_a_start_outside_the_domain_is_moved_inside():
    at = run_app()
    stage_event(at, "start", [50.0, -50.0])  # a click on a map zoomed out past the domain
    assert_clean(at)
    (warning,) = at.warning
    assert "moved to the nearest point inside" in warning.value
    (_, x1), (y0, _) = LANDSCAPES["rosenbrock"].domain
    assert from_state(at.session_state).setup.start == (x1, y0)
    assert staged(at).start == pytest.approx((x1, y0))
    assert at.query_params["start"] == f"{x1:g},{y0:g}"


@pytest.mark.parametrize("value", [
    None, "0.5,-0.5", [0.5], [0.5, -0.5, 1.0], ["a", 1.0], [float("nan"), 0.0],
    [1e400, 0.0], {"x": 0.5, "y": -0.5}, [True, [1]],
])
def test_a_malformed_start_from_the_browser_changes_nothing(value):
    at = run_app()
    stage_event(at, "start", value)
    assert_clean(at)
    assert not at.warning
    assert from_state(at.session_state) == Scene()
    assert_url_is(at, Scene())


def test_a_committed_scrub_sets_the_sliders_notch_and_the_link():
    at = run_app()
    race = staged(at)
    (scrub,) = [s for s in race["scrubs"] if s["racer"] == 2 and s["name"] == "learning_rate"]
    values = race.array(scrub["values"])
    index = scrub["current"] + 3
    stage_event(at, "commit", {"racer": 2, "name": "learning_rate", "index": index,
                               "value": float(values[index])})
    assert_clean(at)
    # the slider's own ladder decides the value, not the float the browser echoed
    chosen = at.session_state["r3.learning_rate"]
    assert chosen == pytest.approx(float(values[index]), rel=1e-6)
    assert from_state(at.session_state).setup.racers[2].values["learning_rate"] == chosen
    assert at.query_params["r3.learning_rate"] == f"{chosen:g}"
    (scrub,) = [s for s in staged(at)["scrubs"]
                if s["racer"] == 2 and s["name"] == "learning_rate"]
    assert scrub["current"] == index


@pytest.mark.parametrize("commit", [
    {"racer": 7, "name": "learning_rate", "index": 1},
    {"racer": -1, "name": "learning_rate", "index": 1},
    {"racer": 0, "name": "no_such_hparam", "index": 1},
    {"racer": 0, "name": "learning_rate", "index": 10**9},
    {"racer": 0, "name": "learning_rate", "index": -1},
    {"racer": 0, "name": "learning_rate", "index": "3"},
    {"racer": "0", "name": "learning_rate", "index": 3},
    {"racer": 0, "name": ["learning_rate"], "index": 3},
    {"racer": True, "name": "learning_rate", "index": 3},
    {"racer": 0, "name": "learning_rate", "index": False},
    "learning_rate=1",
])
def test_a_malformed_commit_from_the_browser_changes_nothing(commit):
    at = run_app()
    stage_event(at, "commit", commit)
    assert_clean(at)
    assert from_state(at.session_state) == Scene()
    assert_url_is(at, Scene())


def test_a_paused_frame_reaches_the_link_and_a_bad_one_is_ignored():
    at = run_app()
    stage_event(at, "frame", 42)
    assert_clean(at)
    assert at.query_params["frame"] == "42"
    assert staged(at)["frame"] == 42
    for bad in (-1, 10**7, 3.5, "7", True, None):
        stage_event(at, "frame", bad)
        assert_clean(at)
        assert at.query_params["frame"] == "42", bad


def test_the_surface_is_sent_again_only_when_the_surface_changes():
    """A slider moves the runs, not the surface: the surface element's bytes stay the
    same (Streamlit then sends a reference to the copy the browser holds)."""
    at = run_app()
    surface = stage_elements(at)["stage.surface"].proto.bytes
    open_racer_box(at, 2)
    at.select_slider(key="r3.learning_rate").set_value(0.2).run()
    assert stage_elements(at)["stage.surface"].proto.bytes == surface
    at.selectbox(key="surface").set_value("himmelblau").run()
    assert stage_elements(at)["stage.surface"].proto.bytes != surface


def test_the_drag_grid_and_the_ladders_are_computed_when_the_browser_wants_them():
    at = run_app()
    race = staged(at)
    idle = {name: staged(at, f"stage.{name}") for name in ("grid", "ladders")}
    for name, message in idle.items():
        assert message["kind"] == "request" and message["of"] == name and not message.arrays
    # the race names the messages it draws and scrubs with, each by an id of its own
    assert race["surface"] == staged(at, "stage.surface")["id"]
    assert (race["grid"], race["ladders"]) == (idle["grid"]["id"], idle["ladders"]["id"])
    assert len({race["id"], race["surface"], race["grid"], race["ladders"]}) == 4

    stage_event(at, "want", race["grid"], key="stage.grid")
    assert_clean(at)
    grid = staged(at, "stage.grid")
    assert grid["kind"] == "grid" and grid["id"] == race["grid"]
    assert grid.array(grid["starts"]).shape == (grid["n"] ** 2, 2)
    # every racer's paths from every start (quantized)
    assert grid.array(grid["path"]).shape[:2] == (3, grid["n"] ** 2)
    assert staged(at, "stage.ladders")["kind"] == "request"  # each only when asked

    stage_event(at, "want", race["ladders"], key="stage.ladders")
    assert_clean(at)
    ladders = staged(at, "stage.ladders")
    assert ladders["kind"] == "ladders" and ladders["id"] == race["ladders"]
    assert len(ladders["ladders"]) == len(race["scrubs"])
    for scrub, ladder in zip(race["scrubs"], ladders["ladders"], strict=True):
        rows = len(race.array(scrub["values"]))
        assert ladders.array(ladder["path"]).shape[0] == rows
    # the answered elements keep their data over a rerun of the page
    at.run()
    assert staged(at, "stage.grid")["kind"] == "grid"
    assert staged(at, "stage.ladders")["kind"] == "ladders"


@pytest.mark.parametrize("name", ["grid", "ladders"])
def test_a_stale_or_hostile_request_leaves_the_element_idle(name):
    at = run_app()
    for wanted in ("not-this-one", 3, None, ["x"]):
        stage_event(at, "want", wanted, key=f"stage.{name}")
        assert_clean(at)
        assert staged(at, f"stage.{name}")["kind"] == "request"


# -- the error boundary ----------------------------------------------------------------------


def test_an_unexpected_error_becomes_a_friendly_message():
    # A scene no cache holds, so the cached computation really runs (and fails).
    with mock.patch.object(ui.caches, "compute_race", side_effect=RuntimeError("boom")) as failing:
        at = run_app({"seed": "424242"})
    assert failing.called
    assert not at.exception
    (error,) = at.error
    assert "Something went wrong" in error.value
    assert "boom" not in error.value and "Traceback" not in error.value
    (back,) = [b for b in at.button if b.label == "Back to the default view"]
    assert "stage" not in stage_elements(at)

    back.click().run()
    assert_clean(at)
    assert from_state(at.session_state) == Scene()
    assert_url_is(at, Scene())
    assert staged(at).names == ["SGD", "Momentum", "Adam"]


# -- a typed formula ------------------------------------------------------------------------


def test_a_typed_formula_renders_and_a_bad_one_keeps_the_previous_view():
    at = run_app()
    at.selectbox(key="surface").set_value("formula").run()
    assert_clean(at)
    assert at.text_input(key="formula").value  # an example formula to start from
    at.text_input(key="formula").set_value("x^2 + 3*y^2").run()
    assert_clean(at)
    assert "x^2 + 3*y^2" in at.query_params["formula"]
    assert at.query_params["surface"] == "formula"
    path = staged(at).path("Adam")
    assert np.isfinite(path).all() and path.shape[0] == 201

    at.text_input(key="formula").set_value("__import__('os').system('echo hi')").run()
    assert not at.exception
    (message,) = at.error
    assert "formula was not used" in message.value
    # the previous view stays: same figure data, and the link still holds the good formula
    np.testing.assert_array_equal(staged(at).path("Adam"), path)
    assert "x^2 + 3*y^2" in at.query_params["formula"]


def test_a_formula_link_with_a_plus_reproduces_it():
    at = run_app({"v": "1", "surface": "formula", "formula": "x**2+y**2", "opt": "sgd"})
    assert_clean(at)
    assert at.text_input(key="formula").value.replace(" ", "") in ("x^2+y^2", "x**2+y**2")
    race = staged(at)
    assert race.names == ["SGD"]
    # the minimum of x² + y² is at the origin: plain SGD heads there
    end = race.path("SGD")[-1]
    assert np.hypot(*end) < np.hypot(*race.start)


def test_the_formula_domain_widget_redraws_and_reaches_the_link():
    at = run_app({"v": "1", "surface": "formula", "formula": "x^2 + y^2", "opt": "sgd"})
    assert_clean(at)
    at.text_input(key="domain").set_value("0, 2, -1, 1").run()
    assert_clean(at)
    layout = staged(at).plot("map")["layout"]
    assert layout["xaxis"]["range"] == [0, 2]
    assert layout["yaxis"]["range"] == [-1, 1]
    assert at.query_params["domain"] == "0,2,-1,1"
    x, y = staged(at).start
    assert 0 <= x <= 2 and -1 <= y <= 1  # the start moved into the new domain
    # a malformed domain is refused with a message, and the drawn domain stays
    at.text_input(key="domain").set_value("0, 2, -1").run()
    assert not at.exception and at.error
    assert staged(at).plot("map")["layout"]["xaxis"]["range"] == [0, 2]
