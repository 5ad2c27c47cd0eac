"""The race figure: contour (and optionally 3D) with every path, and a metric chart,
all animated by one Play button and one step slider.

Built as plain dicts from a ``compute.Result``: static traces go in ``data``; every frame
updates only the moving traces (``traces=[...]``), plus an empty update of each static
map trace (see ``views.figure.Traces``). The figure reads as its parts: the click layer,
the colour bar, the 3D surface, the whole paths, the landmarks, each racer's moving
markers and chart, a network's data panel; then the frames and the layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compute import Result, Run, frame_steps
from views.animation import BOTTOM_MARGIN, playback_controls
from views.figure import (
    STANDALONE_COLORS,
    STANDALONE_TEXT,
    START_HOVER,
    Traces,
    axis,
    base_layout,
    chart_line,
    colorbar_trace,
    end_of,
    haloed_path,
    image,
    landmark_trace,
    lin_range,
    log_axis,
    log_range,
    map_axes,
    marker_trace,
    plotly_text,
    typed_array,
)
from views.image import color_values, contour_rgba, data_uri, png_bytes
from views.network import panel_layout, panel_row, panel_traces, panel_updates
from views.style import background_colorscale, style_of

TRAIL = 12  # frames of bright trail behind each moving marker
CLICK_GRID = 31
#: Points per side of the 3D surface's mesh (the contour image uses the full grid).
MESH_GRID = 72
CURVES = {
    "loss": "f − f*",
    "grad_norm": "‖∇f‖",
    "distance": "distance to nearest minimum",
}


def charted(surface, curve: str, loss: np.ndarray, grad_norm: np.ndarray,
            distance: np.ndarray | None) -> tuple[np.ndarray, bool]:
    """The metric ``curve`` of a run (its arrays, any leading shape), and whether a log
    axis suits it."""
    if curve == "grad_norm":
        return np.maximum(grad_norm, 1e-12), True
    if curve == "distance" and distance is not None:
        return np.maximum(distance, 1e-12), True
    if surface.min_value is not None:
        # f is float32: below a few ulps of f*, f − f* is rounding noise, not progress
        floor = max(1e-12, 4 * float(np.finfo(np.float32).eps) * abs(surface.min_value))
        return np.maximum(loss - surface.min_value, floor), True
    return loss, False


def curve_values(result: Result, run: Run, curve: str) -> tuple[np.ndarray, bool]:
    """The metric to chart for ``run``, and whether a log axis suits it."""
    return charted(result.surface, curve, run.loss, run.grad_norm, run.distance)


def curve_label(result: Result, curve: str) -> str:
    if curve == "distance" and not result.surface.minima:
        curve = "loss"
    if curve == "loss" and result.surface.min_value is None:
        return "f"
    return CURVES[curve]


@dataclass(frozen=True)
class Geometry:
    """Where each panel sits (paper fractions): the map left, the chart right (or below
    the map, beside the 3D view), a network's data panel above the chart."""

    map_x: list[float]
    map_y: list[float]
    curve_x: list[float]
    curve_y: list[float]
    scene_x: list[float] | None = None
    scene_y: list[float] | None = None
    panel_x: list[float] | None = None
    panel_y: list[float] | None = None


def geometry(three_d: bool, panel: bool) -> Geometry:
    if three_d:
        return Geometry(map_x=[0.0, 0.44], map_y=[0.36, 1.0], curve_x=[0.0, 0.44],
                        curve_y=[0.0, 0.22], scene_x=[0.5, 1.0],
                        scene_y=[0.36, 1.0] if panel else [0.0, 1.0],
                        panel_x=[0.56, 1.0] if panel else None,
                        panel_y=[0.0, 0.25] if panel else None)
    if panel:
        return Geometry(map_x=[0.0, 0.56], map_y=[0.0, 1.0], curve_x=[0.71, 1.0],
                        curve_y=[0.0, 0.4], panel_x=[0.71, 1.0], panel_y=[0.56, 0.95])
    return Geometry(map_x=[0.0, 0.56], map_y=[0.0, 1.0], curve_x=[0.71, 1.0],
                    curve_y=[0.0, 1.0])


