"""The runs computed ahead for the stage (compute/neighbourhood.py): each ladder row is the
run at that notch of the slider, each grid row the run from that start, as ``simulate``
computes them one at a time."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from compute.neighbourhood import (
    DRAG_POINTS,
    LADDER_LIMIT,
    SCRUB_POINTS,
    ladders,
    preview_steps,
    scrubbed,
    scrubs,
    start_grid,
)
from compute.race import run_options
from optimizers import OPTIMIZERS, simulate
from scene import Racer, Scene

#: 60 steps: one step bucket, shared with other tests' programs.
SETUP = Scene.of(surface="quadratic", steps=60, start=(-1.5, 1.0),
                 racers=(Racer("sgd", (("learning_rate", 0.05),)),
                         Racer.default("momentum"))).setup


@functools.cache
def the_ladders():
    return ladders(SETUP)


def test_preview_steps_span_the_run_and_keep_its_ends():
    for steps, points in ((60, 24), (1, 24), (2000, 60), (7, 60)):
        kept = preview_steps(steps, points)
        assert kept[0] == 0 and kept[-1] == steps
        assert np.all(np.diff(kept) > 0) and len(kept) <= points


def test_the_learning_rate_is_always_scrubbed_and_a_short_ladder_too():
    for slug, spec in OPTIMIZERS.items():
        names = scrubbed(slug)
        assert names[0] == "learning_rate"
        for name in names[1:]:
            assert len(spec.hparams[name].ladder()) <= LADDER_LIMIT
    assert scrubbed("momentum") == ("learning_rate", "momentum")
    assert scrubbed("adam") == ("learning_rate", "b1")
    assert scrubbed("sgd") == ("learning_rate",)


def test_each_scrub_is_the_sliders_ladder_with_the_racers_own_value():
    by_racer = {(s.racer, s.name): s for s in scrubs(SETUP)}
    assert list(by_racer) == [(0, "learning_rate"), (1, "learning_rate"), (1, "momentum")]
    for (i, name), scrub in by_racer.items():
        racer = SETUP.racers[i]
        spec = OPTIMIZERS[racer.slug].hparams[name]
        expected = np.asarray(spec.ladder(racer.values[name]), dtype=np.float32)
        np.testing.assert_array_equal(scrub.values, expected)
        assert scrub.values[scrub.current] == np.float32(racer.values[name])
    # the ladders' runs come in the same order, one row per value
    assert [(lad.scrub.racer, lad.scrub.name) for lad in the_ladders()] == list(by_racer)
    for ladder in the_ladders():
        np.testing.assert_array_equal(ladder.steps, preview_steps(SETUP.steps, SCRUB_POINTS))
        assert ladder.path.shape == (len(ladder.scrub.values), len(ladder.steps), 2)


@pytest.mark.parametrize("which", [(0, "learning_rate"), (1, "momentum")])
def test_a_ladder_row_is_the_run_at_that_notch(which):
    ladder = next(lad for lad in the_ladders() if (lad.scrub.racer, lad.scrub.name) == which)
    scrub = ladder.scrub
    racer = SETUP.racers[scrub.racer]
    landscape = SETUP.landscape()
    for k in (0, scrub.current, len(scrub.values) - 1):
        values = {**racer.values, scrub.name: float(scrub.values[k])}
        one = simulate(landscape, racer.slug, values, SETUP.start, SETUP.steps,
                       **run_options(SETUP))
        assert ladder.diverged_at[k] == (-1 if one.diverged_at is None else one.diverged_at)
        np.testing.assert_allclose(ladder.path[k], one.path[ladder.steps], rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(ladder.loss[k], one.loss[ladder.steps], rtol=1e-5,
                                   atol=1e-6)


def test_a_grid_row_is_the_run_from_that_start():
    grid = start_grid(SETUP, n=4)
    (x0, x1), (y0, y1) = SETUP.landscape().domain
    assert grid.starts.shape == (16, 2)
    np.testing.assert_allclose(grid.starts[0], [x0, y0])
    np.testing.assert_allclose(grid.starts[-1], [x1, y1])
    np.testing.assert_allclose(grid.starts[1], [x0 + (x1 - x0) / 3, y0])  # x runs fastest
    assert grid.path.shape == (2, 16, len(preview_steps(SETUP.steps, DRAG_POINTS)), 2)
    landscape = SETUP.landscape()
    for i, racer in enumerate(SETUP.racers):
        for g in (0, 5, 15):
            one = simulate(landscape, racer.slug, racer.values, tuple(grid.starts[g]),
                           SETUP.steps, **run_options(SETUP))
            np.testing.assert_allclose(grid.path[i, g], one.path[grid.steps], rtol=1e-5,
                                       atol=1e-6)
