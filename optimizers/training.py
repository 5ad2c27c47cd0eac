"""Training in a full parameter space: the engine's optimizers on a vector of any size.

The 2-D engine (``optimizers/engine.py``) records points of a plane; a network's
trajectory lives in ``R^P``. This runs the same optax chain, built by the engine's own
``transform`` (so the optimizer, its schedule and the gradient clipping are exactly the
engine's), on a loss ``loss_fn(theta, *data)``, in one ``jit`` + ``lax.scan``, recording
the whole parameter vector after every step (the drawn one, ``OptimizerSpec.shown``, for an
optimizer whose iterate stands for another point, such as schedule-free's).

Everything a user moves (hyperparameters, schedule and its parameters, clipping, noise,
seed, the data) is traced: one compile per (loss, optimizer, step bucket, size, noisy).
Semantics follow ``simulate``: additive Gaussian gradient noise ``σ ξ_t`` (drawn from the
seed), and a step whose parameters, loss or gradient are non-finite, or whose largest
parameter exceeds ``ESCAPE``, ends the run: ``diverged_at`` is that step and the
parameters stay frozen at the last good ones.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from optimizers.catalog import OPTIMIZERS
from optimizers.engine import (
    Oracle,
    bucket_steps,
    float32_program,
    guarded_update,
    initial_carry,
    step_key,
    transform,
)
from optimizers.schedules import SCHEDULE_PARAMS, schedule_defaults, schedule_index

#: A parameter larger than this in magnitude counts as diverged.
ESCAPE = 1e4


@dataclass(frozen=True)
class Training:
    """One optimizer's run: ``path (steps+1, P)`` (float32), ``loss (steps+1,)``,
    ``grad_norm (steps+1,)``, and ``diverged_at`` (``None`` for never)."""

    slug: str
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    diverged_at: int | None


def _run(loss_fn: Callable, slug: str, length: int, noisy: bool, theta0, data, hparams,
         schedule_params, schedule_kind, horizon, clip_norm, noise, seed):
    spec = OPTIMIZERS[slug]

    def f(theta):
        return loss_fn(theta, *data)

    value_and_grad = jax.value_and_grad(f)
    opt = transform(spec, hparams, schedule_kind, horizon, schedule_params, clip_norm)
    key = jax.random.PRNGKey(seed)

    def healthy(theta, value, grad):
        return (jnp.all(jnp.isfinite(theta)) & jnp.isfinite(value)
                & jnp.all(jnp.isfinite(grad)) & (jnp.max(jnp.abs(theta)) <= ESCAPE))

    carry0 = initial_carry(spec, opt, value_and_grad, healthy, theta0)

    def step(carry, t):
        xi = (jax.random.normal(jax.random.fold_in(key, t), carry.grad.shape, carry.grad.dtype)
              if noisy else 0.0)

        def gradient(q):
            return jax.grad(f)(q) + noise * xi

        seen = carry.grad + noise * xi if noisy else carry.grad
        oracle = Oracle(f, gradient, step_key(key, t))
        out, _ = guarded_update(spec, opt, value_and_grad, healthy, carry, seen, oracle)
        point, value, grad = out.drawn()
        return out, (point, value, jnp.linalg.norm(grad), out.dead & ~carry.dead)

    _, (thetas, values, gnorms, newly) = jax.lax.scan(step, carry0, jnp.arange(length))
    diverged = jnp.where(carry0.dead, 0, jnp.where(newly.any(), jnp.argmax(newly) + 1, -1))
    theta_0, v0, g0 = carry0.drawn()
    path = jnp.concatenate([theta_0[None], thetas])
    loss = jnp.concatenate([v0[None], values])
    gnorm = jnp.concatenate([jnp.linalg.norm(g0)[None], gnorms])
    return path, loss, gnorm, diverged


@functools.lru_cache(maxsize=64)
def _compiled(loss_fn: Callable, slug: str, length: int, noisy: bool):
    return float32_program(functools.partial(_run, loss_fn, slug, length, noisy))


def _as_f32(value) -> jax.Array:
    return jnp.asarray(value, dtype=jnp.float32)


def launch(loss_fn: Callable, theta0, data: Sequence[Any], optimizer: str,
           hparams: Mapping[str, float] | None = None, steps: int = 200, *, seed: int = 0,
           schedule: str = "constant", schedule_params: Mapping[str, float] | None = None,
           clip_norm: float = np.inf, noise: float = 0.0):
    """Validate and dispatch one training run (JAX runs it asynchronously); ``collect``
    waits for it. Missing hyperparameters take the catalogue's defaults."""
    spec = OPTIMIZERS[optimizer]
    unknown = set(hparams or {}) - set(spec.hparams)
    if unknown:
        raise ValueError(f"{optimizer} has no hyperparameter(s) {sorted(unknown)}")
    extra = set(schedule_params or {}) - set(SCHEDULE_PARAMS)
    if extra:
        raise ValueError(f"unknown schedule parameter(s) {sorted(extra)}")
    steps = int(steps)
    length = bucket_steps(steps)
    hp = {k: _as_f32(v) for k, v in {**spec.defaults(), **(hparams or {})}.items()}
    sp = {k: _as_f32(v) for k, v in {**schedule_defaults(), **(schedule_params or {})}.items()}
    noisy = float(noise) != 0.0
    outputs = _compiled(loss_fn, optimizer, length, noisy)(
        _as_f32(theta0), tuple(_as_f32(d) for d in data), hp, sp,
        jnp.int32(schedule_index(schedule)), _as_f32(steps), _as_f32(clip_norm), _as_f32(noise),
        jnp.uint32(seed))
    return optimizer, steps, outputs


def collect(launched) -> Training:
    """Wait for a launched run and cut it to its step count."""
    slug, steps, (path, loss, gnorm, diverged) = launched
    path, loss, gnorm, diverged = jax.device_get((path, loss, gnorm, diverged))
    d = int(diverged)
    return Training(slug, np.asarray(path)[: steps + 1], np.asarray(loss)[: steps + 1],
                    np.asarray(gnorm)[: steps + 1], None if d < 0 or d > steps else d)


def train(loss_fn: Callable, theta0, data: Sequence[Any], optimizer: str,
          hparams: Mapping[str, float] | None = None, steps: int = 200,
          **options: Any) -> Training:
    """Train ``theta0`` on ``loss_fn(theta, *data)`` with ``optimizer`` for ``steps``
    updates (options as ``simulate``'s: seed, schedule, schedule_params, clip_norm,
    noise), recording the parameter vector after every step."""
    return collect(launch(loss_fn, theta0, data, optimizer, hparams, steps, **options))


def train_race(loss_fn: Callable, theta0, data: Sequence[Any],
               entries: Sequence[tuple[str, Mapping[str, float]]], steps: int = 200,
               **options: Any) -> list[Training]:
    """Several optimizers from the same ``theta0``: every run dispatched before any is
    awaited (one compiled program per optimizer, as the engine's ``launch``)."""
    launched = [launch(loss_fn, theta0, data, slug, hp, steps, **options)
                for slug, hp in entries]
    return [collect(item) for item in launched]
