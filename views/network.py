"""Network figures, as plain dicts from numpy: the data panel of a 2-parameter network's
race, and the projected loss landscape of the MLP.

No JAX and no Streamlit here. The frame rule of views/race.py holds: static traces go in
``data``; frames move only what moves (a fitted curve's ``y``, a boundary's two points, a
half-plane's six corners, one marker per optimizer), and give an empty update to every
clickable trace they do not move (plotly.js fails on clicks on untouched traces after
playback).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from compute import frame_steps
from views.animation import BOTTOM_MARGIN, playback_controls
from views.figure import (
    Traces,
    axis,
    base_layout,
    chart_line,
    colorbar_trace,
    end_of,
    haloed_path,
    image,
    landmark_trace,
    log_axis,
    log_range,
    map_axes,
    marker_trace,
    plotly_text,
    typed_array,
)
from views.image import color_values, contour_rgba, data_uri, png_bytes
from views.style import background_colorscale, hex_to_rgb, style_of

#: The data panel's axes in the race figure.
PANEL_AXES = ("x3", "y3")
CLASS_MARKERS = (
    {"symbol": "circle-open", "color": "#333333", "line": {"width": 1.5}},  # class 0
    {"symbol": "circle", "color": "#333333", "line": {"color": "white", "width": 0.8}},
)


def panel_row(panel_steps: np.ndarray, step: int) -> int:
    """The row of the panel's arrays that holds ``step``."""
    return int(np.clip(np.searchsorted(panel_steps, step), 0, len(panel_steps) - 1))


def _on_panel(trace: dict) -> dict:
    return {**trace, "xaxis": PANEL_AXES[0], "yaxis": PANEL_AXES[1], "showlegend": False}


def _class_traces(points: np.ndarray, labels: np.ndarray, size: float,
                  digits: int = 3) -> list[dict]:
    """The data points of a classifier on the data panel's axes, one trace a class."""
    out = []
    for cls in (0, 1):
        pts = points[labels == cls]
        out.append(_on_panel({
            "type": "scatter", "x": typed_array(pts[:, 0]), "y": typed_array(pts[:, 1]),
            "mode": "markers", "name": f"class {cls}",
            "marker": {**CLASS_MARKERS[cls], "size": size},
            "hovertemplate": f"class {cls}<br>(%{{x:.{digits}f}}, %{{y:.{digits}f}})"
                             "<extra></extra>"}))
    return out


def _xy(points: np.ndarray) -> dict:
    return {"x": typed_array(points[:, 0]), "y": typed_array(points[:, 1])}


def panel_traces(panel: Any, row: int, color: str, name: str,
                 fs: float) -> list[tuple[dict, str]]:
    """The data panel's traces, bottom to top, each with its role: ``"static"``,
    ``"touched"`` (static but clickable: an empty update in every frame) or
    ``"moving"`` (updated by ``panel_updates``, in this order)."""
    out: list[tuple[dict, str]] = []
    if panel.regions is not None:
        out.append((_on_panel({"type": "scatter", **_xy(panel.regions[row]), "mode": "lines",
                               "fill": "toself", "fillcolor": _rgba(color, 0.16),
                               "line": {"width": 0}, "hoverinfo": "skip"}), "moving"))
    if panel.reference is not None:
        out.append((_on_panel({"type": "scatter", **_xy(panel.reference), "mode": "lines",
                               "name": "teacher", "hoverinfo": "skip",
                               "line": {"color": "#777777", "width": 1.5 * fs,
                                        "dash": "dot"}}), "static"))
    if panel.labels is None:
        out.append((_on_panel({"type": "scatter", **_xy(panel.points), "mode": "markers",
                               "name": "data",
                               "marker": {"size": 6 * fs, "color": "#333333", "opacity": 0.75},
                               "hovertemplate": "x = %{x:.3f}<br>y = %{y:.3f}"
                                                "<extra>data</extra>"}), "touched"))
    else:
        out += [(trace, "touched") for trace in _class_traces(panel.points, panel.labels, 7 * fs)]
    out.append((_on_panel({"type": "scatter", **_xy(panel.fits[row]), "mode": "lines",
                           "name": name, "hoverinfo": "skip",
                           "line": {"color": color, "width": 3 * fs}}), "moving"))
    return out


