"""The race figure: contour (and optionally 3D) with every path, and a metric chart,
all animated by one Play button and one step slider.

Built as plain dicts (plotly's validation of a go.Figure costs ~0.4 s at 100 frames):
static traces go in ``data``; every frame updates only the moving traces
(``traces=[...]``), plus an empty update of the click layer, because plotly.js fails on
clicks on a trace that the frames never touched once an animation has played.
"""

from __future__ import annotations

import base64

import numpy as np

from compute import Result, Run
from views.animation import BOTTOM_MARGIN, playback_controls
from views.image import color_values, contour_rgba, data_uri, png_bytes
from views.network import panel_layout, panel_row, panel_traces, panel_updates
from views.style import FONT, background_colorscale, style_of

MAX_FRAMES = 150
MAX_FRAMES_3D = 60
TRAIL = 12  # frames of bright trail behind each moving marker
CLICK_GRID = 31
CURVES = {
    "loss": "f − f*",
    "grad_norm": "‖∇f‖",
    "distance": "distance to nearest minimum",
}


def frame_steps(steps: int, three_d: bool = False) -> np.ndarray:
    """The step shown by each animation frame: every step, or evenly spaced ones."""
    cap = MAX_FRAMES_3D if three_d else MAX_FRAMES
    return np.unique(np.round(np.linspace(0, steps, min(steps + 1, cap))).astype(int))


def _f32(a) -> dict | list:
    """A float32 array as plotly.js's typed-array spec: base64, 5.3 bytes a number
    instead of ~10 as JSON text (a few numbers stay a short JSON list)."""
    arr = np.ascontiguousarray(a, dtype=np.float32)
    if arr.ndim == 1 and arr.size <= 2:
        return [float(f"{v:.7g}") for v in arr.tolist()]
    spec = {"dtype": "f4", "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim > 1:
        spec["shape"] = ", ".join(str(d) for d in arr.shape)
    return spec


def curve_values(result: Result, run: Run, curve: str) -> tuple[np.ndarray, bool]:
    """The metric to chart for ``run``, and whether a log axis suits it."""
    if curve == "grad_norm":
        return np.maximum(run.grad_norm, 1e-12), True
    if curve == "distance" and run.distance is not None:
        return np.maximum(run.distance, 1e-12), True
    if result.min_value is not None:
        # f is float32: below a few ulps of f*, f − f* is rounding noise, not progress
        floor = max(1e-12, 4 * float(np.finfo(np.float32).eps) * abs(result.min_value))
        return np.maximum(run.loss - result.min_value, floor), True
    return run.loss, False


def curve_label(result: Result, curve: str) -> str:
    if curve == "distance" and not result.minima:
        curve = "loss"
    if curve == "loss" and result.min_value is None:
        return "f"
    return CURVES[curve]


def _log_range(values: list[np.ndarray]) -> list[float]:
    finite = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in values] or [np.ones(1)])
    if finite.size == 0:
        finite = np.ones(1)
    lo, hi = np.log10(finite.min()), np.log10(finite.max())
    pad = max(0.05 * (hi - lo), 0.1)
    return [float(lo - pad), float(hi + pad)]


def _lin_range(values: list[np.ndarray]) -> list[float]:
    finite = np.concatenate([v[np.isfinite(v)] for v in values] or [np.zeros(1)])
    lo, hi = float(finite.min()), float(finite.max())
    pad = max(0.05 * (hi - lo), 1e-6)
    return [lo - pad, hi + pad]


def _status(run: Run) -> str:
    if run.diverged_at is not None:
        return f"diverged at step {run.diverged_at}"
    return f"f = {run.final_loss:.4g}"


