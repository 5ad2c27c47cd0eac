"""Fair races: every racer at its own best learning rate, not at one rate for all.

A race at one learning rate judges the rate as much as the optimizer (pytorch-optimizer
issues #71 and #219). With ``Setup.tune`` on, each racer first runs a sweep: ``TUNE_LRS``
learning rates spaced geometrically over its own slider's range, every other setting as
raced (hyperparameters, start, steps, schedule, clipping, noise and seed), in one batched
``outcomes`` call (the ends of the runs only). Its rate is the best by the criterion:

- ``final``: the lowest final f − f*;
- ``reach``: the fewest steps to f − f* < ``tune_tol``, ties to the lower final f − f*;

diverged runs excluded. f* is the surface's minimum value; a typed formula's is not
known, so there f* is the lowest value of f on the map's grid. A racer none of whose
runs qualifies (all diverged, or none reached the tolerance) keeps its own rate.

The choice is a pure function of the Setup, and does not depend on the racer's own rate
unless it is kept: tuning the tuned setup chooses the same rates. ``tuned_setup`` is the
setup the race then runs, the rates written in and tuning off, so everything the race
view computes (the race, its ladders, the grid of starts, what is inside) is keyed and
shared like a race whose rates were set by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from compute.race import run_options
from compute.surface import GRID, surface_grid
from landscapes import Landscape
from optimizers import OPTIMIZERS, outcomes
from scene import Setup, pairs

#: Learning rates each racer's sweep tries (one batch bucket).
TUNE_LRS = 64
CRITERIA = ("final", "reach")


@dataclass(frozen=True)
class Sweep:
    """One racer's sweep (``racer``: its position in ``setup.racers``).

    ``lrs (n,)`` the learning rates tried; for each, ``final_gap`` the final f − f*,
    ``reached_at`` the first step with f − f* < tol (-1: never, or it diverged first) and
    ``diverged_at`` (-1: never). ``chosen`` indexes ``lrs`` (``None``: no run qualified,
    the racer keeps ``own``, its own rate).
    """

    racer: int
    lrs: np.ndarray
    final_gap: np.ndarray
    reached_at: np.ndarray
    diverged_at: np.ndarray
    chosen: int | None
    own: float

    @property
    def learning_rate(self) -> float:
        """The rate the race runs this racer at."""
        return self.own if self.chosen is None else float(self.lrs[self.chosen])


@dataclass(frozen=True)
class Tuning:
    """Every racer's sweep, by the criterion ``criterion`` (with ``tol`` for ``reach``)
    after ``steps`` steps; ``f_star`` is the f* of f − f* (``f_star_known``: the
    surface's minimum value, else the lowest f on its grid)."""

    criterion: str
    tol: float
    steps: int
    f_star: float
    f_star_known: bool
    sweeps: tuple[Sweep, ...]


def choose(criterion: str, final_gap: np.ndarray, reached_at: np.ndarray,
           diverged_at: np.ndarray) -> int | None:
    """The index of the best run by ``criterion`` among those that did not diverge (and,
    for ``reach``, reached the tolerance); ``None`` if there is none. Ties go to the
    smaller learning rate (the lower index)."""
    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}")
    gap = np.asarray(final_gap, dtype=np.float64)
    ok = (np.asarray(diverged_at) < 0) & np.isfinite(gap)
    if criterion == "reach":
        reached = np.asarray(reached_at)
        ok &= reached >= 0
        if not ok.any():
            return None
        ok &= reached == reached[ok].min()
    if not ok.any():
        return None
    return int(np.flatnonzero(ok)[np.argmin(gap[ok])])


def f_star(landscape: Landscape) -> tuple[float, bool]:
    """The f* of f − f*, and whether it is the surface's known minimum value (else the
    lowest f on the map's grid)."""
    if landscape.min_value is not None:
        return float(landscape.min_value), True
    zs = surface_grid(landscape, GRID)[2]
    return float(np.nanmin(zs)), False


def tuning_lrs(slug: str) -> np.ndarray:
    """``TUNE_LRS`` learning rates spaced geometrically over ``slug``'s slider range, in
    float64 (each inside the range, so a tuned setup reads back from its link)."""
    spec = OPTIMIZERS[slug].hparams["learning_rate"]
    return np.clip(np.geomspace(spec.low, spec.high, TUNE_LRS), spec.low, spec.high)


def sweep(setup: Setup, index: int, landscape: Landscape, best: float) -> Sweep:
    """Racer ``index``'s sweep: one batched call of the engine (``best`` is f*)."""
    racer = setup.racers[index]
    lrs = tuning_lrs(racer.slug)
    hparams = {**racer.values, "learning_rate": lrs}
    ends = outcomes(landscape, racer.slug, hparams, setup.start, setup.steps,
                    target=best + setup.tune_tol, **run_options(setup))
    gap = ends.loss.astype(np.float64) - best
    return Sweep(racer=index, lrs=lrs, final_gap=gap, reached_at=ends.reached_at,
                 diverged_at=ends.diverged_at,
                 chosen=choose(setup.tune, gap, ends.reached_at, ends.diverged_at),
                 own=float(racer.values["learning_rate"]))


def tune(setup: Setup) -> Tuning:
    """Sweep every racer of ``setup`` by its ``tune`` criterion (not ``"off"``)."""
    if setup.tune not in CRITERIA:
        raise ValueError(f"tuning is {setup.tune!r}: nothing to tune")
    landscape = setup.landscape()
    best, known = f_star(landscape)
    return Tuning(criterion=setup.tune, tol=setup.tune_tol, steps=setup.steps, f_star=best,
                  f_star_known=known,
                  sweeps=tuple(sweep(setup, i, landscape, best)
                               for i in range(len(setup.racers))))


def tuned_setup(setup: Setup, tuning: Tuning) -> Setup:
    """The setup the race runs: each racer at its tuned rate, tuning off."""
    racers = list(setup.racers)
    for s in tuning.sweeps:
        racer = racers[s.racer]
        racers[s.racer] = replace(racer, hparams=pairs({**racer.values,
                                                        "learning_rate": s.learning_rate}))
    return replace(setup, racers=tuple(racers), tune="off")
