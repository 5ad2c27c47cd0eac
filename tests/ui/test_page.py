"""The page, end to end in-process (streamlit.testing.v1.AppTest): URL -> widgets -> Scene
-> figure, widget changes -> URL, hostile links, click-to-start and the error boundary.

Every AppTest runs in this process, so JAX programs compiled by one test serve the next;
only the first run of a (surface, optimizer, step bucket) waits for a compile.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import ui.page
from compute import frame_steps
from landscapes import LANDSCAPES
from scene import Racer, Scene, from_state, query_string, to_query
from scene.settings import value_of
from tests.helpers import array, assert_clean, click_chart, figure, racer_names, run_app

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def start_marker(fig: dict) -> tuple[float, float]:
    (start,) = [t for t in fig["data"] if t.get("name") == "start"]
    return float(array(start["x"])[0]), float(array(start["y"])[0])


def full_path(fig: dict, name: str) -> np.ndarray:
    """The named racer's whole path on the contour (its legend trace)."""
    (trace,) = [t for t in fig["data"] if t.get("name") == name and t.get("mode") == "lines"
                and t.get("showlegend", True) is not False]
    return np.stack([array(trace["x"]), array(trace["y"])], axis=1)


def assert_url_is(at: AppTest, scene: Scene) -> None:
    assert at.query_params == to_query(scene)


# -- the default page ---------------------------------------------------------------------


def test_default_page_renders_the_race():
    at = run_app()
    assert_clean(at)
    assert not at.warning
    fig = figure(at)
    assert racer_names(fig) == ["SGD", "Momentum", "Adam"]
    assert len(fig["frames"]) == len(frame_steps(Scene().setup.steps)) == 150
    assert start_marker(fig) == pytest.approx(Scene().setup.start)
    assert from_state(at.session_state) == Scene()
    assert_url_is(at, Scene())
    # the share link is the canonical query string
    assert at.code[0].value.endswith("?" + query_string(Scene()))
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 3


# -- widgets change the figure and the URL ---------------------------------------------------


def test_widget_changes_update_figure_and_url():
    at = run_app()
    assert_clean(at)

    at.selectbox(key="surface").set_value("himmelblau").run()
    assert_clean(at)
    fig = figure(at)
    assert fig["layout"]["xaxis"]["range"] == [-5, 5]
    assert fig["layout"]["yaxis"]["range"] == [-5, 5]
    assert start_marker(fig) == pytest.approx(LANDSCAPES["himmelblau"].start)
    scene = Scene.of(surface="himmelblau")
    assert from_state(at.session_state) == scene
    assert at.query_params["v"] == "1"
    assert at.query_params["surface"] == "himmelblau"
    assert_url_is(at, scene)

    adam_before, sgd_before = full_path(fig, "Adam"), full_path(fig, "SGD")
    at.select_slider(key="adam.learning_rate").set_value(0.2).run()
    assert_clean(at)
    fig = figure(at)
    adam_after = full_path(fig, "Adam")
    assert adam_before.shape != adam_after.shape or not np.allclose(adam_before, adam_after)
    np.testing.assert_array_equal(full_path(fig, "SGD"), sgd_before)
    assert at.query_params["adam.learning_rate"] == "0.2"
    assert at.query_params["v"] == "1"
    assert from_state(at.session_state).setup.racers[2].values["learning_rate"] == 0.2

    at.multiselect(key="opt").select("rmsprop").run()
    assert_clean(at)
    fig = figure(at)
    assert racer_names(fig) == ["SGD", "Momentum", "Adam", "RMSProp"]
    assert at.query_params["opt"] == "sgd,momentum,adam,rmsprop"
    assert at.query_params["rmsprop.learning_rate"] == "0.01"
    assert at.query_params["adam.learning_rate"] == "0.2"  # the earlier change is kept
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
    fig = figure(at)
    assert racer_names(fig) == ["Adam", "Nesterov"]
    assert start_marker(fig) == pytest.approx(EVERY_FIELD.setup.start)
    assert fig["layout"]["sliders"][0]["active"] == EVERY_FIELD.display.frame
    assert len(fig["frames"]) == len(frame_steps(300, three_d=True))
    assert "scene" in fig["layout"]  # the 3D panel
    assert fig["layout"]["yaxis2"]["title"]["text"].startswith("distance")
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
    fig = figure(at)
    assert fig["layout"]["xaxis"]["range"] == [x0, x1]
    assert fig["layout"]["yaxis"]["range"] == [y0, y1]
    assert racer_names(fig) == ["Adam"]
    assert "%2B" in at.code[0].value  # the share link keeps the '+'


# -- hostile links ----------------------------------------------------------------------------

