"""The studies' figures: learning-rate fan and animation, final loss against the learning
rate, the stability heatmap, basins of attraction, and seed clouds.

Pure functions of numpy arrays (no JAX, no Streamlit), built as plain dicts like the race
(views/race.py): float32 arrays travel base64-encoded, axis ranges are fixed, animated
figures have at most ``MAX_FRAMES`` frames that update only what moves, and the surface
is a PNG in ``layout.images`` (plotly.js drops contour traces during playback).
Nothing is told by colour alone: divergence is an 'x' with a legend entry, basins carry
the letter of their minimum, and the learning rate of a path is in its hover text.
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
from views.figure import axis as _axis
from views.figure import image as _image
from views.figure import lin_range, log_axis, log_range, map_axes, typed_array
from views.image import color_values, contour_rgba, data_uri, png_bytes
from views.style import FONT, OKABE_ITO, VIRIDIS, hex_to_rgb

__all__ = [
    "BASIN_DIVERGED_COLOR", "BASIN_NOT_CONVERGED_COLOR", "LR_SCALE", "Backdrop",
    "Reference", "basin_colors", "basin_upsample", "basins_figure", "heatmap_figure",
    "lr_color", "lr_curve_figure", "lr_fan_figure", "lr_frames_figure", "mean_path",
    "reference_lines", "seed_cloud_figure",
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


def _grey_surface(backdrop: Backdrop) -> str:
    """The surface as a light grey filled-contour PNG, so coloured paths stand out."""
    values, vmin, vmax, _ = color_values(backdrop.surface.zs, backdrop.surface.log_scale)
    rgba = contour_rgba(values, vmin, vmax).astype(np.float64)
    lum = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
    grey = 255 - (255 - lum) * 0.55
    rgba[..., :3] = grey[..., None]
    return data_uri(png_bytes(rgba.round().astype(np.uint8)))


def _color_surface(backdrop: Backdrop) -> str:
    values, vmin, vmax, _ = color_values(backdrop.surface.zs, backdrop.surface.log_scale)
    return data_uri(png_bytes(contour_rgba(values, vmin, vmax)))


# -- shared layout pieces --------------------------------------------------------------------




def _base_layout(title: str, height: int, **extra) -> dict:
    return {
        "title": {"text": title, "x": 0.0, "xanchor": "left", "y": 0.985, "yanchor": "top",
                  "font": {"size": 17}},
        "font": {"family": FONT, "size": 13, "color": "#222"},
        "paper_bgcolor": "white", "plot_bgcolor": "#f4f4f4",
        "margin": {"l": 70, "r": 30, "t": 96, "b": 60}, "height": height,
        "hovermode": "closest", "dragmode": "pan",
        "legend": {"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom",
                   "font": {"size": 13}},
        **extra,
    }






def _landmarks(backdrop: Backdrop, xref: str = "x", yref: str = "y") -> list[dict]:
    traces = []
    for i, m in enumerate(backdrop.surface.minima):
        traces.append({
            "type": "scatter", "x": [m[0]], "y": [m[1]], "mode": "markers",
            "name": "global minimum", "showlegend": i == 0, "legendgroup": "minimum",
            "xaxis": xref, "yaxis": yref,
            "marker": {"symbol": "star", "size": 16, "color": "white",
                       "line": {"color": "black", "width": 1.5}},
            "hovertemplate": f"global minimum ({m[0]:.4g}, {m[1]:.4g})<extra></extra>"})
    sx, sy = backdrop.start
    traces.append({
        "type": "scatter", "x": [sx], "y": [sy], "mode": "markers", "name": "start",
        "xaxis": xref, "yaxis": yref,
        "marker": {"symbol": "circle-open", "size": 16, "color": "black",
                   "line": {"color": "black", "width": 2.5}},
        "hovertemplate": "start (%{x:.3f}, %{y:.3f})<extra></extra>"})
    return traces


def _map_and_steps_layout(title: str, backdrop, yaxis2: dict, steps: int, steps_at,
                          speed_ms: int, *, right_margin: int, map_right: float) -> dict:
    """The layout of a study animated over steps: the map left, a per-step chart right."""
    layout = _base_layout(title, 640, margin={"l": 70, "r": right_margin, "t": 96,
                                              "b": BOTTOM_MARGIN},
                          images=[_image(_grey_surface(backdrop), backdrop.surface.domain)])
    layout.update(map_axes(backdrop.surface.domain, (0.0, map_right)))
    layout["xaxis2"] = _axis("step", range=[0, steps], domain=[0.68, 1.0], anchor="y2")
    layout["yaxis2"] = yaxis2
    layout.update(playback_controls([str(int(s)) for s in steps_at], speed_ms=speed_ms))
    return layout


def _gap(loss: np.ndarray, min_value: float | None) -> tuple[np.ndarray, bool]:
    """What the charts plot: f − f* (floored, log axis) where f* is known, else f."""
    if min_value is None:
        return np.asarray(loss, dtype=np.float64), False
    return np.maximum(np.asarray(loss, dtype=np.float64) - min_value, FLOOR), True








def _ends(diverged_at: np.ndarray, steps: int) -> np.ndarray:
    """The last step to draw of each run: its divergence step, or the last step."""
    d = np.asarray(diverged_at)
    return np.where(d >= 0, d, steps)


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _metric_label(min_value: float | None) -> str:
    return "f − f*" if min_value is not None else "f"


# -- learning-rate fan -------------------------------------------------------------------------


def lr_fan_figure(backdrop: Backdrop, lrs: np.ndarray, path: np.ndarray, loss: np.ndarray,
                  diverged_at: np.ndarray, *, optimizer: str, speed_ms: int = 60) -> dict:
    """Every learning rate's path at once, coloured by η, animated over the steps.

    ``path (n, T, 2)``, ``loss (n, T)``, ``diverged_at (n,)`` (−1: never) for ``lrs (n,)``
    in increasing order.
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    n, steps = len(lrs), path.shape[1] - 1
    ends = _ends(diverged_at, steps)
    pos = _lr_position(lrs)
    colors = [lr_color(t) for t in pos]
    log_lrs = np.log10(lrs)
    cmin = float(log_lrs[0])
    cmax = float(log_lrs[-1]) if log_lrs[-1] > log_lrs[0] else cmin + 1.0
    tickvals, ticktext = _decade_ticks(cmin, cmax)
    gaps = [_gap(loss[i], backdrop.surface.min_value) for i in range(n)]
    log_y = gaps[0][1]
    steps_at = frame_steps(steps)
    steps_axis = np.arange(steps + 1, dtype=np.float32)

    data: list[dict] = _landmarks(backdrop)
    for i in range(n):
        e = int(ends[i])
        data.append({
            "type": "scatter", "x": typed_array(path[i, : e + 1, 0]),
            "y": typed_array(path[i, : e + 1, 1]),
            "mode": "lines", "name": f"η = {_fmt(lrs[i])}", "showlegend": False,
            "legendgroup": f"lr{i}", "xaxis": "x", "yaxis": "y", "opacity": 0.9,
            "line": {"color": colors[i], "width": 2},
            "hovertemplate": f"η = {_fmt(lrs[i])}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>"})
        data.append({
            "type": "scatter", "x": steps_axis[: e + 1], "y": typed_array(gaps[i][0][: e + 1]),
            "mode": "lines", "name": f"η = {_fmt(lrs[i])}", "showlegend": False,
            "legendgroup": f"lr{i}", "xaxis": "x2", "yaxis": "y2",
            "line": {"color": colors[i], "width": 2},
            "hovertemplate": f"η = {_fmt(lrs[i])}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>"})
    bad = np.flatnonzero(np.asarray(diverged_at) >= 0)
    if bad.size:
        k = ends[bad]
        data.append({
            "type": "scatter", "x": typed_array(path[bad, k, 0]), "y": typed_array(path[bad, k, 1]),
            "mode": "markers", "name": "diverged", "legendgroup": "diverged",
            "xaxis": "x", "yaxis": "y", "customdata": np.stack([lrs[bad], k], axis=1).tolist(),
            "marker": {"symbol": "x", "size": 12, "color": [colors[i] for i in bad],
                       "line": {"color": "black", "width": 1}},
            "hovertemplate": "η = %{customdata[0]:.3g} diverged at step %{customdata[1]}"
                             "<extra></extra>"})
        data.append({
            "type": "scatter", "x": k.astype(np.float32),
            "y": typed_array([gaps[i][0][int(e)] for i, e in zip(bad, k, strict=True)]),
            "mode": "markers", "name": "diverged", "showlegend": False,
            "legendgroup": "diverged", "xaxis": "x2", "yaxis": "y2",
            "customdata": np.stack([lrs[bad], k], axis=1).tolist(),
            "marker": {"symbol": "x", "size": 12, "color": [colors[i] for i in bad],
                       "line": {"color": "black", "width": 1}},
            "hovertemplate": "η = %{customdata[0]:.3g} diverged at step %{customdata[1]}"
                             "<extra></extra>"})

    colorbar = {"title": {"text": "learning rate η", "side": "right"}, "tickvals": tickvals,
                "ticktext": ticktext, "x": 1.01, "xanchor": "left", "thickness": 12,
                "len": 1.0, "y": 0.0, "yanchor": "bottom"}
    moving = [len(data), len(data) + 1]
    at0 = int(steps_at[0])
    data.append({
        "type": "scatter", "x": typed_array(path[:, at0, 0]), "y": typed_array(path[:, at0, 1]),
        "mode": "markers", "name": "position at this step", "showlegend": False,
        "xaxis": "x", "yaxis": "y", "customdata": typed_array(lrs),
        "marker": {"size": 10, "color": typed_array(log_lrs), "colorscale": _colorscale(LR_SCALE),
                   "cmin": cmin, "cmax": cmax, "showscale": True, "colorbar": colorbar,
                   "line": {"color": "white", "width": 1}},
        "hovertemplate": "η = %{customdata:.3g}<br>(%{x:.4g}, %{y:.4g})<extra></extra>"})
    data.append({
        "type": "scatter", "x": np.full(n, at0, dtype=np.float32),
        "y": typed_array([g[0][at0] for g in gaps]), "mode": "markers", "showlegend": False,
        "xaxis": "x2", "yaxis": "y2", "customdata": typed_array(lrs),
        "marker": {"size": 9, "color": colors, "line": {"color": "white", "width": 1}},
        "hovertemplate": "η = %{customdata:.3g}<br>step %{x}<br>%{y:.4g}<extra></extra>"})

    frames = []
    for j, s in enumerate(steps_at):
        s = int(s)
        frames.append({"name": str(j), "traces": moving, "data": [
            {"x": typed_array(path[:, s, 0]), "y": typed_array(path[:, s, 1])},
            {"x": np.full(n, s, dtype=np.float32), "y": typed_array([g[0][s] for g in gaps])},
        ]})

    drawn = np.concatenate([g[0][: int(e) + 1] for g, e in zip(gaps, ends, strict=True)])
    yaxis2 = _axis(_metric_label(backdrop.surface.min_value), domain=[0.0, 1.0], anchor="x2")
    if log_y:
        log_axis(yaxis2, log_range(drawn, min_pad=0.2))
    else:
        yaxis2.update(range=lin_range(drawn))
    title = (f"{optimizer} on {backdrop.surface.title}: {n} learning rates from {_fmt(lrs[0])} to "
             f"{_fmt(lrs[-1])}, coloured by η")
    layout = _map_and_steps_layout(title, backdrop, yaxis2, steps, steps_at, speed_ms,
                                   right_margin=110, map_right=0.55)
    return {"data": data, "layout": layout, "frames": frames}


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
    n, steps = len(lrs), path.shape[1] - 1
    div = np.asarray(diverged_at)
    ends = _ends(div, steps)
    finals = np.array([_gap(loss[i],
                            backdrop.surface.min_value)[0][int(ends[i])] for i in range(n)])
    log_y = backdrop.surface.min_value is not None
    verdicts = [_verdict(path[i, : int(ends[i]) + 1], loss[i, : int(ends[i]) + 1], int(div[i]),
                         backdrop.surface.min_value, tolerance) for i in range(n)]
    ok = div < 0
    yr = log_range(finals[ok], min_pad=0.2) if log_y else lin_range(finals[ok])
    top = yr[1] - 0.03 * (yr[1] - yr[0])
    top = 10**top if log_y else top

    def path_of(k: int) -> dict:
        e = int(ends[k])
        return {"x": typed_array(path[k, : e + 1, 0]), "y": typed_array(path[k, : e + 1, 1])}

    def end_of(k: int) -> tuple[dict, dict, dict, dict]:
        e = int(ends[k])
        point = {"x": typed_array(path[k, [e], 0]), "y": typed_array(path[k, [e], 1])}
        empty = {"x": [], "y": []}
        final = ({"x": [float(lrs[k])], "y": [float(top)]} if div[k] >= 0 else
                 {"x": [float(lrs[k])], "y": [float(finals[k])]})
        text = {"text": [f"η = {_fmt(lrs[k])}: {verdicts[k]}"]}
        return (empty, point, final, text) if div[k] >= 0 else (point, empty, final, text)

    data: list[dict] = _landmarks(backdrop)
    first = len(data)
    data.append({"type": "scatter", **path_of(0), "mode": "lines+markers",
                 "name": "path at this learning rate", "xaxis": "x", "yaxis": "y",
                 "line": {"color": "#D55E00", "width": 2.5},
                 "marker": {"size": 4, "color": "#D55E00"},
                 "hovertemplate": "(%{x:.4g}, %{y:.4g})<extra></extra>"})
    end, boom, final, text = end_of(0)
    data.append({"type": "scatter", **end, "mode": "markers", "name": "end of the run",
                 "xaxis": "x", "yaxis": "y",
                 "marker": {"symbol": "circle", "size": 13, "color": "#D55E00",
                            "line": {"color": "white", "width": 1.5}},
                 "hovertemplate": "end (%{x:.4g}, %{y:.4g})<extra></extra>"})
    data.append({"type": "scatter", **boom, "mode": "markers", "name": "diverged",
                 "xaxis": "x", "yaxis": "y",
                 "marker": {"symbol": "x", "size": 15, "color": "#D55E00",
                            "line": {"color": "black", "width": 1}},
                 "hovertemplate": "diverged here<extra></extra>"})
    data.append({"type": "scatter", **final, "mode": "markers", "showlegend": False,
                 "name": "this learning rate", "xaxis": "x2", "yaxis": "y2",
                 "marker": {"symbol": "circle-open", "size": 18, "color": "#D55E00",
                            "line": {"color": "#D55E00", "width": 3}},
                 "hovertemplate": "η = %{x:.3g}<extra></extra>"})
    # the verdict, in words, on a strip of its own above the map
    data.append({"type": "scatter", "x": [0.0], "y": [0.5], "mode": "text", **text,
                 "textposition": "middle right", "showlegend": False, "hoverinfo": "skip",
                 "textfont": {"size": 15, "color": "#222"}, "xaxis": "x3", "yaxis": "y3"})
    moving = list(range(first, len(data)))

    # the static curve of the right panel: final f − f* against η
    data.append({"type": "scatter", "x": typed_array(lrs[ok]), "y": typed_array(finals[ok]),
                 "mode": "lines+markers",
                 "name": f"final {_metric_label(backdrop.surface.min_value)}",
                 "showlegend": False, "xaxis": "x2", "yaxis": "y2",
                 "line": {"color": "#0072B2", "width": 2}, "marker": {"size": 6},
                 "hovertemplate": "η = %{x:.3g}<br>final %{y:.3g}<extra></extra>"})
    if (~ok).any():
        data.append({"type": "scatter", "x": typed_array(lrs[~ok]),
                     "y": np.full(int((~ok).sum()), top, dtype=np.float32),
                     "mode": "markers", "name": "diverged", "showlegend": False,
                     "xaxis": "x2", "yaxis": "y2",
                     "marker": {"symbol": "x", "size": 10, "color": "black"},
                     "hovertemplate": "η = %{x:.3g}: diverged<extra></extra>"})

    frames = []
    for k in range(n):
        end, boom, final, text = end_of(k)
        frames.append({"name": str(k), "traces": moving,
                       "data": [path_of(k), end, boom, final, text]})

    span = np.log10(lrs[-1] / lrs[0]) if n > 1 else 1.0
    pad = 0.04 * span
    title = f"{optimizer} on {backdrop.surface.title}: one frame per learning rate ({n} frames)"
    layout = _base_layout(title, 680, margin={"l": 70, "r": 30, "t": 100, "b": BOTTOM_MARGIN},
                          images=[_image(_color_surface(backdrop), backdrop.surface.domain)])
    layout.update(map_axes(backdrop.surface.domain, (0.0, 0.55), (0.0, 0.9)))
    strip = {"range": [0.0, 1.0], "visible": False, "fixedrange": True,
             "title": {"text": ""}}
    layout["xaxis3"] = {**strip, "domain": [0.0, 0.55], "anchor": "y3"}
    layout["yaxis3"] = {**strip, "domain": [0.91, 1.0], "anchor": "x3"}
    layout["xaxis2"] = _axis("learning rate η (log scale)", type="log", domain=[0.66, 1.0],
                             anchor="y2", exponentformat="power",
                             range=[float(np.log10(lrs[0]) - pad),
                                    float(np.log10(lrs[-1]) + pad)])
    yaxis2 = _axis(f"final {_metric_label(backdrop.surface.min_value)} after {steps} steps",
                   domain=[0.0, 0.9], anchor="x2")
    if log_y:
        log_axis(yaxis2, yr)
    else:
        yaxis2["range"] = yr
    layout["yaxis2"] = yaxis2
    layout.update(playback_controls([_fmt(v) for v in lrs], speed_ms=speed_ms,
                                    prefix="learning rate η = "))
    return {"data": data, "layout": layout, "frames": frames}


