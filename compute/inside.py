"""What each racer saw and kept, update by update, and the surface's local curvature along
every path, as numpy (``Insides``), for the overlays that show a student what is inside
an optimizer (views/overlays.py draws them).

The optimizer state comes from optax itself (``look_inside``), the Hessian and the
gradient field from ``jax.hessian`` / ``jax.grad`` of the landscape. Everything is
computed for every step at once, so moving the frame only selects rows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from compute.race import racer_id, run_options
from optimizers.engine import look_inside
from scene import Setup

#: Points per side of the coarse grid of the gradient field.
FIELD_GRID = 11


@dataclass(frozen=True)
class RunInside:
    """One racer from the inside.

    ``gradient (steps, 2)``: the gradient update t saw (noise included, before any
    clipping), taken at the parameters (``path[t]``, unless the optimizer draws another
    point: ``OptimizerSpec.shown``); ``step (steps, 2)``: ``path[t+1] - path[t]``;
    ``state``: every float leaf of optax's state after update t (``"mu"``, ``"nu"``,
    ``"trace"``, ``"sum_of_squares"``, ``"hyperparams.<name>"`` ...), each ``(steps, ...)``;
    ``learning_rate (steps,)``: η_t of update t; ``hparams``: the hyperparameters as the
    engine used them (float32). ``hessian (steps+1, 2, 2)`` at every point of the path,
    its eigenvalues ``curvature (steps+1, 2)`` in ascending order and unit eigenvectors
    ``directions (steps+1, 2, 2)`` (column i belongs to eigenvalue i).
    """

    slug: str
    key: str
    name: str
    hparams: dict[str, float]
    path: np.ndarray
    gradient: np.ndarray
    step: np.ndarray
    state: dict[str, np.ndarray]
    learning_rate: np.ndarray
    diverged_at: int | None
    hessian: np.ndarray
    curvature: np.ndarray
    directions: np.ndarray

    @property
    def steps(self) -> int:
        return int(self.step.shape[0])


@dataclass(frozen=True)
class Insides:
    """Every racer from the inside, and the gradient field ∇f on a coarse grid."""

    runs: tuple[RunInside, ...]
    clip_norm: float | None
    field_x: np.ndarray  # (FIELD_GRID,)
    field_y: np.ndarray  # (FIELD_GRID,)
    field: np.ndarray  # (FIELD_GRID, FIELD_GRID, 2), rows follow y


@functools.lru_cache(maxsize=64)
def _curvature_fn(loss):
    """Hessian, eigenvalues (ascending) and eigenvectors at a batch of points (n, 2)."""

    def one(p, params):
        h = jax.hessian(lambda q: loss(q, params))(p)
        h = 0.5 * (h + h.T)
        w, v = jnp.linalg.eigh(h)
        return h, w, v

    return jax.jit(jax.vmap(one, in_axes=(0, None)))


@functools.lru_cache(maxsize=64)
def _gradient_fn(loss):
    return jax.jit(jax.vmap(jax.grad(lambda p, params: loss(p, params)), in_axes=(0, None)))


def curvature(landscape, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``landscape``'s Hessian at each of ``points (n, 2)``, its eigenvalues (ascending)
    and unit eigenvectors (as columns); non-finite entries become NaN."""
    params = {k: jnp.float32(v) for k, v in landscape.param_values.items()}
    h, w, v = _curvature_fn(landscape.loss)(jnp.asarray(points, jnp.float32), params)
    return tuple(np.where(np.isfinite(a), a, np.nan).astype(np.float32)
                 for a in (np.asarray(h), np.asarray(w), np.asarray(v)))


def gradient_field(landscape, n: int = FIELD_GRID):
    """∇f on an ``n × n`` grid over the domain: xs, ys and grads ``(n, n, 2)``."""
    (x0, x1), (y0, y1) = landscape.domain
    xs = np.linspace(x0, x1, n + 2, dtype=np.float32)[1:-1]  # keep off the frame
    ys = np.linspace(y0, y1, n + 2, dtype=np.float32)[1:-1]
    gx, gy = np.meshgrid(xs, ys)
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    params = {k: jnp.float32(v) for k, v in landscape.param_values.items()}
    grads = np.asarray(_gradient_fn(landscape.loss)(jnp.asarray(points), params))
    grads = np.where(np.isfinite(grads), grads, np.nan).reshape(n, n, 2)
    return xs, ys, grads.astype(np.float32)


def compute_inside(setup: Setup) -> Insides:
    """Every racer of ``setup`` with its optax state, and the curvature along its path."""
    landscape = setup.landscape()
    options = run_options(setup)
    runs = []
    for i, racer in enumerate(setup.racers):
        inside = look_inside(landscape, racer.slug, racer.values, setup.start, setup.steps,
                             **options)
        traj = inside.trajectory
        h, w, v = curvature(landscape, traj.path)
        runs.append(RunInside(
            slug=racer.slug, key=racer_id(i), name=setup.labels[i],
            hparams={k: float(np.float32(x)) for k, x in racer.values.items()},
            path=traj.path, gradient=inside.gradient, step=inside.step, state=inside.state,
            learning_rate=traj.learning_rate, diverged_at=traj.diverged_at,
            hessian=h, curvature=w, directions=v,
        ))
    xs, ys, field = gradient_field(landscape)
    return Insides(runs=tuple(runs), clip_norm=setup.clip_norm, field_x=xs, field_y=ys,
                   field=field)
