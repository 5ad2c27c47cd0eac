"""The studies' figures (views/studies.py) from real study results (compute.run_study):
plotly accepts each one, and each shows what its numbers say.

The scenes are tests.helpers.STUDY_SCENES: 60 steps each (one step bucket), so the
compiled programs are few and shared with the page's and the compute tests when they
run in one process.
"""

from __future__ import annotations

import base64
import functools
import itertools
import math
import re

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from compute import MAX_FRAMES, Surface
from compute.studies import CURVE_LRS, HEAT_LRS, HEAT_SECOND, second_grid
from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS
from optimizers.sweeps import DIVERGED, quadratic_theory
from tests.helpers import STUDY_SCENES, array, decode_png, study_of
from views.studies import (
    LR_SCALE,
    Backdrop,
    basin_colors,
    basin_upsample,
    lr_color,
    mean_path,
    seed_cloud_figure,
    study_figure,
)
from views.style import BACKGROUNDS, LINE_CONTRAST, THEMES, contrast, themed


@functools.cache
def figure_of(name: str) -> dict:
    scene = STUDY_SCENES[name]
    return study_figure(scene.setup, scene.display.mode, study_of(scene))


def traces(fig: dict, name: str) -> list[dict]:
    return [t for t in fig["data"] if t.get("name") == name]


def xy(trace_or_update: dict) -> np.ndarray:
    return np.stack([array(trace_or_update["x"]), array(trace_or_update["y"])], axis=1)


def end_of(diverged_at: int, steps: int) -> int:
    return diverged_at if diverged_at >= 0 else steps


# -- every figure --------------------------------------------------------------------------


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", list(STUDY_SCENES))
def test_every_study_figure_drawn_for_a_theme_validates_and_reads(name, theme):
    fig = themed(figure_of(name), theme)
    go.Figure(fig)
    for trace in fig["data"]:
        color = (trace.get("line") or {}).get("color")
        if isinstance(color, str) and color.startswith("#"):
            assert all(contrast(color, bg) >= LINE_CONTRAST for bg in BACKGROUNDS[theme])


@pytest.mark.parametrize("name", list(STUDY_SCENES))
def test_plotly_accepts_every_study_figure(name):
    """Licenses the SpecFigure bypass (ui/chart.py) for the studies, as the race's views
    test does for the race: plotly validates every kind of study figure once, here."""
    fig = figure_of(name)
    validated = go.Figure(fig)
    assert len(validated.data) == len(fig["data"])
    assert len(validated.frames) == len(fig.get("frames", []))
    assert len(fig.get("frames", [])) <= MAX_FRAMES
    text = pio.to_json(fig, validate=False)
    assert not re.search(r"[\[:,]\s*-?(NaN|Infinity)", text)  # (base64 may spell "NaN")
    assert len(text) < 1.5e6
    # fixed axis ranges and a title in words
    layout = fig["layout"]
    titles = {"x": set(), "y": set()}
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            assert len(axis["range"]) == 2 and all(math.isfinite(v) for v in axis["range"]), key
            titles[key[0]].add(axis["title"]["text"])
    assert titles["x"] - {""} and titles["y"] - {""}
    assert len(layout["title"]["text"]) > 20
    for frame in fig.get("frames", []):
        assert "layout" not in frame
        assert len(frame["traces"]) == len(frame["data"])


# -- LR fan ------------------------------------------------------------------------------------


def _position_on_scale(color: str) -> float:
    """Where a colour lies on the learning-rate scale (nearest of 2001 samples)."""
    samples = np.linspace(0, 1, 2001)
    rgb = np.array([[int(c[i: i + 2], 16) for i in (1, 3, 5)]
                    for c in (lr_color(t) for t in samples)])
    target = np.array([int(color[i: i + 2], 16) for i in (1, 3, 5)])
    return float(samples[np.argmin(np.abs(rgb - target).sum(axis=1))])


