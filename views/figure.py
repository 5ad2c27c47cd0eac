"""Pieces every figure is built from: compact arrays, axes, value ranges, the surface
image, landmarks. Plain dicts for plotly.js (validating a go.Figure costs ~0.4 s at 100
frames); tests/views/test_race.py validates every figure through plotly once.
"""

from __future__ import annotations

import base64
import math

import numpy as np

from views.style import FONT

#: What plotly.js would read as markup, a hover template's field or LaTeX in a text it
#: draws, as the character entities it shows as themselves.
_PLOTLY_LITERAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "%": "&#37;",
                                 "$": "&#36;"})


def plotly_text(text: str) -> str:
    """``text`` (a racer's label: a person typed it) drawn by plotly.js as written:
    ``<b>``, ``%{x}`` and ``$x$`` show as themselves, never as markup."""
    return str(text).translate(_PLOTLY_LITERAL)


def typed_array(a) -> dict | list:
    """A float32 array as plotly.js's typed-array spec: base64, 5.3 bytes a number
    instead of ~10 as JSON text (a few numbers stay a short JSON list)."""
    arr = np.ascontiguousarray(a, dtype=np.float32)
    if arr.ndim == 1 and arr.size <= 2:
        return [float(f"{v:.7g}") for v in arr.tolist()]
    spec = {"dtype": "f4", "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim > 1:
        spec["shape"] = ", ".join(str(d) for d in arr.shape)
    return spec


def axis(title: str, font_scale: float = 1.0, **extra) -> dict:
    """An axis with a title, no grid and no zero line; its margin grows to hold its tick
    labels and title (``automargin``), so neither runs into a neighbour on a small
    screen or at a presenter's font size."""
    fs = font_scale
    return {"title": {"text": title, "font": {"size": 14 * fs}}, "tickfont": {"size": 12 * fs},
            "showgrid": False, "zeroline": False, "automargin": True, **extra}


def map_axes(domain, x_domain, y_domain=(0.0, 1.0), suffix: str = "",
             font_scale: float = 1.0, titles: tuple[str, str] = ("x", "y")) -> dict:
    """The x and y axes of a map: the domain's ranges at equal scale. Their tick labels
    stand off the frame, so the two labels at the lower left corner stay apart."""
    (x0, x1), (y0, y1) = domain
    xref, yref = f"x{suffix}", f"y{suffix}"
    apart = round(5 * font_scale)
    return {
        f"xaxis{suffix}": axis(titles[0], font_scale, range=[x0, x1], domain=list(x_domain),
                               anchor=yref, constrain="domain", ticklabelstandoff=apart),
        f"yaxis{suffix}": axis(titles[1], font_scale, range=[y0, y1], domain=list(y_domain),
                               anchor=xref, scaleanchor=xref, scaleratio=1,
                               constrain="domain", ticklabelstandoff=apart),
    }


def image(source: str, domain, xref: str = "x", yref: str = "y") -> dict:
    """A layout image covering the map's domain (a surface drawn as a PNG)."""
    (x0, x1), (y0, y1) = domain
    return {"source": source, "xref": xref, "yref": yref, "x": x0, "y": y1,
            "sizex": x1 - x0, "sizey": y1 - y0, "sizing": "stretch", "layer": "below",
            "opacity": 1.0}


def _finite(values, positive: bool = False) -> np.ndarray:
    parts = values if isinstance(values, list | tuple) else [values]
    flat = np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in parts]
                          or [np.zeros(0)])
    keep = np.isfinite(flat) & (flat > 0) if positive else np.isfinite(flat)
    return flat[keep]


def log_range(values, min_pad: float = 0.1, empty=(-1.0, 1.0)) -> list[float]:
    """The log10 range of the positive finite ``values`` (an array or a list of them),
    padded by 5% or ``min_pad`` decades."""
    v = _finite(values, positive=True)
    if v.size == 0:
        return list(empty)
    lo, hi = float(np.log10(v.min())), float(np.log10(v.max()))
    pad = max(0.05 * (hi - lo), min_pad)
    return [lo - pad, hi + pad]


