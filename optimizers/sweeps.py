"""Learning-rate studies, stability maps, basins of attraction and seed clouds.

Each study is one batched call of the engine (``simulate`` for paths, ``outcomes`` when
only the ends matter): the batch is built here, never looped over in Python.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from landscapes import Landscape
from optimizers.engine import Outcome, Trajectory, outcomes, simulate

#: A run has converged to a minimum when it ends this close to it (relative to the
#: domain's size) with f within TOLERANCE of the minimum value.
BASIN_RADIUS = 0.02
TOLERANCE = 1e-3
NOT_CONVERGED = -1
DIVERGED = -2


def lr_grid(low: float, high: float, n: int) -> np.ndarray:
    """``n`` learning rates spaced geometrically from ``low`` to ``high``."""
    if not (0 < low < high and n >= 1):
        raise ValueError("need 0 < low < high and n ≥ 1")
    return np.geomspace(low, high, n).astype(np.float32)


def target_loss(landscape: Landscape) -> float:
    """The loss below which a run counts as having reached the minimum (-inf if none)."""
    if landscape.min_value is None:
        return -math.inf
    return landscape.min_value + TOLERANCE


def lr_paths(landscape: Landscape, optimizer: str, hparams: Mapping[str, Any] | None,
             lrs: np.ndarray, start: Any, steps: int, **options: Any) -> Trajectory:
    """Whole trajectories for every learning rate in ``lrs`` (batched ``simulate``)."""
    hp = {**(hparams or {}), "learning_rate": np.asarray(lrs, dtype=np.float32)}
    return simulate(landscape, optimizer, hp, start, steps, **options)


def lr_outcomes(landscape: Landscape, optimizer: str, hparams: Mapping[str, Any] | None,
                lrs: np.ndarray, start: Any, steps: int, **options: Any) -> Outcome:
    """How the run ends for every learning rate in ``lrs`` (batched ``outcomes``)."""
    hp = {**(hparams or {}), "learning_rate": np.asarray(lrs, dtype=np.float32)}
    return outcomes(landscape, optimizer, hp, start, steps, target=target_loss(landscape),
                    **options)


@dataclass(frozen=True)
class StabilityGrid:
    """Outcomes over a grid of (learning rate, second hyperparameter).

    Arrays are ``(len(second), len(lrs))``: rows follow the second hyperparameter.
    """

    lrs: np.ndarray
    second_name: str
    second: np.ndarray
    final_loss: np.ndarray
    reached_at: np.ndarray
    diverged_at: np.ndarray


def stability_grid(landscape: Landscape, optimizer: str, hparams: Mapping[str, Any] | None,
                   lrs: np.ndarray, second_name: str, second: np.ndarray, start: Any,
                   steps: int, **options: Any) -> StabilityGrid:
    """Final loss and steps to tolerance over the mesh lrs × second (one batched call)."""
    lr_mesh, second_mesh = np.meshgrid(np.asarray(lrs, np.float32),
                                       np.asarray(second, np.float32))
    hp = {**(hparams or {}), "learning_rate": lr_mesh.ravel(), second_name: second_mesh.ravel()}
    out = outcomes(landscape, optimizer, hp, start, steps, target=target_loss(landscape),
                   **options)
    shape = lr_mesh.shape
    return StabilityGrid(np.asarray(lrs), second_name, np.asarray(second),
                         out.loss.reshape(shape), out.reached_at.reshape(shape),
                         out.diverged_at.reshape(shape))


@dataclass(frozen=True)
class BasinMap:
    """Which minimum each start of an ``n × n`` grid reaches.

    ``labels[i, j]`` is the index into ``landscape.minima`` of the minimum reached from
    ``(xs[j], ys[i])``, ``NOT_CONVERGED`` (-1) or ``DIVERGED`` (-2).
    """

    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray
    final: np.ndarray


def basin_labels(landscape: Landscape, final: np.ndarray, loss: np.ndarray,
                 diverged_at: np.ndarray) -> np.ndarray:
    """Label run ends by the minimum they reached (see ``BasinMap``)."""
    labels = np.full(final.shape[0], NOT_CONVERGED, dtype=np.int64)
    if landscape.minima:
        (x0, x1), (y0, y1) = landscape.domain
        radius = BASIN_RADIUS * max(x1 - x0, y1 - y0)
        minima = np.asarray(landscape.minima, dtype=np.float64)
        dist = np.linalg.norm(final[:, None, :] - minima[None], axis=-1)
        nearest = dist.argmin(axis=1)
        close = dist[np.arange(final.shape[0]), nearest] <= radius
        if landscape.min_value is not None:
            close &= loss <= landscape.min_value + TOLERANCE
        labels[close] = nearest[close]
    labels[diverged_at >= 0] = DIVERGED
    return labels


def basin_map(landscape: Landscape, optimizer: str, hparams: Mapping[str, Any] | None,
              n: int, steps: int, **options: Any) -> BasinMap:
    """Run ``optimizer`` from every point of an ``n × n`` grid over the domain."""
    (x0, x1), (y0, y1) = landscape.domain
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    starts = np.stack([X.ravel(), Y.ravel()], axis=1)
    out = outcomes(landscape, optimizer, hparams, starts, steps,
                   target=target_loss(landscape), **options)
    labels = basin_labels(landscape, out.final, out.loss, out.diverged_at)
    return BasinMap(xs, ys, labels.reshape(n, n), out.final.reshape(n, n, 2))


@dataclass(frozen=True)
class BasinMaps:
    """Basin maps of one grid of starts at several learning rates (see ``BasinMap``):
    ``labels (k, n, n)`` and ``final (k, n, n, 2)``, one map per ``lrs[i]``."""

    lrs: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    labels: np.ndarray
    final: np.ndarray


def basin_maps(landscape: Landscape, optimizer: str, hparams: Mapping[str, Any] | None,
               lrs: np.ndarray, n: int, steps: int, **options: Any) -> BasinMaps:
    """``basin_map`` at every learning rate in ``lrs``: one batched call over the mesh
    learning rate × start (``len(lrs) · n²`` runs)."""
    (x0, x1), (y0, y1) = landscape.domain
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    grid = np.stack([X.ravel(), Y.ravel()], axis=1)
    lrs = np.asarray(lrs, dtype=np.float32)
    k = lrs.size
    hp = {**(hparams or {}), "learning_rate": np.repeat(lrs, n * n)}
    out = outcomes(landscape, optimizer, hp, np.tile(grid, (k, 1)), steps,
                   target=target_loss(landscape), **options)
    labels = basin_labels(landscape, out.final, out.loss, out.diverged_at)
    return BasinMaps(lrs, xs, ys, labels.reshape(k, n, n), out.final.reshape(k, n, n, 2))


def seed_cloud(landscape: Landscape, optimizer: str, hparams: Mapping[str, Any] | None,
               start: Any, steps: int, seeds: np.ndarray, noise: float,
               **options: Any) -> Trajectory:
    """One run per seed under gradient noise σ = ``noise`` (batched over seeds)."""
    return simulate(landscape, optimizer, hparams, start, steps,
                    seed=np.asarray(seeds, dtype=np.uint32), noise=noise, **options)


@dataclass(frozen=True)
class QuadraticTheory:
    """Step-size facts of gradient methods on f = ½ pᵀHp with eigenvalues μ ≤ L.

    - gradient descent is stable for η < 2/L and fastest at η* = 2/(L+μ);
    - heavy ball (optax momentum: v ← g + βv, p ← p − ηv, which is Polyak's
      p_{t+1} = p_t − η g + β(p_t − p_{t−1})) is stable for η < 2(1+β)/L, and
      optimal at η = 4/(√L+√μ)², β = ((√L−√μ)/(√L+√μ))² (Polyak 1964).
    Reference: Polyak, Introduction to Optimization (1987), §3.2.1; Goh, "Why momentum
    really works", Distill (2017).
    """

    L: float
    mu: float

    @property
    def gd_limit(self) -> float:
        return 2.0 / self.L

    @property
    def gd_optimal(self) -> float:
        return 2.0 / (self.L + self.mu)

    def momentum_limit(self, beta: float) -> float:
        return 2.0 * (1.0 + beta) / self.L

    @property
    def heavy_ball_optimal(self) -> tuple[float, float]:
        sl, sm = math.sqrt(self.L), math.sqrt(self.mu)
        return 4.0 / (sl + sm) ** 2, ((sl - sm) / (sl + sm)) ** 2


def quadratic_theory(landscape: Landscape) -> QuadraticTheory | None:
    """The theory above for the quadratic family (eigenvalues 1 and κ), else None."""
    if landscape.family != "quadratic":
        return None
    kappa = landscape.param_values["kappa"]
    return QuadraticTheory(L=max(1.0, kappa), mu=min(1.0, kappa))
