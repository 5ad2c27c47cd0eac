"""The studies' figures: learning-rate fan and animation, final loss against the learning
rate, the stability heatmap, basins of attraction, and seed clouds.

Pure functions of numpy arrays (no JAX, no Streamlit), built as plain dicts like the race
(views/race.py): float32 arrays travel base64-encoded, axis ranges are fixed, animated
figures have at most ``MAX_FRAMES`` frames that update only what moves, and the surface
is a PNG in ``layout.images`` (plotly.js drops contour traces during playback).
Nothing is told by colour alone: divergence is an 'x' with a legend entry, basins carry
the letter of their minimum, and the learning rate of a path is in its hover text.
Each figure reads as its parts: its traces, its frames, its layout.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from compute import Surface, frame_steps
from compute.studies import second_grid
from optimizers import OPTIMIZERS
from optimizers.sweeps import TOLERANCE, quadratic_theory
from views.animation import BOTTOM_MARGIN, playback_controls
from views.figure import (
    START_HOVER,
    Traces,
    axis,
    base_layout,
    colorbar,
    image,
    landmark_trace,
    lin_range,
    log_axis,
    log_range,
    map_axes,
    typed_array,
)
from views.image import color_values, contour_rgba, data_uri, png_bytes
from views.style import OKABE_ITO, VIRIDIS, hex_to_rgb

__all__ = [
    "BASIN_DIVERGED_COLOR", "BASIN_NOT_CONVERGED_COLOR", "LR_SCALE", "Backdrop",
    "Reference", "basin_colors", "basin_upsample", "basins_figure", "heatmap_figure",
    "lr_color", "lr_curve_figure", "lr_fan_figure", "lr_frames_figure", "mean_path",
    "reference_lines", "seed_cloud_figure", "study_figure", "study_summary",
]

#: Learning rates are coloured on matplotlib's plasma scale cut at 80 % (dark violet to
#: orange): sequential, and every colour stays visible on the light grey surface.
LR_SCALE = ("#0d0887", "#41049d", "#6a00a8", "#8f0da4", "#b12a90", "#cc4778", "#e16462",
            "#f2844b", "#fca636")
#: Basins: one Okabe–Ito colour per minimum, black for diverged, light grey for runs that
#: ended nowhere near a minimum.
BASIN_COLORS = tuple(OKABE_ITO[i] for i in (0, 5, 3, 4, 1, 2, 6))
BASIN_DIVERGED_COLOR = "#000000"
BASIN_NOT_CONVERGED_COLOR = "#D9D9D9"
NOT_CONVERGED, DIVERGED = -1, -2  # the labels of optimizers.sweeps
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BASIN_PIXELS = 400  # basin images are upsampled (nearest) to about this many pixels a side
HOVER_GRID = 25  # hover points per side of a basin panel
FLOOR = 1e-12  # f − f* is floored here before a log scale (float32 noise lies below)
#: The colour of the learning rate an LR animation frame shows (its path and marks).
LR_FRAME_COLOR = "#D55E00"


@dataclass(frozen=True)
class Backdrop:
    """The surface behind a study's paths, and the start the runs share."""

    surface: Surface
    start: tuple[float, float]


@dataclass(frozen=True)
class Reference:
    """A vertical reference line at a learning rate, e.g. the stability limit 2/L."""

    name: str
    lr: float
    dash: str


# -- colours ---------------------------------------------------------------------------------


def _interp(scale: Sequence[str], t: float) -> tuple[float, float, float]:
    stops = np.array([hex_to_rgb(c) for c in scale], dtype=np.float64)
    pos = float(np.clip(t, 0.0, 1.0)) * (len(stops) - 1)
    i = min(int(pos), len(stops) - 2)
    frac = pos - i
    r, g, b = stops[i] * (1 - frac) + stops[i + 1] * frac
    return r, g, b


def lr_color(t: float) -> str:
    """The colour of position ``t`` in [0, 1] on the learning-rate scale."""
    r, g, b = _interp(LR_SCALE, t)
    return f"#{round(r):02x}{round(g):02x}{round(b):02x}"


def _colorscale(scale: Sequence[str]) -> list[list]:
    n = len(scale) - 1
    return [[i / n, c] for i, c in enumerate(scale)]


def _lr_position(lrs: np.ndarray) -> np.ndarray:
    """Where each learning rate sits on the (log) colour scale, 0 to 1."""
    logs = np.log10(np.asarray(lrs, dtype=np.float64))
    span = logs[-1] - logs[0]
    return (logs - logs[0]) / span if span > 0 else np.zeros_like(logs)


def _superscript(k: int) -> str:
    return str(k).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _decade_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks at the powers of ten in [lo, hi] (log10 values), labelled 10ⁿ."""
    ks = range(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1)
    return [float(k) for k in ks], [f"10{_superscript(k)}" for k in ks]


def basin_colors(n_minima: int) -> dict[int, str]:
    """Label -> colour of the basin map (labels as in optimizers.sweeps)."""
    colors = {i: BASIN_COLORS[i % len(BASIN_COLORS)] for i in range(n_minima)}
    colors[NOT_CONVERGED] = BASIN_NOT_CONVERGED_COLOR
    colors[DIVERGED] = BASIN_DIVERGED_COLOR
    return colors


def basin_upsample(n: int) -> int:
    """The nearest-neighbour upsampling factor of an ``n × n`` basin image (browsers blur
    a small image stretched over a large panel)."""
    return max(1, math.ceil(BASIN_PIXELS / n))


def _surface_rgba(backdrop: Backdrop) -> np.ndarray:
    values, vmin, vmax, _ = color_values(backdrop.surface.zs, backdrop.surface.log_scale)
    return contour_rgba(values, vmin, vmax)


def _grey_surface(backdrop: Backdrop) -> str:
    """The surface as a light grey filled-contour PNG, so coloured paths stand out."""
    rgba = _surface_rgba(backdrop).astype(np.float64)
    lum = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
    grey = 255 - (255 - lum) * 0.55
    rgba[..., :3] = grey[..., None]
    return data_uri(png_bytes(rgba.round().astype(np.uint8)))


def _color_surface(backdrop: Backdrop) -> str:
    return data_uri(png_bytes(_surface_rgba(backdrop)))


# -- shared pieces ---------------------------------------------------------------------------


def _study_layout(title: str, height: int, **extra) -> dict:
    """A study's layout: its title in words top left, the legend in a row above the plot."""
    return base_layout(**{
        "title": {"text": title, "x": 0.0, "xanchor": "left", "y": 0.985, "yanchor": "top",
                  "font": {"size": 17}},
        "margin": {"l": 70, "r": 30, "t": 96, "b": 60}, "height": height,
        # clear of the top tick label, which stands half a line above the plot
        "legend": {"orientation": "h", "x": 0.0, "y": 1.03, "yanchor": "bottom",
                   "font": {"size": 13}},
        **extra,
    })


def _landmarks(backdrop: Backdrop) -> list[dict]:
    """The minima (one legend entry for all of them) and the start the runs share."""
    minima = [landmark_trace(m, "minimum", showlegend=i == 0, group="minimum")
              for i, m in enumerate(backdrop.surface.minima)]
    return [*minima, landmark_trace(backdrop.start, "start", showlegend=True,
                                    hover=START_HOVER)]