def race_figure(result: Result, *, frame: int = 0, view: str = "contour",
                curve: str = "loss", speed_ms: int = 60, font_scale: float = 1.0) -> dict:
    """The animated race as a plotly figure dict (see module docstring)."""
    three_d = view == "3d"
    steps_at = frame_steps(result.steps, three_d)
    frame = int(np.clip(frame, 0, len(steps_at) - 1))
    (x0, x1), (y0, y1) = result.domain
    values, vmin, vmax, cbar_label = color_values(result.zs, result.log_scale)
    fs = font_scale

    # Panel geometry: the contour left; the metric right (or below the 3D view).
    if three_d:
        contour_dom, scene_dom = [0.0, 0.44], [0.5, 1.0]
        contour_y, curve_x, curve_y = [0.36, 1.0], [0.0, 0.44], [0.0, 0.22]
    else:
        contour_dom, curve_x, contour_y, curve_y = [0.0, 0.56], [0.71, 1.0], [0.0, 1.0], [0.0, 1.0]
    # A network's data panel: above the metric chart, or below the 3D view.
    panel = result.panel
    scene_y = [0.0, 1.0]
    if panel is not None:
        if three_d:
            scene_y, panel_x, panel_y = [0.36, 1.0], [0.56, 1.0], [0.0, 0.25]
        else:
            curve_y, panel_x, panel_y = [0.0, 0.4], [0.71, 1.0], [0.56, 0.95]

    data: list[dict] = []
    moving: list[int] = []
    touched: list[int] = []
    map_traces: list[int] = []

    def add(trace: dict, *, animated: bool = False) -> int:
        data.append(trace)
        index = len(data) - 1
        on_map = trace.get("xaxis") == "x"
        if on_map:
            map_traces.append(index)
        if animated:
            moving.append(index)
        elif on_map:
            # plotly.js fails on clicks on the map after playback unless the frames
            # touch every trace of it (an empty update is enough)
            touched.append(index)
        return index

    # The click layer: an invisible grid of markers. Streamlit reports clicks on data
    # points only, so this is what makes "click to set the start" work anywhere.
    gx = np.linspace(x0, x1, CLICK_GRID)
    gy = np.linspace(y0, y1, CLICK_GRID)
    GX, GY = np.meshgrid(gx, gy)
    ix = np.clip(np.searchsorted(result.xs, GX.ravel()), 0, result.xs.size - 1)
    iy = np.clip(np.searchsorted(result.ys, GY.ravel()), 0, result.ys.size - 1)
    click_f = result.zs[iy, ix]
    add({
        "type": "scatter", "x": _f32(GX.ravel()), "y": _f32(GY.ravel()),
        "customdata": _f32(click_f), "mode": "markers", "name": "click to start here",
        "marker": {"size": 14, "color": "rgba(0,0,0,0)", "line": {"width": 0}},
        "hovertemplate": "x = %{x:.3f}<br>y = %{y:.3f}<br>f = %{customdata:.4g}"
                         "<extra>click: start here</extra>",
        "showlegend": False, "xaxis": "x", "yaxis": "y",
        "selected": {"marker": {"opacity": 0}}, "unselected": {"marker": {"opacity": 0}},
        "hoverlabel": {"bgcolor": "white", "bordercolor": "#444", "font": {"color": "#222"}},
    })

    # A colour bar for the background image (the image itself has none).
    add({
        "type": "scatter", "x": [None], "y": [None], "mode": "markers", "hoverinfo": "skip",
        "showlegend": False, "xaxis": "x", "yaxis": "y",
        "marker": {"color": [vmin, vmax], "cmin": vmin, "cmax": vmax, "showscale": True,
                   "colorscale": background_colorscale(),
                   "colorbar": {"title": {"text": cbar_label, "side": "right"},
                                "x": contour_dom[1] + 0.005, "xanchor": "left",
                                "len": contour_y[1] - contour_y[0], "y": contour_y[0],
                                "yanchor": "bottom", "thickness": 12}},
    })

    curve_series = [curve_values(result, run, curve) for run in result.runs]
    log_curve = all(log for _, log in curve_series)
    steps_axis = np.arange(result.steps + 1, dtype=np.float32)

    if three_d:
        sx = np.linspace(0, result.xs.size - 1, 72).round().astype(int)
        sy = np.linspace(0, result.ys.size - 1, 72).round().astype(int)
        surf = values[np.ix_(sy, sx)]
        add({"type": "surface", "x": _f32(result.xs[sx]), "y": _f32(result.ys[sy]),
             "z": _f32(surf), "colorscale": background_colorscale(), "cmin": vmin,
             "cmax": vmax, "showscale": False, "opacity": 0.92, "scene": "scene",
             "hoverinfo": "skip", "contours": {"z": {"show": False}}})

    def height_of(path: np.ndarray) -> np.ndarray:
        # the 3D paths ride on the drawn surface: the same colour-value transform
        jx = np.clip(np.searchsorted(result.xs, path[:, 0]), 0, result.xs.size - 1)
        jy = np.clip(np.searchsorted(result.ys, path[:, 1]), 0, result.ys.size - 1)
        return values[jy, jx] + 0.01 * (vmax - vmin)

    def end_of(run: Run) -> int:
        return run.diverged_at if run.diverged_at is not None else result.steps

    # Whole paths first (a white halo under each, so it reads on any background) ...
    for i, run in enumerate(result.runs):
        st = style_of(i)
        end, path = end_of(run), run.path
        add({"type": "scatter", "x": _f32(path[: end + 1, 0]), "y": _f32(path[: end + 1, 1]),
             "mode": "lines", "showlegend": False, "legendgroup": run.slug, "xaxis": "x",
             "yaxis": "y", "hoverinfo": "skip", "opacity": 0.7,
             "line": {"color": "white", "width": 4.5 * fs}})
        add({"type": "scatter", "x": _f32(path[: end + 1, 0]), "y": _f32(path[: end + 1, 1]),
             "mode": "lines", "name": run.name, "legendgroup": run.slug, "xaxis": "x",
             "yaxis": "y", "hoverinfo": "skip", "opacity": 0.9,
             "line": {"color": st["color"], "width": 2 * fs, "dash": st["dash"]}})

    # ... then the landmarks above them, so a minimum is never hidden under a path ...
    for m in result.minima:
        add({"type": "scatter", "x": [m[0]], "y": [m[1]], "mode": "markers",
             "name": "global minimum", "showlegend": False, "xaxis": "x", "yaxis": "y",
             "marker": {"symbol": "star", "size": 16 * fs, "color": "white",
                        "line": {"color": "black", "width": 1.5}},
             "hovertemplate": f"global minimum ({m[0]:.4g}, {m[1]:.4g})<extra></extra>"},
            )
    for s in result.saddles:
        add({"type": "scatter", "x": [s[0]], "y": [s[1]], "mode": "markers",
             "name": "saddle point", "showlegend": False, "xaxis": "x", "yaxis": "y",
             "marker": {"symbol": "x-thin", "size": 12 * fs,
                        "line": {"color": "#333", "width": 2}},
             "hovertemplate": f"saddle point ({s[0]:.4g}, {s[1]:.4g})<extra></extra>"},
            )
    add({"type": "scatter", "x": [result.start[0]], "y": [result.start[1]], "mode": "markers",
         "name": "start", "showlegend": False, "xaxis": "x", "yaxis": "y",
         "marker": {"symbol": "circle-open", "size": 16 * fs,
                    "line": {"color": "black", "width": 2.5}},
         "hovertemplate": "start (%{x:.3f}, %{y:.3f})<extra></extra>"})


    # ... then what moves, and the chart.
    for i, run in enumerate(result.runs):
        st = style_of(i)
        label = run.name
        end, path = end_of(run), run.path
        at = steps_at[frame]
        t0 = max(0, frame - TRAIL)
        trail = steps_at[t0: frame + 1]
        add({"type": "scatter", "x": _f32(path[trail, 0]), "y": _f32(path[trail, 1]),
             "mode": "lines", "showlegend": False, "legendgroup": run.slug,
             "hoverinfo": "skip", "xaxis": "x", "yaxis": "y",
             "line": {"color": st["color"], "width": 4 * fs}}, animated=True)
        add({"type": "scatter", "x": _f32(path[[at], 0]), "y": _f32(path[[at], 1]),
             "mode": "markers", "showlegend": False, "legendgroup": run.slug,
             "xaxis": "x", "yaxis": "y", "name": label,
             "marker": {"symbol": st["symbol"], "size": 13 * fs, "color": st["color"],
                        "line": {"color": "white", "width": 1.5}},
             "hovertemplate": f"{label}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>"},
            animated=True)
        if run.diverged_at is not None:
            k = run.diverged_at
            add({"type": "scatter", "x": [float(path[k, 0])], "y": [float(path[k, 1])],
                 "mode": "markers+text", "showlegend": False, "legendgroup": run.slug,
                 "xaxis": "x", "yaxis": "y", "text": [f"{run.name} diverged at step {k}"],
                 "textposition": "top center", "cliponaxis": False,
                 "textfont": {"color": st["color"], "size": 13 * fs},
                 "marker": {"symbol": "x", "size": 14 * fs, "color": st["color"],
                            "line": {"color": "black", "width": 1}},
                 "hovertemplate": f"{run.name} diverged at step {k}<extra></extra>"},
                )

        ys, _ = curve_series[i]
        add({"type": "scatter", "x": steps_axis[: end + 1], "y": _f32(ys[: end + 1]),
             "mode": "lines", "showlegend": False, "legendgroup": run.slug,
             "xaxis": "x2", "yaxis": "y2", "hoverinfo": "skip",
             "line": {"color": st["color"], "width": 2.5 * fs, "dash": st["dash"]}})
        add({"type": "scatter", "x": [int(at)], "y": _f32(ys[[at]]), "mode": "markers",
             "showlegend": False, "legendgroup": run.slug, "xaxis": "x2", "yaxis": "y2",
             "marker": {"symbol": st["symbol"], "size": 11 * fs, "color": st["color"],
                        "line": {"color": "white", "width": 1}},
             "hovertemplate": f"{label}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>"},
            animated=True)

        if three_d:
            add({"type": "scatter3d", "x": _f32(path[: end + 1, 0]),
                 "y": _f32(path[: end + 1, 1]), "z": _f32(height_of(path[: end + 1])),
                 "mode": "lines", "showlegend": False, "scene": "scene", "hoverinfo": "skip",
                 "line": {"color": st["color"], "width": 5 * fs}})
            add({"type": "scatter3d", "x": _f32(path[[at], 0]), "y": _f32(path[[at], 1]),
                 "z": _f32(height_of(path[[at]])), "mode": "markers", "showlegend": False,
                 "scene": "scene", "hoverinfo": "skip",
                 "marker": {"size": 6 * fs, "color": st["color"],
                            "line": {"color": "white", "width": 1}}}, animated=True)

    # ... and the data panel of a network: its data, and the first racer's model.
    if panel is not None:
        row = panel_row(result.panel_steps, steps_at[frame])
        for trace, role in panel_traces(panel, row, style_of(0)["color"],
                                        result.runs[0].name, fs):
            index = add(trace, animated=role == "moving")
            if role == "touched":
                touched.append(index)

    frames = [_frame(result, j, steps_at, curve_series, three_d, height_of, moving, touched)
              for j in range(len(steps_at))]
    layout = _layout(result, steps_at, frame, three_d, log_curve, curve_series,
                     contour_dom, contour_y, curve_x, curve_y,
                     scene_dom if three_d else None, speed_ms, fs,
                     data_uri(png_bytes(contour_rgba(values, vmin, vmax))),
                     curve_label(result, curve))
    if panel is not None:
        extra = panel_layout(panel, panel_x, panel_y,
                             panel.title.format(name=result.runs[0].name), fs)
        layout["annotations"] = [extra.pop("annotation")]
        layout.update(extra)
        if log_curve and np.diff(layout["yaxis2"]["range"])[0] > 6:
            layout["yaxis2"]["dtick"] = 2  # the chart is shorter beside a data panel
        # the plane of a network's loss is its two weights
        layout["xaxis"]["title"]["text"], layout["yaxis"]["title"]["text"] = "w₁", "w₂"
        if three_d:
            layout["scene"]["domain"]["y"] = scene_y
            layout["scene"]["xaxis"]["title"]["text"] = "w₁"
            layout["scene"]["yaxis"]["title"]["text"] = "w₂"
    # The page accepts a click as a new start only on these traces (not on the chart).
    layout["meta"] = {"start_traces": map_traces}
    return {"data": data, "layout": layout, "frames": frames}