@dataclass(frozen=True)
class Shading:
    """The surface's colour values (log-scaled where it suits) and their range."""

    values: np.ndarray
    vmin: float
    vmax: float
    label: str

    def height(self, result: Result, path: np.ndarray) -> np.ndarray:
        """Heights of a path on the drawn 3D surface (the same colour-value transform)."""
        xs, ys = result.surface.xs, result.surface.ys
        jx = np.clip(np.searchsorted(xs, path[:, 0]), 0, xs.size - 1)
        jy = np.clip(np.searchsorted(ys, path[:, 1]), 0, ys.size - 1)
        return self.values[jy, jx] + 0.01 * (self.vmax - self.vmin)


def click_layer(result: Result) -> dict:
    """An invisible grid of markers: Streamlit reports clicks on data points only, so
    this is what makes "click to set the start" work anywhere on the map."""
    s = result.surface
    (x0, x1), (y0, y1) = s.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, CLICK_GRID), np.linspace(y0, y1, CLICK_GRID))
    ix = np.clip(np.searchsorted(s.xs, gx.ravel()), 0, s.xs.size - 1)
    iy = np.clip(np.searchsorted(s.ys, gy.ravel()), 0, s.ys.size - 1)
    return {
        "type": "scatter", "x": typed_array(gx.ravel()), "y": typed_array(gy.ravel()),
        "customdata": typed_array(s.zs[iy, ix]), "mode": "markers",
        "name": "click to start here",
        "marker": {"size": 14, "color": "rgba(0,0,0,0)", "line": {"width": 0}},
        "hovertemplate": "x = %{x:.3f}<br>y = %{y:.3f}<br>f = %{customdata:.4g}"
                         "<extra>click: start here</extra>",
        "showlegend": False, "xaxis": "x", "yaxis": "y",
        "selected": {"marker": {"opacity": 0}}, "unselected": {"marker": {"opacity": 0}},
        "hoverlabel": {"bgcolor": "white", "bordercolor": "#444", "font": {"color": "#222"}},
    }


def surface_3d(result: Result, shade: Shading) -> dict:
    """The 3D surface mesh, subsampled to ``MESH_GRID`` points a side."""
    s = result.surface
    sx = np.linspace(0, s.xs.size - 1, MESH_GRID).round().astype(int)
    sy = np.linspace(0, s.ys.size - 1, MESH_GRID).round().astype(int)
    return {"type": "surface", "x": typed_array(s.xs[sx]), "y": typed_array(s.ys[sy]),
            "z": typed_array(shade.values[np.ix_(sy, sx)]),
            "colorscale": background_colorscale(), "cmin": shade.vmin, "cmax": shade.vmax,
            "showscale": False, "opacity": 0.92, "scene": "scene", "hoverinfo": "skip",
            "contours": {"z": {"show": False}}}


def landmarks(result: Result, fs: float) -> list[dict]:
    """The minima, the saddles and the start: drawn above the paths, never hidden."""
    s = result.surface
    return ([landmark_trace(m, "minimum", fs) for m in s.minima]
            + [landmark_trace(p, "saddle", fs) for p in s.saddles]
            + [landmark_trace(result.start, "start", fs, hover=START_HOVER)])


#: Two divergence marks closer than these fractions of the map's width and height would
#: print their words over each other (a label is far wider than it is tall).
LABEL_CLEARANCE = (0.5, 0.08)


def label_slots(points: list[tuple[float, float] | None], domain) -> list[int]:
    """Each divergence label's line in its stack (``None``: a run that did not diverge):
    in racer order, a label takes the first line that no earlier label near it holds, so
    runs that diverge at one place (several from one start) list their words instead of
    printing them over each other. The stage's JavaScript places them the same way
    (``labelSlots`` in static/stage/labels.js)."""
    (x0, x1), (y0, y1) = domain
    near_x, near_y = LABEL_CLEARANCE[0] * (x1 - x0), LABEL_CLEARANCE[1] * (y1 - y0)
    slots: list[int] = []
    for i, p in enumerate(points):
        taken = {slots[j] for j, q in enumerate(points[:i]) if p is not None and q is not None
                 and abs(p[0] - q[0]) < near_x and abs(p[1] - q[1]) < near_y}
        slots.append(min(set(range(len(points) + 1)) - taken))
    return slots


