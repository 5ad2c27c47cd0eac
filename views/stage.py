"""The race as the browser stage draws it: four messages (views/packing.py) built from
numpy results, each sent only when it changes.

- ``surface_message``: the surface once per surface (the contour image, its colour bar,
  the 3D mesh and the landmarks);
- ``race_message``: the plots' figures (plotly layouts and traces, whose moving parts
  are bound to arrays by role), every racer's run, and the sliders it can scrub in the
  figure;
- ``ladders_message``: each scrubbed slider's runs over its whole ladder, asked for by
  the browser once the race is drawn;
- ``grid_message``: every racer's paths from a grid of starts, for dragging the start.

Plotly draws; static/stage/*.js binds arrays to traces by the roles in each figure's
``bind`` and moves only what moves. It selects among the runs sent here and computes
none: every number on screen comes from the engine.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from compute import Result, Surface, frame_steps
from compute.neighbourhood import Ladder, Scrub, StartGrid
from optimizers import OPTIMIZERS
from views.figure import (
    START_HOVER,
    axis,
    base_layout,
    chart_line,
    colorbar_trace,
    end_of,
    haloed_path,
    image,
    landmark_trace,
    map_axes,
    marker_trace,
    plotly_text,
)
from views.image import color_values, contour_rgba, png_bytes
from views.network import panel_layout, panel_traces
from views.packing import Packer
from views.race import (
    MESH_GRID,
    TRAIL,
    Shading,
    charted,
    curve_axis,
    curve_label,
    curve_values,
    divergence_mark,
    geometry,
    scene_3d,
)
from views.style import DARK_BELOW, THEMES, background_colorscale, style_of

#: Heights of the plots (px, before the presenter's scale).
MAP_HEIGHT = 560
CHART_HEIGHT = 260


def _shading(surface: Surface) -> Shading:
    return Shading(*color_values(surface.zs, surface.log_scale))


def surface_message(surface: Surface, key: str) -> bytes:
    """The surface, drawn once: the banded contour image, its colour bar, the 3D mesh
    (in the colour values), the domain and the landmarks."""
    pack, shade = Packer(), _shading(surface)
    sx = np.linspace(0, surface.xs.size - 1, MESH_GRID).round().astype(int)
    sy = np.linspace(0, surface.ys.size - 1, MESH_GRID).round().astype(int)
    header = {
        "kind": "surface", "id": key, "domain": [list(d) for d in surface.domain],
        "image": pack.raw(png_bytes(contour_rgba(shade.values, shade.vmin, shade.vmax)),
                          "image/png"),
        "colorbar": {"vmin": shade.vmin, "vmax": shade.vmax, "label": shade.label,
                     "colorscale": background_colorscale()},
        "mesh": {"x": pack.f32(surface.xs[sx]), "y": pack.f32(surface.ys[sy]),
                 "z": pack.f32(np.nan_to_num(shade.values[np.ix_(sy, sx)], nan=shade.vmin))},
    }
    return pack.pack(header)


def _without_data(trace: dict) -> dict:
    """A trace whose arrays the stage fills in (by its role)."""
    return {k: v for k, v in trace.items() if k not in ("x", "y", "z")}


def map_figure(result: Result, shade: Shading, fs: float, titles: tuple[str, str]) -> dict:
    """The contour map: colour bar, every whole path (halo and line), the landmarks, the
    start, and each racer's trail and marker; ``bind`` names the traces by role."""
    traces: list[dict] = [colorbar_trace(shade.vmin, shade.vmax, background_colorscale(),
                                         shade.label, 1.02, [0.0, 1.0])]
    bind: dict[str, list] = {"paths": [], "trails": [], "markers": [], "divergence": []}
    for i, run in enumerate(result.runs):
        halo, line = haloed_path(run.path[:2], style_of(i), plotly_text(run.name), run.key,
                                 fs)
        bind["paths"].append([len(traces), len(traces) + 1])
        traces += [_without_data(halo), _without_data(line)]
    for trace in ([landmark_trace(m, "minimum", fs) for m in result.surface.minima]
                  + [landmark_trace(p, "saddle", fs) for p in result.surface.saddles]):
        traces.append(trace)
    bind["start"] = len(traces)
    traces.append(_without_data(landmark_trace(result.start, "start", fs, hover=START_HOVER)))
    for i, run in enumerate(result.runs):
        style, name = style_of(i), plotly_text(run.name)
        # Always there (empty for a run that does not diverge): the figure stays the same
        # when a slider moves, and the stage only sends the new runs.
        bind["divergence"].append(len(traces))
        mark = divergence_mark(replace(run, diverged_at=0), style, fs)
        traces.append({k: v for k, v in _without_data(mark).items()
                       if k not in ("text", "hovertemplate")})
        bind["trails"].append(len(traces))
        traces.append({"type": "scatter", "mode": "lines", "showlegend": False,
                       "legendgroup": run.key, "hoverinfo": "skip",
                       "line": {"color": style["color"], "width": 4 * fs}})
        bind["markers"].append(len(traces))
        traces.append(_without_data(marker_trace(
            [], [], style, name, run.key,
            f"{name}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>", 13 * fs)))
    # the legend is the stage's own (static/stage/legend.js), above the plots
    layout = base_layout(fs, uirevision="map", margin={"l": 56, "r": 80, "t": 16, "b": 48},
                         showlegend=False, images=[image("", result.surface.domain)])
    layout.update(map_axes(result.surface.domain, [0.0, 1.0], [0.0, 1.0], font_scale=fs,
                           titles=titles))
    return {"traces": traces, "layout": layout, "bind": bind}