# -- final loss against the learning rate ---------------------------------------------------


def reference_lines(theory, slug: str, hparams: dict[str, float]) -> list[Reference]:
    """The step-size facts of a quadratic (``optimizers.sweeps.QuadraticTheory``, or None)
    as reference lines for the study optimizer ``slug``."""
    if theory is None:
        return []
    refs = [Reference(f"gradient descent's stability limit 2/L = {_fmt(theory.gd_limit)}",
                      theory.gd_limit, "dash"),
            Reference(f"gradient descent's optimal step 2/(L+μ) = {_fmt(theory.gd_optimal)}",
                      theory.gd_optimal, "dot")]
    if slug == "momentum":
        beta = float(hparams.get("momentum", 0.9))
        limit = theory.momentum_limit(beta)
        lr, b = theory.heavy_ball_optimal
        refs += [Reference(f"heavy ball's stability limit 2(1+β)/L = {_fmt(limit)} "
                           f"at β = {beta:g}", limit, "dashdot"),
                 Reference(f"heavy ball's optimal step 4/(√L+√μ)² = {_fmt(lr)} "
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
    div = np.asarray(diverged_at)
    ok = div < 0
    gap, log_y = _gap(final_loss, min_value)
    yr = log_range(gap[ok], min_pad=0.2) if log_y else lin_range(gap[ok])
    top = 10 ** (yr[1] - 0.03 * (yr[1] - yr[0])) if log_y else yr[1] - 0.03 * (yr[1] - yr[0])
    reached = np.asarray(reached_at)
    hit = ok & (reached >= 0)
    label = _metric_label(min_value)

    data: list[dict] = [{
        "type": "scatter", "x": typed_array(lrs[ok]), "y": typed_array(gap[ok]),
        "mode": "lines+markers",
        "name": f"final {label} after {steps} steps", "xaxis": "x", "yaxis": "y",
        "line": {"color": "#0072B2", "width": 2}, "marker": {"size": 4, "color": "#0072B2"},
        "hovertemplate": "η = %{x:.4g}<br>final " + label + " = %{y:.4g}<extra></extra>"}]
    if (~ok).any():
        data.append({
            "type": "scatter", "x": typed_array(lrs[~ok]), "y": np.full(int((~ok).sum()), top),
            "customdata": div[~ok].astype(np.float32), "mode": "markers", "name": "diverged",
            "xaxis": "x", "yaxis": "y",
            "marker": {"symbol": "x", "size": 9, "color": "#D55E00",
                       "line": {"color": "#D55E00", "width": 1}},
            "hovertemplate": "η = %{x:.4g}<br>diverged at step %{customdata}<extra></extra>"})
    two = min_value is not None  # steps to tolerance need a known minimum
    if two:
        data.append({
            "type": "scatter", "x": typed_array(lrs[hit]), "y": typed_array(reached[hit]),
            "mode": "lines+markers", "name": f"steps to reach {label} < {tolerance:g}",
            "xaxis": "x", "yaxis": "y2", "line": {"color": "#009E73", "width": 2},
            "marker": {"size": 4, "symbol": "square", "color": "#009E73"},
            "hovertemplate": "η = %{x:.4g}<br>%{y} steps<extra></extra>"})
    lines = [(r.name, r.lr, r.dash, "#333") for r in references]
    if current_lr is not None and lrs[0] <= current_lr <= lrs[-1]:
        lines.append((f"current η = {current_lr:g}", current_lr, "solid", "#CC79A7"))
    steps_top = max(float(reached[hit].max()) if hit.any() else 1.0, 1.0) * 1.08
    panels = [("y", (10 ** yr[0], 10 ** yr[1]) if log_y else yr, True)]
    if two:
        panels.append(("y2", (0.0, steps_top), False))
    for i, (name, lr, dash, color) in enumerate(lines):
        for yaxis, (lo, hi), show in panels:
            data.append({
                "type": "scatter", "x": [float(lr), float(lr)], "y": [lo, hi],
                "mode": "lines", "name": name, "legendgroup": f"ref{i}", "showlegend": show,
                "xaxis": "x", "yaxis": yaxis, "line": {"color": color, "width": 2,
                                                        "dash": dash},
                "hovertemplate": f"{name}<extra></extra>"})

    span = np.log10(lrs[-1] / lrs[0]) if lrs.size > 1 else 1.0
    pad = 0.02 * span
    yaxis = _axis(f"final {label} after {steps} steps", domain=[0.4 if two else 0.0, 1.0],
                  anchor="x", range=yr)
    if log_y:
        log_axis(yaxis, yr)
    title = f"{optimizer} on {surface}: final loss against the learning rate ({lrs.size} runs)"
    layout = _base_layout(title, 720 if two else 560,
                          margin={"l": 80, "r": 30, "t": 120, "b": 60})
    layout["legend"].update(y=1.02)
    layout.update({
        "xaxis": _axis("learning rate η (log scale)", type="log", anchor="y2" if two else "y",
                       exponentformat="power",
                       range=[float(np.log10(lrs[0]) - pad), float(np.log10(lrs[-1]) + pad)]),
        "yaxis": yaxis,
    })
    if two:
        layout["yaxis2"] = _axis(f"steps to {label} < {tolerance:g}", domain=[0.0, 0.3],
                                 anchor="x", range=[0.0, steps_top])
    return {"data": data, "layout": layout}


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
    gap, log_z = _gap(final_loss, min_value)
    if log_z:
        z = np.log10(gap)
        zlabel = "log₁₀ of final f − f*"
    else:
        z = np.asarray(gap, dtype=np.float64)
        zlabel = "final f"
    z = np.where(bad, np.nan, z)
    good = z[np.isfinite(z)]
    zmin, zmax = (float(np.percentile(good, 1)), float(np.percentile(good, 99))) \
        if good.size else (0.0, 1.0)
    if zmax <= zmin:
        zmax = zmin + 1.0
    L, S = np.meshgrid(lrs, second)
    reached = np.asarray(reached_at)
    name2 = second_label or second_name
    custom = np.stack([np.asarray(final_loss, dtype=np.float64).ravel(),
                       reached.ravel().astype(np.float64), div.ravel().astype(np.float64)],
                      axis=1)

    data: list[dict] = [{
        "type": "heatmap", "x": typed_array(lrs), "y": typed_array(second), "z": typed_array(z),
        "colorscale": _colorscale(VIRIDIS), "zmin": zmin, "zmax": zmax,
        "hoverinfo": "skip", "name": "final loss",
        "colorbar": {"title": {"text": zlabel, "side": "right"}, "thickness": 14},
    }, {
        # The click layer: heatmaps report no clicks, markers do.
        "type": "scatter", "x": typed_array(L.ravel()), "y": typed_array(S.ravel()),
        "mode": "markers",
        "name": "click a cell to load it", "showlegend": False,
        "customdata": typed_array(custom),
        "marker": {"size": 11, "color": "rgba(0,0,0,0)", "line": {"width": 0}},
        "selected": {"marker": {"opacity": 0}}, "unselected": {"marker": {"opacity": 0}},
        "hovertemplate": "η = %{x:.4g}<br>" + name2 + " = %{y:.4g}<br>final f = "
                         "%{customdata[0]:.4g}<br>reached tolerance at step "
                         "%{customdata[1]} (−1: never)<br>diverged at step %{customdata[2]} "
                         "(−1: never)<extra>click: load into the race</extra>",
    }]
    if bad.any():
        data.append({
            "type": "scatter", "x": typed_array(L[bad]), "y": typed_array(S[bad]),
            "mode": "markers",
            "name": "diverged", "hoverinfo": "skip",
            "marker": {"symbol": "x-thin", "size": 6, "line": {"color": "#555", "width": 1}}})
    if limit_curve is not None:
        lx, ly, lname = limit_curve
        data.append({"type": "scatter", "x": typed_array(lx), "y": typed_array(ly), "mode": "lines",
                     "name": lname, "hoverinfo": "skip",
                     "line": {"color": "#D55E00", "width": 3, "dash": "dash"}})
    if optimum is not None:
        data.append({"type": "scatter", "x": [float(optimum[0])], "y": [float(optimum[1])],
                     "mode": "markers", "name": optimum[2],
                     "marker": {"symbol": "star", "size": 17, "color": "white",
                                "line": {"color": "black", "width": 1.5}},
                     "hovertemplate": optimum[2] + "<br>η = %{x:.4g}, β = %{y:.3g}"
                                      "<extra></extra>"})
    if current is not None:
        data.append({"type": "scatter", "x": [float(current[0])], "y": [float(current[1])],
                     "mode": "markers", "name": "current setting",
                     "marker": {"symbol": "diamond", "size": 14, "color": "white",
                                "line": {"color": "black", "width": 2}},
                     "hovertemplate": "current setting<extra></extra>"})

    yaxis = _axis(name2 + (" (log scale)" if log_second else ""), range=_edges(second, log_second))
    if log_second:
        yaxis.update(type="log", exponentformat="power")
    title = (f"{optimizer} on {surface}: final loss after {steps} steps over learning rate × "
             f"{name2}. Click a cell to race it.")
    layout = _base_layout(title, 640, clickmode="event+select", dragmode=False,
                          plot_bgcolor="#ffffff")
    layout.update({
        "xaxis": _axis("learning rate η (log scale)", type="log", exponentformat="power",
                       range=_edges(lrs, True)),
        "yaxis": yaxis,
    })
    return {"data": data, "layout": layout}


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
    k, n = labels.shape[0], labels.shape[1]
    m = len(minima)
    colors = basin_colors(m)
    dx = (xs[-1] - xs[0]) / max(n - 1, 1)
    dy = (ys[-1] - ys[0]) / max(n - 1, 1)
    ncols = 2 if k == 4 else min(k, 3)
    nrows = math.ceil(k / ncols)
    gx, gy = 0.06, 0.16 if nrows > 1 else 0.0
    width = (1.0 - gx * (ncols - 1)) / ncols
    height = (1.0 - gy * (nrows - 1)) / nrows
    data: list[dict] = []
    layout = _base_layout(f"{optimizer} on {surface}: which minimum each start reaches "
                          f"after {steps} steps, at {k} learning rates", 300 + 400 * nrows,
                          margin={"l": 60, "r": 20, "t": 150, "b": 70})
    layout["legend"].update(y=1.02 + 0.06 / nrows)
    images, annotations = [], []
    hover = np.unique(np.linspace(0, n - 1, min(n, HOVER_GRID)).round().astype(int))
    words = {NOT_CONVERGED: "not converged", DIVERGED: "diverged"}
    words.update({i: f"minimum {LETTERS[i % 26]}" for i in range(m)})
    for p in range(k):
        suffix = "" if p == 0 else str(p + 1)
        xref, yref = f"x{suffix}", f"y{suffix}"
        row, col = divmod(p, ncols)
        left, top = col * (width + gx), 1.0 - row * (height + gy)
        axes = map_axes(domain, (left, left + width), (top - height, top), suffix)
        if col:
            axes[f"yaxis{suffix}"]["title"] = {"text": ""}
        if row < nrows - 1:
            axes[f"xaxis{suffix}"]["title"] = {"text": ""}
        layout.update(axes)
        png = png_bytes(basin_rgba(labels[p], m))
        images.append({"source": data_uri(png), "xref": xref, "yref": yref,
                       "x": float(xs[0] - dx / 2), "y": float(ys[-1] + dy / 2),
                       "sizex": float(xs[-1] - xs[0] + dx), "sizey": float(ys[-1] - ys[0] + dy),
                       "sizing": "stretch", "layer": "below", "opacity": 1.0})
        caption = captions[p] if captions else f"η = {_fmt(lrs[p])}"
        share = {w: float(np.mean(labels[p] == lab)) for lab, w in words.items()}
        parts = [f"{w.replace('minimum ', '')} {v:.0%}" for w, v in share.items() if v > 0]
        annotations.append({"text": f"<b>{caption}</b><br>{' · '.join(parts)}",
                            "xref": f"{xref} domain", "yref": f"{yref} domain", "x": 0.5,
                            "y": 1.01, "yanchor": "bottom", "showarrow": False,
                            "font": {"size": 13}})
        H, W = np.meshgrid(hover, hover, indexing="ij")
        lab = labels[p][H.ravel(), W.ravel()]
        data.append({
            "type": "scatter", "x": typed_array(xs[W.ravel()]), "y": typed_array(ys[H.ravel()]),
            "mode": "markers", "showlegend": False, "xaxis": xref, "yaxis": yref,
            "text": [words.get(int(v), "?") for v in lab], "name": "starts",
            "marker": {"size": 8, "color": "rgba(0,0,0,0)"},
            "hovertemplate": "start (%{x:.3g}, %{y:.3g})<br>→ %{text}<extra></extra>"})
        for i, (mx, my) in enumerate(minima):
            data.append({
                "type": "scatter", "x": [mx], "y": [my], "mode": "markers+text",
                "text": [LETTERS[i % 26]], "textposition": "top right",
                "textfont": {"size": 15, "color": "black", "shadow": "0px 0px 3px white"},
                "showlegend": False,
                "name": f"minimum {LETTERS[i % 26]}", "xaxis": xref, "yaxis": yref,
                "cliponaxis": False,
                "marker": {"symbol": "star", "size": 14, "color": "white",
                           "line": {"color": "black", "width": 1.5}},
                "hovertemplate": f"minimum {LETTERS[i % 26]} ({mx:.4g}, {my:.4g})"
                                 "<extra></extra>"})
    # The legend: one square per category (the images carry no legend of their own).
    present = set(np.unique(labels).tolist())
    entries = [(i, f"{LETTERS[i % 26]}: reaches the minimum ({minima[i][0]:.3g}, "
                   f"{minima[i][1]:.3g})") for i in range(m) if i in present]
    entries += [(NOT_CONVERGED, f"not converged within {steps} steps"), (DIVERGED, "diverged")]
    for label, name in entries:
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers",
                     "name": name, "xaxis": "x", "yaxis": "y", "hoverinfo": "skip",
                     "marker": {"symbol": "square", "size": 14, "color": colors[label],
                                "line": {"color": "#666", "width": 1}}})
    layout["images"] = images
    layout["annotations"] = annotations
    return {"data": data, "layout": layout}