def lin_range(values, empty=(0.0, 1.0)) -> list[float]:
    """The range of the finite ``values`` (an array or a list of them), padded by 5%."""
    v = _finite(values)
    if v.size == 0:
        return list(empty)
    lo, hi = float(v.min()), float(v.max())
    pad = max(0.05 * (hi - lo), 1e-6)
    return [lo - pad, hi + pad]


def log_axis(axis_spec: dict, rng: list[float], max_ticks: int = 8) -> dict:
    """Make ``axis_spec`` a log axis over ``rng`` (log10 units), labelled at powers of ten
    (every decade, or every few when there are many)."""
    span = rng[1] - rng[0]
    axis_spec.update(type="log", range=rng, exponentformat="power",
                     dtick=max(1, math.ceil(span / max_ticks)) if span >= 2 else None)
    return axis_spec


#: The colours of a figure that stands alone (an exported file): on the page, the
#: theme's colours show instead (views.style.themed, the stage).
STANDALONE_COLORS = {"paper_bgcolor": "white", "plot_bgcolor": "#f4f4f4"}
STANDALONE_TEXT = "#222"


def base_layout(font_scale: float = 1.0, **extra) -> dict:
    """What every figure's layout starts from: the font, transparent backgrounds (the
    page's theme shows through), closest-point hover and panning."""
    return {"font": {"family": FONT, "size": 13 * font_scale},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
            "hovermode": "closest", "dragmode": "pan", **extra}


class Traces:
    """A figure's traces in drawing order, and the indices its frames update.

    ``add`` appends a trace with a role: ``"moving"`` (every frame updates it, in the
    order added) or static. A static trace on one of ``clickable_axes`` (x axis names)
    is "touched": every frame gives it an empty update, because plotly.js fails on clicks
    on a trace that the frames never touched once an animation has played.
    """

    def __init__(self, clickable_axes: tuple[str, ...] = ("x",)):
        self.data: list[dict] = []
        self.moving: list[int] = []
        self.touched: list[int] = []
        self.clickable_axes = clickable_axes

    def add(self, trace: dict, moving: bool = False, touched: bool | None = None) -> int:
        """Append ``trace``; ``touched`` overrides the rule of ``clickable_axes`` for a
        static trace."""
        self.data.append(trace)
        index = len(self.data) - 1
        if touched is None:
            touched = trace.get("xaxis") in self.clickable_axes
        if moving:
            self.moving.append(index)
        elif touched:
            self.touched.append(index)
        return index

    def add_all(self, traces: list[dict], touched: bool | None = None) -> None:
        """Append static ``traces`` in order."""
        for trace in traces:
            self.add(trace, touched=touched)

    def frame(self, name: str, updates: list[dict]) -> dict:
        """One animation frame: ``updates`` of the moving traces, in their order."""
        if len(updates) != len(self.moving):
            raise ValueError(f"{len(updates)} updates for {len(self.moving)} moving traces")
        return {"name": name, "data": updates + [{} for _ in self.touched],
                "traces": self.moving + self.touched}


def colorbar(title: str, x: float, y_domain, **extra) -> dict:
    """A colour bar left-anchored at ``x`` (paper), as tall as ``y_domain``."""
    return {"title": {"text": title, "side": "right"}, **extra, "x": x, "xanchor": "left",
            "len": y_domain[1] - y_domain[0], "y": y_domain[0], "yanchor": "bottom",
            "thickness": 12}


def colorbar_trace(vmin: float, vmax: float, colorscale: list, title: str, x: float,
                   y_domain, axes: tuple[str, str] = ("x", "y")) -> dict:
    """An invisible trace that carries the colour bar of a map drawn as an image."""
    return {"type": "scatter", "x": [None], "y": [None], "mode": "markers",
            "hoverinfo": "skip", "showlegend": False, "xaxis": axes[0], "yaxis": axes[1],
            "marker": {"color": [vmin, vmax], "cmin": vmin, "cmax": vmax, "showscale": True,
                       "colorscale": colorscale,
                       "colorbar": colorbar(title, x, y_domain)}}


