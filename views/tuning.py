"""A tuned race in words and in small curves: the criterion, each racer's chosen learning
rate (or why it kept its own), and one panel per racer of its sweep, final f − f* against
the learning rate on log-log axes, diverged runs marked ×, the chosen rate ringed.

Pure functions of a ``compute.Tuning`` (numpy); racers are named by position, as
``names[i]`` names ``setup.racers[i]``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from compute.tuning import Sweep, Tuning
from views.figure import axis, base_layout, log_axis, log_range, typed_array
from views.studies import FLOOR
from views.style import style_of

#: Panels per row of the small curves.
COLUMNS = 4
GAP = "f − f*"
DIVERGED_COLOR = "#D55E00"
CHOSEN_COLOR = "#000000"
OWN_COLOR = "#777777"


def _eta(value: float) -> str:
    return f"{value:.3g}"


def gap_label(tuning: Tuning) -> str:
    """What f − f* means here (f* is not always the surface's minimum)."""
    return GAP if tuning.f_star_known else f"{GAP} (f* = the lowest f on the map)"


def criterion_words(tuning: Tuning) -> str:
    """The rule that chose the rates, in one sentence a student reads."""
    lrs = tuning.sweeps[0].lrs.size if tuning.sweeps else 0
    goal = (f"the lowest final f − f* after {tuning.steps} steps"
            if tuning.criterion == "final" else
            f"the fewest steps to f − f* < {tuning.tol:g} (ties: the lower final f − f*)")
    star = ("f* is the surface's minimum value" if tuning.f_star_known else
            f"this surface's minimum is not known: f* = {tuning.f_star:.6g}, the lowest f "
            "on the map's grid")
    filled = (" In the curves, filled points reached the tolerance, open ones did not."
              if tuning.criterion == "reach" else "")
    return (f"**Tuned learning rates.** Each optimizer races at its own best of {lrs} "
            "learning rates, log-spaced over its slider's range, with everything else as "
            f"set: {goal}. Runs that diverged are never chosen; {star}.{filled}")


def _kept_because(sweep: Sweep, tuning: Tuning) -> str:
    if (sweep.diverged_at >= 0).all():
        return f"all {sweep.lrs.size} runs diverged"
    if tuning.criterion == "reach":
        return f"no run reached f − f* < {tuning.tol:g} without diverging"
    return "no run ended with a finite loss"


def sweep_note(sweep: Sweep, tuning: Tuning) -> str:
    """How this racer's rate was settled, in words."""
    if sweep.chosen is not None:
        return f"the best of {sweep.lrs.size}"
    return f"kept its own: {_kept_because(sweep, tuning)}"


def slider_note(sweep: Sweep, tuning: Tuning) -> str:
    """What the racer's learning-rate slider says while tuning is on."""
    if sweep.chosen is not None:
        return (f"Tuning is on: the race runs at the tuned η = {_eta(sweep.learning_rate)}, "
                "not at this slider's value.")
    return (f"Tuning is on, but {_kept_because(sweep, tuning)}: the race keeps this "
            f"slider's η = {_eta(sweep.own)}.")


def _outcome(sweep: Sweep, tuning: Tuning) -> str:
    if sweep.chosen is None:
        return "—"
    gap = f"final {gap_label(tuning)} = {sweep.final_gap[sweep.chosen]:.3g}"
    reached = int(sweep.reached_at[sweep.chosen])
    if tuning.criterion == "reach":
        return f"reached f − f* < {tuning.tol:g} at step {reached}; {gap}"
    return gap


def tuning_rows(tuning: Tuning, names: Sequence[str]) -> list[dict[str, str]]:
    """One row per racer: its learning rate in the race, how it was chosen, and what the
    chosen run achieved."""
    return [{"optimizer": names[s.racer], "η in the race": _eta(s.learning_rate),
             "its own η": _eta(s.own), "chosen": sweep_note(s, tuning),
             "at that η": _outcome(s, tuning)}
            for s in tuning.sweeps]


#: Pixels: each panel's plot height, the room between rows (tick labels, the η title and
#: the next row's panel title), and the figure's margins above and below.
PANEL_HEIGHT, ROW_GAP, TOP, BOTTOM = 210, 95, 110, 50


def _height(rows: int) -> int:
    return TOP + BOTTOM + rows * PANEL_HEIGHT + (rows - 1) * ROW_GAP


def _panel_axes(k: int, rows: int) -> tuple[list[float], list[float]]:
    """The paper domains (x, y) of panel ``k`` in a grid of ``COLUMNS`` × ``rows``."""
    col, row = k % COLUMNS, k // COLUMNS
    gap_x = 0.09
    width = (1 - gap_x * (COLUMNS - 1)) / COLUMNS
    plot = rows * PANEL_HEIGHT + (rows - 1) * ROW_GAP
    y1 = 1 - row * (PANEL_HEIGHT + ROW_GAP) / plot
    x0 = col * (width + gap_x)
    return [x0, x0 + width], [y1 - PANEL_HEIGHT / plot, y1]


def _panel_traces(sweep: Sweep, tuning: Tuning, color: str, axes: tuple[str, str],
                  top: float, first: bool) -> list[dict]:
    """One racer's sweep: the finite runs, the diverged ones (× at ``top``), the chosen
    rate ringed and its own rate as a dashed line."""
    lrs = np.asarray(sweep.lrs, dtype=np.float64)
    gap = np.maximum(np.asarray(sweep.final_gap, dtype=np.float64), FLOOR)
    ok = sweep.diverged_at < 0
    xa, ya = axes
    common = {"type": "scatter", "xaxis": xa, "yaxis": ya}
    traces = [{**common, "x": typed_array(lrs[ok]), "y": typed_array(gap[ok]),
               "customdata": sweep.reached_at[ok].astype(np.float32),
               "text": [f"reached {GAP} < {tuning.tol:g} at step {k}" if k >= 0 else
                        f"never {GAP} < {tuning.tol:g}" for k in sweep.reached_at[ok]],
               "mode": "lines+markers", "name": f"final {GAP}", "showlegend": False,
               "line": {"color": color, "width": 2},
               "marker": {"size": 5, "color": color, "symbol": _symbols(sweep, tuning, ok)},
               "hovertemplate": f"η = %{{x:.4g}}<br>final {GAP} = %{{y:.3g}}<br>%{{text}}"
                                "<extra></extra>"}]
    if (~ok).any():
        traces.append({**common, "x": typed_array(lrs[~ok]),
                       "y": typed_array(np.full(int((~ok).sum()), top)),
                       "customdata": sweep.diverged_at[~ok].astype(np.float32),
                       "mode": "markers", "name": "diverged", "legendgroup": "diverged",
                       "showlegend": first,
                       "marker": {"symbol": "x", "size": 7, "color": DIVERGED_COLOR},
                       "hovertemplate": "η = %{x:.4g}<br>diverged at step %{customdata}"
                                        "<extra></extra>"})
    if sweep.chosen is not None:
        c = sweep.chosen
        traces.append({**common, "x": [float(lrs[c])], "y": [float(gap[c])],
                       "mode": "markers", "name": "chosen η", "legendgroup": "chosen",
                       "showlegend": first,
                       "marker": {"symbol": "circle-open", "size": 15, "color": CHOSEN_COLOR,
                                  "line": {"width": 2.5, "color": CHOSEN_COLOR}},
                       "cliponaxis": False,
                       "hovertemplate": f"chosen η = %{{x:.4g}}<br>final {GAP} = "
                                        "%{y:.3g}<extra></extra>"})
    return traces


def _symbols(sweep: Sweep, tuning: Tuning, ok: np.ndarray) -> str | list[str]:
    """The finite runs' markers: under ``reach``, filled where the run reached the
    tolerance and open where it did not (only filled ones can be chosen)."""
    if tuning.criterion != "reach":
        return "circle"
    return ["circle" if k >= 0 else "circle-open" for k in sweep.reached_at[ok]]


def _own_line(sweep: Sweep, axes: tuple[str, str], y_range: list[float],
              first: bool) -> list[dict]:
    if not sweep.lrs[0] <= sweep.own <= sweep.lrs[-1]:
        return []
    return [{"type": "scatter", "x": [sweep.own, sweep.own],
             "y": [10 ** y_range[0], 10 ** y_range[1]], "mode": "lines", "name": "own η",
             "legendgroup": "own", "showlegend": first, "xaxis": axes[0], "yaxis": axes[1],
             "line": {"color": OWN_COLOR, "width": 1.5, "dash": "dash"},
             "hovertemplate": "own η = %{x:.4g}<extra></extra>"}]


def _title(name: str, sweep: Sweep, x_domain: list[float], y_top: float) -> dict:
    chosen = (f"η = {_eta(sweep.learning_rate)}" if sweep.chosen is not None
              else f"own η = {_eta(sweep.own)} kept")
    return {"text": f"<b>{name}</b><br>{chosen}", "xref": "paper", "yref": "paper",
            "x": (x_domain[0] + x_domain[1]) / 2, "y": y_top, "yanchor": "bottom",
            "yshift": 4, "showarrow": False, "font": {"size": 13}}


def tuning_figure(tuning: Tuning, names: Sequence[str]) -> dict:
    """The small curves: one panel per racer, final f − f* against η (log-log)."""
    n = len(tuning.sweeps)
    rows = max(1, math.ceil(n / COLUMNS))
    data, annotations, layout = [], [], {}
    for k, sweep in enumerate(tuning.sweeps):
        suffix = "" if k == 0 else str(k + 1)
        axes = (f"x{suffix}", f"y{suffix}")
        x_domain, y_domain = _panel_axes(k, rows)
        ok = sweep.diverged_at < 0
        y_range = log_range(np.maximum(sweep.final_gap[ok], FLOOR), min_pad=0.3)
        top = 10 ** (y_range[1] - 0.04 * (y_range[1] - y_range[0]))
        first = k == 0
        data += _panel_traces(sweep, tuning, style_of(sweep.racer)["color"], axes, top, first)
        data += _own_line(sweep, axes, y_range, first)
        span = np.log10([sweep.lrs[0], sweep.lrs[-1]])
        pad = 0.06 * (span[1] - span[0])
        layout[f"xaxis{suffix}"] = axis("η", type="log", exponentformat="power",
                                        range=[span[0] - pad, span[1] + pad],
                                        domain=x_domain, anchor=axes[1], dtick=2)
        layout[f"yaxis{suffix}"] = log_axis(
            axis(f"final {GAP}" if k % COLUMNS == 0 else "", domain=y_domain,
                 anchor=axes[0]), y_range, max_ticks=4)
        annotations.append(_title(names[sweep.racer], sweep, x_domain, y_domain[1]))
    height = _height(rows)
    # from the top: the title, the legend under it, then each panel's own title
    return {"data": data, "layout": base_layout(
        **layout, annotations=annotations, height=height, showlegend=True,
        margin={"l": 70, "r": 20, "t": TOP, "b": BOTTOM},
        legend={"orientation": "h", "x": 0, "xref": "paper", "y": 1 - 40 / height,
                "yref": "container", "yanchor": "top"},
        title={"text": f"Final {gap_label(tuning)} after {tuning.steps} steps against the "
                       "learning rate", "x": 0, "xref": "paper", "y": 1 - 12 / height,
               "yref": "container", "yanchor": "top", "font": {"size": 15}})}
