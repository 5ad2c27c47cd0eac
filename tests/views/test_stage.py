"""The stage's messages (views/stage.py): the surface, the race and the drag grid carry
exactly the engine's numbers, their figures are valid plotly, and the map's figure does
not change when only the runs do (so the browser sends the runs alone)."""

from __future__ import annotations

import functools
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from compute import GRID, frame_steps
from compute.neighbourhood import ladders, scrubs, start_grid
from scene import Racer, Scene
from tests.helpers import decode_png, race_result
from views import race_figure
from views.image import color_values
from views.packing import unpack
from views.race import MESH_GRID, curve_values
from views.stage import (
    _snapped,
    grid_message,
    ladders_message,
    race_message,
    surface_message,
)

SCENE = Scene.of(racers=(Racer("sgd", (("learning_rate", 0.01),)), Racer.default("adam")))
NETWORK = Scene.of(surface="tanh_unit", view="3d")


def message(scene: Scene, **display) -> tuple[dict, list[np.ndarray]]:
    result = race_result(scene)
    d = scene.display
    options = {"frame": d.frame, "view": d.view, "curve": d.curve, **display}
    data = race_message(result, scrubs(scene.setup), key="race", surface_key="surface",
                        grid_key="grid", ladders_key="ladders",
                        plotly_src="app/static/plotly.min.js", **options)
    return unpack(data)


@functools.cache
def the_ladders(scene: Scene):
    return ladders(scene.setup)


def array(arrays, ref) -> np.ndarray:
    return arrays[ref["$"]]


def test_the_surface_message_is_the_grid_image_its_colour_bar_and_the_mesh():
    result = race_result(SCENE)
    header, arrays = unpack(surface_message(result.surface, "s1"))
    assert header["kind"] == "surface" and header["id"] == "s1"
    png = array(arrays, header["image"]).tobytes()
    assert decode_png(png).shape == (GRID, GRID, 4)
    _values, vmin, vmax, label = color_values(result.surface.zs, result.surface.log_scale)
    assert header["colorbar"]["vmin"] == vmin and header["colorbar"]["vmax"] == vmax
    assert header["colorbar"]["label"] == label
    z = array(arrays, header["mesh"]["z"])
    assert z.shape == (MESH_GRID, MESH_GRID) and np.isfinite(z).all()


def test_the_race_message_carries_the_engines_runs_exactly():
    result = race_result(SCENE)
    header, arrays = message(SCENE)
    assert header["kind"] == "race" and header["steps"] == result.steps
    np.testing.assert_array_equal(array(arrays, header["frames"]), frame_steps(result.steps))
    for run, sent in zip(result.runs, header["runs"], strict=True):
        np.testing.assert_array_equal(array(arrays, sent["path"]), run.path)
        np.testing.assert_array_equal(array(arrays, sent["chart"]),
                                      curve_values(result, run, "loss")[0].astype(np.float32))
    assert [r["name"] for r in header["racers"]] == ["SGD", "Adam"]
    assert header["start"] == list(result.start)


@pytest.mark.parametrize("scene", [SCENE, NETWORK, SCENE.replace(view="3d", curve="grad_norm")],
                         ids=["contour", "network-3d", "3d-grad-norm"])
def test_every_plot_is_valid_plotly_and_its_roles_name_its_traces(scene):
    header, _ = message(scene)
    plots = header["plots"]
    assert set(plots) >= {"map", "chart"}
    for name, figure in plots.items():
        fig = go.Figure(data=figure["traces"], layout=figure["layout"])  # validates
        assert len(fig.data) == len(figure["traces"]), name
        for role, where in figure["bind"].items():
            indices = where if isinstance(where, list) else [where]
            for k in (i for item in indices for i in (item if isinstance(item, list) else [item])):
                assert k == -1 or 0 <= k < len(figure["traces"]), (name, role)
    bind = plots["map"]["bind"]
    racers = len(scene.setup.racers)
    assert len(bind["paths"]) == len(bind["trails"]) == len(bind["markers"]) == racers
    assert plots["map"]["traces"][bind["start"]]["name"] == "start"
    if scene.display.view == "3d":
        marks = plots["marks"]["layout"]["scene"]
        assert marks["zaxis"]["range"] == plots["scene"]["layout"]["scene"]["zaxis"]["range"]
        assert marks["bgcolor"] == "rgba(0,0,0,0)" and marks["xaxis"]["visible"] is False
    if scene.setup.surface == "tanh_unit":
        assert plots["panel"]["bind"]["fit"] >= 0


def test_the_map_figure_stays_the_same_when_only_the_runs_change():
    """The stage then sends the runs alone (no redraw of the map)."""
    moved = SCENE.replace(start=(0.5, -0.5),
                          racers=(Racer("sgd", (("learning_rate", 0.02),)),
                                  Racer.default("adam")))
    a, _ = message(SCENE)
    b, _ = message(moved)
    assert json.dumps(a["plots"]["map"]) == json.dumps(b["plots"]["map"])
    assert a["start"] != b["start"]


