"""The studies of the first racer, each one batched engine call (optimizers/sweeps.py):
the learning-rate fan (and its animation), final loss against the learning rate, the
stability map, basins of attraction and the seed cloud.

``STUDY_OF_MODE`` maps a page mode to the computation it needs; ``SWEPT`` says which
hyperparameters a study sets itself (compute/keys.py leaves them out of its cache key).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from compute.race import run_options
from compute.surface import Surface, surface
from hparam import HParam
from optimizers import OPTIMIZERS, Outcome, Trajectory
from optimizers.sweeps import (
    BasinMaps,
    StabilityGrid,
    basin_maps,
    lr_grid,
    lr_outcomes,
    lr_paths,
    seed_cloud,
    stability_grid,
)
from scene import Setup

#: The final-loss curve always sweeps this many learning rates.
CURVE_LRS = 200
#: The stability heatmap's grid: learning rates × values of the second hyperparameter.
HEAT_LRS, HEAT_SECOND = 64, 48
#: The basin maps' learning rates, as multiples of the study optimizer's own.
BASIN_FACTORS = (1.0, 1.5, 2.0, 3.0)
#: The seed cloud needs noise: with σ = 0 every seed follows the same path, so the study
#: uses this σ instead (and the page says so).
SEED_NOISE = 0.5


def swept(computation: str, setup: Setup) -> tuple[str, ...]:
    """The first racer's hyperparameters that ``computation`` sets itself."""
    if computation in ("lr_fan", "lr_curve"):
        return ("learning_rate",)
    if computation == "heatmap":
        return ("learning_rate", setup.sweep_param)
    return ()


def study_computation(mode: str, setup: Setup) -> str:
    """The computation a page mode needs: the fan and the LR animation share theirs, and a
    heatmap without a second hyperparameter falls back to the final-loss curve."""
    if mode == "lr_frames":
        return "lr_fan"
    if mode == "heatmap" and not setup.sweep_param:
        return "lr_curve"
    return mode


@dataclass(frozen=True)
class Study:
    """A study's numbers (numpy only: cheap to cache and pickle)."""

    mode: str  # the computation (see ``study_computation``)
    surface: Surface
    start: tuple[float, float]
    lrs: np.ndarray | None = None
    paths: Trajectory | None = None  # lr_fan, seeds
    ends: Outcome | None = None  # lr_curve
    grid: StabilityGrid | None = None  # heatmap
    basins: BasinMaps | None = None  # basins
    noise: float = 0.0  # seeds: the σ used


def second_grid(spec: HParam, n: int) -> tuple[np.ndarray, bool]:
    """The heatmap's values of a second hyperparameter, and whether they are log-spaced:
    β-like settings in [0, 0.99]; log-scale ones over eight decades around the default;
    others over their whole range."""
    if spec.log:
        lo, hi = max(spec.low, spec.default / 1e4), min(spec.high, spec.default * 1e4)
        return np.geomspace(lo, hi, n).astype(np.float32), True
    if spec.low == 0.0 and spec.high == 0.9999:
        return np.linspace(0.0, 0.99, n).astype(np.float32), False
    return np.linspace(spec.low, spec.high, n).astype(np.float32), False


def run_study(setup: Setup, computation: str) -> Study:
    """Compute ``setup``'s study ``computation`` (one batched engine call). Pure."""
    ls = setup.landscape()
    racer = setup.study
    hp = racer.values
    opts = run_options(setup)
    study = Study(computation, surface(ls), setup.start)
    if computation == "lr_fan":
        lrs = lr_grid(setup.lr_low, setup.lr_high, setup.sweep_count)
        traj = lr_paths(ls, racer.slug, hp, lrs, setup.start, setup.steps, **opts)
        return replace(study, lrs=lrs, paths=traj)
    if computation == "lr_curve":
        lrs = lr_grid(setup.lr_low, setup.lr_high, CURVE_LRS)
        ends = lr_outcomes(ls, racer.slug, hp, lrs, setup.start, setup.steps, **opts)
        return replace(study, lrs=lrs, ends=ends)
    if computation == "heatmap":
        lrs = lr_grid(setup.lr_low, setup.lr_high, HEAT_LRS)
        spec = OPTIMIZERS[racer.slug].hparams[setup.sweep_param]
        second, _ = second_grid(spec, HEAT_SECOND)
        grid = stability_grid(ls, racer.slug, hp, lrs, setup.sweep_param, second,
                              setup.start, setup.steps, **opts)
        return replace(study, lrs=lrs, grid=grid)
    if computation == "basins":
        lrs = np.asarray(BASIN_FACTORS, dtype=np.float32) * np.float32(hp["learning_rate"])
        maps = basin_maps(ls, racer.slug, hp, lrs, setup.basins_n, setup.steps, **opts)
        return replace(study, lrs=lrs, basins=maps)
    if computation == "seeds":
        noise = setup.noise if setup.noise > 0 else SEED_NOISE
        seeds = (setup.seed + np.arange(setup.seeds_count, dtype=np.int64)) % 2**32
        del opts["seed"], opts["noise"]
        cloud = seed_cloud(ls, racer.slug, hp, setup.start, setup.steps, seeds, noise, **opts)
        return replace(study, paths=cloud, noise=noise)
    raise ValueError(f"no study {computation!r}")
