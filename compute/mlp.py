"""The MLP trained by the race's optimizers, and its loss on a plane through the best
final weights of the race, as numpy (``MlpResult``), for the ``mlp`` mode.

Training runs in the full parameter space (``optimizers/training.py``) on the network of
``landscapes/mlp.py``; views draw the numpy returned here. The MLP's data, initial
weights and random directions all come from the setup's ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compute.race import racer_id, run_options
from landscapes import mlp
from optimizers.training import train_race
from scene import Setup

#: Points per side of the plane's grid.
PLANE_GRID = 101
#: Points per side of the data panel's decision map.
DECISION_GRID = 60
#: Margin around the projected paths, as a fraction of their extent.
MARGIN = 0.2


@dataclass(frozen=True)
class MlpRun:
    """One optimizer's training, seen on the plane.

    ``coords (steps+1, 2)``: the projection (α, β) of θ_t; ``loss``: the true training
    loss L(θ_t); ``plane_loss``: the loss at the projected point, L(θ* + α d₁ + β d₂);
    ``off_plane``: the distance ‖θ_t − its projection‖.
    """

    slug: str
    key: str
    name: str
    hparams: dict[str, float]
    coords: np.ndarray
    loss: np.ndarray
    plane_loss: np.ndarray
    off_plane: np.ndarray
    diverged_at: int | None
    accuracy: float


@dataclass(frozen=True)
class MlpResult:
    """What the MLP view draws."""

    plane: str  # "pca" or "random"
    center: int  # the run whose final weights θ* the plane passes through
    description: str  # what the plane is, in one sentence
    explained: tuple[float, float] | None  # PCA: share of the offsets each direction holds
    alphas: np.ndarray  # (G,)
    betas: np.ndarray  # (G,)
    zs: np.ndarray  # (G, G), rows follow β
    runs: tuple[MlpRun, ...]
    steps: int
    points: np.ndarray  # (n, 2) the moons
    labels: np.ndarray  # (n,) 0/1
    decision_xs: np.ndarray
    decision_ys: np.ndarray
    decision: np.ndarray  # (D, D) P(class 1) of the network θ*
    box: tuple[tuple[float, float], tuple[float, float]]


def _padded_span(values: np.ndarray, floor: float) -> tuple[float, float]:
    lo, hi = float(min(values.min(), 0.0)), float(max(values.max(), 0.0))
    pad = MARGIN * max(hi - lo, 1e-6)
    lo, hi = lo - pad, hi + pad
    if hi - lo < 2 * floor:
        mid = 0.5 * (lo + hi)
        lo, hi = mid - floor, mid + floor
    return lo, hi


def plane_window(coords: list[np.ndarray], center: int, floor: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The (α, β) window: every path (the centre run's always, the others' where they
    stay within 4 times its extent) plus a margin, at least ``[-floor, floor]`` wide."""
    first = coords[center]
    reach = max(float(np.abs(first).max()), floor)
    kept = [c for c in coords if np.abs(c).max() <= 4 * reach] or [first]
    allc = np.concatenate(kept)
    return (np.array(_padded_span(allc[:, 0], floor)),
            np.array(_padded_span(allc[:, 1], floor)))


def best_run(losses: list[float], diverged: list[bool]) -> int:
    """The run with the lowest final loss among those that did not diverge (else 0)."""
    ok = [i for i, d in enumerate(diverged) if not d and np.isfinite(losses[i])]
    return min(ok, key=lambda i: losses[i]) if ok else 0


def describe(plane: str, name: str, n_runs: int, explained: tuple[float, float] | None
             ) -> str:
    through = f"The plane passes through {name}'s final weights θ*"
    if n_runs > 1:
        through += " (the lowest final loss of the race)"
    if plane == "pca":
        share = sum(explained or (0.0, 0.0))
        runs = "its trajectory" if n_runs == 1 else f"all {n_runs} trajectories"
        return (f"{through} and is spanned by the top two principal directions of {runs}' "
                f"offsets θ_t − θ*, which hold {share:.1%} of the offsets' squared length.")
    return (f"{through} and is spanned by two random Gaussian directions, "
            "filter-normalized: each unit's incoming weights are scaled to the norm of "
            "θ*'s, biases are 0 (Li et al. 2018).")


def compute_mlp(setup: Setup) -> MlpResult:
    """Train the MLP with every racer of ``setup`` and slice its loss on the chosen plane.
    Pure; never touches Streamlit."""
    points, labels = (np.asarray(a) for a in mlp.moons(setup.seed))
    theta0 = np.asarray(mlp.init(setup.seed))
    runs = train_race(
        mlp.loss, theta0, (points, labels), [(r.slug, r.values) for r in setup.racers],
        setup.steps, **run_options(setup))
    best = best_run([float(r.loss[-1]) for r in runs],
                    [r.diverged_at is not None for r in runs])
    center = runs[best].path[-1].astype(np.float64)
    explained = None
    if setup.mlp_plane == "pca":
        d1, d2, share = mlp.pca_directions(np.concatenate([r.path for r in runs]), center)
        explained = (float(share[0]), float(share[1]))
        floor = 1e-3
    else:
        d1, d2 = mlp.random_directions(center, setup.seed)
        floor = 1.0
    projected = [mlp.project(r.path, center, d1, d2) for r in runs]
    alphas_lim, betas_lim = plane_window([c for c, _ in projected], best, floor)
    alphas = np.linspace(*alphas_lim, PLANE_GRID)
    betas = np.linspace(*betas_lim, PLANE_GRID)
    zs = mlp.plane_losses(center, d1, d2, alphas, betas, points, labels)

    out = []
    for i, (racer, run, (coords, off)) in enumerate(
            zip(setup.racers, runs, projected, strict=True)):
        out.append(MlpRun(
            slug=racer.slug, key=racer_id(i), name=setup.labels[i], hparams=racer.values,
            coords=coords.astype(np.float32), loss=run.loss.astype(np.float32),
            plane_loss=mlp.losses_at(center, d1, d2, coords, points, labels),
            off_plane=off.astype(np.float32), diverged_at=run.diverged_at,
            accuracy=float(mlp.accuracy(run.path[-1], points, labels)),
        ))
    lim = float(np.ceil(np.abs(points).max() * 1.1 * 4) / 4)
    box = ((-lim, lim), (-lim, lim))
    xs, ys, decision = mlp.decision_grid(runs[best].path[-1], box, DECISION_GRID)
    return MlpResult(
        plane=setup.mlp_plane, center=best,
        description=describe(setup.mlp_plane, out[best].name, len(out), explained),
        explained=explained, alphas=alphas.astype(np.float32),
        betas=betas.astype(np.float32), zs=zs, runs=tuple(out), steps=setup.steps,
        points=points.astype(np.float32), labels=labels.astype(np.float32),
        decision_xs=xs, decision_ys=ys, decision=decision.astype(np.float32), box=box,
    )
