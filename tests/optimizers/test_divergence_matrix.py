"""Every landscape × every optimizer × learning rates from 1e-6 to 1e2: divergence is
data, never an exception, never a NaN, and a diverged point stays where it was. (That a
race of such runs still draws is tests/views/test_race.py's.)"""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS, simulate

LRS = np.array([1e-6, 1e-4, 1e-2, 1.0, 1e2], dtype=np.float32)
STEPS = 40


@pytest.mark.parametrize("surface", sorted(LANDSCAPES))
@pytest.mark.parametrize("slug", sorted(OPTIMIZERS))
def test_every_learning_rate_is_survivable(surface, slug):
    ls = LANDSCAPES[surface]
    spec = OPTIMIZERS[slug]
    lr = spec.hparams["learning_rate"]
    # one run per call: the same compiled program as the race of diverging optimizers in
    # the views' tests (a batch of five would compile another), which keeps this matrix
    # affordable
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