def test_lr_fan_has_one_path_per_lr_coloured_in_order_with_a_colour_bar():
    scene = STUDY_SCENES["lr_fan"]
    study = study_of(scene)
    fig = figure_of("lr_fan")
    n = scene.setup.sweep_count
    assert study.lrs.shape == (n,)
    np.testing.assert_allclose(study.lrs, np.geomspace(scene.setup.lr_low, scene.setup.lr_high, n),
                               rtol=1e-6)
    paths = [t for t in fig["data"] if t.get("xaxis") == "x" and t.get("mode") == "lines"
             and str(t.get("name", "")).startswith("η = ")]
    assert len(paths) == n
    for i, trace in enumerate(paths):
        assert trace["name"] == f"η = {study.lrs[i]:.3g}"
        e = end_of(int(study.paths.diverged_at[i]), scene.setup.steps)
        np.testing.assert_array_equal(xy(trace), study.paths.path[i, : e + 1])
    positions = [_position_on_scale(t["line"]["color"]) for t in paths]
    assert positions[0] == 0.0 and positions[-1] > 0.99
    assert all(b > a for a, b in itertools.pairwise(positions)), positions
    # the colour bar: on the moving markers, log10(η) on the same scale, labelled in words
    (bar,) = [t for t in fig["data"] if t.get("marker", {}).get("showscale")]
    assert "learning rate" in bar["marker"]["colorbar"]["title"]["text"]
    assert [c for _, c in bar["marker"]["colorscale"]] == list(LR_SCALE)
    np.testing.assert_allclose(array(bar["marker"]["color"]), np.log10(study.lrs), rtol=1e-6)
    # some learning rates of this range diverge: marked with an x and a legend entry
    div = study.paths.diverged_at >= 0
    assert div.any() and not div.all()
    marked = traces(fig, "diverged")  # on the map and on the loss chart, one legend entry
    assert [t.get("showlegend", True) for t in marked] == [True, False]
    assert all(t["marker"]["symbol"] == "x" for t in marked)
    assert all(len(array(t["x"])) == div.sum() for t in marked)
    np.testing.assert_array_equal(array(marked[1]["x"]), study.paths.diverged_at[div])
    # animated over the steps: the frames move the markers only, one point per LR
    frames = fig["frames"]
    assert len(frames) == min(scene.setup.steps + 1, MAX_FRAMES)
    for frame in frames:
        assert all(len(array(u["x"])) == n for u in frame["data"])
    last = frames[-1]["data"][0]
    np.testing.assert_array_equal(xy(last), study.paths.path[:, -1])


# -- LR animation ------------------------------------------------------------------------------


def test_lr_frames_has_one_frame_per_lr_each_showing_that_lrs_whole_path():
    scene = STUDY_SCENES["lr_frames"]
    study = study_of(scene)
    fig = figure_of("lr_frames")
    n = scene.setup.sweep_count
    frames = fig["frames"]
    assert len(frames) == n
    index = next(i for i, t in enumerate(fig["data"])
                 if t.get("name") == "path at this learning rate")
    for k, frame in enumerate(frames):
        assert frame["name"] == str(k)
        update = frame["data"][frame["traces"].index(index)]
        e = end_of(int(study.paths.diverged_at[k]), scene.setup.steps)
        np.testing.assert_array_equal(xy(update), study.paths.path[k, : e + 1])
        # the other learning rates' paths are not in this frame
        others = [j for j in range(n) if j != k and study.paths.path[j, : e + 1].shape
                  == study.paths.path[k, : e + 1].shape]
        assert not any(np.array_equal(xy(update), study.paths.path[j, : e + 1]) for j in others)
    (slider,) = fig["layout"]["sliders"]
    assert [s["label"] for s in slider["steps"]] == [f"{v:.3g}" for v in study.lrs]
    # the verdict in words changes with the learning rate, and names divergence
    texts = [f["data"][-1]["text"][0] for f in frames]
    assert len(set(texts)) == n
    assert any("diverged at step" in t for t in texts)
    assert any("reached" in t or "slow" in t for t in texts)