def stacked_label(text: str, slot: int, upper: bool) -> tuple[str, str]:
    """``text`` on line ``slot`` of its stack, and its plotly ``textposition``: the first
    line above the mark; the others below it in the map's upper half (staying inside the
    map), above it in the lower half. Blank lines move a label by whole lines."""
    if slot == 0:
        return text, "top center"
    if upper:
        return "<br> " * (slot - 1) + text, "bottom center"
    return text + "<br> " * slot, "top center"


def divergence_point(run: Run) -> tuple[float, float] | None:
    """Where ``run``'s × goes: its last good point (``None``: it did not diverge)."""
    if run.diverged_at is None:
        return None
    x, y = run.path[run.diverged_at]
    return float(x), float(y)


def divergence_points(result: Result) -> list[tuple[float, float] | None]:
    """Each run's ``divergence_point``, in racer order."""
    return [divergence_point(run) for run in result.runs]


def divergence_mark(run: Run, style: dict, fs: float, slot: int = 0,
                    domain=None) -> dict:
    """An × where ``run`` diverged, labelled in words on line ``slot`` of its stack (on
    the map's ``domain``: which half it is in)."""
    x, y = divergence_point(run)
    text = f"{plotly_text(run.name)} diverged at step {run.diverged_at}"
    upper = domain is not None and y > sum(domain[1]) / 2
    label, position = stacked_label(text, slot, upper)
    return {"type": "scatter", "x": [x], "y": [y],
            "mode": "markers+text", "showlegend": False, "legendgroup": run.key,
            "xaxis": "x", "yaxis": "y", "text": [label], "textposition": position,
            "cliponaxis": False, "textfont": {"color": style["color"], "size": 13 * fs},
            "marker": {"symbol": "x", "size": 14 * fs, "color": style["color"],
                       "line": {"color": "black", "width": 1}},
            "hovertemplate": f"{text}<extra></extra>"}


def _trail(steps_at: np.ndarray, j: int) -> np.ndarray:
    return steps_at[max(0, j - TRAIL): j + 1]


def racer_traces(traces: Traces, result: Result, run: Run, i: int, ys: np.ndarray,
                 steps_at: np.ndarray, frame: int, shade: Shading | None, fs: float,
                 label_slot: int = 0) -> None:
    """What moves for one racer (its trail and marker, its chart marker, its 3D marker),
    its divergence mark and its chart line."""
    style, path, at = style_of(i), run.path, int(steps_at[frame])
    name = plotly_text(run.name)
    end, trail = end_of(run, result.steps), _trail(steps_at, frame)
    traces.add({"type": "scatter", "x": typed_array(path[trail, 0]),
                "y": typed_array(path[trail, 1]), "mode": "lines", "showlegend": False,
                "legendgroup": run.key, "hoverinfo": "skip", "xaxis": "x", "yaxis": "y",
                "line": {"color": style["color"], "width": 4 * fs}}, moving=True)
    traces.add(marker_trace(typed_array(path[[at], 0]), typed_array(path[[at], 1]), style,
                            name, run.key, f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})"
                            "<extra></extra>", 13 * fs), moving=True)
    if run.diverged_at is not None:
        traces.add(divergence_mark(run, style, fs, label_slot, result.surface.domain))
    traces.add(chart_line(ys, end, style, run.key, fs))
    traces.add(marker_trace([at], typed_array(ys[[at]]), style, name, run.key,
                            f"{name}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>",
                            11 * fs, axes=("x2", "y2"), halo=1), moving=True)
    if shade is not None:
        whole = path[: end + 1]
        traces.add({"type": "scatter3d", "x": typed_array(whole[:, 0]),
                    "y": typed_array(whole[:, 1]), "z": typed_array(shade.height(result, whole)),
                    "mode": "lines", "showlegend": False, "scene": "scene",
                    "hoverinfo": "skip", "line": {"color": style["color"], "width": 5 * fs}})
        traces.add({"type": "scatter3d", "x": typed_array(path[[at], 0]),
                    "y": typed_array(path[[at], 1]),
                    "z": typed_array(shade.height(result, path[[at]])), "mode": "markers",
                    "showlegend": False, "scene": "scene", "hoverinfo": "skip",
                    "marker": {"size": 6 * fs, "color": style["color"],
                               "line": {"color": "white", "width": 1}}}, moving=True)


