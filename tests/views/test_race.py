"""The race figure (views/race.py): the dict plotly.js receives, validated by plotly,
its frames, axes, slider, divergence marks, PNG background, finiteness and size."""

from __future__ import annotations

import base64
import dataclasses
import math
import struct

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compute import GRID, MAX_FRAMES, MAX_FRAMES_3D, frame_steps
from optimizers import OPTIMIZERS
from scene import MAX_OPTIMIZERS, Racer, Scene
from tests.helpers import (
    DIVERGENCE_STEPS,
    DIVERGING_RACE,
    array,
    decode_png,
    n_points,
    numbers,
    png_chunks,
    race_result,
    strict_json,
)
from views import race_figure, summary_rows
from views.packing import unpack
from views.race import LABEL_CLEARANCE, TRAIL, label_slots, stacked_label
from views.stage import race_message

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


def figure_of(scene: Scene, frame: int | None = None) -> dict:
    return race_figure(race_result(scene), frame=scene.display.frame if frame is None else frame,
                       view=scene.display.view, curve=scene.display.curve)


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
    result = race_result(DIVERGING)
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
    paths = [t for t in fig["data"] if t.get("legendgroup") == sgd.key
             and t.get("xaxis") == "x" and "lines" in t.get("mode", "") and n_points(t) > 1]
    assert paths and all(n_points(t) == k + 1 for t in paths)


def test_runs_diverging_at_one_place_list_their_words_instead_of_overprinting():
    """Two racers that diverge at the same point (one optimizer twice): one × each, the
    second's words a line away from the first's (below the × in the map's upper half,
    above the first's in the lower half)."""
    result = race_result(DIVERGING)
    sgd, adam = result.runs
    twin = dataclasses.replace(sgd, key="r3", name="SGD again")
    fig = race_figure(dataclasses.replace(result, runs=(sgd, adam, twin)))
    marks = [t for t in fig["data"] if "diverged" in (t.get("hovertemplate") or "")]
    k = sgd.diverged_at
    (_, (y0, y1)) = result.surface.domain
    upper = sgd.path[k, 1] > (y0 + y1) / 2
    second = f"SGD again diverged at step {k}"
    assert [(m["text"], m["textposition"]) for m in marks] == [
        ([f"SGD diverged at step {k}"], "top center"),
        ([second], "bottom center") if upper else ([second + "<br> "], "top center")]
    assert [m["x"] for m in marks] == [[float(sgd.path[k, 0])]] * 2


POINTS = st.lists(st.none() | st.tuples(st.floats(-2, 2), st.floats(-2, 2)), max_size=8)


@given(POINTS)
def test_labels_that_would_collide_never_share_a_line(points):
    domain = ((-2.0, 2.0), (-2.0, 2.0))
    slots = label_slots(points, domain)
    assert len(slots) == len(points)
    near = [LABEL_CLEARANCE[0] * 4, LABEL_CLEARANCE[1] * 4]
    for i, p in enumerate(points):
        before = [slots[j] for j, q in enumerate(points[:i]) if p and q
                  and abs(p[0] - q[0]) < near[0] and abs(p[1] - q[1]) < near[1]]
        assert slots[i] not in before
        # the lowest line free: a lone label sits where it always did
        assert all(line in before for line in range(slots[i]))


@pytest.mark.parametrize("upper", [False, True])
def test_a_stacked_label_moves_by_whole_lines_and_keeps_its_words(upper):
    for slot in range(4):
        text, position = stacked_label("Adam diverged at step 3", slot, upper)
        assert text.replace("<br> ", "") == "Adam diverged at step 3"
        assert text.count("<br>") == (slot - 1 if upper and slot else slot)
        assert position == ("bottom center" if upper and slot else "top center")


def _explosive(slug: str) -> Racer:
    spec = OPTIMIZERS[slug]
    values = spec.defaults()
    values["learning_rate"] = spec.hparams["learning_rate"].high
    return Racer(slug, tuple(sorted(values.items())))


#: What a figure draws differently: a log colour scale, no minimum, huge values,
#: parameters, a network's data panel.
DRAWN_DIFFERENTLY = ("rosenbrock", "saddle", "goldstein_price", "quadratic", "tanh_unit")


@pytest.mark.slow  # eight programs per surface
@pytest.mark.parametrize("surface", DRAWN_DIFFERENTLY)
def test_a_race_of_diverging_optimizers_still_draws(surface):
    assert len(DIVERGING_RACE) == MAX_OPTIMIZERS
    scene = Scene.of(surface=surface, racers=tuple(_explosive(s) for s in DIVERGING_RACE),
                     steps=DIVERGENCE_STEPS)
    result = race_result(scene)
    assert any(run.diverged_at is not None for run in result.runs)
    for view in ("contour", "3d"):
        fig = race_figure(result, view=view)
        go.Figure(fig)  # plotly accepts it
        # NaN / Infinity tokens would break the browser's JSON.parse (base64 is opaque)
        strict_json(pio.to_json(fig, validate=False))
        # and the stage, what the page draws: every run finite, every plot valid
        header, arrays = unpack(race_message(
            result, (), key="r", surface_key="s", grid_key="g", ladders_key="l",
            plotly_src="plotly.js", view=view))
        assert all(np.isfinite(a).all() for a in arrays if a.dtype.kind == "f")
        for plot in header["plots"].values():
            go.Figure(plot)


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


# -- finiteness and size budgets -------------------------------------------------------------


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
        assert race_result(other).runs[0].path.tobytes() == race_result(base).runs[0].path.tobytes()