# -- final loss against the learning rate ------------------------------------------------------


def test_lr_curve_marks_divergent_lrs_and_draws_the_stability_limit_at_2_over_L():
    scene = STUDY_SCENES["lr_curve"]
    study = study_of(scene)
    fig = figure_of("lr_curve")
    lrs = study.lrs
    assert lrs.shape == (CURVE_LRS,)
    div = study.ends.diverged_at >= 0
    assert div.any() and not div.all()
    (line,) = [t for t in fig["data"] if str(t.get("name", "")).startswith("final")]
    (marked,) = traces(fig, "diverged")
    np.testing.assert_array_equal(array(line["x"]), lrs[~div].astype(np.float32))
    np.testing.assert_array_equal(array(marked["x"]), lrs[div].astype(np.float32))
    assert marked["mode"] == "markers" and marked["marker"]["symbol"] == "x"
    assert marked.get("showlegend", True)
    theory = quadratic_theory(scene.setup.landscape())
    limit = [t for t in fig["data"] if "2/L" in str(t.get("name", ""))
             and t.get("showlegend", True)]
    assert len(limit) == 1
    assert list(array(limit[0]["x"])) == [theory.gd_limit] * 2 == [0.2, 0.2]
    # ... and it is where divergence begins: nothing below it diverges, and within 60
    # steps the runs just above it (|1 − ηL| barely above 1) escape within 10 % of it
    first = int(np.argmax(div))
    assert div[first:].all()
    assert not div[lrs < theory.gd_limit * 0.9999].any()
    assert theory.gd_limit <= lrs[first] < 1.1 * theory.gd_limit
    (optimal,) = [t for t in fig["data"] if "2/(L+μ)" in str(t.get("name", ""))
                  and t.get("showlegend", True)]
    assert array(optimal["x"])[0] == pytest.approx(theory.gd_optimal)
    # the current learning rate (0.001) lies outside this range: no line for it
    assert not [t for t in fig["data"] if str(t.get("name", "")).startswith("current")]
    assert fig["layout"]["xaxis"]["type"] == "log"


def test_lr_curve_of_heavy_ball_draws_its_own_limit():
    scene = STUDY_SCENES["lr_curve_momentum"]
    fig = figure_of("lr_curve_momentum")
    theory = quadratic_theory(scene.setup.landscape())
    (hb,) = [t for t in fig["data"] if "2(1+β)/L" in str(t.get("name", ""))
             and t.get("showlegend", True)]
    assert array(hb["x"])[0] == pytest.approx(theory.momentum_limit(0.9))
    (optimal,) = [t for t in fig["data"] if "heavy ball's optimal" in str(t.get("name", ""))
                  and t.get("showlegend", True)]
    assert array(optimal["x"])[0] == pytest.approx(theory.heavy_ball_optimal[0])
    assert traces(fig, "current η = 0.05")


def test_lr_curve_without_a_minimum_plots_f_and_no_steps_to_tolerance():
    fig = figure_of("lr_curve_saddle")
    assert "yaxis2" not in fig["layout"]
    assert not [t for t in fig["data"] if str(t.get("name", "")).startswith("steps to")]
    assert fig["layout"]["yaxis"]["title"]["text"].startswith("final f after")
    assert fig["layout"]["yaxis"].get("type") != "log"  # f goes negative on a saddle
    assert not [t for t in fig["data"] if "2/L" in str(t.get("name", ""))]  # no theory


# -- stability heatmap -----------------------------------------------------------------------


