"""The views: the race figure dict, the summary table, and the hand-made PNG background."""

from __future__ import annotations

import base64
import functools
import json
import math
import struct

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from compute import GRID, MAX_FRAMES, MAX_FRAMES_3D, Result, compute_race, frame_steps
from scene import Racer, Scene
from tests.helpers import array, decode_png, png_chunks
from views import race_figure, summary_rows
from views.image import contour_rgba, data_uri, png_bytes
from views.race import TRAIL

DIVERGING = Scene.of(surface="quadratic", surface_params=(("kappa", 10.0),),
                  racers=(Racer("sgd", (("learning_rate", 1.5),)), Racer.default("adam")))
SCENES = {
    "default": Scene(),
    "diverging-sgd": DIVERGING,
    "saddle": Scene.of(surface="saddle"),
    "3d": Scene.of(view="3d"),
    "grad-norm": Scene.of(surface="himmelblau", curve="grad_norm"),
    "distance": Scene.of(surface="beale", curve="distance"),
    "saddle-distance": Scene.of(surface="saddle", curve="distance"),
    "7-steps": Scene.of(steps=7),
    "2000-steps": Scene.of(steps=2000),
}


@functools.cache
def result_of(scene: Scene) -> Result:
    return compute_race(scene.setup)


def figure_of(scene: Scene, frame: int | None = None) -> dict:
    return race_figure(result_of(scene), frame=scene.display.frame if frame is None else frame,
                       view=scene.display.view, curve=scene.display.curve)




def n_points(trace: dict) -> int:
    x = array(trace.get("x"))
    return 0 if x is None else int(x.size)


def numbers(node, path="fig"):
    """Every number in the figure (arrays decoded), with where it was found."""
    if isinstance(node, dict):
        if "bdata" in node:
            yield path, array(node)
            return
        for key, value in node.items():
            yield from numbers(value, f"{path}.{key}")
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            yield from numbers(value, f"{path}[{i}]")
    elif isinstance(node, np.ndarray):
        if node.dtype.kind in "fiu":
            yield path, node
    elif isinstance(node, float | int | np.floating | np.integer) and not isinstance(node, bool):
        yield path, np.asarray([node], dtype=np.float64)


# -- plotly's own validation ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENES))
def test_plotly_accepts_the_figure(name):
    """THE test that licenses ui/chart.py's SpecFigure bypass.

    The page hands race_figure's dict to st.plotly_chart through SpecFigure, which skips
    plotly's validation (~0.5 s a rerun). That is only sound because every figure the view
    can build is validated here, once, by go.Figure (which raises on any unknown property
    or bad value), for every kind of scene: contour and 3D, each curve, divergence, no
    minima, few and many steps.
    """
    fig = figure_of(SCENES[name])
    validated = go.Figure(fig)
    assert len(validated.data) == len(fig["data"])
    assert len(validated.frames) == len(fig["frames"])


# -- frames --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENES))
def test_frames_are_few_and_move_only_small_traces(name):
    scene = SCENES[name]
    fig = figure_of(scene, frame=0)
    data, frames = fig["data"], fig["frames"]
    cap = MAX_FRAMES_3D if scene.display.view == "3d" else MAX_FRAMES
    assert 1 <= len(frames) <= cap
    assert len(frames) == min(scene.setup.steps + 1, cap)
    assert len(frames) == len(frame_steps(scene.setup.steps, scene.display.view == "3d"))
    # At frame 0 every moving trace (trail, marker) holds one point; the static ones
    # (full paths and their halos, metric curves, 3D surface and paths) hold the run.
    static = {i for i, t in enumerate(data)
              if t.get("type") == "surface" or ("lines" in t.get("mode", "") and n_points(t) > 1)}
    assert static, "the paths and curves must be static traces"
    for frame in frames:
        traces = frame["traces"]
        assert len(traces) == len(frame["data"])
        assert len(set(traces)) == len(traces)
        assert all(isinstance(i, int) and 0 <= i < len(data) for i in traces)
        for index, update in zip(traces, frame["data"], strict=True):
            if not update:
                continue  # the empty update that keeps a trace clickable after playback
            assert index not in static, f"frame {frame['name']} moves a static trace"
            assert n_points(data[index]) <= 1
            assert n_points(update) <= TRAIL + 1
            assert set(update) <= {"x", "y", "z", "type", "hovertemplate"}
    # every trace of the map is in every frame (plotly.js #4491's click failure after
    # playback), and only the map's: the chart's static curves are left alone
    on_map = {i for i, t in enumerate(data) if t.get("xaxis") == "x"}
    assert on_map <= set(frames[0]["traces"])
    assert fig["layout"]["meta"]["start_traces"] == sorted(on_map)
    # the first frame moves the same traces as every other
    assert all(f["traces"] == frames[0]["traces"] for f in frames)
    assert [f["name"] for f in frames] == [str(j) for j in range(len(frames))]


