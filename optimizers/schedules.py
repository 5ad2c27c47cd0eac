"""Learning-rate schedules as pure, traceable functions of the step count.

optax's schedule constructors take their horizons as Python numbers (and validate them
eagerly), so changing one would recompile. These are the same formulas with every
parameter a traced scalar: moving a schedule's slider recompiles nothing. The engine fixes
the kind at compile time (one program per kind used; a traced kind would compute every
schedule at every step). ``tests/optimizers/test_schedules.py`` checks each against the
optax schedule it mirrors.

With η the base learning rate, t the step count (0 for the first update), T the run's
number of steps, γ ``decay_rate``, k ``transition_steps``, W ``warmup_steps``, α
``alpha``:

- constant: η. (optax.constant_schedule(η))
- step: η γ^⌊t/k⌋. (optax.exponential_decay(η, k, γ, staircase=True))
- exponential: η γ^(t/k). (optax.exponential_decay(η, k, γ))
- cosine: η ((1-α)·½(1 + cos(π min(t,T)/T)) + α). (optax.cosine_decay_schedule(η, T, α))
- warmup_cosine: η t/W for t < W, then cosine from η to αη over T - W.
  (optax.warmup_cosine_decay_schedule(0, η, W, T, αη))
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp

from hparam import HParam

SCHEDULES: tuple[str, ...] = ("constant", "step", "exponential", "cosine", "warmup_cosine")

#: The parameters each schedule reads (the others are ignored).
SCHEDULE_PARAMS: dict[str, HParam] = {
    "decay_rate": HParam(0.5, 0.01, 1.0, label="decay rate γ",
                         help="Factor applied every k steps (step) or per k steps (exp)."),
    "transition_steps": HParam(100.0, 1.0, 10000.0, log=True, integer=True,
                               label="k (steps per decay)"),
    "warmup_steps": HParam(50.0, 0.0, 10000.0, integer=True, label="warm-up steps W"),
    "alpha": HParam(0.0, 0.0, 1.0, label="final fraction α"),
}

PARAMS_OF_SCHEDULE: dict[str, tuple[str, ...]] = {
    "constant": (),
    "step": ("decay_rate", "transition_steps"),
    "exponential": ("decay_rate", "transition_steps"),
    "cosine": ("alpha",),
    "warmup_cosine": ("warmup_steps", "alpha"),
}


#: The optax schedule each one mirrors (tests/optimizers/test_schedules.py checks the two agree), in
#: the symbols above.
OPTAX_EQUIVALENT: dict[str, str] = {
    "constant": "optax.constant_schedule(η)",
    "step": "optax.exponential_decay(η, k, γ, staircase=True)",
    "exponential": "optax.exponential_decay(η, k, γ)",
    "cosine": "optax.cosine_decay_schedule(η, T, α)",
    "warmup_cosine": "optax.warmup_cosine_decay_schedule(0, η, W, T, αη)",
}


def _cosine(t, horizon, alpha):
    frac = jnp.clip(t, 0.0, horizon) / jnp.maximum(horizon, 1.0)
    return (1.0 - alpha) * 0.5 * (1.0 + jnp.cos(jnp.pi * frac)) + alpha


def _constant(t, horizon, p):
    return jnp.ones_like(t)


def _step(t, horizon, p):
    return p["decay_rate"] ** jnp.floor(t / p["transition_steps"])


def _exponential(t, horizon, p):
    return p["decay_rate"] ** (t / p["transition_steps"])


def _cosine_decay(t, horizon, p):
    return _cosine(t, horizon, p["alpha"])


def _warmup_cosine(t, horizon, p):
    warm = jnp.maximum(p["warmup_steps"], 1e-9)
    ramp = t / warm
    decay = _cosine(t - p["warmup_steps"], jnp.maximum(horizon - p["warmup_steps"], 1.0),
                    p["alpha"])
    return jnp.where(t < p["warmup_steps"], ramp, decay)


_BRANCHES = (_constant, _step, _exponential, _cosine_decay, _warmup_cosine)


def schedule_factor(kind: str):
    """The function ``(t, horizon, params) -> η_t / η`` of schedule ``kind``."""
    return _BRANCHES[schedule_index(kind)]


def schedule_index(kind: str) -> int:
    """Position of ``kind`` in :data:`SCHEDULES` (``ValueError`` if unknown)."""
    return SCHEDULES.index(kind)


def learning_rate_at(kind, count, learning_rate, horizon,
                     params: Mapping[str, jax.Array]):
    """η_t of schedule ``kind`` at step ``count``; everything but ``kind`` is traceable.

    ``kind`` is a name of ``SCHEDULES`` (fixed at trace time: only that schedule is
    computed, as the engine does) or a traced index (``lax.switch``: under ``vmap`` every
    schedule is computed and one selected).
    """
    t = jnp.asarray(count, jnp.float32)
    h = jnp.asarray(horizon, jnp.float32)
    if isinstance(kind, str):
        return learning_rate * _BRANCHES[schedule_index(kind)](t, h, params)
    return learning_rate * jax.lax.switch(kind, _BRANCHES, t, h, params)


def schedule_defaults() -> dict[str, float]:
    return {name: hp.default for name, hp in SCHEDULE_PARAMS.items()}
