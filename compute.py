"""compute(scene) -> Result: every number a view needs, as numpy, from one Scene.

This is the only stage that calls JAX. Its output is plain numpy (float32), cheap to
cache and to pickle, so ``st.cache_data`` can share it across sessions: a hundred
students opening one link cost one computation.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from landscapes import Landscape
from optimizers import OPTIMIZERS, launch
from optimizers.engine import collect
from scene import Scene

#: Resolution of the surface grid behind the contour image and the 3D surface.
GRID = 360
SURFACE_GRID = 72
#: A run "reaches" the minimum when f - f* drops below this.
TOLERANCE = 1e-3


@dataclass(frozen=True)
class Run:
    """One optimizer's trajectory and its summary."""

    slug: str
    name: str
    hparams: dict[str, float]
    path: np.ndarray  # (steps+1, 2)
    loss: np.ndarray  # (steps+1,)
    grad_norm: np.ndarray  # (steps+1,)
    learning_rate: np.ndarray  # (steps,)
    distance: np.ndarray | None  # (steps+1,) to the nearest global minimum
    diverged_at: int | None
    steps_to_tolerance: int | None

    @property
    def final_loss(self) -> float:
        return float(self.loss[-1])


@dataclass(frozen=True)
class Result:
    """What the views draw: the surface on a grid and every run."""

    title: str
    latex: str
    domain: tuple[tuple[float, float], tuple[float, float]]
    minima: tuple[tuple[float, float], ...]
    saddles: tuple[tuple[float, float], ...]
    min_value: float | None
    log_scale: bool
    start: tuple[float, float]
    xs: np.ndarray  # (GRID,)
    ys: np.ndarray  # (GRID,)
    zs: np.ndarray  # (GRID, GRID), rows are y
    runs: tuple[Run, ...]
    steps: int
    #: network landscapes: the data and the first racer's fitted model at every step an
    #: animation frame shows (a ``landscapes.network.DataPanel``, with ``panel_steps``)
    panel: Any = None
    panel_steps: np.ndarray | None = None


@functools.lru_cache(maxsize=64)
def _grid_fn(loss):
    return jax.jit(lambda xs, ys, params: loss(jnp.stack(jnp.meshgrid(xs, ys)), params))


def surface_grid(landscape: Landscape, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``landscape`` on an ``n × n`` grid over its domain (non-finite values become NaN)."""
    (x0, x1), (y0, y1) = landscape.domain
    xs = np.linspace(x0, x1, n, dtype=np.float32)
    ys = np.linspace(y0, y1, n, dtype=np.float32)
    params = {k: np.float32(v) for k, v in landscape.param_values.items()}
    zs = np.asarray(_grid_fn(landscape.loss)(xs, ys, params), dtype=np.float32)
    return xs, ys, np.where(np.isfinite(zs), zs, np.nan)


def _steps_to_tolerance(loss: np.ndarray, min_value: float | None,
                        diverged_at: int | None) -> int | None:
    if min_value is None:
        return None
    hit = np.flatnonzero(loss - min_value < TOLERANCE)
    if hit.size == 0 or (diverged_at is not None and hit[0] >= diverged_at):
        return None
    return int(hit[0])


def _distance(path: np.ndarray, minima: tuple[tuple[float, float], ...]) -> np.ndarray | None:
    if not minima:
        return None
    m = np.asarray(minima, dtype=np.float32)
    return np.sqrt(((path[:, None, :] - m[None]) ** 2).sum(-1)).min(axis=1)


def panel_steps(steps: int) -> np.ndarray:
    """Every step an animation frame can show, in the contour view or the 3D one."""
    from views import frame_steps  # views import this module: import at call time

    return np.union1d(frame_steps(steps, False), frame_steps(steps, True))


def data_panel(landscape: Landscape, run: Run, steps: int) -> tuple[Any, np.ndarray | None]:
    """A network's data with ``run``'s fitted model at each frame's step (numpy)."""
    if landscape.panel is None:
        return None, None
    at = panel_steps(steps)
    return landscape.panel(landscape.param_values, run.path[at]), at


def run_options(scene: Scene) -> dict:
    """The engine's keyword options of a scene's runs (``simulate``'s ``**options``)."""
    return {
        "seed": scene.seed, "schedule": scene.schedule,
        "schedule_params": dict(scene.schedule_params),
        "clip_norm": np.inf if scene.clip_norm is None else scene.clip_norm,
        "noise": scene.noise,
    }


def compute(scene: Scene) -> Result:
    """Run every racer of ``scene`` and evaluate its surface. Pure; never touches Streamlit."""
    landscape = scene.landscape()
    options = run_options(scene)
    # Dispatch every run before waiting on any: JAX runs them while Python goes on.
    launched = [launch(landscape, r.slug, r.values, scene.start, scene.steps, **options)
                for r in scene.racers]
    xs, ys, zs = surface_grid(landscape, GRID)
    runs = []
    for racer, item in zip(scene.racers, launched, strict=True):
        traj = collect(item)
        runs.append(Run(
            slug=racer.slug, name=OPTIMIZERS[racer.slug].name, hparams=racer.values,
            path=traj.path, loss=traj.loss, grad_norm=traj.grad_norm,
            learning_rate=traj.learning_rate,
            distance=_distance(traj.path, landscape.minima),
            diverged_at=traj.diverged_at,
            steps_to_tolerance=_steps_to_tolerance(traj.loss, landscape.min_value,
                                                   traj.diverged_at),
        ))
    panel, at = data_panel(landscape, runs[0], scene.steps)
    return Result(
        title=landscape.name, latex=landscape.latex, domain=landscape.domain,
        minima=landscape.minima, saddles=landscape.saddles, min_value=landscape.min_value,
        log_scale=landscape.log_scale, start=scene.start, xs=xs, ys=ys, zs=zs,
        runs=tuple(runs), steps=scene.steps, panel=panel, panel_steps=at,
    )