def panel_updates(panel: Any, row: int) -> list[dict]:
    """One frame's updates of the moving panel traces, in ``panel_traces``'s order."""
    out = []
    if panel.regions is not None:
        out.append(_xy(panel.regions[row]))
    fit = panel.fits[row]
    if panel.kind == "curve":
        out.append({"y": typed_array(fit[:, 1])})  # the x grid never moves
    else:
        out.append(_xy(fit))
    return out


def _panel_axis(text: str, fs: float, **extra) -> dict:
    """An axis of the data panel: smaller type than the map's, and a zero line."""
    return {"title": {"text": text, "font": {"size": 13 * fs}},
            "tickfont": {"size": 11 * fs}, "showgrid": False, "zeroline": True,
            "zerolinecolor": "#cccccc", "fixedrange": False, **extra}


def _panel_title(text: str, x_dom, y_dom, fs: float, **extra) -> dict:
    """An annotation standing on the middle of the top edge of the panel at ``x_dom`` ×
    ``y_dom`` (paper fractions)."""
    return {"text": text, "showarrow": False, "xref": "paper", "yref": "paper",
            "x": 0.5 * (x_dom[0] + x_dom[1]), "y": y_dom[1], "yanchor": "bottom",
            "font": {"size": 13 * fs}, **extra}


def panel_layout(panel: Any, x_dom: list[float], y_dom: list[float], title: str,
                 fs: float) -> dict:
    """The panel's axes and its title (an annotation above it)."""
    (x0, x1), (y0, y1) = panel.box
    yaxis = _panel_axis(panel.ylabel, fs, range=[y0, y1], domain=y_dom, anchor=PANEL_AXES[0])
    if panel.kind == "boundary":
        yaxis.update(scaleanchor=PANEL_AXES[0], scaleratio=1, constrain="domain")
    return {
        "xaxis3": _panel_axis(panel.xlabel, fs, range=[x0, x1], domain=x_dom,
                              anchor=PANEL_AXES[1], constrain="domain"),
        "yaxis3": yaxis,
        "annotation": _panel_title(title, x_dom, y_dom, fs, yshift=8, xanchor="center"),
    }


def _rgba(color: str, alpha: float) -> str:
    r, g, b = hex_to_rgb(color)
    return f"rgba({r},{g},{b},{alpha})"


# -- the projected MLP ----------------------------------------------------------------------

#: Where the MLP figure's panels sit (paper fractions): the plane left, the data above
#: the training loss right.
PLANE_X, PLANE_Y = [0.0, 0.56], [0.0, 0.93]
DATA_X, DATA_Y = [0.72, 1.0], [0.56, 0.93]
LOSS_X, LOSS_Y = [0.72, 1.0], [0.0, 0.4]
#: The decision map's colours: class 0 (blue) to class 1 (orange), pale so points read.
CLASS_COLORS = ((86, 180, 233), (230, 159, 0))


def decision_rgba(probs: np.ndarray) -> np.ndarray:
    """RGBA pixels (rows top to bottom) of P(class 1) (rows bottom to top): pale blue to
    pale orange through white, the 0.5 boundary drawn dark."""
    p = np.clip(np.nan_to_num(probs, nan=0.5), 0.0, 1.0)[..., None]
    c0, c1 = (np.array(c, dtype=np.float64) for c in CLASS_COLORS)
    strength = np.abs(2.0 * p - 1.0) * 0.55
    base = np.where(p >= 0.5, c1, c0)
    rgb = 255.0 * (1.0 - strength) + base * strength
    side = probs >= 0.5
    edge = np.zeros(side.shape, dtype=bool)
    edge[:, 1:] |= side[:, 1:] != side[:, :-1]
    edge[1:, :] |= side[1:, :] != side[:-1, :]
    rgb[edge] = (60, 60, 60)
    alpha = np.full((*probs.shape, 1), 255.0)
    return np.concatenate([rgb, alpha], axis=-1).astype(np.uint8)[::-1]


