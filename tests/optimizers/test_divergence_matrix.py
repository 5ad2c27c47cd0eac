"""Every landscape × every optimizer × learning rates from 1e-6 to 1e2: divergence is
data, never an exception, never a NaN, and a diverged point stays where it was. (That a
race of such runs still draws is tests/views/test_race.py's.)

Compiling is the whole cost, and a program's compile time is the sum of what it holds,
so the whole matrix is one program: the surfaces' losses stand behind one
``lax.switch`` on a traced index (a landscape parameter, like κ), each surface keeping
its own start, domain, escape box and parameter values, and the optimizers are
``optimizers.ensemble``s whose traced ``which`` picks each run's optimizer (a few
ensembles of a dozen: compile time grows faster than the members, see
``MEMBERS_PER_PROGRAM``). One batch per surface and ensemble holds its optimizers at
every learning rate. Each ensemble is a unit of work of its own (tests/conftest.py reads
``GROUP_OF``). That the switched loss is each
surface's own, and an ensemble member's run the optimizer's own, is checked below.
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
from optimizers.ensemble import WHICH, ensemble, groups
from tests.helpers import DIVERGENCE_STEPS, single_runs

#: One program for the whole matrix: the slow layer's.
pytestmark = pytest.mark.slow

LRS = np.array([1e-6, 1e-4, 1e-2, 1.0, 1e2], dtype=np.float32)
STEPS = DIVERGENCE_STEPS
SURFACES = tuple(sorted(LANDSCAPES))
CATALOGUE = tuple(sorted(OPTIMIZERS))
GROUPS = groups(CATALOGUE)
#: Each optimizer's ensemble, by its index in ``GROUPS``.
GROUP_OF = {slug: k for k, group in enumerate(GROUPS) for slug in group}


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


def each_at_every_rate(members: tuple[str, ...]) -> dict[str, np.ndarray]:
    """An ensemble's batch: each of its optimizers (``which``) at each of its rates."""
    which = np.repeat(np.arange(len(members)), len(LRS))
    rates = np.concatenate([learning_rates(slug) for slug in members])
    return {WHICH: which.astype(np.float32), "learning_rate": rates}


@functools.cache
def survey(k: int) -> dict[str, dict[str, list[Trajectory]]]:
    """Every surface's runs of the ``k``-th group's optimizers at every learning rate
    (one program)."""
    members = GROUPS[k]
    batch = each_at_every_rate(members)
    by_surface = {s: single_runs(simulate(on_the_shared_program(s), ensemble(members), batch,
                                   None, STEPS)) for s in SURFACES}
    n = len(LRS)
    return {slug: {s: runs[i * n:(i + 1) * n] for s, runs in by_surface.items()}
            for i, slug in enumerate(members)}


def runs_of(slug: str, surface: str) -> list[Trajectory]:
    return survey(GROUP_OF[slug])[slug][surface]


@pytest.mark.parametrize("slug", sorted(OPTIMIZERS))
@pytest.mark.parametrize("surface", SURFACES)
def test_every_learning_rate_is_survivable(slug, surface):
    ls = LANDSCAPES[surface]
    trajectories = runs_of(slug, surface)
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


@pytest.mark.parametrize(("slug", "surface"), [
    ("sgd", "rosenbrock"), ("sgd", "quadratic"), ("sgd", "logistic"),
    ("adam", "himmelblau"), ("lbfgs", "himmelblau"), ("newton", "beale")])
def test_the_shared_program_runs_each_surfaces_loss_and_each_optimizers_rule(slug, surface):
    """A plain surface, one with parameters, one with minibatches; an optimizer with
    state, one with a line search, one with a Hessian: each the same runs alone, to
    float32 rounding (the two programs fuse their arithmetic differently).

    The tolerance is relative to the path's scale: runs that diverge pass through
    values of 1e4 and more. (L-BFGS on Rosenbrock is left out: there its line search's
    discrete choices turn a rounding difference into another path.)
    """
    hparams = {"learning_rate": learning_rates(slug)}
    plain = single_runs(simulate(LANDSCAPES[surface], slug, hparams, None, STEPS))
    for mine, theirs in zip(runs_of(slug, surface), plain, strict=True):
        scale = max(1.0, float(np.abs(theirs.path).max()))
        np.testing.assert_allclose(mine.path, theirs.path, rtol=1e-5, atol=1e-5 * scale)
        assert mine.diverged_at == theirs.diverged_at  # the escape box is the surface's