def _map_and_steps_layout(title: str, backdrop, yaxis2: dict, steps: int, steps_at,
                          speed_ms: int, *, right_margin: int, map_right: float) -> dict:
    """The layout of a study animated over steps: the map left, a per-step chart right."""
    # room above for the title and a legend of two rows
    layout = _study_layout(title, 660, margin={"l": 70, "r": right_margin, "t": 124,
                                               "b": BOTTOM_MARGIN},
                           images=[image(_grey_surface(backdrop), backdrop.surface.domain)])
    layout.update(map_axes(backdrop.surface.domain, (0.0, map_right)))
    layout["xaxis2"] = axis("step", range=[0, steps], domain=[0.68, 1.0], anchor="y2")
    layout["yaxis2"] = yaxis2
    layout.update(playback_controls([str(int(s)) for s in steps_at], speed_ms=speed_ms))
    return layout


def _charted_loss(loss: np.ndarray, min_value: float | None) -> tuple[np.ndarray, bool]:
    """What the charts plot: f − f* (floored, log axis) where f* is known, else f."""
    if min_value is None:
        return np.asarray(loss, dtype=np.float64), False
    return np.maximum(np.asarray(loss, dtype=np.float64) - min_value, FLOOR), True


def _value_range(values, log: bool) -> list[float]:
    """The range of charted values: in decades (padded by at least 0.2) on a log axis."""
    return log_range(values, min_pad=0.2) if log else lin_range(values)


def _value_axis(title: str, rng: list[float], log: bool, **extra) -> dict:
    spec = axis(title, range=rng, **extra)
    return log_axis(spec, rng) if log else spec


def _near_top(rng: list[float], log: bool) -> float:
    """Just below the top of the axis range ``rng``: where diverged runs are marked."""
    top = rng[1] - 0.03 * (rng[1] - rng[0])
    return 10**top if log else top


def _padded_decades(lrs: np.ndarray, share: float) -> list[float]:
    """The log10 range of the learning rates, padded by ``share`` of its decades."""
    span = np.log10(lrs[-1] / lrs[0]) if lrs.size > 1 else 1.0
    pad = share * span
    return [float(np.log10(lrs[0]) - pad), float(np.log10(lrs[-1]) + pad)]


def _lr_axis(rng: list[float], **extra) -> dict:
    """The learning rate's log axis over ``rng`` (log10 units)."""
    return axis("learning rate η (log scale)", type="log", exponentformat="power", range=rng,
                **extra)


def _three_digits(v: float) -> str:
    return f"{v:.3g}"


def _metric_label(min_value: float | None) -> str:
    return "f − f*" if min_value is not None else "f"


@dataclass(frozen=True)
class _Runs:
    """A study's runs (one per learning rate, or per seed): ``path (n, T, 2)``, the
    charted loss ``gap (n, T)`` (see ``_charted_loss``) and ``diverged_at (n,)`` (−1:
    never). Each is drawn up to its end: its divergence step, or the last step."""

    path: np.ndarray
    gap: np.ndarray
    log_y: bool
    diverged_at: np.ndarray

    @classmethod
    def of(cls, path: np.ndarray, loss: np.ndarray, diverged_at: np.ndarray,
           min_value: float | None) -> _Runs:
        return cls(path, *_charted_loss(loss, min_value), np.asarray(diverged_at))

    @property
    def steps(self) -> int:
        return self.path.shape[1] - 1

    @property
    def ends(self) -> np.ndarray:
        return np.where(self.diverged_at >= 0, self.diverged_at, self.steps)

    @property
    def diverged(self) -> np.ndarray:
        """The indices of the runs that diverged."""
        return np.flatnonzero(self.diverged_at >= 0)

    def drawn_path(self, i: int) -> np.ndarray:
        return self.path[i, : int(self.ends[i]) + 1]

    def drawn_gap(self, i: int) -> np.ndarray:
        return self.gap[i, : int(self.ends[i]) + 1]

    def final_gap(self) -> np.ndarray:
        """Each run's charted loss at its end."""
        return self.gap[np.arange(len(self.gap)), self.ends]


def _add_moving(traces: Traces, looks: list[dict], first: list[dict]) -> None:
    """Add moving traces: each of ``looks`` (a trace but for its data) with its data in
    the first frame, ``first``."""
    for look, data in zip(looks, first, strict=True):
        traces.add({**look, **data}, moving=True)


# -- learning-rate fan -------------------------------------------------------------------------


