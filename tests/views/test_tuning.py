"""A tuned race shown (views/tuning.py): the small curves show each racer's sweep, and the
rate they ring is the argmin, by the criterion, of the very points they draw; diverged
runs are marked and never ringed; a racer that kept its own rate says why, in the
figure, the table and the words."""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go

from compute import tune
from compute.tuning import Sweep, Tuning
from scene import Racer, Scene
from tests.helpers import array, assert_all_finite
from views.tuning import (
    criterion_words,
    slider_note,
    sweep_note,
    tuning_figure,
    tuning_rows,
)

NAMES = ["SGD", "Momentum"]


@functools.cache
def real_tuning(criterion: str = "final") -> Tuning:
    """SGD and momentum on the quadratic, 60 steps: the largest rates diverge."""
    return tune(Scene.of(surface="quadratic", steps=60, tune=criterion,
                         racers=(Racer.default("sgd"), Racer.default("momentum"))).setup)


def kept_tuning(criterion: str = "reach") -> Tuning:
    """Two racers by hand: the first all diverged, the second never reached tol."""
    lrs = np.geomspace(1e-5, 10, 8)
    diverged = Sweep(racer=0, lrs=lrs, final_gap=np.linspace(1, 8, 8),
                     reached_at=np.full(8, -1), diverged_at=np.arange(1, 9), chosen=None,
                     own=0.002)
    unreached = Sweep(racer=1, lrs=lrs, final_gap=np.linspace(1, 8, 8),
                      reached_at=np.full(8, -1), diverged_at=np.full(8, -1), chosen=None,
                      own=0.05)
    return Tuning(criterion=criterion, tol=1e-4, steps=60, f_star=0.0, f_star_known=True,
                  sweeps=(diverged, unreached))


def panel(fig: dict, k: int) -> list[dict]:
    axis = "x" if k == 0 else f"x{k + 1}"
    return [t for t in fig["data"] if t["xaxis"] == axis]


def by_name(traces: list[dict], name: str) -> list[dict]:
    return [t for t in traces if t.get("name", "").startswith(name)]


def test_the_ringed_rate_is_the_argmin_of_the_points_drawn():
    tuning = real_tuning()
    fig = tuning_figure(tuning, NAMES)
    go.Figure(fig)  # plotly accepts it
    assert_all_finite(fig)
    for k, sweep in enumerate(tuning.sweeps):
        traces = panel(fig, k)
        (curve,) = by_name(traces, "final")
        (crosses,) = by_name(traces, "diverged")
        (ring,) = by_name(traces, "chosen")
        x, y = array(curve["x"]), array(curve["y"])
        assert x.size + array(crosses["x"]).size == sweep.lrs.size
        # recomputed from what is drawn: the lowest final f − f* among the finite runs
        assert np.float32(ring["x"][0]) == x[np.argmin(y)]
        assert ring["y"][0] == y.min()
        assert ring["x"][0] not in array(crosses["x"]).tolist()
        np.testing.assert_allclose(ring["x"][0], sweep.learning_rate, rtol=1e-6)


def test_under_reach_the_ring_is_the_fewest_steps_of_the_points_drawn():
    """Each finite point carries its step to tolerance (hover, and a filled marker where
    it reached); the ring is the fewest steps, ties to the lowest final f − f*."""
    tuning = real_tuning("reach")
    fig = tuning_figure(tuning, NAMES)
    go.Figure(fig)
    for k, sweep in enumerate(tuning.sweeps):
        (curve,) = by_name(panel(fig, k), "final")
        x, y = array(curve["x"]), array(curve["y"])
        steps = np.asarray(curve["customdata"])
        assert curve["marker"]["symbol"] == ["circle" if n >= 0 else "circle-open"
                                             for n in steps]
        reached = np.flatnonzero(steps >= 0)
        fewest = reached[steps[reached] == steps[reached].min()]
        best = fewest[np.argmin(y[fewest])]
        (ring,) = by_name(panel(fig, k), "chosen")
        assert np.float32(ring["x"][0]) == x[best]
        assert sweep.reached_at[sweep.chosen] == steps[best]


def test_each_panel_is_titled_with_its_racer_and_chosen_rate():
    tuning = real_tuning()
    titles = [a["text"] for a in tuning_figure(tuning, NAMES)["layout"]["annotations"]]
    for title, name, sweep in zip(titles, NAMES, tuning.sweeps, strict=True):
        assert title.startswith(f"<b>{name}</b><br>")
        assert f"η = {sweep.learning_rate:.3g}" in title
    assert tuning_figure(tuning, NAMES)["layout"]["xaxis"]["type"] == "log"
    assert tuning_figure(tuning, NAMES)["layout"]["yaxis"]["type"] == "log"


def test_a_racer_that_kept_its_rate_says_why_and_rings_nothing():
    tuning = kept_tuning()
    fig = tuning_figure(tuning, NAMES)
    go.Figure(fig)
    assert not by_name(fig["data"], "chosen")
    assert len(array(by_name(panel(fig, 0), "diverged")[0]["x"])) == 8
    titles = [a["text"] for a in fig["layout"]["annotations"]]
    assert "own η = 0.002 kept" in titles[0] and "own η = 0.05 kept" in titles[1]
    first, second = tuning.sweeps
    assert sweep_note(first, tuning) == "kept its own: all 8 runs diverged"
    assert sweep_note(second, tuning) == ("kept its own: no run reached f − f* < 0.0001 "
                                          "without diverging")
    assert slider_note(first, tuning) == ("Tuning is on, but all 8 runs diverged: the race "
                                          "keeps this slider's η = 0.002.")
    rows = tuning_rows(tuning, NAMES)
    assert [r["η in the race"] for r in rows] == ["0.002", "0.05"]
    assert [r["at that η"] for r in rows] == ["—", "—"]


def test_the_words_name_the_criterion_and_its_tolerance():
    final = criterion_words(real_tuning())
    assert "lowest final f − f* after 60 steps" in final and "64 learning rates" in final
    assert "never chosen" in final and "surface's minimum" in final
    reach = criterion_words(kept_tuning("reach"))
    assert "fewest steps to f − f* < 0.0001" in reach and "filled points" in reach
    assert "filled points" not in final
    rows = tuning_rows(real_tuning(), NAMES)
    for row, sweep in zip(rows, real_tuning().sweeps, strict=True):
        assert row["η in the race"] == f"{sweep.learning_rate:.3g}"
        assert row["chosen"] == "the best of 64"
        assert slider_note(sweep, real_tuning()) == (
            f"Tuning is on: the race runs at the tuned η = {sweep.learning_rate:.3g}, not at "
            "this slider's value.")


def test_an_unknown_minimum_is_said_and_the_grid_value_named():
    tuning = kept_tuning("final")
    unknown = Tuning(criterion="final", tol=1e-3, steps=60, f_star=-2.5, f_star_known=False,
                     sweeps=tuning.sweeps)
    words = criterion_words(unknown)
    assert "not known" in words and "-2.5" in words
    assert "f* = the lowest f on the map" in tuning_figure(unknown, NAMES)["layout"][
        "title"]["text"]
    assert "lowest f on the map" not in tuning_figure(tuning, NAMES)["layout"]["title"]["text"]