def _frame(result, j, steps_at, curve_series, three_d, height_of, moving, touched) -> dict:
    at = int(steps_at[j])
    trail = steps_at[max(0, j - TRAIL): j + 1]
    updates = []
    for i, run in enumerate(result.runs):
        path = run.path
        ys, _ = curve_series[i]
        updates.append({"x": _f32(path[trail, 0]), "y": _f32(path[trail, 1])})
        updates.append({"x": _f32(path[[at], 0]), "y": _f32(path[[at], 1])})
        updates.append({"x": [at], "y": _f32(ys[[at]])})
        if three_d:
            updates.append({"type": "scatter3d", "x": _f32(path[[at], 0]),
                            "y": _f32(path[[at], 1]), "z": _f32(height_of(path[[at]]))})
    if result.panel is not None:
        updates += panel_updates(result.panel, panel_row(result.panel_steps, at))
    return {"name": str(j), "data": updates + [{} for _ in touched],
            "traces": moving + touched}


def _axis(title: str, fs: float, **extra) -> dict:
    return {"title": {"text": title, "font": {"size": 14 * fs}}, "tickfont": {"size": 12 * fs},
            "showgrid": False, "zeroline": False, "fixedrange": False, **extra}


def _layout(result, steps_at, frame, three_d, log_curve, curve_series, contour_dom,
            contour_y, curve_x, curve_y, scene_dom, speed_ms, fs, image, curve_title) -> dict:
    (x0, x1), (y0, y1) = result.domain
    redraw = bool(three_d)
    ys_all = [ys[: (r.diverged_at if r.diverged_at is not None else result.steps) + 1]
              for (ys, _), r in zip(curve_series, result.runs, strict=True)]
    yaxis2 = _axis(curve_title, fs, domain=curve_y, anchor="x2")
    if log_curve:
        lo, hi = _log_range(ys_all)
        yaxis2.update(type="log", range=[lo, hi], exponentformat="power",
                      dtick=1 if hi - lo >= 2 else None, minor={"showgrid": False})
    else:
        yaxis2.update(range=_lin_range(ys_all))
    layout = {
        "font": {"family": FONT, "size": 13 * fs, "color": "#222"},
        "paper_bgcolor": "white", "plot_bgcolor": "#f4f4f4",
        "margin": {"l": 60, "r": 20, "t": 40, "b": BOTTOM_MARGIN}, "height": int(680 * fs**0.5),
        "hovermode": "closest", "clickmode": "event+select", "dragmode": "pan",
        "uirevision": "race",
        "legend": {"orientation": "h", "x": 0.0, "y": 1.02, "yanchor": "bottom",
                   "font": {"size": 13 * fs}},
        "xaxis": _axis("x", fs, range=[x0, x1], domain=contour_dom, anchor="y",
                       constrain="domain"),
        "yaxis": _axis("y", fs, range=[y0, y1], domain=contour_y, anchor="x",
                       scaleanchor="x", scaleratio=1, constrain="domain"),
        "xaxis2": _axis("step", fs, range=[0, result.steps], domain=curve_x, anchor="y2"),
        "yaxis2": yaxis2,
        "images": [{"source": image, "xref": "x", "yref": "y", "x": x0, "y": y1,
                    "sizex": x1 - x0, "sizey": y1 - y0, "sizing": "stretch",
                    "layer": "below", "opacity": 1.0}],
    }
    layout.update(playback_controls([str(int(s)) for s in steps_at], active=frame,
                                    speed_ms=speed_ms, redraw=redraw, font_scale=fs))
    if scene_dom is not None:
        layout["scene"] = {
            "domain": {"x": scene_dom, "y": [0.0, 1.0]},
            "xaxis": {"title": {"text": "x"}, "range": [x0, x1]},
            "yaxis": {"title": {"text": "y"}, "range": [y0, y1]},
            "zaxis": {"title": {"text": "log₁₀(f − min f)" if result.log_scale else "f"}},
            "aspectmode": "manual", "aspectratio": {"x": 1, "y": 1, "z": 0.6},
            "camera": {"eye": {"x": -1.4, "y": -1.5, "z": 1.0}},
        }
    return layout
