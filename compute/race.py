"""The race: every racer of a setup from one start, as numpy (``Result``).

Its output is plain numpy (float32), cheap to cache and to pickle, so the page's cache can
share it across sessions: a hundred students opening one link cost one computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from compute.frames import panel_steps
from compute.surface import Surface, surface
from landscapes import Landscape
from optimizers import collect, launch
from optimizers.sweeps import TOLERANCE
from scene import Setup


def racer_id(i: int) -> str:
    """Racer ``i``'s name in traces and tables (0-based ``i``): its link prefix, ``r1``…"""
    return f"r{i + 1}"


@dataclass(frozen=True)
class Run:
    """One racer's trajectory and its summary: ``key`` names the racer by its position
    (``r1``, ``r2``, … as the link does), ``name`` is its label."""

    slug: str
    key: str
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
    """What the race views draw: the surface and every run.

    A network's data and the first racer's fitted model at every step an animation frame
    shows: ``panel`` (a ``landscapes.network.DataPanel``) at ``panel_steps``.
    """

    surface: Surface
    start: tuple[float, float]
    runs: tuple[Run, ...]
    steps: int
    panel: Any = None
    panel_steps: np.ndarray | None = None


def run_options(setup: Setup) -> dict:
    """The engine's keyword options of a setup's runs (``simulate``'s ``**options``)."""
    return {
        "seed": setup.seed, "schedule": setup.schedule,
        "schedule_params": dict(setup.schedule_params),
        "clip_norm": np.inf if setup.clip_norm is None else setup.clip_norm,
        "noise": setup.noise,
    }


def _steps_to_tolerance(loss: np.ndarray, min_value: float | None,
                        diverged_at: int | None) -> int | None:
    if min_value is None:
        return None
    hit = np.flatnonzero(loss - min_value < TOLERANCE)
    if hit.size == 0 or (diverged_at is not None and hit[0] >= diverged_at):
        return None
    return int(hit[0])


def distance_to_minima(path: np.ndarray, minima: tuple[tuple[float, float], ...]
                       ) -> np.ndarray | None:
    """The distance of each point of ``path (..., 2)`` to the nearest global minimum."""
    if not minima:
        return None
    m = np.asarray(minima, dtype=np.float32)
    return np.sqrt(((path[..., None, :] - m) ** 2).sum(-1)).min(axis=-1)


def data_panel(landscape: Landscape, run: Run, steps: int) -> tuple[Any, np.ndarray | None]:
    """A network's data with ``run``'s fitted model at each frame's step (numpy)."""
    if landscape.panel is None:
        return None, None
    at = panel_steps(steps)
    return landscape.panel(landscape.param_values, run.path[at]), at


def compute_race(setup: Setup) -> Result:
    """Run every racer of ``setup`` and evaluate its surface. Pure; never touches Streamlit."""
    landscape = setup.landscape()
    options = run_options(setup)
    # Dispatch every run before waiting on any: JAX runs them while Python goes on.
    launched = [launch(landscape, r.slug, r.values, setup.start, setup.steps, **options)
                for r in setup.racers]
    grid = surface(landscape)
    runs = []
    for i, (racer, item) in enumerate(zip(setup.racers, launched, strict=True)):
        traj = collect(item)
        runs.append(Run(
            slug=racer.slug, key=racer_id(i), name=setup.labels[i], hparams=racer.values,
            path=traj.path, loss=traj.loss, grad_norm=traj.grad_norm,
            learning_rate=traj.learning_rate,
            distance=distance_to_minima(traj.path, landscape.minima),
            diverged_at=traj.diverged_at,
            steps_to_tolerance=_steps_to_tolerance(traj.loss, landscape.min_value,
                                                   traj.diverged_at),
        ))
    panel, at = data_panel(landscape, runs[0], setup.steps)
    return Result(surface=grid, start=setup.start, runs=tuple(runs), steps=setup.steps,
                  panel=panel, panel_steps=at)