def chart_figure(result: Result, series: list[np.ndarray], log_curve: bool, curve: str,
                 fs: float) -> dict:
    """The metric chart: each racer's line and its marker at the current step."""
    traces, bind = [], {"lines": [], "markers": []}
    for i, run in enumerate(result.runs):
        style, name = style_of(i), plotly_text(run.name)
        line = chart_line(series[i], end_of(run, result.steps), style, run.key, fs)
        bind["lines"].append(len(traces))
        traces.append({**_without_data(line), "xaxis": "x", "yaxis": "y"})
        bind["markers"].append(len(traces))
        traces.append(_without_data(marker_trace(
            [], [], style, name, run.key,
            f"{name}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>", 11 * fs, halo=1)))
    yaxis = curve_axis(result, series, log_curve, curve, geometry(False, False), fs)
    yaxis.update(domain=[0.0, 1.0], anchor="x", range=_snapped(yaxis["range"], log_curve))
    layout = base_layout(fs, uirevision="chart", showlegend=False,
                         margin={"l": 64, "r": 16, "t": 12, "b": 44},
                         xaxis=axis("step", fs, range=[0, result.steps], fixedrange=False),
                         yaxis=yaxis)
    return {"traces": traces, "layout": layout, "bind": bind}


def scene_figures(result: Result, shade: Shading, fs: float,
                  titles: tuple[str, str]) -> tuple[dict, dict]:
    """The 3D view as two plots stacked at one camera: below, the surface mesh (from the
    surface message) with each racer's path riding on it; above, on a transparent scene
    with the same axes, the racers' markers. Playback redraws only the plot above: the
    mesh stays put. The camera is the user's (``uirevision``) and the stage keeps the two
    plots' cameras together."""
    scene = scene_3d(result, geometry(True, False), titles)
    span = shade.vmax - shade.vmin
    scene.update(domain={"x": [0.0, 1.0], "y": [0.0, 1.0]})
    scene["zaxis"]["range"] = [shade.vmin, shade.vmax + 0.02 * span]
    mesh: list[dict] = [{"type": "surface", "colorscale": background_colorscale(),
                         "showscale": False, "opacity": 0.92, "hoverinfo": "skip",
                         "contours": {"z": {"show": False}}}]
    marks: list[dict] = []
    lines, markers = [], []
    for i in range(len(result.runs)):
        style = style_of(i)
        lines.append(len(mesh))
        mesh.append({"type": "scatter3d", "mode": "lines", "showlegend": False,
                     "hoverinfo": "skip", "line": {"color": style["color"], "width": 5 * fs}})
        markers.append(len(marks))
        marks.append({"type": "scatter3d", "mode": "markers", "showlegend": False,
                      "hoverinfo": "skip", "marker": {"size": 6 * fs, "color": style["color"],
                                                      "line": {"color": "white", "width": 1}}})
    bare = {"visible": False, "showbackground": False, "showgrid": False}
    top = {**scene, "bgcolor": "rgba(0,0,0,0)",
           **{k: {**scene[k], **bare} for k in ("xaxis", "yaxis", "zaxis")}}
    common = {"uirevision": "scene", "showlegend": False,
              "margin": {"l": 0, "r": 0, "t": 0, "b": 0}}
    below = {"traces": mesh, "bind": {"surface": 0, "lines": lines},
             "layout": base_layout(fs, scene=scene, **common)}
    above = {"traces": marks, "bind": {"markers": markers},
             "layout": base_layout(fs, scene=top, paper_bgcolor="rgba(0,0,0,0)", **common)}
    return below, above


