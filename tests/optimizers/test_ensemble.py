"""An ensemble is its members: each run follows the member its ``which`` picks, at that
member's own hyperparameters. (The divergence matrix checks members of every kind
against their plain runs on its shared program.)"""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS, simulate
from optimizers.ensemble import WHICH, ensemble, groups, member_key

PAIR = ("sgd", "momentum")
QUADRATIC = LANDSCAPES["quadratic"]


def test_an_ensemble_declares_every_members_hyperparameters():
    spec = ensemble(("adam", "lbfgs", "newton"))
    assert spec is ensemble(("adam", "lbfgs", "newton"))  # one spec, one compiled program
    assert spec.needs == {"value", "hessian"}
    assert spec.hparams[WHICH].high == 2 and spec.hparams[WHICH].integer
    for i, slug in enumerate(("adam", "lbfgs", "newton")):
        for name, hp in OPTIMIZERS[slug].hparams.items():
            if name != "learning_rate":
                assert spec.hparams[member_key(i, name)] == hp
    rate = spec.hparams["learning_rate"]
    assert rate.low == min(OPTIMIZERS[s].hparams["learning_rate"].low
                           for s in ("adam", "lbfgs", "newton"))


def test_each_run_follows_its_member_at_its_own_hyperparameters():
    runs = simulate(QUADRATIC, ensemble(PAIR), {
        WHICH: np.array([0, 1, 1], np.float32),
        "learning_rate": np.array([0.05, 0.01, 0.01], np.float32),
        member_key(1, "momentum"): np.array([0.9, 0.9, 0.5], np.float32)}, None, 30)
    alone = [simulate(QUADRATIC, "sgd", {"learning_rate": 0.05}, None, 30),
             simulate(QUADRATIC, "momentum", {"learning_rate": np.array([0.01, 0.01]),
                                              "momentum": np.array([0.9, 0.5])}, None, 30)]
    expected = np.concatenate([alone[0].path[None], alone[1].path])
    np.testing.assert_allclose(runs.path, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(runs.path[1], runs.path[2])  # β moved the second member


def test_an_unknown_member_is_refused():
    with pytest.raises(KeyError):
        ensemble(("sgd", "no_such_optimizer"))


def test_groups_cover_the_slugs_in_order_evenly():
    slugs = tuple(sorted(OPTIMIZERS))
    parts = groups(slugs, 12)
    assert sum(parts, ()) == slugs
    assert max(map(len, parts)) <= 12 and max(map(len, parts)) - min(map(len, parts)) <= 1
    assert groups(("sgd",)) == (("sgd",),)