def lr_fan_figure(backdrop: Backdrop, lrs: np.ndarray, path: np.ndarray, loss: np.ndarray,
                  diverged_at: np.ndarray, *, optimizer: str, speed_ms: int = 60) -> dict:
    """Every learning rate's path at once, coloured by η, animated over the steps.

    ``path (n, T, 2)``, ``loss (n, T)``, ``diverged_at (n,)`` (−1: never) for ``lrs (n,)``
    in increasing order.
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    runs = _Runs.of(path, loss, diverged_at, backdrop.surface.min_value)
    colors = [lr_color(t) for t in _lr_position(lrs)]
    steps_at = frame_steps(runs.steps)

    traces = Traces(clickable_axes=())  # nothing here takes clicks
    traces.add_all(_landmarks(backdrop))
    for i in range(len(lrs)):
        traces.add_all(_fan_lines(runs, i, f"η = {_three_digits(lrs[i])}", colors[i]))
    traces.add_all(_fan_divergences(runs, lrs, colors))
    _add_moving(traces, _fan_markers(lrs, colors), _fan_positions(runs, int(steps_at[0])))

    frames = [traces.frame(str(j), _fan_positions(runs, int(s)))
              for j, s in enumerate(steps_at)]
    drawn = [runs.drawn_gap(i) for i in range(len(lrs))]
    yaxis2 = _value_axis(_metric_label(backdrop.surface.min_value),
                         _value_range(drawn, runs.log_y), runs.log_y, domain=[0.0, 1.0],
                         anchor="x2")
    title = (f"{optimizer} on {backdrop.surface.title}: {len(lrs)} learning rates from "
             f"{_three_digits(lrs[0])} to {_three_digits(lrs[-1])}, coloured by η")
    layout = _map_and_steps_layout(title, backdrop, yaxis2, runs.steps, steps_at, speed_ms,
                                   right_margin=110, map_right=0.55)
    return {"data": traces.data, "layout": layout, "frames": frames}


def _fan_lines(runs: _Runs, i: int, name: str, color: str) -> list[dict]:
    """Learning rate ``i``'s whole path on the map, and its loss on the chart."""
    common = {"type": "scatter", "mode": "lines", "name": name, "showlegend": False,
              "legendgroup": f"lr{i}"}
    whole = runs.drawn_path(i)
    return [{**common, "x": typed_array(whole[:, 0]), "y": typed_array(whole[:, 1]),
             "xaxis": "x", "yaxis": "y", "opacity": 0.9, "line": {"color": color, "width": 2},
             "hovertemplate": f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>"},
            {**common, "x": np.arange(len(whole), dtype=np.float32),
             "y": typed_array(runs.drawn_gap(i)), "xaxis": "x2", "yaxis": "y2",
             "line": {"color": color, "width": 2},
             "hovertemplate": f"{name}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>"}]


def _fan_divergences(runs: _Runs, lrs: np.ndarray, colors: list[str]) -> list[dict]:
    """An x where each learning rate diverged, on the map and on the chart (one legend
    entry for both)."""
    bad = runs.diverged
    if not bad.size:
        return []
    at = runs.ends[bad]
    common = {"type": "scatter", "mode": "markers", "name": "diverged",
              "legendgroup": "diverged", "customdata": np.stack([lrs[bad], at], axis=1).tolist(),
              "marker": {"symbol": "x", "size": 12, "color": [colors[i] for i in bad],
                         "line": {"color": "black", "width": 1}},
              "hovertemplate": "η = %{customdata[0]:.3g} diverged at step %{customdata[1]}"
                               "<extra></extra>"}
    return [{**common, "x": typed_array(runs.path[bad, at, 0]),
             "y": typed_array(runs.path[bad, at, 1]), "xaxis": "x", "yaxis": "y"},
            {**common, "x": at.astype(np.float32), "y": typed_array(runs.gap[bad, at]),
             "showlegend": False, "xaxis": "x2", "yaxis": "y2"}]


def _fan_markers(lrs: np.ndarray, colors: list[str]) -> list[dict]:
    """Every learning rate's marker on the map (they carry the colour bar of η) and on
    the chart; ``_fan_positions`` places them."""
    log_lrs = np.log10(lrs)
    cmin = float(log_lrs[0])
    cmax = float(log_lrs[-1]) if log_lrs[-1] > log_lrs[0] else cmin + 1.0
    tickvals, ticktext = _decade_ticks(cmin, cmax)
    bar = colorbar("learning rate η", 1.01, (0.0, 1.0), tickvals=tickvals, ticktext=ticktext)
    return [{"type": "scatter", "mode": "markers", "name": "position at this step",
             "showlegend": False, "xaxis": "x", "yaxis": "y", "customdata": typed_array(lrs),
             "marker": {"size": 10, "color": typed_array(log_lrs),
                        "colorscale": _colorscale(LR_SCALE), "cmin": cmin, "cmax": cmax,
                        "showscale": True, "colorbar": bar,
                        "line": {"color": "white", "width": 1}},
             "hovertemplate": "η = %{customdata:.3g}<br>(%{x:.4g}, %{y:.4g})<extra></extra>"},
            {"type": "scatter", "mode": "markers", "showlegend": False, "xaxis": "x2",
             "yaxis": "y2", "customdata": typed_array(lrs),
             "marker": {"size": 9, "color": colors, "line": {"color": "white", "width": 1}},
             "hovertemplate": "η = %{customdata:.3g}<br>step %{x}<br>%{y:.4g}"
                              "<extra></extra>"}]


def _fan_positions(runs: _Runs, step: int) -> list[dict]:
    """Where every learning rate is at ``step``: on the map, and on the chart."""
    return [{"x": typed_array(runs.path[:, step, 0]), "y": typed_array(runs.path[:, step, 1])},
            {"x": np.full(len(runs.path), step, dtype=np.float32),
             "y": typed_array(runs.gap[:, step])}]


# -- animation over the learning rate -------------------------------------------------------


def _zigzag(path: np.ndarray) -> float:
    """The share of steps that reverse the direction of the step before (until the run
    has settled): near 0 for a smooth descent, near 1 for an oscillation."""
    d = np.diff(np.asarray(path, dtype=np.float64), axis=0)
    size = np.linalg.norm(d, axis=1)
    moving = size > 1e-6 * max(float(size.max(initial=0.0)), 1e-30)
    pairs = moving[1:] & moving[:-1]
    if not pairs.any():
        return 0.0
    dots = (d[1:] * d[:-1]).sum(axis=1)
    return float(np.mean(dots[pairs] < 0))


def _verdict(path: np.ndarray, loss: np.ndarray, diverged_at: int, min_value: float | None,
             tolerance: float) -> str:
    """How a run went, in words: diverged, oscillating, reached the minimum, or slow."""
    if diverged_at >= 0:
        return f"diverged at step {diverged_at}"
    zig = _zigzag(path)
    wobbly = f"zig-zagging (the step reverses on {zig:.0%} of steps)" if zig >= 0.3 else ""
    if min_value is not None:
        gap = loss - min_value
        hit = np.flatnonzero(gap < tolerance)
        if hit.size:
            done = f"reached f − f* < {tolerance:g} at step {int(hit[0])}"
            return f"{done}, {wobbly}" if wobbly else done
        if wobbly:
            return f"{wobbly}; f − f* = {gap[-1]:.3g} after {loss.size - 1} steps"
        return f"too slow: f − f* = {gap[-1]:.3g} after {loss.size - 1} steps"
    if wobbly:
        return wobbly
    return f"f = {loss[-1]:.4g} after {loss.size - 1} steps"


def lr_frames_figure(backdrop: Backdrop, lrs: np.ndarray, path: np.ndarray,
                     loss: np.ndarray, diverged_at: np.ndarray, *, optimizer: str,
                     tolerance: float = 1e-3, speed_ms: int = 700) -> dict:
    """One frame per learning rate, each showing that learning rate's whole path: the
    audience sees slow, then good, then oscillating, then diverging runs. The right panel
    places the frame's learning rate on the final-loss-against-η curve."""
    lrs = np.asarray(lrs, dtype=np.float64)
    min_value = backdrop.surface.min_value
    runs = _Runs.of(path, loss, diverged_at, min_value)
    finals, ok = runs.final_gap(), runs.diverged_at < 0
    yr = _value_range(finals[ok], runs.log_y)
    top = _near_top(yr, runs.log_y)
    shown = []  # each frame's data of the moving traces
    for k, lr in enumerate(lrs):
        verdict = _verdict(runs.drawn_path(k), loss[k, : int(runs.ends[k]) + 1],
                           int(runs.diverged_at[k]), min_value, tolerance)
        shown.append(_lr_frame(runs, k, float(lr), finals[k], top,
                               f"η = {_three_digits(lr)}: {verdict}"))

    traces = Traces(clickable_axes=())  # nothing here takes clicks
    traces.add_all(_landmarks(backdrop))
    _add_moving(traces, _lr_frame_traces(), shown[0])
    traces.add_all(_final_loss_curve(lrs, finals, ok, top, _metric_label(min_value)))

    frames = [traces.frame(str(k), updates) for k, updates in enumerate(shown)]
    title = (f"{optimizer} on {backdrop.surface.title}: one frame per learning rate "
             f"({len(lrs)} frames)")
    layout = _lr_frames_layout(title, backdrop, lrs, yr, runs.log_y, runs.steps)
    layout.update(playback_controls([_three_digits(v) for v in lrs], speed_ms=speed_ms,
                                    prefix="learning rate η = "))
    return {"data": traces.data, "layout": layout, "frames": frames}


def _lr_frame_traces() -> list[dict]:
    """What an LR frame shows, placed by ``_lr_frame``: the whole path, where it ended
    (a dot) or diverged (an x), the learning rate on the final-loss curve, and the verdict
    in words on a strip of its own above the map."""
    return [
        {"type": "scatter", "mode": "lines+markers", "name": "path at this learning rate",
         "xaxis": "x", "yaxis": "y", "line": {"color": LR_FRAME_COLOR, "width": 2.5},
         "marker": {"size": 4, "color": LR_FRAME_COLOR},
         "hovertemplate": "(%{x:.4g}, %{y:.4g})<extra></extra>"},
        {"type": "scatter", "mode": "markers", "name": "end of the run", "xaxis": "x",
         "yaxis": "y", "marker": {"symbol": "circle", "size": 13, "color": LR_FRAME_COLOR,
                                  "line": {"color": "white", "width": 1.5}},
         "hovertemplate": "end (%{x:.4g}, %{y:.4g})<extra></extra>"},
        {"type": "scatter", "mode": "markers", "name": "diverged", "xaxis": "x", "yaxis": "y",
         "marker": {"symbol": "x", "size": 15, "color": LR_FRAME_COLOR,
                    "line": {"color": "black", "width": 1}},
         "hovertemplate": "diverged here<extra></extra>"},
        {"type": "scatter", "mode": "markers", "showlegend": False,
         "name": "this learning rate", "xaxis": "x2", "yaxis": "y2",
         "marker": {"symbol": "circle-open", "size": 18, "color": LR_FRAME_COLOR,
                    "line": {"color": LR_FRAME_COLOR, "width": 3}},
         "hovertemplate": "η = %{x:.3g}<extra></extra>"},
        {"type": "scatter", "x": [0.0], "y": [0.5], "mode": "text",
         "textposition": "middle right", "showlegend": False, "hoverinfo": "skip",
         "textfont": {"size": 15, "color": "#222"}, "xaxis": "x3", "yaxis": "y3"},
    ]


def _lr_frame(runs: _Runs, k: int, lr: float, final: float, top: float,
              text: str) -> list[dict]:
    """The data of ``_lr_frame_traces`` for learning rate ``k``: a diverged run's final
    loss is marked at ``top``."""
    whole, end = runs.drawn_path(k), int(runs.ends[k])
    point = {"x": typed_array(runs.path[k, [end], 0]), "y": typed_array(runs.path[k, [end], 1])}
    empty = {"x": [], "y": []}
    diverged = runs.diverged_at[k] >= 0
    return [{"x": typed_array(whole[:, 0]), "y": typed_array(whole[:, 1])},
            empty if diverged else point, point if diverged else empty,
            {"x": [lr], "y": [float(top if diverged else final)]}, {"text": [text]}]


def _final_loss_curve(lrs: np.ndarray, finals: np.ndarray, ok: np.ndarray, top: float,
                      label: str) -> list[dict]:
    """The right panel's static curve: the final charted loss against η, and an x at the
    top for each learning rate that diverged."""
    out = [{"type": "scatter", "x": typed_array(lrs[ok]), "y": typed_array(finals[ok]),
            "mode": "lines+markers", "name": f"final {label}", "showlegend": False,
            "xaxis": "x2", "yaxis": "y2", "line": {"color": "#0072B2", "width": 2},
            "marker": {"size": 6},
            "hovertemplate": "η = %{x:.3g}<br>final %{y:.3g}<extra></extra>"}]
    if (~ok).any():
        out.append({"type": "scatter", "x": typed_array(lrs[~ok]),
                    "y": np.full(int((~ok).sum()), top, dtype=np.float32),
                    "mode": "markers", "name": "diverged", "showlegend": False,
                    "xaxis": "x2", "yaxis": "y2",
                    "marker": {"symbol": "x", "size": 10, "color": "black"},
                    "hovertemplate": "η = %{x:.3g}: diverged<extra></extra>"})
    return out


def _lr_frames_layout(title: str, backdrop: Backdrop, lrs: np.ndarray, yr: list[float],
                      log_y: bool, steps: int) -> dict:
    """The map (coloured) under the verdict's strip, and the final-loss chart right."""
    label = _metric_label(backdrop.surface.min_value)
    layout = _study_layout(title, 680, margin={"l": 70, "r": 30, "t": 100, "b": BOTTOM_MARGIN},
                           images=[image(_color_surface(backdrop), backdrop.surface.domain)])
    layout.update(map_axes(backdrop.surface.domain, (0.0, 0.55), (0.0, 0.9)))
    strip = {"range": [0.0, 1.0], "visible": False, "fixedrange": True,
             "title": {"text": ""}}
    layout["xaxis3"] = {**strip, "domain": [0.0, 0.55], "anchor": "y3"}
    layout["yaxis3"] = {**strip, "domain": [0.91, 1.0], "anchor": "x3"}
    layout["xaxis2"] = _lr_axis(_padded_decades(lrs, 0.04), domain=[0.66, 1.0], anchor="y2")
    layout["yaxis2"] = _value_axis(f"final {label} after {steps} steps", yr, log_y,
                                   domain=[0.0, 0.9], anchor="x2")
    return layout


# -- final loss against the learning rate ---------------------------------------------------


def reference_lines(theory, slug: str, hparams: dict[str, float]) -> list[Reference]:
    """The step-size facts of a quadratic (``optimizers.sweeps.QuadraticTheory``, or None)
    as reference lines for the study optimizer ``slug``."""
    if theory is None:
        return []
    refs = [Reference("gradient descent's stability limit 2/L = "
                      f"{_three_digits(theory.gd_limit)}", theory.gd_limit, "dash"),
            Reference("gradient descent's optimal step 2/(L+μ) = "
                      f"{_three_digits(theory.gd_optimal)}", theory.gd_optimal, "dot")]
    beta_name = OPTIMIZERS[slug].heavy_ball
    if beta_name:
        beta = float(hparams[beta_name])
        limit = theory.momentum_limit(beta)
        lr, b = theory.heavy_ball_optimal
        refs += [Reference(f"heavy ball's stability limit 2(1+β)/L = {_three_digits(limit)} "
                           f"at β = {beta:g}", limit, "dashdot"),
                 Reference(f"heavy ball's optimal step 4/(√L+√μ)² = {_three_digits(lr)} "
                           f"(with β = {b:.3g})", lr, "longdash")]
    return refs


def lr_curve_figure(lrs: np.ndarray, final_loss: np.ndarray, diverged_at: np.ndarray,
                    reached_at: np.ndarray, *, min_value: float | None, optimizer: str,
                    surface: str, steps: int, references: Sequence[Reference] = (),
                    current_lr: float | None = None, tolerance: float = 1e-3) -> dict:
    """Final loss against the learning rate (log x) above the steps to tolerance.

    Diverged learning rates are 'x' markers along the top edge (legend: "diverged");
    reference lines (stability limits, optimal steps) and the current η are vertical
    lines across both panels, told apart by dash and named in the legend.
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    div, reached = np.asarray(diverged_at), np.asarray(reached_at)
    gap, log_y = _charted_loss(final_loss, min_value)
    yr = _value_range(gap[div < 0], log_y)
    label = _metric_label(min_value)
    with_steps = min_value is not None  # steps to tolerance need a known minimum
    hit = (div < 0) & (reached >= 0)
    steps_top = max(float(reached[hit].max()) if hit.any() else 1.0, 1.0) * 1.08

    data = _final_loss_traces(lrs, gap, div, _near_top(yr, log_y), label, steps)
    panels = [("y", (10 ** yr[0], 10 ** yr[1]) if log_y else yr, True)]
    if with_steps:
        data.append(_steps_to_tolerance(lrs[hit], reached[hit], label, tolerance))
        panels.append(("y2", (0.0, steps_top), False))
    data += _vertical_lines(_lr_lines(lrs, references, current_lr), panels)

    title = (f"{optimizer} on {surface}: final loss against the learning rate "
             f"({lrs.size} runs)")
    layout = _study_layout(title, 720 if with_steps else 560,
                           margin={"l": 80, "r": 30, "t": 120, "b": 60})
    layout["legend"].update(y=1.02)
    layout["xaxis"] = _lr_axis(_padded_decades(lrs, 0.02), anchor="y2" if with_steps else "y")
    layout["yaxis"] = _value_axis(f"final {label} after {steps} steps", yr, log_y,
                                  domain=[0.4 if with_steps else 0.0, 1.0], anchor="x")
    if with_steps:
        layout["yaxis2"] = axis(f"steps to {label} < {tolerance:g}", domain=[0.0, 0.3],
                                anchor="x", range=[0.0, steps_top])
    return {"data": data, "layout": layout}


def _final_loss_traces(lrs: np.ndarray, gap: np.ndarray, div: np.ndarray, top: float,
                       label: str, steps: int) -> list[dict]:
    """The final charted loss of the learning rates that did not diverge, and an x at
    ``top`` for each one that did."""
    ok = div < 0
    out = [{"type": "scatter", "x": typed_array(lrs[ok]), "y": typed_array(gap[ok]),
            "mode": "lines+markers", "name": f"final {label} after {steps} steps",
            "xaxis": "x", "yaxis": "y", "line": {"color": "#0072B2", "width": 2},
            "marker": {"size": 4, "color": "#0072B2"},
            "hovertemplate": "η = %{x:.4g}<br>final " + label + " = %{y:.4g}<extra></extra>"}]
    if (~ok).any():
        out.append({"type": "scatter", "x": typed_array(lrs[~ok]),
                    "y": np.full(int((~ok).sum()), top),
                    "customdata": div[~ok].astype(np.float32), "mode": "markers",
                    "name": "diverged", "xaxis": "x", "yaxis": "y",
                    "marker": {"symbol": "x", "size": 9, "color": "#D55E00",
                               "line": {"color": "#D55E00", "width": 1}},
                    "hovertemplate": "η = %{x:.4g}<br>diverged at step %{customdata}"
                                     "<extra></extra>"})
    return out


def _steps_to_tolerance(lrs: np.ndarray, reached: np.ndarray, label: str,
                        tolerance: float) -> dict:
    return {"type": "scatter", "x": typed_array(lrs), "y": typed_array(reached),
            "mode": "lines+markers", "name": f"steps to reach {label} < {tolerance:g}",
            "xaxis": "x", "yaxis": "y2", "line": {"color": "#009E73", "width": 2},
            "marker": {"size": 4, "symbol": "square", "color": "#009E73"},
            "hovertemplate": "η = %{x:.4g}<br>%{y} steps<extra></extra>"}


def _lr_lines(lrs: np.ndarray, references: Sequence[Reference],
              current_lr: float | None) -> list[tuple[str, float, str, str]]:
    """The vertical lines to draw (name, η, dash, colour): the references, and the
    current η where it lies in the range."""
    lines = [(r.name, r.lr, r.dash, "#333") for r in references]
    if current_lr is not None and lrs[0] <= current_lr <= lrs[-1]:
        lines.append((f"current η = {current_lr:g}", current_lr, "solid", "#CC79A7"))
    return lines


def _vertical_lines(lines: list[tuple[str, float, str, str]],
                    panels: list[tuple[str, tuple[float, float], bool]]) -> list[dict]:
    """Each line across every panel (y axis, its y range, whether it names the line in
    the legend)."""
    return [{"type": "scatter", "x": [float(lr), float(lr)], "y": [lo, hi], "mode": "lines",
             "name": name, "legendgroup": f"ref{i}", "showlegend": show, "xaxis": "x",
             "yaxis": yaxis, "line": {"color": color, "width": 2, "dash": dash},
             "hovertemplate": f"{name}<extra></extra>"}
            for i, (name, lr, dash, color) in enumerate(lines)
            for yaxis, (lo, hi), show in panels]


# -- stability heatmap -----------------------------------------------------------------------


def _edges(values: np.ndarray, log: bool) -> list[float]:
    """An axis range that shows whole cells around the grid ``values``."""
    v = np.log10(values) if log else np.asarray(values, dtype=np.float64)
    half = 0.5 * (v[1] - v[0]) if v.size > 1 else 0.5
    lo, hi = float(v[0] - half), float(v[-1] + half)
    return [lo, hi]


def heatmap_figure(lrs: np.ndarray, second_name: str, second: np.ndarray,
                   final_loss: np.ndarray, reached_at: np.ndarray, diverged_at: np.ndarray,
                   *, min_value: float | None, optimizer: str, surface: str, steps: int,
                   second_label: str | None = None, log_second: bool = False,
                   current: tuple[float, float] | None = None,
                   limit_curve: tuple[np.ndarray, np.ndarray, str] | None = None,
                   optimum: tuple[float, float, str] | None = None) -> dict:
    """Final loss over the grid learning rate × ``second_name`` (arrays
    ``(len(second), len(lrs))``), with an invisible marker on every cell to click (a
    heatmap reports no clicks): clicking loads that cell's pair into the race."""
    lrs = np.asarray(lrs, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    div = np.asarray(diverged_at)
    bad = div >= 0
    name2 = second_label or second_name

    data = [_heat_map(lrs, second, final_loss, bad, min_value),
            _heat_click_layer(lrs, second, final_loss, reached_at, div, name2)]
    data += _heat_marks(lrs, second, bad, limit_curve, optimum, current)

    title = (f"{optimizer} on {surface}: final loss after {steps} steps over learning rate × "
             f"{name2}. Click a cell to race it.")
    layout = _study_layout(title, 640, clickmode="event+select", dragmode=False,
                           plot_bgcolor="#ffffff")
    layout["xaxis"] = _lr_axis(_edges(lrs, True))
    layout["yaxis"] = axis(name2 + (" (log scale)" if log_second else ""),
                           range=_edges(second, log_second))
    if log_second:
        layout["yaxis"].update(type="log", exponentformat="power")
    return {"data": data, "layout": layout}


def _heat_map(lrs: np.ndarray, second: np.ndarray, final_loss: np.ndarray, bad: np.ndarray,
              min_value: float | None) -> dict:
    """The final charted loss of every cell (log10 of f − f* where f* is known), blank
    where the run diverged; the colours span the 1st to the 99th percentile."""
    gap, log_z = _charted_loss(final_loss, min_value)
    z = np.where(bad, np.nan, np.log10(gap) if log_z else gap)
    good = z[np.isfinite(z)]
    zmin, zmax = ((float(np.percentile(good, 1)), float(np.percentile(good, 99)))
                  if good.size else (0.0, 1.0))
    if zmax <= zmin:
        zmax = zmin + 1.0
    zlabel = "log₁₀ of final f − f*" if log_z else "final f"
    return {"type": "heatmap", "x": typed_array(lrs), "y": typed_array(second),
            "z": typed_array(z), "colorscale": _colorscale(VIRIDIS), "zmin": zmin,
            "zmax": zmax, "hoverinfo": "skip", "name": "final loss",
            "colorbar": {"title": {"text": zlabel, "side": "right"}, "thickness": 14}}


def _heat_click_layer(lrs: np.ndarray, second: np.ndarray, final_loss: np.ndarray,
                      reached_at: np.ndarray, div: np.ndarray, name2: str) -> dict:
    """An invisible marker on every cell: heatmaps report no clicks, markers do."""
    L, S = np.meshgrid(lrs, second)
    custom = np.stack([np.asarray(final_loss, dtype=np.float64).ravel(),
                       np.asarray(reached_at).ravel().astype(np.float64),
                       div.ravel().astype(np.float64)], axis=1)
    return {"type": "scatter", "x": typed_array(L.ravel()), "y": typed_array(S.ravel()),
            "mode": "markers", "name": "click a cell to load it", "showlegend": False,
            "customdata": typed_array(custom),
            "marker": {"size": 11, "color": "rgba(0,0,0,0)", "line": {"width": 0}},
            "selected": {"marker": {"opacity": 0}}, "unselected": {"marker": {"opacity": 0}},
            "hovertemplate": "η = %{x:.4g}<br>" + name2 + " = %{y:.4g}<br>final f = "
                             "%{customdata[0]:.4g}<br>reached tolerance at step "
                             "%{customdata[1]} (−1: never)<br>diverged at step "
                             "%{customdata[2]} (−1: never)"
                             "<extra>click: load into the race</extra>"}


def _heat_marks(lrs: np.ndarray, second: np.ndarray, bad: np.ndarray,
                limit_curve: tuple[np.ndarray, np.ndarray, str] | None,
                optimum: tuple[float, float, str] | None,
                current: tuple[float, float] | None) -> list[dict]:
    """What is drawn over the map: an x on each diverged cell, the stability limit, the
    optimum, the current setting."""
    out = []
    if bad.any():
        L, S = np.meshgrid(lrs, second)
        out.append({"type": "scatter", "x": typed_array(L[bad]), "y": typed_array(S[bad]),
                    "mode": "markers", "name": "diverged", "hoverinfo": "skip",
                    "marker": {"symbol": "x-thin", "size": 6,
                               "line": {"color": "#555", "width": 1}}})
    if limit_curve is not None:
        lx, ly, lname = limit_curve
        out.append({"type": "scatter", "x": typed_array(lx), "y": typed_array(ly),
                    "mode": "lines", "name": lname, "hoverinfo": "skip",
                    "line": {"color": "#D55E00", "width": 3, "dash": "dash"}})
    if optimum is not None:
        out.append(landmark_trace(optimum[:2], "minimum", name=optimum[2], showlegend=True,
                                  size=17, hover=optimum[2] + "<br>η = %{x:.4g}, β = "
                                                 "%{y:.3g}<extra></extra>"))
    if current is not None:
        out.append({"type": "scatter", "x": [float(current[0])], "y": [float(current[1])],
                    "mode": "markers", "name": "current setting",
                    "marker": {"symbol": "diamond", "size": 14, "color": "white",
                               "line": {"color": "black", "width": 2}},
                    "hovertemplate": "current setting<extra></extra>"})
    return out


# -- basins of attraction --------------------------------------------------------------------


def basin_rgba(labels: np.ndarray, n_minima: int) -> np.ndarray:
    """RGBA pixels (rows top to bottom) of a label grid (rows bottom to top), upsampled."""
    colors = basin_colors(n_minima)
    rgba = np.zeros((*labels.shape, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    for label, color in colors.items():
        rgba[labels == label, :3] = hex_to_rgb(color)
    r = basin_upsample(labels.shape[0])
    return np.repeat(np.repeat(rgba[::-1], r, axis=0), r, axis=1)


def basins_figure(domain, minima: Sequence[tuple[float, float]], xs: np.ndarray,
                  ys: np.ndarray, lrs: np.ndarray, labels: np.ndarray, *, optimizer: str,
                  surface: str, steps: int, captions: Sequence[str] | None = None) -> dict:
    """Small multiples, one per learning rate: each start of the grid coloured by the
    minimum it reaches (letters mark the minima), diverged or not converged."""
    k, m = labels.shape[0], len(minima)
    nrows = _multiples(k)[1]
    words = {NOT_CONVERGED: "not converged", DIVERGED: "diverged"}
    words.update({i: f"minimum {LETTERS[i % 26]}" for i in range(m)})
    dx, dy = _spacing(xs), _spacing(ys)
    cells = ((float(xs[0] - dx / 2), float(xs[-1] + dx / 2)),
             (float(ys[0] - dy / 2), float(ys[-1] + dy / 2)))  # each pixel centred on its start

    layout = _study_layout(f"{optimizer} on {surface}: which minimum each start reaches "
                           f"after {steps} steps, at {k} learning rates", 300 + 400 * nrows,
                           margin={"l": 60, "r": 20, "t": 150, "b": 70})
    layout["legend"].update(y=1.02 + 0.06 / nrows)
    data: list[dict] = []
    images, annotations = [], []
    for p in range(k):
        suffix = "" if p == 0 else str(p + 1)
        refs = (f"x{suffix}", f"y{suffix}")
        layout.update(_multiple_axes(p, k, domain))
        images.append(image(data_uri(png_bytes(basin_rgba(labels[p], m))), cells, *refs))
        caption = captions[p] if captions else f"η = {_three_digits(lrs[p])}"
        annotations.append(_basin_caption(caption, labels[p], words, refs))
        data.append(_basin_starts(xs, ys, labels[p], words, refs))
        data += _minimum_letters(minima, refs)
    data += _basin_legend(labels, minima, steps)
    layout["images"] = images
    layout["annotations"] = annotations
    return {"data": data, "layout": layout}


def _spacing(grid: np.ndarray) -> float:
    return (grid[-1] - grid[0]) / max(len(grid) - 1, 1)


def _multiples(k: int) -> tuple[int, int]:
    """The columns and rows of ``k`` small multiples (four as two by two)."""
    ncols = 2 if k == 4 else min(k, 3)
    return ncols, math.ceil(k / ncols)


def _multiple_axes(p: int, k: int, domain) -> dict:
    """The map axes of small multiple ``p`` of ``k``: only the left column keeps its
    y titles, only the bottom row its x titles."""
    ncols, nrows = _multiples(k)
    gx, gy = 0.06, 0.16 if nrows > 1 else 0.0
    width = (1.0 - gx * (ncols - 1)) / ncols
    height = (1.0 - gy * (nrows - 1)) / nrows
    row, col = divmod(p, ncols)
    left, top = col * (width + gx), 1.0 - row * (height + gy)
    suffix = "" if p == 0 else str(p + 1)
    axes = map_axes(domain, (left, left + width), (top - height, top), suffix)
    if col:
        axes[f"yaxis{suffix}"]["title"] = {"text": ""}
    if row < nrows - 1:
        axes[f"xaxis{suffix}"]["title"] = {"text": ""}
    return axes


def _basin_caption(caption: str, labels: np.ndarray, words: dict[int, str],
                   refs: tuple[str, str]) -> dict:
    """The panel's title: its learning rate, and the share of starts in each outcome."""
    share = {w: float(np.mean(labels == lab)) for lab, w in words.items()}
    parts = [f"{w.replace('minimum ', '')} {v:.0%}" for w, v in share.items() if v > 0]
    return {"text": f"<b>{caption}</b><br>{' · '.join(parts)}", "xref": f"{refs[0]} domain",
            "yref": f"{refs[1]} domain", "x": 0.5, "y": 1.01, "yanchor": "bottom",
            "showarrow": False, "font": {"size": 13}}


def _basin_starts(xs: np.ndarray, ys: np.ndarray, labels: np.ndarray,
                  words: dict[int, str], refs: tuple[str, str]) -> dict:
    """Invisible markers on a sample of the starts, each hovering with its outcome."""
    n = labels.shape[0]
    hover = np.unique(np.linspace(0, n - 1, min(n, HOVER_GRID)).round().astype(int))
    H, W = np.meshgrid(hover, hover, indexing="ij")
    outcome = labels[H.ravel(), W.ravel()]
    return {"type": "scatter", "x": typed_array(xs[W.ravel()]), "y": typed_array(ys[H.ravel()]),
            "mode": "markers", "showlegend": False, "xaxis": refs[0], "yaxis": refs[1],
            "text": [words.get(int(v), "?") for v in outcome], "name": "starts",
            "marker": {"size": 8, "color": "rgba(0,0,0,0)"},
            "hovertemplate": "start (%{x:.3g}, %{y:.3g})<br>→ %{text}<extra></extra>"}


def _minimum_letters(minima: Sequence[tuple[float, float]], refs: tuple[str, str]) -> list[dict]:
    """Each minimum as a star with its letter."""
    return [{**landmark_trace(point, "minimum", name=f"minimum {LETTERS[i % 26]}", axes=refs,
                              size=14),
             "mode": "markers+text", "text": [LETTERS[i % 26]], "textposition": "top right",
             "textfont": {"size": 15, "color": "black", "shadow": "0px 0px 3px white"},
             "cliponaxis": False}
            for i, point in enumerate(minima)]


def _basin_legend(labels: np.ndarray, minima: Sequence[tuple[float, float]],
                  steps: int) -> list[dict]:
    """One square per outcome (the images carry no legend of their own)."""
    colors = basin_colors(len(minima))
    present = set(np.unique(labels).tolist())
    entries = [(i, f"{LETTERS[i % 26]}: reaches the minimum ({x:.3g}, {y:.3g})")
               for i, (x, y) in enumerate(minima) if i in present]
    entries += [(NOT_CONVERGED, f"not converged within {steps} steps"), (DIVERGED, "diverged")]
    return [{"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": name,
             "xaxis": "x", "yaxis": "y", "hoverinfo": "skip",
             "marker": {"symbol": "square", "size": 14, "color": colors[label],
                        "line": {"color": "#666", "width": 1}}}
            for label, name in entries]


# -- seed clouds -------------------------------------------------------------------------------

#: The seed cloud's runs, and their mean.
CLOUD_COLOR, MEAN_COLOR = "#0072B2", "#D55E00"


def mean_path(path: np.ndarray, diverged_at: np.ndarray) -> np.ndarray:
    """The mean of the seeded paths, step by step, until the first run diverges."""
    div = np.asarray(diverged_at)
    end = path.shape[1] if not (div >= 0).any() else max(int(div[div >= 0].min()), 1)
    return path[:, :end].mean(axis=0)


def seed_cloud_figure(backdrop: Backdrop, path: np.ndarray, loss: np.ndarray,
                      diverged_at: np.ndarray, *, noise: float, optimizer: str,
                      speed_ms: int = 60) -> dict:
    """``N`` runs under gradient noise σ = ``noise``, one per seed: their faint paths, the
    mean path, and the cloud moving step by step; the right panel shows the spread of the
    loss (10th to 90th percentile) and its median."""
    runs = _Runs.of(path, loss, diverged_at, backdrop.surface.min_value)
    mean = mean_path(path, runs.diverged_at)
    with np.errstate(invalid="ignore"):
        lo, med, hi = np.percentile(runs.gap, [10, 50, 90], axis=0)
    steps_at = frame_steps(runs.steps)

    traces = Traces(clickable_axes=())  # nothing here takes clicks
    traces.add_all(_seed_paths(runs))
    traces.add_all(_mean_path_traces(mean, len(path)))
    traces.add_all(_landmarks(backdrop))
    traces.add_all(_seed_divergences(runs))
    traces.add_all(_spread_traces(lo, med, hi))
    _add_moving(traces, _cloud_markers(), _cloud_at(runs, mean, med, int(steps_at[0])))

    frames = [traces.frame(str(j), _cloud_at(runs, mean, med, int(s)))
              for j, s in enumerate(steps_at)]
    yaxis2 = _value_axis(_metric_label(backdrop.surface.min_value),
                         _value_range(np.concatenate([lo, hi]), runs.log_y), runs.log_y,
                         domain=[0.0, 1.0], anchor="x2")
    title = (f"{optimizer} on {backdrop.surface.title}: {len(path)} runs with gradient noise "
             f"σ = {noise:g}, one per seed")
    layout = _map_and_steps_layout(title, backdrop, yaxis2, runs.steps, steps_at, speed_ms,
                                   right_margin=30, map_right=0.56)
    return {"data": traces.data, "layout": layout, "frames": frames}


def _seed_paths(runs: _Runs) -> list[dict]:
    """Every seeded run's faint path (one legend entry for all)."""
    out = []
    for i in range(len(runs.path)):
        whole = runs.drawn_path(i)
        out.append({"type": "scatter", "x": typed_array(whole[:, 0]),
                    "y": typed_array(whole[:, 1]), "mode": "lines", "name": "one seeded run",
                    "showlegend": i == 0, "legendgroup": "runs", "xaxis": "x", "yaxis": "y",
                    "hoverinfo": "skip", "opacity": 0.35,
                    "line": {"color": CLOUD_COLOR, "width": 1}})
    return out


def _mean_path_traces(mean: np.ndarray, n: int) -> list[dict]:
    """The mean path, dashed on a white halo."""
    xy = {"type": "scatter", "x": typed_array(mean[:, 0]), "y": typed_array(mean[:, 1]),
          "mode": "lines", "xaxis": "x", "yaxis": "y"}
    return [{**xy, "showlegend": False, "hoverinfo": "skip",
             "line": {"color": "white", "width": 6}},
            {**xy, "name": f"mean of the {n} runs",
             "line": {"color": MEAN_COLOR, "width": 3, "dash": "dash"},
             "hovertemplate": "mean path (%{x:.4g}, %{y:.4g})<extra></extra>"}]


def _seed_divergences(runs: _Runs) -> list[dict]:
    bad = runs.diverged
    if not bad.size:
        return []
    at = runs.ends[bad]
    return [{"type": "scatter", "x": typed_array(runs.path[bad, at, 0]),
             "y": typed_array(runs.path[bad, at, 1]), "mode": "markers",
             "name": f"diverged ({bad.size} of {len(runs.path)})", "xaxis": "x", "yaxis": "y",
             "marker": {"symbol": "x", "size": 11, "color": CLOUD_COLOR,
                        "line": {"color": "black", "width": 1}},
             "hovertemplate": "diverged<extra></extra>"}]


def _spread_traces(lo: np.ndarray, med: np.ndarray, hi: np.ndarray) -> list[dict]:
    """The loss chart: the 10th to 90th percentile band over the seeds, and the median."""
    steps = np.arange(len(med), dtype=np.float32)
    on_chart = {"type": "scatter", "x": steps, "mode": "lines", "xaxis": "x2", "yaxis": "y2"}
    edge = {"width": 0, "color": CLOUD_COLOR}
    return [{**on_chart, "y": typed_array(hi), "showlegend": False, "hoverinfo": "skip",
             "line": edge},
            {**on_chart, "y": typed_array(lo), "name": "10th–90th percentile over seeds",
             "fill": "tonexty", "fillcolor": "rgba(0,114,178,0.2)", "hoverinfo": "skip",
             "line": edge},
            {**on_chart, "y": typed_array(med), "name": "median over seeds",
             "line": {"color": CLOUD_COLOR, "width": 2.5},
             "hovertemplate": "step %{x}<br>median %{y:.4g}<extra></extra>"}]


def _cloud_markers() -> list[dict]:
    """The runs and their mean at this step on the map, the median on the chart;
    ``_cloud_at`` places them."""
    return [{"type": "scatter", "mode": "markers", "name": "the runs at this step",
             "xaxis": "x", "yaxis": "y", "hoverinfo": "skip",
             "marker": {"size": 7, "color": CLOUD_COLOR, "opacity": 0.8,
                        "line": {"color": "white", "width": 0.5}}},
            {"type": "scatter", "mode": "markers", "name": "their mean", "xaxis": "x",
             "yaxis": "y", "hoverinfo": "skip",
             "marker": {"symbol": "diamond", "size": 14, "color": MEAN_COLOR,
                        "line": {"color": "white", "width": 1.5}}},
            {"type": "scatter", "mode": "markers", "showlegend": False, "xaxis": "x2",
             "yaxis": "y2", "hoverinfo": "skip",
             "marker": {"size": 11, "color": CLOUD_COLOR,
                        "line": {"color": "white", "width": 1}}}]


def _cloud_at(runs: _Runs, mean: np.ndarray, med: np.ndarray, step: int) -> list[dict]:
    """The runs, their mean (its last point once it stops) and the median at ``step``."""
    at_mean = mean[[min(step, mean.shape[0] - 1)]]
    return [{"x": typed_array(runs.path[:, step, 0]), "y": typed_array(runs.path[:, step, 1])},
            {"x": typed_array(at_mean[:, 0]), "y": typed_array(at_mean[:, 1])},
            {"x": [step], "y": typed_array(med[[step]])}]


# -- a study's figure ----------------------------------------------------------------------

#: The basin maps' captions, beside the multiples of the learning rate they show.
BASIN_CAPTIONS = ("", "1.5 ×", "2 ×", "3 ×")


def _heatmap_of(setup, study) -> dict:
    racer, g = setup.study, study.grid
    spec = OPTIMIZERS[racer.slug].hparams[g.second_name]
    _, log_second = second_grid(spec, 2)
    current = (racer.values["learning_rate"], racer.values[g.second_name])
    inside = (g.lrs[0] <= current[0] <= g.lrs[-1]
              and g.second[0] <= current[1] <= g.second[-1])
    limit = optimum = None
    theory = quadratic_theory(setup.landscape())
    heavy_ball = OPTIMIZERS[racer.slug].heavy_ball
    if theory is not None and heavy_ball and g.second_name == heavy_ball:
        lx = np.array([theory.momentum_limit(float(b)) for b in g.second])
        keep = (lx >= g.lrs[0]) & (lx <= g.lrs[-1])
        if keep.sum() >= 2:
            limit = (lx[keep], g.second[keep], "stability limit η = 2(1+β)/L")
        lr_opt, beta_opt = theory.heavy_ball_optimal
        if g.lrs[0] <= lr_opt <= g.lrs[-1] and g.second[0] <= beta_opt <= g.second[-1]:
            optimum = (lr_opt, beta_opt, "heavy ball's optimum (Polyak)")
    return heatmap_figure(g.lrs, g.second_name, g.second, g.final_loss, g.reached_at,
                          g.diverged_at, min_value=study.surface.min_value,
                          optimizer=OPTIMIZERS[racer.slug].name, surface=study.surface.title,
                          steps=setup.steps, second_label=spec.label or g.second_name,
                          log_second=log_second, current=current if inside else None,
                          limit_curve=limit, optimum=optimum)


def study_figure(setup, mode: str, study) -> dict:
    """The figure of page ``mode`` from its computed ``study`` (a ``compute.Study``) of
    ``setup``'s first racer."""
    racer = setup.study
    name = OPTIMIZERS[racer.slug].name
    bd = Backdrop(study.surface, study.start)
    if study.mode == "lr_fan":
        p = study.paths
        make = lr_frames_figure if mode == "lr_frames" else lr_fan_figure
        return make(bd, study.lrs, p.path, p.loss, p.diverged_at, optimizer=name)
    if study.mode == "lr_curve":
        e = study.ends
        refs = reference_lines(quadratic_theory(setup.landscape()), racer.slug, racer.values)
        return lr_curve_figure(study.lrs, e.loss, e.diverged_at, e.reached_at,
                               min_value=bd.surface.min_value, optimizer=name,
                               surface=bd.surface.title, steps=setup.steps, references=refs,
                               current_lr=racer.values["learning_rate"], tolerance=TOLERANCE)
    if study.mode == "heatmap":
        return _heatmap_of(setup, study)
    if study.mode == "basins":
        b = study.basins
        captions = [f"η = {lr:.3g}" + (f" ({c} yours)" if c else " (yours)")
                    for lr, c in zip(b.lrs.tolist(), BASIN_CAPTIONS, strict=True)]
        return basins_figure(bd.surface.domain, bd.surface.minima, b.xs, b.ys, b.lrs,
                             b.labels, optimizer=name, surface=bd.surface.title,
                             steps=setup.steps, captions=captions)
    p = study.paths
    return seed_cloud_figure(bd, p.path, p.loss, p.diverged_at, noise=study.noise,
                             optimizer=name)


def study_summary(study) -> str | None:
    """One sentence of what the study found, in words."""
    if study.mode == "lr_curve" and study.ends is not None:
        e, lrs = study.ends, study.lrs
        div = e.diverged_at >= 0
        parts = []
        ok = ~div
        if ok.any():
            best = int(np.flatnonzero(ok)[np.argmin(e.loss[ok])])
            parts.append(f"lowest final loss at η ≈ {lrs[best]:.3g}")
        if div.any():
            parts.append(f"diverges from η ≈ {lrs[int(np.argmax(div))]:.3g} "
                         f"({int(div.sum())} of {lrs.size} learning rates diverge)")
        else:
            parts.append("no learning rate in the range diverges")
        return "; ".join(parts).capitalize() + "."
    if study.mode == "heatmap" and study.grid is not None:
        g = study.grid
        div = g.diverged_at >= 0
        return f"{int(div.sum())} of {div.size} runs diverged."
    if study.mode == "seeds" and study.paths is not None:
        d = study.paths.diverged_at
        return f"{int((d >= 0).sum())} of {d.size} seeded runs diverged."
    return None
