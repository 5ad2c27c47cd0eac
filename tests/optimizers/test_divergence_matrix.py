"""Every landscape × every optimizer × learning rates from 1e-6 to 1e2: divergence is
data, never an exception, never a NaN, and a diverged point stays where it was. (That a
race of such runs still draws is tests/views/test_race.py's.)

One compiled program per (optimizer, surface) is most of the cost. The optimizers of
that race run one learning rate per call, the very programs the race reuses; the others
run all their learning rates in one fused race per surface (``optimizers.race``: the
same update step, one program for all of them).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS, Trajectory, race, simulate
from tests.helpers import DIVERGENCE_STEPS, DIVERGING_RACE

#: One compile per (optimizer, surface) pair: the slow layer's.
pytestmark = pytest.mark.slow

LRS = np.array([1e-6, 1e-4, 1e-2, 1.0, 1e2], dtype=np.float32)
STEPS = DIVERGENCE_STEPS
FUSED = tuple(slug for slug in sorted(OPTIMIZERS) if slug not in DIVERGING_RACE)


def learning_rates(slug: str) -> np.ndarray:
    lr = OPTIMIZERS[slug].hparams["learning_rate"]
    return np.clip(LRS, lr.low, lr.high)


def rows(batch: Trajectory) -> list[Trajectory]:
    """A batched trajectory as the single runs it holds."""
    return [Trajectory(batch.path[i], batch.loss[i], batch.grad_norm[i],
                       batch.learning_rate[i],
                       None if batch.diverged_at[i] < 0 else int(batch.diverged_at[i]))
            for i in range(batch.path.shape[0])]


@functools.cache
def fused(surface: str) -> dict[str, list[Trajectory]]:
    entries = [(slug, {"learning_rate": learning_rates(slug)}) for slug in FUSED]
    batches = race(LANDSCAPES[surface], entries, None, STEPS)
    return {slug: rows(batch) for slug, batch in zip(FUSED, batches, strict=True)}


def runs(surface: str, slug: str) -> list[Trajectory]:
    if slug in FUSED:
        return fused(surface)[slug]
    return [simulate(LANDSCAPES[surface], slug, {"learning_rate": float(value)}, None, STEPS)
            for value in learning_rates(slug)]


@pytest.mark.parametrize("surface", sorted(LANDSCAPES))
@pytest.mark.parametrize("slug", sorted(OPTIMIZERS))
def test_every_learning_rate_is_survivable(surface, slug):
    ls = LANDSCAPES[surface]
    trajectories = runs(surface, slug)
    assert len(trajectories) == len(LRS)
    for traj, value in zip(trajectories, learning_rates(slug), strict=True):
        assert traj.path.shape == (STEPS + 1, 2)
        np.testing.assert_array_equal(traj.learning_rate, np.float32(value))
        assert np.isfinite(traj.path).all() and np.isfinite(traj.loss).all()
        assert np.isfinite(traj.grad_norm).all()
        k = traj.diverged_at
        if k is not None:
            # frozen from the diverging step on, at the last good point
            assert k >= 1 and (traj.path[k:] == traj.path[k - 1]).all()
        else:
            assert (np.abs(traj.path - np.asarray(ls.center)) <= ls.escape_radius).all()
