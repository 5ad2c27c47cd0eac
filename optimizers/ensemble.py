"""One optimizer that is any of several, picked per run by a traced index.

A program's compile time is the sum of what it holds: the loss (with its gradient,
and its Hessian where an optimizer needs one) plus the optimizer's update. Compiling
every optimizer of the catalogue on one landscape one program at a time pays for the
loss once per optimizer; an ensemble pays for it once. Its runs pick their optimizer
by the hyperparameter ``which`` (an index into its members), so a batch of runs, one
vmapped call, mixes every optimizer, each at its own hyperparameters.

Every member updates its own state at every step, from the gradient of the run's
actual path, and the step taken is the chosen member's: the chosen member's path is
its own run, step for step (the other members' work is discarded). Each member's
update receives exactly the extra arguments its own ``needs`` name, and the point
drawn is the chosen member's (``OptimizerSpec.point_drawn``). Hyperparameters are the
ensemble's, prefixed by the member's position (``"m3_b1"``); the learning rate is
shared, so each run sets its own; a member's ``minimum_argument`` (f*) is set from the
surface as it is for the member alone.

Used where one program must serve the whole catalogue (the tests' divergence matrix
and update-rule checks, the x64 check); a race compiles its racers apart, since a
race holds few optimizers and its programs are cached per optimizer.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from hparam import HParam
from optimizers.catalog import OPTIMIZERS, OptimizerSpec
from optimizers.engine import argument_names

#: The hyperparameter that picks a run's member.
WHICH = "which"
#: Members per program where a whole catalogue is compiled (``groups``). Compile time
#: grows faster than the members (``python bench/bench_ensemble.py``: on Rosenbrock,
#: 0.22, 0.31, 0.51 and 0.77 s per member at 6, 12, 24 and 44 members; twelve apart cost
#: 1.4× twelve together), so four programs of a dozen cost about half of one of
#: forty-four, and spread over workers; a larger group pays for a costly loss (the
#: divergence matrix's fourteen surfaces) fewer times.
MEMBERS_PER_PROGRAM = 12


class EnsembleState(NamedTuple):
    """Each member's own optax state, in the order of the ensemble's members, and the
    run's member (so the drawn point, read from the state, is the chosen member's)."""

    members: tuple
    which: Any


def member_key(position: int, name: str) -> str:
    """The ensemble's name of member ``position``'s hyperparameter ``name`` (an
    identifier: ``optax.inject_hyperparams`` binds hyperparameters by name)."""
    return f"m{position}_{name}"


def _member_arguments(spec: OptimizerSpec, position: int, values: dict) -> dict:
    """Member ``position``'s factory arguments (its f*, when the surface gave one)."""
    names = [name for name in spec.hparams if name != "learning_rate"]
    if spec.minimum_argument:
        names.append(spec.minimum_argument)
    keys = {name: member_key(position, name) for name in names}
    return {name: values[key] for name, key in keys.items() if values.get(key) is not None}


def _select(index, trees):
    """The ``index``-th of ``trees`` (same structure), leaf by leaf."""
    return jax.tree.map(lambda *leaves: jax.lax.select_n(index, *leaves), *trees)


def _build(specs: tuple[OptimizerSpec, ...], learning_rate, which, **values):
    """The ensemble's transformation for these hyperparameter values."""
    members = [spec.factory(learning_rate=learning_rate,
                            **_member_arguments(spec, i, values))
               for i, spec in enumerate(specs)]
    index = jnp.asarray(which).astype(jnp.int32)

    def init_fn(params):
        return EnsembleState(tuple(member.init(params) for member in members), index)

    def update_fn(updates, state, params=None, **extra_args):
        steps, states = [], []
        for spec, member, own in zip(specs, members, state.members, strict=True):
            mine = {name: extra_args[name] for name in argument_names(spec)}
            step, new = optax.with_extra_args_support(member).update(
                updates, own, params, **mine)
            steps.append(step)
            states.append(new)
        return _select(index, steps), EnsembleState(tuple(states), index)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def _factory(specs: tuple[OptimizerSpec, ...], names: tuple[str, ...],
             minimums: tuple[str, ...]):
    """``_build`` for ``specs`` with every hyperparameter a named argument:
    ``optax.inject_hyperparams`` injects (traces) only the arguments its factory's
    signature names, not the contents of a ``**kwargs``. The members' f* arguments
    (``minimums``) default to None: a surface without a known minimum leaves each
    member's own default."""

    def factory(**values):
        return _build(specs, **values)

    keyword = inspect.Parameter.KEYWORD_ONLY
    factory.__signature__ = inspect.Signature(
        [inspect.Parameter(name, keyword) for name in names]
        + [inspect.Parameter(name, keyword, default=None) for name in minimums])
    return factory


@dataclasses.dataclass(frozen=True, eq=False)
class EnsembleSpec(OptimizerSpec):
    """An ensemble's spec: the surface's f* reaches every member that takes it."""

    members: tuple[OptimizerSpec, ...] = ()

    def from_surface(self, min_value: float | None) -> dict[str, float]:
        return {member_key(i, spec.minimum_argument): value
                for i, spec in enumerate(self.members)
                for value in spec.from_surface(min_value).values()}


def _shown(specs: tuple[OptimizerSpec, ...]):
    """The ensemble's ``shown``: the chosen member's drawn point (None if no member
    draws anything but its parameters)."""
    if all(spec.shown is None for spec in specs):
        return None

    def shown(params, state: EnsembleState):
        points = [spec.point_drawn(params, own)
                  for spec, own in zip(specs, state.members, strict=True)]
        return _select(state.which, points)

    return shown


@functools.cache
def ensemble(slugs: Sequence[str]) -> OptimizerSpec:
    """The catalogue's optimizers ``slugs`` (a tuple) as one ``OptimizerSpec``.

    Its hyperparameters: ``learning_rate`` (the union of the members' ranges),
    ``which`` (the member, 0-based, in the order of ``slugs``), and every other
    hyperparameter of member ``i`` as ``member_key(i, name)`` with that member's
    default and range. Its ``needs`` are the union of the members'.
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
    minimums = tuple(member_key(i, spec.minimum_argument)
                     for i, spec in enumerate(specs) if spec.minimum_argument)
    return EnsembleSpec(
        slug="ensemble:" + ",".join(slugs), name="Ensemble",
        factory=_factory(specs, tuple(hparams), minimums), hparams=hparams,
        latex=r"p_{t+1} = p_t + u^{(k)}_t", reference="the members' own",
        family="schedule-free and wrappers",  # built around other optimizers
        needs=frozenset().union(*(spec.needs for spec in specs)),
        shown=_shown(specs), members=specs)


def groups(slugs: Sequence[str],
           size: int = MEMBERS_PER_PROGRAM) -> tuple[tuple[str, ...], ...]:
    """``slugs`` in consecutive groups of at most ``size``, as even as possible: the
    members of the ensembles that together run them all."""
    slugs = tuple(slugs)
    count = -(-len(slugs) // size)
    bounds = [round(i * len(slugs) / count) for i in range(count + 1)]
    return tuple(slugs[lo:hi] for lo, hi in itertools.pairwise(bounds))