def _on_axes(trace: dict) -> dict:
    return {**trace, "xaxis": "x", "yaxis": "y"}


def panel_figure(result: Result, pack: Packer, fs: float) -> dict:
    """A network's data and the first racer's model at each frame's step."""
    panel = result.panel
    name = plotly_text(result.runs[0].name)
    traces, bind = [], {"regions": -1, "fit": -1}
    for trace, role in panel_traces(panel, 0, style_of(0)["color"], name, fs):
        if role == "moving":
            bind["regions" if trace.get("fill") else "fit"] = len(traces)
            trace = _without_data(trace)
        traces.append(_on_axes(trace))
    extra = panel_layout(panel, [0.0, 1.0], [0.0, 1.0], panel.title.format(name=name), fs)
    note = extra.pop("annotation")
    layout = base_layout(fs, uirevision="panel", showlegend=False, annotations=[note],
                         margin={"l": 56, "r": 16, "t": 36, "b": 44},
                         xaxis={**extra["xaxis3"], "anchor": "y"},
                         yaxis={**extra["yaxis3"], "anchor": "x",
                                **({"scaleanchor": "x"} if "scaleanchor" in extra["yaxis3"]
                                   else {})})
    arrays = {"steps": pack.i32(result.panel_steps), "fits": pack.f32(panel.fits),
              "regions": pack.f32(panel.regions) if panel.regions is not None else None}
    return {"traces": traces, "layout": layout, "bind": bind, "arrays": arrays}


def _tagged(figure: dict) -> dict:
    """Each bound trace carries its role in ``meta`` ("markers:2": racer 2's marker), which
    plotly draws nothing of: how a reader of the live page (the browser tests) finds it."""
    for role, bound in figure["bind"].items():
        per_racer = bound if isinstance(bound, list) else [bound]
        for k, indices in enumerate(per_racer):
            for index in indices if isinstance(indices, list) else [indices]:
                if index >= 0:
                    figure["traces"][index]["meta"] = f"{role}:{k}"
    return figure


def _racer(result: Result, i: int) -> dict:
    run, style = result.runs[i], style_of(i)
    # the name is set as text by the stage's legend; the words of a divergence are drawn
    # by plotly (escaped)
    diverged = (f"{plotly_text(run.name)} diverged at step {run.diverged_at}"
                if run.diverged_at is not None else "")
    return {"name": run.name, "key": run.key, "slug": run.slug, **style,
            "end": end_of(run, result.steps),
            "diverged_at": run.diverged_at, "diverged": diverged, "hparams": run.hparams}


def _snapped(rng: list[float], log: bool) -> list[float]:
    """An axis range widened to round numbers (half decades on a log axis), so that a
    small change of the runs keeps the chart's layout, and the stage sends runs only."""
    lo, hi = rng
    if log:
        return [math.floor(lo * 2) / 2, math.ceil(hi * 2) / 2]
    raw = (hi - lo) / 5 if hi > lo else 1.0
    step = 10 ** math.floor(math.log10(raw))
    step *= 5 if raw / step >= 5 else 2 if raw / step >= 2 else 1
    return [math.floor(lo / step) * step, math.ceil(hi / step) * step]


def _scrub(scrub: Scrub, result: Result, pack: Packer) -> dict:
    spec = OPTIMIZERS[result.runs[scrub.racer].slug].hparams[scrub.name]
    return {"racer": scrub.racer, "name": scrub.name, "label": spec.label or scrub.name,
            "values": pack.f32(scrub.values), "current": scrub.current}


def _ladder(ladder: Ladder, result: Result, pack: Packer, curve: str, log_curve: bool,
            shade: Shading | None) -> dict:
    values, _ = charted(result.surface, curve, ladder.loss, ladder.grad_norm, ladder.distance)
    out = {"steps": pack.i32(ladder.steps), "path": pack.u16(ladder.path),
           "chart": pack.u16(np.log10(values) if log_curve else values),
           "diverged": pack.i32(ladder.diverged_at)}
    if shade is not None:
        heights = np.stack([shade.height(result, p) for p in ladder.path])
        out["height"] = pack.u16(heights)
    return out