@pytest.mark.parametrize("name", list(SCENES))
def test_axis_ranges_are_fixed_to_the_domain(name):
    scene = SCENES[name]
    fig = figure_of(scene)
    (x0, x1), (y0, y1) = scene.setup.landscape().domain
    layout = fig["layout"]
    assert list(layout["xaxis"]["range"]) == [x0, x1]
    assert list(layout["yaxis"]["range"]) == [y0, y1]
    assert layout["xaxis2"]["range"] == [0, scene.setup.steps]
    assert len(layout["yaxis2"]["range"]) == 2
    assert all(math.isfinite(v) for v in layout["yaxis2"]["range"])
    if scene.display.view == "3d":
        assert list(layout["scene"]["xaxis"]["range"]) == [x0, x1]
        assert list(layout["scene"]["yaxis"]["range"]) == [y0, y1]
    # nothing in the frames rescales an axis
    assert all("layout" not in f for f in fig["frames"])


@pytest.mark.parametrize(("name", "frame"), [("default", 0), ("default", 37),
                                             ("7-steps", 3), ("3d", 59), ("2000-steps", 149)])
def test_slider_has_one_step_per_frame_and_opens_at_the_requested_frame(name, frame):
    scene = SCENES[name]
    fig = figure_of(scene, frame=frame)
    (slider,) = fig["layout"]["sliders"]
    steps_at = frame_steps(scene.setup.steps, scene.display.view == "3d")
    assert len(slider["steps"]) == len(fig["frames"]) == len(steps_at)
    assert slider["active"] == frame
    for j, step in enumerate(slider["steps"]):
        assert step["method"] == "animate"
        assert step["args"][0] == [fig["frames"][j]["name"]]
        assert step["label"] == str(int(steps_at[j]))
    assert slider["steps"][-1]["label"] == str(scene.setup.steps)


def test_out_of_range_frame_is_clamped():
    fig = figure_of(SCENES["7-steps"], frame=10**6)
    assert fig["layout"]["sliders"][0]["active"] == len(fig["frames"]) - 1


def test_start_marker_is_the_scene_start():
    for scene in (Scene(), Scene.of(surface="himmelblau"), Scene().with_start(0.5, -0.5)):
        fig = figure_of(scene)
        (start,) = [t for t in fig["data"] if t.get("name") == "start"]
        assert tuple(array(start["x"]).tolist() + array(start["y"]).tolist()) == pytest.approx(
            scene.setup.start)


def test_traces_are_named_after_the_racers():
    fig = figure_of(Scene())
    names = [t.get("name") for t in fig["data"] if t.get("showlegend", True) is not False]
    assert names == ["SGD", "Momentum", "Adam"]


# -- divergence ------------------------------------------------------------------------------


def test_diverged_run_is_marked_in_the_figure_and_the_table():
    result = result_of(DIVERGING)
    sgd, adam = result.runs
    assert sgd.diverged_at is not None and sgd.diverged_at > 0
    assert adam.diverged_at is None
    k = sgd.diverged_at
    fig = figure_of(DIVERGING)
    marked = [t for t in fig["data"] if any("diverged" in s for s in t.get("text") or [])]
    assert len(marked) == 1
    assert marked[0]["text"] == [f"SGD diverged at step {k}"]
    assert array(marked[0]["x"])[0] == pytest.approx(sgd.path[k, 0])
    rows = summary_rows(result)
    assert rows[0]["optimizer"] == "SGD"
    assert rows[0]["status"] == f"diverged at step {k}"
    assert "diverged" not in rows[1]["status"]
    # the path drawn stops at the divergence: no far-away points, nothing non-finite
    paths = [t for t in fig["data"] if t.get("legendgroup") == "sgd"
             and t.get("xaxis") == "x" and "lines" in t.get("mode", "") and n_points(t) > 1]
    assert paths and all(n_points(t) == k + 1 for t in paths)


def test_summary_rows_for_each_kind_of_outcome():
    for name in ("default", "saddle", "7-steps"):
        rows = summary_rows(result_of(SCENES[name]))
        assert [r["optimizer"] for r in rows] == [r.name for r in result_of(SCENES[name]).runs]
        for row in rows:
            assert set(row) == {"optimizer", "hyperparameters", "final f",
                                "distance to minimum", "status"}
            assert all(isinstance(v, str) and v for v in row.values())
    saddle = summary_rows(result_of(SCENES["saddle"]))
    assert all(r["distance to minimum"] == "—" for r in saddle)


# -- the background image -------------------------------------------------------------------