def test_heatmap_axes_are_the_grid_and_every_cell_is_clickable():
    scene = STUDY_SCENES["heatmap"]
    study = study_of(scene)
    grid = study.grid
    fig = figure_of("heatmap")
    assert grid.second_name == "momentum" == scene.setup.sweep_param
    second, log_second = second_grid(OPTIMIZERS["momentum"].hparams["momentum"], HEAT_SECOND)
    assert not log_second
    (heat,) = [t for t in fig["data"] if t["type"] == "heatmap"]
    np.testing.assert_array_equal(array(heat["x"]), grid.lrs.astype(np.float32))
    np.testing.assert_array_equal(array(heat["y"]), second)
    np.testing.assert_array_equal(array(heat["y"]), grid.second.astype(np.float32))
    z = array(heat["z"])
    assert z.shape == (len(grid.second), len(grid.lrs)) == (HEAT_SECOND, HEAT_LRS)
    div = grid.diverged_at >= 0
    assert div.any() and not div.all()
    assert np.isnan(z[div]).all() and np.isfinite(z[~div]).all()
    expected = np.log10(np.maximum(grid.final_loss - 0.0, 1e-12))  # f* = 0 here
    np.testing.assert_allclose(z[~div], expected[~div], rtol=1e-5)
    assert "log" in heat["colorbar"]["title"]["text"]
    layout = fig["layout"]
    assert layout["xaxis"]["type"] == "log"
    assert layout["xaxis"]["range"][0] < math.log10(grid.lrs[0])
    assert layout["xaxis"]["range"][1] > math.log10(grid.lrs[-1])
    assert "momentum" in layout["yaxis"]["title"]["text"]
    # the click layer: one invisible marker on every cell
    (click,) = [t for t in fig["data"] if t.get("name") == "click a cell to load it"]
    assert click["mode"] == "markers" and click["marker"]["color"] == "rgba(0,0,0,0)"
    L, S = np.meshgrid(grid.lrs, grid.second)
    np.testing.assert_array_equal(xy(click), np.stack([L.ravel(), S.ravel()], 1)
                                  .astype(np.float32))
    assert layout["clickmode"] == "event+select"
    # divergence is an x on the cell, not only a missing colour
    (marked,) = traces(fig, "diverged")
    assert len(array(marked["x"])) == div.sum()
    # on the quadratic, heavy ball's limit η = 2(1+β)/L is drawn over the map
    (curve,) = [t for t in fig["data"] if "2(1+β)/L" in str(t.get("name", ""))]
    theory = quadratic_theory(scene.setup.landscape())
    np.testing.assert_allclose(array(curve["x"]),
                               [theory.momentum_limit(b) for b in array(curve["y"])], rtol=1e-5)
    (best,) = [t for t in fig["data"] if "optimum" in str(t.get("name", ""))]
    assert (best["x"][0], best["y"][0]) == pytest.approx(theory.heavy_ball_optimal)


# -- basins ----------------------------------------------------------------------------------