def _chart_series(result: Result, curve: str) -> tuple[list[np.ndarray], bool]:
    """Each run's chart values, and whether the chart is on a log axis (all runs are)."""
    charts = [curve_values(result, run, curve) for run in result.runs]
    return [values for values, _ in charts], all(log for _, log in charts)


def race_message(result: Result, scrubs: tuple[Scrub, ...], *, key: str, surface_key: str,
                 grid_key: str, ladders_key: str, plotly_src: str, frame: int = 0,
                 view: str = "contour", curve: str = "loss", font_scale: float = 1.0,
                 overlay: dict | None = None) -> bytes:
    """The race as the stage draws it (see the module docstring): ``key`` is its id; the
    surface's, the grid's and the ladders' keys are the ids of the messages it draws and
    scrubs with; ``plotly_src`` is where the page serves plotly.js. ``scrubs`` are the
    sliders drawn in the figure (their runs come in the ladders' message). ``overlay``
    adds annotations and shapes to the map (what is inside the optimizers at ``frame``)."""
    pack, fs, three_d = Packer(), font_scale, view == "3d"
    shade = _shading(result.surface)
    series, log_curve = _chart_series(result, curve)
    titles = ("w₁", "w₂") if result.panel is not None else ("x", "y")
    steps_at = frame_steps(result.steps, three_d)  # a link's frame means what it meant
    plots = {"map": map_figure(result, shade, fs, titles),
             "chart": chart_figure(result, series, log_curve, curve, fs)}
    if three_d:
        plots["scene"], plots["marks"] = scene_figures(result, shade, fs, titles)
    if result.panel is not None:
        plots["panel"] = panel_figure(result, pack, fs)
    plots = {name: _tagged(figure) for name, figure in plots.items()}
    if overlay:
        for name in ("annotations", "shapes"):
            plots["map"]["layout"][name] = overlay.get(name, [])
    runs = [{"path": pack.f32(run.path), "chart": pack.f32(ys),
             **({"height": pack.f32(shade.height(result, run.path))} if three_d else {})}
            for run, ys in zip(result.runs, series, strict=True)]
    header = {
        "kind": "race", "id": key, "surface": surface_key, "grid": grid_key,
        "ladders": ladders_key,
        "plotly": plotly_src, "domain": [list(d) for d in result.surface.domain],
        "steps": result.steps, "frames": pack.i32(steps_at), "trail": TRAIL,
        "frame": int(np.clip(frame, 0, len(steps_at) - 1)), "view": view,
        "fontScale": fs, "mapHeight": round(MAP_HEIGHT * fs**0.5),
        "chartHeight": round(CHART_HEIGHT * fs**0.5), "logChart": log_curve,
        # presenter mode (its scale is the only one above 1): the plots fit the screen
        "fitScreen": fs > 1,
        "chartLabel": curve_label(result, curve), "start": list(result.start),
        "racers": [_racer(result, i) for i in range(len(result.runs))], "runs": runs,
        "plots": plots, "scrubs": [_scrub(scrub, result, pack) for scrub in scrubs],
        # the racers' colours in each theme (the figures draw the light ones)
        "palettes": {theme: [style_of(i, theme)["color"] for i in range(len(result.runs))]
                     for theme in THEMES},
        "darkBelow": DARK_BELOW,
    }
    return pack.pack(header)


def ladders_message(result: Result, ladders: tuple[Ladder, ...], key: str,
                    view: str = "contour", curve: str = "loss") -> bytes:
    """The runs of the race's scrubs, in their order (quantized): the path, the chart's
    values (as the race's chart shows them) and, in 3D, the heights."""
    pack = Packer()
    shade = _shading(result.surface) if view == "3d" else None
    _, log_curve = _chart_series(result, curve)
    header = {"kind": "ladders", "id": key,
              "ladders": [_ladder(lad, result, pack, curve, log_curve, shade)
                          for lad in ladders]}
    return pack.pack(header)


def grid_message(grid: StartGrid, key: str) -> bytes:
    """Every racer's paths from each start of the drag grid (quantized)."""
    pack = Packer()
    header = {"kind": "grid", "id": key, "n": grid.n, "starts": pack.f32(grid.starts),
              "steps": pack.i32(grid.steps), "path": pack.u16(grid.path),
              "diverged": pack.i32(grid.diverged_at)}
    return pack.pack(header)