def frame_updates(result: Result, j: int, steps_at: np.ndarray, series: list[np.ndarray],
                  shade: Shading | None) -> list[dict]:
    """The moving traces' data at frame ``j``, in the order ``racer_traces`` adds them
    (and the data panel's after them)."""
    at, trail = int(steps_at[j]), _trail(steps_at, j)
    updates = []
    for run, ys in zip(result.runs, series, strict=True):
        path = run.path
        updates.append({"x": typed_array(path[trail, 0]), "y": typed_array(path[trail, 1])})
        updates.append({"x": typed_array(path[[at], 0]), "y": typed_array(path[[at], 1])})
        updates.append({"x": [at], "y": typed_array(ys[[at]])})
        if shade is not None:
            updates.append({"type": "scatter3d", "x": typed_array(path[[at], 0]),
                            "y": typed_array(path[[at], 1]),
                            "z": typed_array(shade.height(result, path[[at]]))})
    if result.panel is not None:
        updates += panel_updates(result.panel, panel_row(result.panel_steps, at))
    return updates


def race_figure(result: Result, *, frame: int = 0, view: str = "contour",
                curve: str = "loss", speed_ms: int = 60, font_scale: float = 1.0) -> dict:
    """The animated race as a plotly figure dict (see the module docstring)."""
    three_d, fs = view == "3d", font_scale
    steps_at = frame_steps(result.steps, three_d)
    frame = int(np.clip(frame, 0, len(steps_at) - 1))
    geo = geometry(three_d, result.panel is not None)
    shade = Shading(*color_values(result.surface.zs, result.surface.log_scale))
    series = [curve_values(result, run, curve)[0] for run in result.runs]
    log_curve = all(curve_values(result, run, curve)[1] for run in result.runs)

    traces = Traces(clickable_axes=("x", "x3"))  # the map and a network's data
    traces.add(click_layer(result))
    traces.add(colorbar_trace(shade.vmin, shade.vmax, background_colorscale(), shade.label,
                              geo.map_x[1] + 0.005, geo.map_y))
    if three_d:
        traces.add(surface_3d(result, shade))
    for i, run in enumerate(result.runs):
        traces.add_all(haloed_path(run.path[: end_of(run, result.steps) + 1], style_of(i),
                                   plotly_text(run.name), run.key, fs))
    traces.add_all(landmarks(result, fs))
    slots = label_slots(divergence_points(result), result.surface.domain)
    for i, (run, ys) in enumerate(zip(result.runs, series, strict=True)):
        racer_traces(traces, result, run, i, ys, steps_at, frame,
                     shade if three_d else None, fs, slots[i])
    if result.panel is not None:
        row = panel_row(result.panel_steps, steps_at[frame])
        for trace, role in panel_traces(result.panel, row, style_of(0)["color"],
                                        plotly_text(result.runs[0].name), fs):
            traces.add(trace, moving=role == "moving")

    frames = [traces.frame(str(j), frame_updates(result, j, steps_at, series,
                                                 shade if three_d else None))
              for j in range(len(steps_at))]
    layout = race_layout(result, geo, shade, steps_at, frame, three_d, fs, speed_ms)
    layout["yaxis2"] = curve_axis(result, series, log_curve, curve, geo, fs)
    # The page accepts a click as a new start only on these traces (not on the chart).
    layout["meta"] = {"start_traces": [k for k, t in enumerate(traces.data)
                                       if t.get("xaxis") == "x"]}
    # a file of its own (the export): its own colours, not the page's theme
    layout.update(STANDALONE_COLORS)
    layout["font"] = {**layout["font"], "color": STANDALONE_TEXT}
    return {"data": traces.data, "layout": layout, "frames": frames}


