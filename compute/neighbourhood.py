"""What a person may do next, computed ahead so the browser can answer at once: each
racer's runs over the whole ladder of its learning-rate slider (and of one more
hyperparameter), for scrubbing; and every racer's runs from a grid of starts over the
domain, for dragging the start. Each is one batched (vmapped) engine call per racer,
dispatched before any is awaited.

The browser only selects among these runs (the nearest grid start, the ladder notch under
the thumb); releasing commits the exact value and the page computes the exact run.
Paths are kept at a few steps only (``preview_steps``): enough to draw, small to send.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from compute.race import distance_to_minima, run_options
from optimizers import OPTIMIZERS, collect, launch
from scene import Setup, second_params

#: A second hyperparameter is scrubbed when its slider has at most this many notches
#: (β-like ladders have 18; linear ranges with ~100 notches are left to the sidebar).
LADDER_LIMIT = 24
#: Starts per side of the drag grid: 32² = 1024 runs, exactly one batch bucket.
DRAG_GRID = 32
#: Points kept of each previewed path.
SCRUB_POINTS = 60
DRAG_POINTS = 24


def preview_steps(steps: int, points: int) -> np.ndarray:
    """The path steps a preview keeps: ``points`` evenly spaced, the first and last
    included (every step when there are fewer)."""
    return np.unique(np.round(np.linspace(0, steps, min(steps + 1, points))).astype(int))


@dataclass(frozen=True)
class Scrub:
    """One slider a racer can scrub in the figure: ``values``, the slider's ladder (as the
    sidebar's), and ``current``, the ladder index of the racer's own value. Known without
    running anything: the page draws the scrubbers before their runs arrive."""

    racer: int
    name: str
    values: np.ndarray
    current: int


@dataclass(frozen=True)
class Ladder:
    """One racer's runs over one scrubbed slider's ladder (its other values as set).

    ``path (k, m, 2)``, ``loss (k, m)``, ``grad_norm (k, m)``, ``distance (k, m)`` (to
    the nearest global minimum, ``None`` without one) at ``steps (m,)``; ``diverged_at
    (k,)`` (-1: never), for the ``k`` values of ``scrub``.
    """

    scrub: Scrub
    steps: np.ndarray
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    distance: np.ndarray | None
    diverged_at: np.ndarray

@dataclass(frozen=True)
class StartGrid:
    """Every racer's runs from each start of an ``n × n`` grid over the domain.

    ``starts (n², 2)``; ``path (racers, n², m, 2)`` at ``steps (m,)``; ``diverged_at
    (racers, n²)``.
    """

    n: int
    starts: np.ndarray
    steps: np.ndarray
    path: np.ndarray
    diverged_at: np.ndarray


def scrubbed(slug: str) -> tuple[str, ...]:
    """The hyperparameters of ``slug`` that can be scrubbed in the figure."""
    spec = OPTIMIZERS[slug]
    seconds = [n for n in second_params(slug)[:1]
               if len(spec.hparams[n].ladder()) <= LADDER_LIMIT]
    return ("learning_rate", *seconds)


def scrubs(setup: Setup) -> tuple[Scrub, ...]:
    """Every racer's scrubbed sliders, in racer order."""
    out = []
    for i, racer in enumerate(setup.racers):
        spec = OPTIMIZERS[racer.slug]
        for name in scrubbed(racer.slug):
            ladder = spec.hparams[name].ladder(racer.values[name])
            out.append(Scrub(racer=i, name=name, values=np.asarray(ladder, np.float32),
                             current=ladder.index(float(racer.values[name]))))
    return tuple(out)


def _ladder_batch(values: dict[str, float], mine: list[Scrub]) -> dict[str, np.ndarray]:
    """The hyperparameter arrays of one racer's batched call over all its scrubbed
    ladders, one after the other: each ladder varies one value, the others stay as set."""
    columns = {name: [] for name in values}
    for scrub in mine:
        for v in scrub.values:
            for other in columns:
                columns[other].append(v if other == scrub.name else values[other])
    return {k: np.asarray(v, dtype=np.float32) for k, v in columns.items()}


def ladders(setup: Setup) -> tuple[Ladder, ...]:
    """The runs of every scrub (``scrubs``, same order): one batched call per racer."""
    landscape = setup.landscape()
    options = run_options(setup)
    every = scrubs(setup)
    jobs = []
    for i, racer in enumerate(setup.racers):
        mine = [s for s in every if s.racer == i]
        jobs.append((mine, launch(landscape, racer.slug, _ladder_batch(racer.values, mine),
                                  setup.start, setup.steps, **options)))
    keep = preview_steps(setup.steps, SCRUB_POINTS)
    out = []
    for mine, job in jobs:
        traj = collect(job)
        start = 0
        for scrub in mine:
            rows = slice(start, start + len(scrub.values))
            start = rows.stop
            path = traj.path[rows][:, keep]
            out.append(Ladder(scrub=scrub, steps=keep, path=path,
                              loss=traj.loss[rows][:, keep],
                              grad_norm=traj.grad_norm[rows][:, keep],
                              distance=distance_to_minima(path, landscape.minima),
                              diverged_at=traj.diverged_at[rows]))
    return tuple(out)


def start_grid(setup: Setup, n: int = DRAG_GRID) -> StartGrid:
    """Every racer's runs from an ``n × n`` grid of starts over the domain (the setup's
    own start plays no part): one batched call per racer."""
    landscape = setup.landscape()
    (x0, x1), (y0, y1) = landscape.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    starts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    options = run_options(setup)
    jobs = [launch(landscape, r.slug, r.values, starts, setup.steps, **options)
            for r in setup.racers]
    keep = preview_steps(setup.steps, DRAG_POINTS)
    runs = [collect(job) for job in jobs]
    return StartGrid(n=n, starts=starts.astype(np.float32), steps=keep,
                     path=np.stack([t.path[:, keep] for t in runs]),
                     diverged_at=np.stack([t.diverged_at for t in runs]))