def _upsample(values: np.ndarray, factor: int) -> np.ndarray:
    """Bilinear upsampling of a grid (for smoother bands in the background image)."""
    h, w = values.shape
    ys = np.linspace(0, h - 1, (h - 1) * factor + 1)
    xs = np.linspace(0, w - 1, (w - 1) * factor + 1)
    y0 = np.minimum(ys.astype(int), h - 2)
    x0 = np.minimum(xs.astype(int), w - 2)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    a = values[y0][:, x0]
    b = values[y0][:, x0 + 1]
    c = values[y0 + 1][:, x0]
    d = values[y0 + 1][:, x0 + 1]
    return (a * (1 - fy) * (1 - fx) + b * (1 - fy) * fx + c * fy * (1 - fx) + d * fy * fx)


def mlp_figure(result: Any, *, frame: int = 0, speed_ms: int = 60,
               font_scale: float = 1.0) -> dict:
    """The projected MLP: its loss on the plane with every projected path (left), the
    data with the decision map of the best run's final network θ* (top right) and the
    true training loss (bottom right), animated by one Play button and one step slider."""
    fs = font_scale
    steps_at = frame_steps(result.steps)
    frame = int(np.clip(frame, 0, len(steps_at) - 1))
    values, vmin, vmax, _ = color_values(result.zs.astype(np.float64), True)
    series = [np.maximum(run.loss, 1e-12) for run in result.runs]

    # Nothing here takes clicks: the frames touch the markers that hover, not every trace.
    traces = Traces(clickable_axes=())
    traces.add(colorbar_trace(vmin, vmax, background_colorscale(), "log₁₀(L − min L)",
                              PLANE_X[1] + 0.005, PLANE_Y))  # on the plane, as its title says
    for i, run in enumerate(result.runs):
        traces.add_all(haloed_path(run.coords[: end_of(run, result.steps) + 1], style_of(i),
                                   plotly_text(run.name), run.key, fs))
    traces.add_all(plane_landmarks(result, fs), touched=True)
    traces.add_all(_class_traces(result.points, result.labels, 6 * fs, digits=2), touched=True)
    for i, (run, loss) in enumerate(zip(result.runs, series, strict=True)):
        mlp_racer_traces(traces, run, i, loss, int(steps_at[frame]), result.steps, fs)

    frames = [traces.frame(str(j), mlp_updates(result, int(s), series))
              for j, s in enumerate(steps_at)]
    layout = mlp_layout(result, values, vmin, vmax, series, fs)
    layout.update(playback_controls([str(int(s)) for s in steps_at], active=frame,
                                    speed_ms=speed_ms, font_scale=fs))
    return {"data": traces.data, "layout": layout, "frames": frames}


def plane_landmarks(result: Any, fs: float) -> list[dict]:
    """θ* at the plane's origin, and the projected initial weights."""
    best = result.runs[result.center]
    return [landmark_trace((0.0, 0.0), "minimum", fs, name="θ*",
                           hover=f"θ*: {plotly_text(best.name)}'s final weights"
                                 "<extra></extra>"),
            landmark_trace(best.coords[0], "start", fs,
                           hover="θ₀, the initial weights (projected)<extra></extra>")]


def _on_plane_at(run: Any, step: int) -> dict:
    return {"x": typed_array(run.coords[[step], 0]), "y": typed_array(run.coords[[step], 1])}


def mlp_racer_traces(traces: Traces, run: Any, i: int, loss: np.ndarray, at: int,
                     steps: int, fs: float) -> None:
    """One racer's moving marker on the plane, its loss curve and its moving marker on it."""
    style, name = style_of(i), plotly_text(run.name)
    traces.add(marker_trace(**_on_plane_at(run, at), style=style, name=name,
                            group=run.key, size=13 * fs,
                            hover=f"{name}<br>α = %{{x:.3g}}, β = %{{y:.3g}}"
                                  "<extra></extra>"), moving=True)
    traces.add(chart_line(loss, end_of(run, steps), style, run.key, fs))
    traces.add(marker_trace([at], typed_array(loss[[at]]), style, name, run.key,
                            f"{name}<br>step %{{x}}<br>L = %{{y:.4g}}<extra></extra>",
                            11 * fs, axes=("x2", "y2"), halo=1), moving=True)


