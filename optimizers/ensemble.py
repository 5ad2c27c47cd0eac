"""One optimizer that is any of several, picked per run by a traced index.

A program's compile time is the sum of what it holds: the loss (with its gradient,
and its Hessian where an optimizer needs one) plus the optimizer's update. Compiling
every optimizer of the catalogue on one landscape one program at a time pays for the
loss once per optimizer; an ensemble pays for it once. Its runs pick their optimizer
by the hyperparameter ``which`` (an index into ``specs``), so a batch of runs, one
vmapped call, mixes every optimizer, each at its own hyperparameters.

Every member updates its own state at every step, from the gradient of the run's
actual path, and the step taken is the chosen member's: the chosen member's path is
its own run, step for step (the other members' work is discarded). Their
hyperparameters are the ensemble's, prefixed by the member's position
(``"m3_b1"``); the learning rate is shared, so each run sets its own.

Used where one program must serve the whole catalogue (the tests' divergence matrix
and update-rule checks, the x64 check); a race compiles its racers apart, since a
race holds few optimizers and its programs are cached per optimizer.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

from hparam import HParam
from optimizers.catalog import OPTIMIZERS, OptimizerSpec, update_arguments

#: The hyperparameter that picks a run's member.
WHICH = "which"


class EnsembleState(NamedTuple):
    """Each member's own optax state, in the order of the ensemble's members."""

    members: tuple


def member_key(position: int, name: str) -> str:
    """The ensemble's name of member ``position``'s hyperparameter ``name`` (an
    identifier: ``optax.inject_hyperparams`` binds hyperparameters by name)."""
    return f"m{position}_{name}"


def _member_hparams(spec: OptimizerSpec, position: int, values: dict) -> dict:
    return {name: values[member_key(position, name)]
            for name in spec.hparams if name != "learning_rate"}


def _factory(specs: tuple[OptimizerSpec, ...], names: tuple[str, ...]):
    """``_build`` for ``specs`` with every hyperparameter a named argument:
    ``optax.inject_hyperparams`` injects (traces) only the arguments its factory's
    signature names, not the contents of a ``**kwargs``."""

    def factory(**values):
        return _build(specs, **values)

    factory.__signature__ = inspect.Signature(
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in names])
    return factory


def _build(specs: tuple[OptimizerSpec, ...], learning_rate, which, **values):
    """The ensemble's transformation for these hyperparameter values."""
    members = [spec.factory(learning_rate=learning_rate,
                            **_member_hparams(spec, i, values))
               for i, spec in enumerate(specs)]

    def init_fn(params):
        return EnsembleState(tuple(member.init(params) for member in members))

    def update_fn(updates, state, params=None, **extra_args):
        steps, states = [], []
        for spec, member, own in zip(specs, members, state.members, strict=True):
            step, new = member.update(updates, own, params,
                                      **update_arguments(spec, extra_args))
            steps.append(step)
            states.append(new)
        index = jnp.asarray(which).astype(jnp.int32)
        chosen = jax.tree.map(lambda *leaves: jax.lax.select_n(index, *leaves), *steps)
        return chosen, EnsembleState(tuple(states))

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


@functools.cache
def ensemble(slugs: Sequence[str]) -> OptimizerSpec:
    """The catalogue's optimizers ``slugs`` (a tuple) as one ``OptimizerSpec``.

    Its hyperparameters: ``learning_rate`` (the union of the members' ranges),
    ``which`` (the member, 0-based, in the order of ``slugs``), and every other
    hyperparameter of member ``i`` as ``member_key(i, name)`` with that member's
    default and range. Its ``needs`` are the union of the members'; each member's
    update receives only the extra arguments it needs.
    """
    specs = tuple(OPTIMIZERS[slug] for slug in slugs)
    rates = [spec.hparams["learning_rate"] for spec in specs]
    hparams = {
        "learning_rate": HParam(rates[0].default, min(r.low for r in rates),
                                max(r.high for r in rates), log=True),
        WHICH: HParam(0, 0, len(specs) - 1, integer=True),
    }
    for i, spec in enumerate(specs):
        hparams.update({member_key(i, name): hp for name, hp in spec.hparams.items()
                        if name != "learning_rate"})
    return OptimizerSpec(
        slug="ensemble:" + ",".join(slugs), name="Ensemble",
        factory=_factory(specs, tuple(hparams)), hparams=hparams,
        latex=r"p_{t+1} = p_t + u^{(k)}_t", reference="the members' own",
        family="schedule-free and wrappers",  # built around other optimizers
        needs=frozenset().union(*(spec.needs for spec in specs)))