def curve_axis(result: Result, series: list[np.ndarray], log_curve: bool, curve: str,
               geo: Geometry, fs: float) -> dict:
    """The chart's y axis over every drawn value (log where every series suits it)."""
    drawn = [ys[: end_of(r, result.steps) + 1]
             for ys, r in zip(series, result.runs, strict=True)]
    yaxis = axis(curve_label(result, curve), fs, domain=geo.curve_y, anchor="x2",
                 fixedrange=False)
    if not log_curve:
        return {**yaxis, "range": lin_range(drawn, empty=(-1e-6, 1e-6))}
    yaxis = log_axis(yaxis, log_range(drawn, empty=(-0.1, 0.1)))
    if result.panel is not None and np.diff(yaxis["range"])[0] > 6:
        yaxis["dtick"] = max(yaxis["dtick"] or 1, 2)  # the chart is shorter beside a panel
    return {**yaxis, "minor": {"showgrid": False}}


#: At most this many ticks on each axis of a 3D scene: plotly's own choice (up to 9 on
#: a unit range) runs its labels into each other at a projector's large text.
SCENE_TICKS = 5


def scene_3d(result: Result, geo: Geometry, titles: tuple[str, str]) -> dict:
    (x0, x1), (y0, y1) = result.surface.domain
    log = result.surface.log_scale
    return {
        "domain": {"x": geo.scene_x, "y": geo.scene_y},
        "xaxis": {"title": {"text": titles[0]}, "range": [x0, x1], "nticks": SCENE_TICKS},
        "yaxis": {"title": {"text": titles[1]}, "range": [y0, y1], "nticks": SCENE_TICKS},
        "zaxis": {"title": {"text": "log₁₀(f − min f)" if log else "f"},
                  "nticks": SCENE_TICKS},
        "aspectmode": "manual", "aspectratio": {"x": 1, "y": 1, "z": 0.6},
        "camera": {"eye": {"x": -1.4, "y": -1.5, "z": 1.0}},
    }


def race_layout(result: Result, geo: Geometry, shade: Shading, steps_at: np.ndarray,
                frame: int, three_d: bool, fs: float, speed_ms: int) -> dict:
    """Axes, the background image, the playback controls, the 3D scene and a network's
    data panel (the chart's y axis is ``curve_axis``)."""
    titles = ("w₁", "w₂") if result.panel is not None else ("x", "y")
    png = png_bytes(contour_rgba(shade.values, shade.vmin, shade.vmax))
    layout = base_layout(fs, height=int(680 * fs**0.5), uirevision="race",
                         margin={"l": 60, "r": 20, "t": 40, "b": BOTTOM_MARGIN},
                         clickmode="event+select",
                         legend={"orientation": "h", "x": 0.0, "y": 1.02,
                                 "yanchor": "bottom", "font": {"size": 13 * fs}},
                         images=[image(data_uri(png), result.surface.domain)])
    layout.update(map_axes(result.surface.domain, geo.map_x, geo.map_y, font_scale=fs,
                           titles=titles))
    layout["xaxis2"] = axis("step", fs, range=[0, result.steps], domain=geo.curve_x,
                            anchor="y2")
    for name in ("xaxis", "yaxis", "xaxis2"):
        layout[name]["fixedrange"] = False
    layout.update(playback_controls([str(int(s)) for s in steps_at], active=frame,
                                    speed_ms=speed_ms, redraw=three_d, font_scale=fs))
    if three_d:
        layout["scene"] = scene_3d(result, geo, titles)
    if result.panel is not None:
        panel = result.panel
        extra = panel_layout(panel, geo.panel_x, geo.panel_y,
                             panel.title.format(name=plotly_text(result.runs[0].name)),
                             fs)
        layout["annotations"] = [extra.pop("annotation")]
        layout.update(extra)
    return layout