def mlp_updates(result: Any, step: int, series: list[np.ndarray]) -> list[dict]:
    """The moving traces' data at ``step``, in the order ``mlp_racer_traces`` adds them."""
    updates = []
    for run, loss in zip(result.runs, series, strict=True):
        updates += [_on_plane_at(run, step), {"x": [step], "y": typed_array(loss[[step]])}]
    return updates


def mlp_layout(result: Any, values: np.ndarray, vmin: float, vmax: float,
               series: list[np.ndarray], fs: float) -> dict:
    """Axes, the two background images (the loss on the plane, the decision map) and the
    panels' titles (the playback controls are added by ``mlp_figure``)."""
    plane = ((float(result.alphas[0]), float(result.alphas[-1])),
             (float(result.betas[0]), float(result.betas[-1])))
    plane_png = png_bytes(contour_rgba(_upsample(values, 3), vmin, vmax))
    layout = base_layout(fs, margin={"l": 60, "r": 20, "t": 60, "b": BOTTOM_MARGIN},
                         height=int(680 * fs**0.5), uirevision="mlp",
                         legend={"orientation": "h", "x": 0.0, "y": 1.07,
                                 "yanchor": "bottom", "font": {"size": 13 * fs}},
                         images=[image(data_uri(plane_png), plane),
                                 image(data_uri(png_bytes(decision_rgba(result.decision))),
                                       result.box, "x3", "y3")],
                         annotations=mlp_titles(result, fs))
    layout["xaxis"] = axis("α (along d₁)", fs, range=list(plane[0]), domain=PLANE_X,
                           anchor="y")
    layout["yaxis"] = axis("β (along d₂)", fs, range=list(plane[1]), domain=PLANE_Y,
                           anchor="x")
    layout["xaxis2"] = axis("step", fs, range=[0, result.steps], domain=LOSS_X, anchor="y2")
    drawn = [loss[: end_of(run, result.steps) + 1]
             for loss, run in zip(series, result.runs, strict=True)]
    layout["yaxis2"] = log_axis(axis("training loss L(θ_t)", fs, domain=LOSS_Y, anchor="x2",
                                     minor={"showgrid": False}), log_range(drawn))
    layout.update(map_axes(result.box, DATA_X, DATA_Y, "3", fs, titles=("x₁", "x₂")))
    for name in ("xaxis", "yaxis", "xaxis2", "yaxis2", "xaxis3", "yaxis3"):
        layout[name]["fixedrange"] = False
    return layout


def mlp_titles(result: Any, fs: float) -> list[dict]:
    """What the plane is (the paths are projections), and whose decision map is shown."""
    plane_name = "PCA directions" if result.plane == "pca" else "random directions"
    small = f"<span style='font-size:{11 * fs:.0f}px'>"
    best = result.runs[result.center]
    return [_panel_title(f"loss on a plane through θ* ({plane_name})<br>{small}the paths are "
                         "projections: they need not follow the contours</span>",
                         PLANE_X, PLANE_Y, fs),
            _panel_title(f"θ* = {plotly_text(best.name)}'s final network<br>{small}"
                         f"{best.accuracy:.0%} of the two moons correct</span>",
                         DATA_X, DATA_Y, fs)]


def mlp_summary_rows(result) -> list[dict[str, str]]:
    rows = []
    for i, run in enumerate(result.runs):
        status = ("diverged at step " + str(run.diverged_at) if run.diverged_at is not None
                  else "θ* (the plane passes through it)" if i == result.center
                  else "")
        rows.append({
            "optimizer": run.name,
            "hyperparameters": ", ".join(f"{k}={v:.3g}" for k, v in run.hparams.items()),
            "final training loss": f"{run.loss[-1]:.4g}",
            "accuracy": f"{run.accuracy:.0%}",
            "final distance from the plane": f"{run.off_plane[-1]:.3g}",
            "note": status,
        })
    return rows
