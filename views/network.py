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
from views.figure import typed_array
from views.image import color_values, contour_rgba, data_uri, png_bytes
from views.style import FONT, background_colorscale, style_of

#: The data panel's axes in the race figure.
PANEL_AXES = ("x3", "y3")
CLASS_MARKERS = (
    {"symbol": "circle-open", "color": "#333333", "line": {"width": 1.5}},  # class 0
    {"symbol": "circle", "color": "#333333", "line": {"color": "white", "width": 0.8}},
)


def panel_row(panel_steps: np.ndarray, step: int) -> int:
    """The row of the panel's arrays that holds ``step``."""
    return int(np.clip(np.searchsorted(panel_steps, step), 0, len(panel_steps) - 1))


def panel_traces(panel: Any, row: int, color: str, name: str,
                 fs: float) -> list[tuple[dict, str]]:
    """The data panel's traces, bottom to top, each with its role: ``"static"``,
    ``"touched"`` (static but clickable: an empty update in every frame) or
    ``"moving"`` (updated by ``panel_updates``, in this order)."""
    ax = {"xaxis": PANEL_AXES[0], "yaxis": PANEL_AXES[1], "showlegend": False}
    out: list[tuple[dict, str]] = []
    if panel.regions is not None:
        region = panel.regions[row]
        out.append(({"type": "scatter", "x": typed_array(region[:, 0]), "y": typed_array(region[:,
                                                                                                1]),
                     "mode": "lines", "fill": "toself", "fillcolor": _rgba(color, 0.16),
                     "line": {"width": 0}, "hoverinfo": "skip", **ax}, "moving"))
    if panel.reference is not None:
        ref = panel.reference
        out.append(({"type": "scatter", "x": typed_array(ref[:, 0]), "y": typed_array(ref[:, 1]),
                     "mode": "lines", "name": "teacher", "hoverinfo": "skip",
                     "line": {"color": "#777777", "width": 1.5 * fs, "dash": "dot"}, **ax},
                    "static"))
    if panel.labels is None:
        out.append(({"type": "scatter", "x": typed_array(panel.points[:, 0]),
                     "y": typed_array(panel.points[:, 1]), "mode": "markers", "name": "data",
                     "marker": {"size": 6 * fs, "color": "#333333", "opacity": 0.75},
                     "hovertemplate": "x = %{x:.3f}<br>y = %{y:.3f}<extra>data</extra>",
                     **ax}, "touched"))
    else:
        for cls in (0, 1):
            pts = panel.points[panel.labels == cls]
            out.append(({"type": "scatter", "x": typed_array(pts[:, 0]), "y": typed_array(pts[:,
                                                                                              1]),
                         "mode": "markers", "name": f"class {cls}",
                         "marker": {**CLASS_MARKERS[cls], "size": 7 * fs},
                         "hovertemplate": f"class {cls}<br>(%{{x:.3f}}, %{{y:.3f}})"
                                          "<extra></extra>", **ax}, "touched"))
    fit = panel.fits[row]
    trace = {"type": "scatter", "x": typed_array(fit[:, 0]), "y": typed_array(fit[:, 1]),
             "mode": "lines",
             "name": name, "hoverinfo": "skip",
             "line": {"color": color, "width": 3 * fs}, **ax}
    out.append((trace, "moving"))
    return out


def panel_updates(panel: Any, row: int) -> list[dict]:
    """One frame's updates of the moving panel traces, in ``panel_traces``'s order."""
    out = []
    if panel.regions is not None:
        region = panel.regions[row]
        out.append({"x": typed_array(region[:, 0]), "y": typed_array(region[:, 1])})
    fit = panel.fits[row]
    if panel.kind == "curve":
        out.append({"y": typed_array(fit[:, 1])})  # the x grid never moves
    else:
        out.append({"x": typed_array(fit[:, 0]), "y": typed_array(fit[:, 1])})
    return out


def panel_layout(panel: Any, x_dom: list[float], y_dom: list[float], title: str,
                 fs: float) -> dict:
    """The panel's axes and its title (an annotation above it)."""
    (x0, x1), (y0, y1) = panel.box

    def axis(text: str, **extra) -> dict:
        return {"title": {"text": text, "font": {"size": 13 * fs}},
                "tickfont": {"size": 11 * fs}, "showgrid": False, "zeroline": True,
                "zerolinecolor": "#cccccc", "fixedrange": False, **extra}

    yaxis = axis(panel.ylabel, range=[y0, y1], domain=y_dom, anchor=PANEL_AXES[0])
    if panel.kind == "boundary":
        yaxis.update(scaleanchor=PANEL_AXES[0], scaleratio=1, constrain="domain")
    return {
        "xaxis3": axis(panel.xlabel, range=[x0, x1], domain=x_dom, anchor=PANEL_AXES[1],
                       constrain="domain"),
        "yaxis3": yaxis,
        "annotation": {"text": title, "showarrow": False, "xref": "paper", "yref": "paper",
                       "x": 0.5 * (x_dom[0] + x_dom[1]), "y": y_dom[1], "yanchor": "bottom",
                       "yshift": 8, "xanchor": "center", "font": {"size": 13 * fs}},
    }


