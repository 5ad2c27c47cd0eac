"""The network figures (views/network.py): a network race's data panel (the fitted curve,
the decision boundary) and the projected MLP's figure."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from compute import frame_steps
from landscapes import network as nw
from scene import Racer, Scene
from tests.helpers import array, assert_all_finite, mlp_result, n_points, race_result
from views import race_figure
from views.network import mlp_figure
from views.race import TRAIL

NETWORK_SCENES = {
    "tanh": Scene.of(surface="tanh_unit"),
    "tanh-3d": Scene.of(surface="tanh_unit", view="3d"),
    "tanh-minibatch": Scene.of(surface="tanh_unit", surface_params=(("batch_size", 4.0),),
                            racers=(Racer("sgd", (("learning_rate", 0.1),)),)),
    "logistic": Scene.of(surface="logistic"),
    "logistic-3d-diverging": Scene.of(surface="logistic", view="3d", steps=40,
                                   racers=(Racer.default("newton"), Racer.default("adam"))),
}


#: The one scene with programs of its own (Newton and Adam, 40 steps): the slow layer's.
OWN_PROGRAMS = ("logistic-3d-diverging",)


def network_result(name: str):
    return race_result(NETWORK_SCENES[name])


def network_figure(name: str, frame: int = 0) -> dict:
    scene = NETWORK_SCENES[name]
    return race_figure(network_result(name), frame=frame, view=scene.display.view,
                       curve=scene.display.curve)


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.slow if name in OWN_PROGRAMS else ())
    for name in NETWORK_SCENES])
def test_network_race_figures_validate_and_keep_the_frame_rule(name):
    scene = NETWORK_SCENES[name]
    fig = network_figure(name)
    validated = go.Figure(fig)
    assert len(validated.data) == len(fig["data"])
    assert len(validated.frames) == len(fig["frames"])
    data, frames = fig["data"], fig["frames"]
    assert len(frames) == len(frame_steps(scene.setup.steps, scene.display.view == "3d"))
    panel = [i for i, t in enumerate(data) if t.get("xaxis") == "x3"]
    assert panel, "a network race has a data panel"
    result = network_result(name)
    limit = max(result.panel.fits.shape[1], 6)  # a fitted curve, a boundary, a half-plane
    static = {i for i, t in enumerate(data)
              if t.get("type") == "surface" or ("lines" in t.get("mode", "") and n_points(t) > 1
                                                and i not in panel)}
    static |= {i for i in panel if data[i].get("name") in ("teacher",)}
    for frame in frames:
        assert frame["traces"] == frames[0]["traces"]
        for index, update in zip(frame["traces"], frame["data"], strict=True):
            if not update:
                continue
            assert index not in static, f"frame {frame['name']} moves a static trace"
            assert set(update) <= {"x", "y", "z", "type", "hovertemplate"}
            bound = limit if index in panel else TRAIL + 1
            assert max(n_points(update), len(array(update.get("y", [])))) <= bound
    # every clickable trace (map, data points) is in every frame
    clickable = {i for i, t in enumerate(data)
                 if t.get("xaxis") in ("x", "x3") and "markers" in t.get("mode", "")}
    assert clickable <= set(frames[0]["traces"])
    on_map = sorted(i for i, t in enumerate(data) if t.get("xaxis") == "x")
    assert fig["layout"]["meta"]["start_traces"] == on_map  # a click on the data is no start
    assert fig["layout"]["xaxis"]["title"]["text"] == "w₁"
    assert_all_finite(fig)
    json.loads(pio.to_json(fig, validate=False))


def test_the_tanh_panel_draws_the_first_racers_fit_at_each_frame():
    scene = NETWORK_SCENES["tanh"]
    result = network_result("tanh")
    fig = network_figure("tanh")
    steps_at = frame_steps(scene.setup.steps)
    panel = [i for i, t in enumerate(fig["data"]) if t.get("xaxis") == "x3"]
    fit_index = next(i for i in panel if fig["data"][i].get("name") == result.runs[0].name)
    grid = array(fig["data"][fit_index]["x"]).astype(np.float64)
    run = result.runs[0]
    for j in (0, 17, len(steps_at) - 1):
        frame = fig["frames"][j]
        update = frame["data"][frame["traces"].index(fit_index)]
        w1, w2 = run.path[steps_at[j]]
        np.testing.assert_allclose(array(update["y"]), w2 * np.tanh(w1 * grid), atol=1e-5)
    # the data points are the seed's inputs with the teacher's targets
    (points,) = [fig["data"][i] for i in panel if fig["data"][i].get("name") == "data"]
    x = np.asarray(nw.tanh_inputs(0))
    np.testing.assert_allclose(array(points["x"]), x, atol=1e-6)
    np.testing.assert_allclose(array(points["y"]), 2.0 * np.tanh(1.5 * x), atol=1e-5)


def test_the_logistic_panel_draws_the_boundary_and_the_predicted_side():
    result = network_result("logistic")
    panel = result.panel
    run = result.runs[0]
    for row, step in enumerate(result.panel_steps):
        w = run.path[step].astype(np.float64)
        seg = panel.fits[row].astype(np.float64)
        assert np.abs(seg @ w).max() < 1e-3 * max(1.0, np.abs(w).sum())  # on w·x = 0
        region = panel.regions[row].astype(np.float64)
        assert (region @ w >= -1e-3 * np.abs(w).sum()).all()  # the class-1 side
    # a half-plane through the origin covers half of the symmetric box
    poly = nw.half_plane(np.array([1.0, 2.0]), ((-2.0, 2.0), (-2.0, 2.0)))
    x, y = poly[:, 0], poly[:, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    assert area == pytest.approx(8.0)


def test_network_figure_json_stays_within_the_contour_budget():
    size = len(pio.to_json(network_figure("tanh"), validate=False))
    assert size < 0.6e6, size
    size = len(pio.to_json(network_figure("logistic"), validate=False))
    assert size < 0.6e6, size


@pytest.mark.slow  # trains the MLP twice (tests.helpers.mlp_result)
@pytest.mark.parametrize("plane", ["pca", "random"])
def test_mlp_figure_validates_and_describes_its_plane(plane):
    result = mlp_result(plane)
    fig = mlp_figure(result, frame=3)
    validated = go.Figure(fig)
    assert len(validated.frames) == len(frame_steps(result.steps))
    assert_all_finite(fig)
    assert len(pio.to_json(fig, validate=False)) < 0.6e6
    notes = " ".join(a["text"] for a in fig["layout"]["annotations"])
    assert "projection" in notes and ("PCA" in notes) == (plane == "pca")
    assert "final weights" in result.description
    for frame in fig["frames"]:
        for index, update in zip(frame["traces"], frame["data"], strict=True):
            assert not update or n_points(update) == 1
            assert not update or "lines" not in fig["data"][index].get("mode", "")
    # θ* is the best run's final point, at the origin of the plane
    best = result.runs[result.center]
    assert best.loss[-1] == min(r.loss[-1] for r in result.runs)
    np.testing.assert_allclose(best.coords[-1], [0.0, 0.0], atol=1e-5)
    assert best.off_plane[-1] == pytest.approx(0.0, abs=1e-5)
    assert best.plane_loss[-1] == pytest.approx(best.loss[-1], rel=1e-4)
    # the grid covers every kept path
    assert result.alphas[0] <= best.coords[:, 0].min() <= best.coords[:, 0].max() <= \
        result.alphas[-1]