def test_basin_images_decode_to_the_grid_with_one_colour_per_label():
    scene = STUDY_SCENES["basins"]
    study = study_of(scene)
    maps = study.basins
    fig = figure_of("basins")
    n = scene.setup.basins_n
    minima = LANDSCAPES["himmelblau"].minima
    colors = basin_colors(len(minima))
    images = fig["layout"]["images"]
    assert len(images) == len(maps.lrs) == maps.labels.shape[0]
    r = basin_upsample(n)
    seen = set()
    for image, labels in zip(images, maps.labels, strict=True):
        png = base64.b64decode(image["source"].split(",", 1)[1])
        pixels = decode_png(png)
        assert pixels.shape == (n * r, n * r, 4)
        cells = pixels[::r, ::r][::-1]  # back to the label grid's rows (y upwards)
        assert (cells[..., 3] == 255).all()
        rgb = [tuple(int(v) for v in c) for c in cells[..., :3].reshape(-1, 3)]
        by_label: dict[int, set] = {}
        for label, color in zip(labels.ravel().tolist(), rgb, strict=True):
            by_label.setdefault(label, set()).add(color)
        for label, found in by_label.items():
            want = colors[label].lstrip("#")
            assert found == {tuple(int(want[i: i + 2], 16) for i in (0, 2, 4))}, label
        # ... and different labels, different colours (a bijection on this image)
        firsts = [next(iter(c)) for c in by_label.values()]
        assert len(set(firsts)) == len(firsts)
        seen |= set(by_label)
        # the image covers the domain, each pixel centred on its start
        assert image["x"] < -5 < image["x"] + 0.5 and image["sizex"] > 10
    # Himmelblau at η = 0.01: the four minima's basins; at 3 × η the runs diverge
    assert {0, 1, 2, 3} <= set(np.unique(maps.labels[0]).tolist())
    assert (maps.labels[-1] < 0).mean() > 0.5
    assert DIVERGED in seen
    names = [t["name"] for t in fig["data"] if t.get("x") == [None]]
    assert "diverged" in names
    assert any(s.startswith("not converged") for s in names)
    assert sum(s.startswith(("A:", "B:", "C:", "D:")) for s in names) == 4
    letters = [t["text"][0] for t in fig["data"] if t.get("mode") == "markers+text"]
    assert letters[:4] == ["A", "B", "C", "D"]


# -- seed clouds -------------------------------------------------------------------------------


def test_seed_cloud_has_n_paths_and_their_mean():
    scene = STUDY_SCENES["seeds"]
    study = study_of(scene)
    fig = figure_of("seeds")
    cloud = study.paths
    n = scene.setup.seeds_count
    assert cloud.path.shape == (n, scene.setup.steps + 1, 2)
    assert study.noise == 20.0
    runs = traces(fig, "one seeded run")
    assert len(runs) == n
    assert (cloud.diverged_at < 0).all()
    for i, trace in enumerate(runs):
        np.testing.assert_array_equal(xy(trace), cloud.path[i])
    assert len({xy(t).tobytes() for t in runs}) == n  # the seeds differ
    (mean,) = traces(fig, f"mean of the {n} runs")
    np.testing.assert_allclose(xy(mean), cloud.path.mean(axis=0), rtol=1e-5, atol=1e-6)
    # animated over the steps: frame j shows every run at its step
    frames = fig["frames"]
    assert len(frames) == min(scene.setup.steps + 1, MAX_FRAMES)
    np.testing.assert_array_equal(xy(frames[-1]["data"][0]), cloud.path[:, -1])


def test_mean_path_stops_at_the_first_divergence():
    rng = np.random.default_rng(0)
    path = rng.normal(size=(5, 31, 2)).astype(np.float32)
    div = np.array([-1, 12, -1, 20, -1])
    np.testing.assert_allclose(mean_path(path, div), path[:, :12].mean(axis=0))
    np.testing.assert_allclose(mean_path(path, -np.ones(5, int)), path.mean(axis=0))
    xs = np.linspace(-2, 2, 8, dtype=np.float32)
    grid = Surface("Saddle", "", ((-2.0, 2.0), (-2.0, 2.0)), (), (), None, False, xs, xs,
                   np.add.outer(xs, -xs) ** 2)
    backdrop = Backdrop(grid, (0.0, 0.0))
    fig = seed_cloud_figure(backdrop, path, path[..., 0] ** 2, div, noise=1.0,
                            optimizer="SGD")
    go.Figure(fig)
    (mean,) = traces(fig, "mean of the 5 runs")
    np.testing.assert_allclose(xy(mean), path[:, :12].mean(axis=0), rtol=1e-6)
    runs = traces(fig, "one seeded run")
    assert [len(array(t["x"])) for t in runs] == [31, 13, 31, 21, 31]
    (marked,) = [t for t in fig["data"] if str(t.get("name", "")).startswith("diverged")]
    assert marked["name"] == "diverged (2 of 5)" and marked["marker"]["symbol"] == "x"