def _rgba(color: str, alpha: float) -> str:
    c = color.lstrip("#")
    r, g, b = (int(c[i: i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


# -- the projected MLP ----------------------------------------------------------------------

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
    data with the first racer's final decision map (top right) and the true training
    loss (bottom right), animated by one Play button and one step slider."""
    fs = font_scale
    steps_at = frame_steps(result.steps)
    frame = int(np.clip(frame, 0, len(steps_at) - 1))
    (a0, a1), (b0, b1) = (float(result.alphas[0]), float(result.alphas[-1])), (
        float(result.betas[0]), float(result.betas[-1]))
    values, vmin, vmax, _ = color_values(result.zs.astype(np.float64), True)
    cbar_label = "log₁₀(L − min L)"  # on the plane, as the title says
    map_x, map_y = [0.0, 0.56], [0.0, 0.93]
    data_x, data_y, curve_x, curve_y = [0.72, 1.0], [0.56, 0.93], [0.72, 1.0], [0.0, 0.4]

    data: list[dict] = []
    moving: list[int] = []
    touched: list[int] = []

    def add(trace: dict, role: str = "static") -> int:
        data.append(trace)
        index = len(data) - 1
        if role == "moving":
            moving.append(index)
        elif role == "touched":
            touched.append(index)
        return index

    on_map = {"xaxis": "x", "yaxis": "y"}
    add({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "hoverinfo": "skip",
         "showlegend": False, **on_map,
         "marker": {"color": [vmin, vmax], "cmin": vmin, "cmax": vmax, "showscale": True,
                    "colorscale": background_colorscale(),
                    "colorbar": {"title": {"text": cbar_label,
                                           "side": "right"},
                                 "x": map_x[1] + 0.005, "xanchor": "left",
                                 "len": map_y[1] - map_y[0], "y": map_y[0],
                                 "yanchor": "bottom", "thickness": 12}}})

    def end_of(run) -> int:
        return run.diverged_at if run.diverged_at is not None else result.steps

    for i, run in enumerate(result.runs):
        st = style_of(i)
        path = run.coords[: end_of(run) + 1]
        add({"type": "scatter", "x": typed_array(path[:, 0]), "y": typed_array(path[:, 1]),
             "mode": "lines",
             "showlegend": False, "legendgroup": run.slug, "hoverinfo": "skip",
             "opacity": 0.7, "line": {"color": "white", "width": 4.5 * fs}, **on_map})
        add({"type": "scatter", "x": typed_array(path[:, 0]), "y": typed_array(path[:, 1]),
             "mode": "lines",
             "name": run.name, "legendgroup": run.slug, "hoverinfo": "skip", "opacity": 0.9,
             "line": {"color": st["color"], "width": 2 * fs, "dash": st["dash"]}, **on_map})
    first = result.runs[result.center]
    add({"type": "scatter", "x": [0.0], "y": [0.0], "mode": "markers", "name": "θ*",
         "showlegend": False, **on_map,
         "marker": {"symbol": "star", "size": 16 * fs, "color": "white",
                    "line": {"color": "black", "width": 1.5}},
         "hovertemplate": f"θ*: {first.name}'s final weights<extra></extra>"}, "touched")
    add({"type": "scatter", "x": typed_array(first.coords[[0], 0]),
         "y": typed_array(first.coords[[0], 1]),
         "mode": "markers", "name": "start", "showlegend": False, **on_map,
         "marker": {"symbol": "circle-open", "size": 16 * fs,
                    "line": {"color": "black", "width": 2.5}},
         "hovertemplate": "θ₀, the initial weights (projected)<extra></extra>"}, "touched")

    # the data and the first racer's final decision map
    for cls in (0, 1):
        pts = result.points[result.labels == cls]
        add({"type": "scatter", "x": typed_array(pts[:, 0]), "y": typed_array(pts[:, 1]),
             "mode": "markers",
             "name": f"class {cls}", "showlegend": False, "xaxis": "x3", "yaxis": "y3",
             "marker": {**CLASS_MARKERS[cls], "size": 6 * fs},
             "hovertemplate": f"class {cls}<br>(%{{x:.2f}}, %{{y:.2f}})<extra></extra>"},
            "touched")

    at = int(steps_at[frame])
    series = [np.maximum(run.loss, 1e-12) for run in result.runs]
    for i, run in enumerate(result.runs):
        st = style_of(i)
        end = end_of(run)
        add({"type": "scatter", "x": typed_array(run.coords[[at], 0]),
             "y": typed_array(run.coords[[at], 1]),
             "mode": "markers", "name": run.name, "showlegend": False,
             "legendgroup": run.slug, **on_map,
             "marker": {"symbol": st["symbol"], "size": 13 * fs, "color": st["color"],
                        "line": {"color": "white", "width": 1.5}},
             "hovertemplate": f"{run.name}<br>α = %{{x:.3g}}, β = %{{y:.3g}}<extra></extra>"},
            "moving")
        add({"type": "scatter", "x": typed_array(np.arange(end + 1)),
             "y": typed_array(series[i][: end + 1]), "mode": "lines", "showlegend": False,
             "legendgroup": run.slug, "xaxis": "x2", "yaxis": "y2", "hoverinfo": "skip",
             "line": {"color": st["color"], "width": 2.5 * fs, "dash": st["dash"]}})
        add({"type": "scatter", "x": [at], "y": typed_array(series[i][[at]]), "mode": "markers",
             "showlegend": False, "legendgroup": run.slug, "xaxis": "x2", "yaxis": "y2",
             "marker": {"symbol": st["symbol"], "size": 11 * fs, "color": st["color"],
                        "line": {"color": "white", "width": 1}},
             "hovertemplate": f"{run.name}<br>step %{{x}}<br>L = %{{y:.4g}}<extra></extra>"},
            "moving")

    frames = []
    for j, s in enumerate(steps_at):
        s = int(s)
        updates = []
        for i, run in enumerate(result.runs):
            updates.append({"x": typed_array(run.coords[[s], 0]), "y": typed_array(run.coords[[s],
                                                                                              1])})
            updates.append({"x": [s], "y": typed_array(series[i][[s]])})
        frames.append({"name": str(j), "data": updates + [{} for _ in touched],
                       "traces": moving + touched})

    finite = np.concatenate([v[: end_of(r) + 1] for v, r in zip(series, result.runs,
                                                                   strict=True)])
    lo, hi = float(np.log10(finite.min())), float(np.log10(finite.max()))
    pad = max(0.05 * (hi - lo), 0.1)

    def axis(title: str, **extra) -> dict:
        return {"title": {"text": title, "font": {"size": 14 * fs}},
                "tickfont": {"size": 12 * fs}, "showgrid": False, "zeroline": False,
                "fixedrange": False, **extra}

    (x0, x1), (y0, y1) = result.box
    smooth = _upsample(values, 3)
    plane_name = "PCA directions" if result.plane == "pca" else "random directions"
    layout = {
        "font": {"family": FONT, "size": 13 * fs, "color": "#222"},
        "paper_bgcolor": "white", "plot_bgcolor": "#f4f4f4",
        "margin": {"l": 60, "r": 20, "t": 60, "b": BOTTOM_MARGIN}, "height": int(680 * fs**0.5),
        "hovermode": "closest", "dragmode": "pan", "uirevision": "mlp",
        "legend": {"orientation": "h", "x": 0.0, "y": 1.07, "yanchor": "bottom",
                   "font": {"size": 13 * fs}},
        "xaxis": axis("α (along d₁)", range=[a0, a1], domain=map_x, anchor="y"),
        "yaxis": axis("β (along d₂)", range=[b0, b1], domain=map_y, anchor="x"),
        "xaxis2": axis("step", range=[0, result.steps], domain=curve_x, anchor="y2"),
        "yaxis2": axis("training loss L(θ_t)", type="log", range=[lo - pad, hi + pad],
                       domain=curve_y, anchor="x2", exponentformat="power",
                       dtick=1 if hi - lo >= 2 else None, minor={"showgrid": False}),
        "xaxis3": axis("x₁", range=[x0, x1], domain=data_x, anchor="y3", constrain="domain"),
        "yaxis3": axis("x₂", range=[y0, y1], domain=data_y, anchor="x3", scaleanchor="x3",
                       scaleratio=1, constrain="domain"),
        "images": [
            {"source": data_uri(png_bytes(contour_rgba(smooth, vmin, vmax))), "xref": "x",
             "yref": "y", "x": a0, "y": b1, "sizex": a1 - a0, "sizey": b1 - b0,
             "sizing": "stretch", "layer": "below"},
            {"source": data_uri(png_bytes(decision_rgba(result.decision))), "xref": "x3",
             "yref": "y3", "x": x0, "y": y1, "sizex": x1 - x0, "sizey": y1 - y0,
             "sizing": "stretch", "layer": "below"},
        ],
        "annotations": [
            {"text": f"loss on a plane through θ* ({plane_name})<br><span style='font-size:"
                     f"{11 * fs:.0f}px'>the paths are projections: they need not follow "
                     "the contours</span>",
             "showarrow": False, "xref": "paper", "yref": "paper",
             "x": 0.5 * (map_x[0] + map_x[1]), "y": map_y[1], "yanchor": "bottom",
             "font": {"size": 13 * fs}},
            {"text": f"θ* = {first.name}'s final network<br><span style='font-size:"
                     f"{11 * fs:.0f}px'>{first.accuracy:.0%} of the two moons correct"
                     "</span>",
             "showarrow": False, "xref": "paper", "yref": "paper",
             "x": 0.5 * (data_x[0] + data_x[1]), "y": data_y[1], "yanchor": "bottom",
             "font": {"size": 13 * fs}},
        ],
    }
    layout.update(playback_controls([str(int(s)) for s in steps_at], active=frame,
                                    speed_ms=speed_ms, font_scale=fs))
    return {"data": data, "layout": layout, "frames": frames}


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