def haloed_path(path: np.ndarray, style: dict, name: str, group: str, font_scale: float = 1.0,
                axes: tuple[str, str] = ("x", "y")) -> list[dict]:
    """A whole path as two traces: a white halo (so it reads on any background) and the
    line itself in the racer's colour and dash."""
    fs = font_scale
    common = {"type": "scatter", "x": typed_array(path[:, 0]), "y": typed_array(path[:, 1]),
              "mode": "lines", "legendgroup": group, "xaxis": axes[0], "yaxis": axes[1],
              "hoverinfo": "skip"}
    return [{**common, "showlegend": False, "opacity": 0.7,
             "line": {"color": "white", "width": 4.5 * fs}},
            {**common, "name": name, "opacity": 0.9,
             "line": {"color": style["color"], "width": 2 * fs, "dash": style["dash"]}}]


def chart_line(values: np.ndarray, end: int, style: dict, group: str,
               font_scale: float = 1.0) -> dict:
    """A racer's metric on the step chart (x2, y2), steps 0 to ``end``."""
    return {"type": "scatter", "x": typed_array(np.arange(end + 1)),
            "y": typed_array(values[: end + 1]), "mode": "lines", "showlegend": False,
            "legendgroup": group, "xaxis": "x2", "yaxis": "y2", "hoverinfo": "skip",
            "line": {"color": style["color"], "width": 2.5 * font_scale, "dash": style["dash"]}}


def marker_trace(x, y, style: dict, name: str, group: str, hover: str, size: float,
                 axes: tuple[str, str] = ("x", "y"), halo: float = 1.5) -> dict:
    """One racer's marker (its symbol and colour, with a white rim)."""
    return {"type": "scatter", "x": x, "y": y, "mode": "markers", "showlegend": False,
            "legendgroup": group, "xaxis": axes[0], "yaxis": axes[1], "name": name,
            "marker": {"symbol": style["symbol"], "size": size, "color": style["color"],
                       "line": {"color": "white", "width": halo}},
            "hovertemplate": hover}


#: The hover of a start marker.
START_HOVER = "start (%{x:.3f}, %{y:.3f})<extra></extra>"


def landmark_trace(point, kind: str, font_scale: float = 1.0, *, name: str = "",
                   hover: str = "", axes: tuple[str, str] = ("x", "y"),
                   showlegend: bool = False, group: str = "",
                   size: float | None = None) -> dict:
    """A landmark on a map: ``"minimum"`` (a white star), ``"saddle"`` (a thin cross) or
    ``"start"`` (an open circle). It hovers as its name and where it is, unless ``hover``
    says otherwise; ``size`` replaces the kind's own (scaled) size."""
    fs = font_scale
    marker = {
        "minimum": {"symbol": "star", "size": 16 * fs, "color": "white",
                    "line": {"color": "black", "width": 1.5}},
        "saddle": {"symbol": "x-thin", "size": 12 * fs, "line": {"color": "#333", "width": 2}},
        "start": {"symbol": "circle-open", "size": 16 * fs, "color": "black",
                  "line": {"color": "black", "width": 2.5}},
    }[kind]
    if size is not None:
        marker["size"] = size
    name = name or {"minimum": "global minimum", "saddle": "saddle point", "start": "start"}[kind]
    x, y = float(point[0]), float(point[1])
    trace = {"type": "scatter", "x": [x], "y": [y], "mode": "markers", "name": name,
             "showlegend": showlegend, "xaxis": axes[0], "yaxis": axes[1], "marker": marker,
             "hovertemplate": hover or f"{name} ({x:.4g}, {y:.4g})<extra></extra>"}
    if group:
        trace["legendgroup"] = group
    return trace


def end_of(run, steps: int) -> int:
    """The last step drawn of ``run`` (anything with a ``diverged_at``, None for never):
    where it diverged, or its last step."""
    return run.diverged_at if run.diverged_at is not None else steps
