"""Every landscape × every optimizer × learning rates from 1e-6 to 1e2: divergence is
data, never an exception, never a NaN, and a diverged point stays where it was. (That a
race of such runs still draws is tests/views/test_race.py's.)

Compiling is the whole cost, so each optimizer runs every surface through one program:
the surfaces' losses stand behind one ``lax.switch`` on a traced index (a landscape
parameter, like κ), while each surface keeps its own start, domain, escape box and
parameter values. The engine sees one loss function, so one compile per optimizer serves
all fourteen surfaces and all five learning rates (a batch). That the switched loss is
each surface's own is checked against the plain landscapes below.
"""

from __future__ import annotations

import dataclasses
import functools
from types import MappingProxyType

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hparam import HParam
from landscapes import LANDSCAPES, Landscape
from optimizers import OPTIMIZERS, Trajectory, simulate
from tests.helpers import DIVERGENCE_STEPS

#: One compile per optimizer (all surfaces in it): the slow layer's.
pytestmark = pytest.mark.slow

LRS = np.array([1e-6, 1e-4, 1e-2, 1.0, 1e2], dtype=np.float32)
STEPS = DIVERGENCE_STEPS
SURFACES = tuple(sorted(LANDSCAPES))


def _own(landscape: Landscape, params):
    return {name: params[f"{landscape.slug}.{name}"] for name in landscape.params}


def _loss_branch(landscape: Landscape):
    return lambda p, params, key: landscape.loss(p, _own(landscape, params))


def _stochastic_branch(landscape: Landscape):
    if landscape.stochastic_loss is None:  # the exact loss is its own minibatch
        return _loss_branch(landscape)
    return lambda p, params, key: landscape.stochastic_loss(p, _own(landscape, params), key)


def _switched(branches):
    def loss(p, params, key=None):
        return jax.lax.switch(params["surface"].astype(jnp.int32), branches, p, params, key)
    return loss


SWITCHED_LOSS = _switched([_loss_branch(LANDSCAPES[s]) for s in SURFACES])
SWITCHED_MINIBATCH = _switched([_stochastic_branch(LANDSCAPES[s]) for s in SURFACES])
SWITCHED_PARAMS = MappingProxyType({
    "surface": HParam(0, 0, len(SURFACES) - 1, integer=True),
    **{f"{s}.{name}": spec for s in SURFACES for name, spec in LANDSCAPES[s].params.items()},
})


def on_the_shared_program(surface: str) -> Landscape:
    """``surface`` as one branch of the switched loss: its own start, domain and box."""
    values = {"surface": float(SURFACES.index(surface))}
    values.update({f"{s}.{name}": v for s in SURFACES
                   for name, v in LANDSCAPES[s].param_values.items()})
    return dataclasses.replace(LANDSCAPES[surface], loss=SWITCHED_LOSS,
                               stochastic_loss=SWITCHED_MINIBATCH, params=SWITCHED_PARAMS,
                               values=tuple(values.items()), derive=None, panel=None)


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
def survey(slug: str) -> dict[str, list[Trajectory]]:
    """Every surface's runs of ``slug`` at every learning rate (one compiled program)."""
    hparams = {"learning_rate": learning_rates(slug)}
    return {s: rows(simulate(on_the_shared_program(s), slug, hparams, None, STEPS))
            for s in SURFACES}


@pytest.mark.parametrize("slug", sorted(OPTIMIZERS))
@pytest.mark.parametrize("surface", SURFACES)
def test_every_learning_rate_is_survivable(slug, surface):
    ls = LANDSCAPES[surface]
    trajectories = survey(slug)[surface]
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


@pytest.mark.parametrize("surface", ["rosenbrock", "quadratic", "logistic"])
def test_the_shared_program_runs_each_surfaces_own_loss(surface):
    """A plain surface, one with parameters, one with minibatches: the same runs."""
    slug = "sgd"
    hparams = {"learning_rate": learning_rates(slug)}
    plain = rows(simulate(LANDSCAPES[surface], slug, hparams, None, STEPS))
    for mine, theirs in zip(survey(slug)[surface], plain, strict=True):
        np.testing.assert_allclose(mine.path, theirs.path, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(mine.loss, theirs.loss, rtol=1e-6, atol=1e-7)
        assert mine.diverged_at == theirs.diverged_at  # the escape box is the surface's
