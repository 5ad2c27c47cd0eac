"""Every landscape × every optimizer × learning rates from 1e-6 to 1e2: divergence is
data, never an exception, never a NaN on screen, and the figure is still built."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from compute import compute_race
from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS, simulate
from scene import MAX_OPTIMIZERS, Racer, Scene
from views import race_figure

LRS = np.array([1e-6, 1e-4, 1e-2, 1.0, 1e2], dtype=np.float32)
STEPS = 40


@pytest.mark.parametrize("surface", sorted(LANDSCAPES))
@pytest.mark.parametrize("slug", sorted(OPTIMIZERS))
def test_every_learning_rate_is_survivable(surface, slug):
    ls = LANDSCAPES[surface]
    spec = OPTIMIZERS[slug]
    lr = spec.hparams["learning_rate"]
    # one run per call: the same compiled program as the race below (a batch of five
    # would compile another), which keeps this matrix affordable
    for value in np.clip(LRS, lr.low, lr.high):
        traj = simulate(ls, slug, {"learning_rate": float(value)}, None, STEPS)
        assert np.isfinite(traj.path).all() and np.isfinite(traj.loss).all()
        assert np.isfinite(traj.grad_norm).all()
        k = traj.diverged_at
        if k is not None:
            # frozen from the diverging step on, at the last good point
            assert k >= 1 and (traj.path[k:] == traj.path[k - 1]).all()
        else:
            assert (np.abs(traj.path - np.asarray(ls.center)) <= ls.escape_radius).all()


def _refuse(token: str):
    raise AssertionError(f"{token} in the figure JSON")


def _explosive(slug: str) -> Racer:
    spec = OPTIMIZERS[slug]
    values = spec.defaults()
    values["learning_rate"] = spec.hparams["learning_rate"].high
    return Racer(slug, tuple(sorted(values.items())))


@pytest.mark.parametrize("surface", sorted(LANDSCAPES))
def test_a_race_of_diverging_optimizers_still_draws(surface):
    slugs = ["sgd", "momentum", "adam", "rmsprop", "lion", "newton", "adagrad", "yogi"]
    assert len(slugs) == MAX_OPTIMIZERS
    scene = Scene.of(surface=surface, racers=tuple(_explosive(s) for s in slugs), steps=STEPS)
    result = compute_race(scene.setup)
    assert any(run.diverged_at is not None for run in result.runs)
    for view in ("contour", "3d"):
        fig = race_figure(result, view=view)
        go.Figure(fig)  # plotly accepts it
        # NaN / Infinity tokens would break the browser's JSON.parse (base64 is opaque)
        json.loads(pio.to_json(fig, validate=False), parse_constant=_refuse)