HOSTILE = {
    "steps": "nan", "seed": "-3", "surface": "nope", "opt": "sgd,zzz,adam",
    "momentum.momentum": "0.5", "adam.learning_rate": "1e309", "start": "1",
    "view": "<script>alert(1)</script>", "curve": "λ", "foo": "[x](https://evil.example)",
    "clip": "abc", "v": "2",
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
    assert racer_names(figure(at)) == ["SGD", "Adam"]
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
    assert figure(at)["layout"]["sliders"][0]["active"] == last


# -- click to set the start ------------------------------------------------------------------


def test_clicking_the_contour_moves_the_start():
    at = run_app()
    assert_clean(at)
    click_chart(at, 0.5, -0.5)
    assert_clean(at)
    scene = from_state(at.session_state)
    assert scene == Scene().with_start(0.5, -0.5)
    assert at.session_state["start.x"] == 0.5 and at.session_state["start.y"] == -0.5
    fig = figure(at)
    assert start_marker(fig) == pytest.approx((0.5, -0.5))
    assert full_path(fig, "SGD")[0] == pytest.approx((0.5, -0.5))
    assert at.query_params["start"] == "0.5,-0.5"
    # an empty selection (a click on nothing) keeps the start
    at.run()
    assert from_state(at.session_state).setup.start == (0.5, -0.5)


def test_a_click_on_the_metric_chart_keeps_the_start():
    at = run_app()
    fig = figure(at)
    chart_trace = next(i for i, t in enumerate(fig["data"]) if t.get("xaxis") == "x2")
    click_chart(at, 0.0, 12.5, curve_number=chart_trace)  # (step, loss) of a chart marker
    assert_clean(at)
    assert from_state(at.session_state).setup.start == Scene().setup.start


# -- the error boundary ----------------------------------------------------------------------


def test_an_unexpected_error_becomes_a_friendly_message():
    # A scene no cache holds, so the cached computation really runs (and fails).
    with mock.patch.object(ui.page, "compute_race", side_effect=RuntimeError("boom")) as failing:
        at = run_app({"seed": "424242"})
    assert failing.called
    assert not at.exception
    (error,) = at.error
    assert "Something went wrong" in error.value
    assert "boom" not in error.value and "Traceback" not in error.value
    (back,) = [b for b in at.button if b.label == "Back to the default view"]
    assert not at.get("plotly_chart")

    back.click().run()
    assert_clean(at)
    assert from_state(at.session_state) == Scene()
    assert_url_is(at, Scene())
    assert racer_names(figure(at)) == ["SGD", "Momentum", "Adam"]


# -- a typed formula ------------------------------------------------------------------------


def test_a_typed_formula_renders_and_a_bad_one_keeps_the_previous_view():
    at = run_app()
    at.selectbox(key="surface").set_value("formula").run()
    assert_clean(at)
    assert at.text_input(key="formula").value  # an example formula to start from
    at.text_input(key="formula").set_value("x^2 + 3*y^2").run()
    assert_clean(at)
    good = figure(at)
    assert "x^2 + 3*y^2" in at.query_params["formula"]
    assert at.query_params["surface"] == "formula"
    path = full_path(good, "Adam")
    assert np.isfinite(path).all() and path.shape[0] == 201

    at.text_input(key="formula").set_value("__import__('os').system('echo hi')").run()
    assert not at.exception
    (message,) = at.error
    assert "formula was not used" in message.value
    # the previous view stays: same figure data, and the link still holds the good formula
    kept = figure(at)
    np.testing.assert_array_equal(full_path(kept, "Adam"), path)
    assert "x^2 + 3*y^2" in at.query_params["formula"]


def test_a_formula_link_with_a_plus_reproduces_it():
    at = run_app({"v": "1", "surface": "formula", "formula": "x**2+y**2", "opt": "sgd"})
    assert_clean(at)
    assert at.text_input(key="formula").value.replace(" ", "") in ("x^2+y^2", "x**2+y**2")
    fig = figure(at)
    assert racer_names(fig) == ["SGD"]
    # the minimum of x² + y² is at the origin: plain SGD heads there
    end = full_path(fig, "SGD")[-1]
    assert np.hypot(*end) < np.hypot(*start_marker(fig))


def test_the_formula_domain_widget_redraws_and_reaches_the_link():
    at = run_app({"v": "1", "surface": "formula", "formula": "x^2 + y^2", "opt": "sgd"})
    assert_clean(at)
    at.text_input(key="domain").set_value("0, 2, -1, 1").run()
    assert_clean(at)
    fig = figure(at)
    assert fig["layout"]["xaxis"]["range"] == [0, 2]
    assert fig["layout"]["yaxis"]["range"] == [-1, 1]
    assert at.query_params["domain"] == "0,2,-1,1"
    x, y = start_marker(fig)
    assert 0 <= x <= 2 and -1 <= y <= 1  # the start moved into the new domain
    # a malformed domain is refused with a message, and the drawn domain stays
    at.text_input(key="domain").set_value("0, 2, -1").run()
    assert not at.exception and at.error
    assert figure(at)["layout"]["xaxis"]["range"] == [0, 2]