@pytest.mark.parametrize("name", ["default", "3d", "saddle"])
def test_background_is_a_png_data_uri_of_the_grid(name):
    fig = figure_of(SCENES[name])
    (image,) = fig["layout"]["images"]
    prefix = "data:image/png;base64,"
    assert image["source"].startswith(prefix)
    png = base64.b64decode(image["source"][len(prefix):], validate=True)
    (kind, ihdr), *_ = png_chunks(png)
    assert kind == b"IHDR"
    w, h = struct.unpack(">II", ihdr[:8])
    assert (w, h) == (GRID, GRID)
    pixels = decode_png(png)
    assert pixels.shape == (GRID, GRID, 4)
    assert (pixels[..., 3] == 255).all()  # these surfaces are finite everywhere
    (x0, x1), (y0, y1) = SCENES[name].setup.landscape().domain
    assert (image["x"], image["y"], image["sizex"], image["sizey"]) == (x0, y1, x1 - x0, y1 - y0)
    assert image["xref"] == "x" and image["yref"] == "y" and image["layer"] == "below"


def test_png_bytes_round_trip_a_known_array():
    rgba = np.arange(3 * 5 * 4, dtype=np.uint8).reshape(3, 5, 4)
    rgba[1, 2] = (255, 0, 128, 7)
    png = png_bytes(rgba)
    np.testing.assert_array_equal(decode_png(png), rgba)
    w, h = struct.unpack(">II", png_chunks(png)[0][1][:8])
    assert (w, h) == (5, 3)
    assert data_uri(png) == "data:image/png;base64," + base64.b64encode(png).decode()


def test_contour_rgba_makes_non_finite_values_transparent():
    values = np.array([[0.0, 1.0, 2.0], [np.nan, 3.0, np.inf], [-np.inf, 4.0, 5.0]])
    rgba = contour_rgba(values, 0.0, 5.0)
    assert rgba.shape == (3, 3, 4) and rgba.dtype == np.uint8
    flipped = rgba[::-1]  # the image's rows run top to bottom, the values' bottom to top
    transparent = ~np.isfinite(values)
    assert (flipped[..., 3][transparent] == 0).all()
    assert (flipped[..., 3][~transparent] == 255).all()
    # lowest and highest bands differ in colour
    assert tuple(flipped[0, 0, :3]) != tuple(flipped[2, 2, :3])


# -- finiteness and size budgets -------------------------------------------------------------


def _refuse(token: str):
    raise AssertionError(f"{token} in the figure JSON")


def strict_json(text: str):
    """Parse as a browser's JSON.parse would: a NaN or Infinity token fails. (Searching
    the text would not do: base64 data may spell "NaN".)"""
    return json.loads(text, parse_constant=_refuse)


@pytest.mark.parametrize("name", list(SCENES))
def test_no_nan_or_inf_anywhere_in_the_figure(name):
    fig = figure_of(SCENES[name])
    for where, values in numbers(fig):
        assert np.isfinite(values).all(), where
    strict_json(pio.to_json(fig, validate=False))


@pytest.mark.parametrize("view", ["contour", "3d"])
def test_undefined_regions_are_gaps_not_errors(view):
    """log(x) is undefined for x <= 0: the image is transparent there, the 3D surface has
    gaps, hovering shows no value, and nothing else in the figure is non-finite."""
    scene = Scene.of(surface="formula", formula="log(x) + y^2", view=view,
                  racers=(Racer.default("sgd"), Racer("adam", (("learning_rate", 5.0),))))
    fig = figure_of(scene)
    go.Figure(fig)
    allowed = {f"fig.data[{i}].customdata" for i, t in enumerate(fig["data"])
               if t.get("name") == "click to start here"}  # the click layer's hover values
    allowed |= {f"fig.data[{i}].z" for i, t in enumerate(fig["data"]) if t["type"] == "surface"}
    for where, values in numbers(fig):
        assert where in allowed or np.isfinite(values).all(), where
    source = fig["layout"]["images"][0]["source"]
    alpha = decode_png(base64.b64decode(source.split(",", 1)[1]))[..., 3]
    assert (alpha[:, : GRID // 2 - 1] == 0).all() and (alpha[:, GRID // 2 + 1:] == 255).all()
    strict_json(pio.to_json(fig, validate=False))


def test_json_size_budgets():
    default = len(pio.to_json(figure_of(SCENES["default"]), validate=False))
    three_d = len(pio.to_json(figure_of(SCENES["3d"]), validate=False))
    many = len(pio.to_json(figure_of(SCENES["2000-steps"]), validate=False))
    assert default < 0.6e6, default
    assert three_d < 1.5e6, three_d
    assert many < 1.0e6, many


def test_figure_does_not_depend_on_the_view_only_settings_for_its_data():
    """frame/view/curve change the drawing, never the computation (one cache entry)."""
    base = Scene()
    for other in (base.replace(frame=5), base.replace(curve="grad_norm")):
        assert result_of(other).runs[0].path.tobytes() == result_of(base).runs[0].path.tobytes()