def test_the_race_names_its_scrubs_and_their_runs_come_after_it():
    header, arrays = message(SCENE)
    assert header["ladders"] == "ladders"
    expected = scrubs(SCENE.setup)
    assert [(s["racer"], s["name"], s["current"]) for s in header["scrubs"]] == [
        (s.racer, s.name, s.current) for s in expected]
    for sent, scrub in zip(header["scrubs"], expected, strict=True):
        np.testing.assert_array_equal(array(arrays, sent["values"]), scrub.values)
    assert header["scrubs"][0]["label"].startswith("learning rate")


@pytest.mark.parametrize("view", ["contour", "3d"])
def test_the_ladders_carry_the_previews_within_their_quantization(view):
    result, computed = race_result(SCENE), the_ladders(SCENE)
    header, arrays = unpack(ladders_message(result, computed, "ladders", view, "loss"))
    assert header["kind"] == "ladders" and header["id"] == "ladders"
    assert len(header["ladders"]) == len(computed) == len(scrubs(SCENE.setup))
    for sent, ladder in zip(header["ladders"], computed, strict=True):
        path = array(arrays, sent["path"])
        span = np.ptp(ladder.path)
        np.testing.assert_allclose(path, ladder.path, atol=span / 65535 + 1e-6)
        np.testing.assert_array_equal(array(arrays, sent["diverged"]), ladder.diverged_at)
        np.testing.assert_array_equal(array(arrays, sent["steps"]), ladder.steps)
        assert ("height" in sent) == (view == "3d")


def test_a_race_message_is_a_fraction_of_the_old_figure():
    result = race_result(SCENE)
    old = len(pio.to_json(race_figure(result), validate=False).encode())
    new = len(race_message(result, scrubs(SCENE.setup), key="k", surface_key="s",
                           grid_key="g", ladders_key="l", plotly_src="p"))
    assert new <= old / 3, (new, old)


def test_overlays_and_presenter_scale_reach_the_map():
    overlay = {"annotations": [{"text": "−∇f", "x": 0, "y": 0, "showarrow": False}],
               "shapes": []}
    header, _ = message(SCENE, overlay=overlay, font_scale=1.6)
    layout = header["plots"]["map"]["layout"]
    assert layout["annotations"][0]["text"] == "−∇f"
    assert layout["font"]["size"] == pytest.approx(13 * 1.6)
    assert header["mapHeight"] > 560


def test_chart_ranges_snap_outwards_to_round_numbers():
    assert _snapped([-2.3, 1.1], True) == [-2.5, 1.5]
    assert _snapped([0.13, 8.7], False) == [0.0, 9.0]  # steps of 1 for a span of ~9
    assert _snapped([-0.013, 0.041], False) == [-0.02, 0.05]


def test_the_grid_message_holds_every_racers_runs_from_every_start():
    setup = SCENE.replace(steps=60).setup
    grid = start_grid(setup, n=4)
    header, arrays = unpack(grid_message(grid, "g1"))
    assert header["kind"] == "grid" and header["n"] == 4
    np.testing.assert_array_equal(array(arrays, header["starts"]), grid.starts)
    path = array(arrays, header["path"])
    assert path.shape == grid.path.shape
    np.testing.assert_allclose(path, grid.path, atol=np.ptp(grid.path) / 65535 + 1e-6)


#: Adam twice (β₁ = 0.9 and 0), the second labelled with markup.
MARKUP = "<img src=x onerror=alert(1)> %{x}"
TWINS = Scene.of(steps=30, racers=(Racer.default("adam"), Racer(
    "adam", (("b1", 0.0), ("b2", 0.999), ("eps", 1e-8), ("learning_rate", 0.1)), MARKUP)))


def test_twins_race_by_position_with_their_labels_as_text():
    header, arrays = message(TWINS)
    racers = header["racers"]
    # the stage's legend sets these as text (legend.js: a text node): sent as typed
    assert [(r["key"], r["name"], r["slug"]) for r in racers] == [
        ("r1", "Adam (β₁=0.9)", "adam"), ("r2", MARKUP, "adam")]
    assert racers[0]["color"] != racers[1]["color"]
    paths = [array(arrays, run["path"]) for run in header["runs"]]
    assert not np.array_equal(paths[0], paths[1])
    # what plotly draws is escaped, and each racer's traces are grouped by its position
    traces = [t for plot in header["plots"].values() for t in plot["traces"]]
    drawn = [str(t.get(k)) for t in traces for k in ("name", "hovertemplate") if t.get(k)]
    assert not any("<img" in d or "%{x} " in d for d in drawn)
    assert any("&lt;img src=x onerror=alert(1)&gt; &#37;{x}" in d for d in drawn)
    assert {t["legendgroup"] for t in traces if "legendgroup" in t} == {"r1", "r2"}
    assert [s["racer"] for s in header["scrubs"]] == [0, 0, 1, 1]