# -- seed clouds -------------------------------------------------------------------------------


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
    n, steps = path.shape[0], path.shape[1] - 1
    div = np.asarray(diverged_at)
    ends = _ends(div, steps)
    mean = mean_path(path, div)
    gap, log_y = _gap(loss, backdrop.surface.min_value)
    with np.errstate(invalid="ignore"):
        lo, med, hi = np.percentile(gap, [10, 50, 90], axis=0)
    steps_at = frame_steps(steps)
    steps_axis = np.arange(steps + 1, dtype=np.float32)
    cloud, mean_color = "#0072B2", "#D55E00"

    data: list[dict] = []
    for i in range(n):
        e = int(ends[i])
        data.append({"type": "scatter", "x": typed_array(path[i, : e + 1, 0]),
                     "y": typed_array(path[i, : e + 1, 1]), "mode": "lines",
                     "name": "one seeded run", "showlegend": i == 0, "legendgroup": "runs",
                     "xaxis": "x", "yaxis": "y", "hoverinfo": "skip", "opacity": 0.35,
                     "line": {"color": cloud, "width": 1}})
    data.append({"type": "scatter", "x": typed_array(mean[:, 0]), "y": typed_array(mean[:, 1]),
                 "mode": "lines", "showlegend": False, "xaxis": "x", "yaxis": "y",
                 "hoverinfo": "skip", "line": {"color": "white", "width": 6}})
    data.append({"type": "scatter", "x": typed_array(mean[:, 0]), "y": typed_array(mean[:, 1]),
                 "mode": "lines", "name": f"mean of the {n} runs", "xaxis": "x", "yaxis": "y",
                 "line": {"color": mean_color, "width": 3, "dash": "dash"},
                 "hovertemplate": "mean path (%{x:.4g}, %{y:.4g})<extra></extra>"})
    data += _landmarks(backdrop)
    if (div >= 0).any():
        bad = np.flatnonzero(div >= 0)
        data.append({"type": "scatter", "x": typed_array(path[bad, ends[bad], 0]),
                     "y": typed_array(path[bad, ends[bad], 1]), "mode": "markers",
                     "name": f"diverged ({bad.size} of {n})", "xaxis": "x", "yaxis": "y",
                     "marker": {"symbol": "x", "size": 11, "color": cloud,
                                "line": {"color": "black", "width": 1}},
                     "hovertemplate": "diverged<extra></extra>"})
    data.append({"type": "scatter", "x": steps_axis, "y": typed_array(hi), "mode": "lines",
                 "showlegend": False, "xaxis": "x2", "yaxis": "y2", "hoverinfo": "skip",
                 "line": {"width": 0, "color": cloud}})
    data.append({"type": "scatter", "x": steps_axis, "y": typed_array(lo), "mode": "lines",
                 "name": "10th–90th percentile over seeds", "fill": "tonexty",
                 "fillcolor": "rgba(0,114,178,0.2)", "xaxis": "x2", "yaxis": "y2",
                 "hoverinfo": "skip", "line": {"width": 0, "color": cloud}})
    data.append({"type": "scatter", "x": steps_axis, "y": typed_array(med), "mode": "lines",
                 "name": "median over seeds", "xaxis": "x2", "yaxis": "y2",
                 "line": {"color": cloud, "width": 2.5},
                 "hovertemplate": "step %{x}<br>median %{y:.4g}<extra></extra>"})

    def mean_at(s: int) -> np.ndarray:
        return mean[[min(s, mean.shape[0] - 1)]]

    moving = [len(data), len(data) + 1, len(data) + 2]
    s0 = int(steps_at[0])
    data.append({"type": "scatter", "x": typed_array(path[:, s0, 0]), "y": typed_array(path[:, s0,
                                                                                            1]),
                 "mode": "markers", "name": "the runs at this step", "xaxis": "x",
                 "yaxis": "y", "hoverinfo": "skip",
                 "marker": {"size": 7, "color": cloud, "opacity": 0.8,
                            "line": {"color": "white", "width": 0.5}}})
    data.append({"type": "scatter", "x": typed_array(mean_at(s0)[:, 0]),
                 "y": typed_array(mean_at(s0)[:, 1]),
                 "mode": "markers", "name": "their mean", "xaxis": "x", "yaxis": "y",
                 "hoverinfo": "skip",
                 "marker": {"symbol": "diamond", "size": 14, "color": mean_color,
                            "line": {"color": "white", "width": 1.5}}})
    data.append({"type": "scatter", "x": [s0], "y": typed_array(med[[s0]]), "mode": "markers",
                 "showlegend": False, "xaxis": "x2", "yaxis": "y2", "hoverinfo": "skip",
                 "marker": {"size": 11, "color": cloud, "line": {"color": "white", "width": 1}}})
    frames = []
    for j, s in enumerate(steps_at):
        s = int(s)
        frames.append({"name": str(j), "traces": moving, "data": [
            {"x": typed_array(path[:, s, 0]), "y": typed_array(path[:, s, 1])},
            {"x": typed_array(mean_at(s)[:, 0]), "y": typed_array(mean_at(s)[:, 1])},
            {"x": [s], "y": typed_array(med[[s]])},
        ]})

    yaxis2 = _axis(_metric_label(backdrop.surface.min_value), domain=[0.0, 1.0], anchor="x2")
    band = np.concatenate([lo, hi])
    if log_y:
        log_axis(yaxis2, log_range(band, min_pad=0.2))
    else:
        yaxis2.update(range=lin_range(band))
    title = (f"{optimizer} on {backdrop.surface.title}: {n} runs with gradient noise "
             f"σ = {noise:g}, "
             "one per seed")
    layout = _map_and_steps_layout(title, backdrop, yaxis2, steps, steps_at, speed_ms,
                                   right_margin=30, map_right=0.56)
    return {"data": data, "layout": layout, "frames": frames}



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
    if theory is not None and racer.slug == "momentum" and g.second_name == "momentum":
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
