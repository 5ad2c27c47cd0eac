"""Training in a full parameter space (optimizers/training.py): the engine's own
dynamics, every step recorded, a diverged run frozen."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from landscapes import LANDSCAPES, mlp
from landscapes.classic import quadratic
from optimizers import simulate
from optimizers.training import train, train_race


@pytest.mark.slow  # eight programs: four optimizers, in the engine and in training
def test_training_uses_exactly_the_engines_optimizer_schedule_and_clipping():
    """On a 2-D loss, training.train and the engine's simulate are the same dynamics: a
    convex quadratic, whose parameters are traced in both (as data here), agrees to
    float32 rounding over 150 steps. L-BFGS runs without clipping: its line search's
    accept/reject decisions on clipped steps flip with one ulp of the start (the engine
    against itself), which no comparison of two programs can survive."""
    quad = LANDSCAPES["quadratic"].bind(kappa=10.0, theta=30.0)

    def loss(theta, kappa, angle):
        return quadratic(theta, {"kappa": kappa, "theta": angle})

    clipped = {"schedule": "warmup_cosine", "schedule_params": {"warmup_steps": 10.0},
               "clip_norm": 0.5}
    cases = (("adam", {"learning_rate": 0.05}, clipped),
             ("momentum", {"learning_rate": 0.02}, clipped), ("rmsprop", {}, clipped),
             ("lbfgs", {}, {"schedule": "cosine"}))
    for slug, hp, options in cases:
        ref = simulate(quad, slug, hp, quad.start, 150, **options)
        got = train(loss, np.asarray(quad.start, np.float32), (10.0, 30.0), slug, hp, 150,
                    **options)
        np.testing.assert_allclose(got.path, ref.path, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got.loss, ref.loss, rtol=1e-4, atol=1e-7)
        if slug == "adam":  # clipping and the warm-up really act: without them it differs
            plain = train(loss, np.asarray(quad.start, np.float32), (10.0, 30.0), slug, hp,
                          150)
            assert np.abs(plain.path - ref.path).max() > 1e-2


@pytest.mark.slow  # two MLP training programs (with and without noise)
def test_training_records_every_step_and_freezes_a_diverged_run():
    points, labels = mlp.moons(0)
    theta0 = mlp.init(0)
    run = train(mlp.loss, theta0, (points, labels), "sgd", {"learning_rate": 0.5}, 40)
    assert run.path.shape == (41, mlp.SIZE) and run.loss.shape == (41,)
    np.testing.assert_array_equal(run.path[0], np.asarray(theta0))
    # one SGD step is θ - η ∇L
    g = np.asarray(jax.grad(mlp.loss)(theta0, points, labels))
    np.testing.assert_allclose(run.path[1], np.asarray(theta0) - 0.5 * g, atol=1e-6)
    assert run.loss[-1] < run.loss[0] and run.diverged_at is None
    bad = train(mlp.loss, theta0, (points, labels), "sgd", {"learning_rate": 10.0}, 200,
                noise=1e6)
    assert bad.diverged_at is not None
    k = bad.diverged_at
    assert np.isfinite(bad.path).all() and np.isfinite(bad.loss).all()
    assert (bad.path[k:] == bad.path[k - 1]).all()


#: The optimizers that need more of the engine than a gradient, and the quasi-hyperbolic
#: pair: each one more MLP training program.
HOOKED = ("schedule_free_sgd", "schedule_free_adamw", "lookahead", "sam", "polyak_sgd",
          "momo", "sophia", "qhm", "qhadam")


@pytest.mark.slow  # nine MLP training programs
def test_every_hooked_optimizer_trains_the_mlp():
    """Each trains in the full parameter space with its hooks (the loss value, obj_fn, a
    key, grad_fn, a drawn point) and noise on: no exception, finite records, the loss
    down; schedule-free records its evaluation point and Lookahead its slow weights,
    which move only every fifth step."""
    points, labels = mlp.moons(0)
    theta0 = mlp.init(0)
    rates = {"schedule_free_sgd": 0.05, "polyak_sgd": 0.5, "momo": 0.5}
    runs = train_race(mlp.loss, theta0, (points, labels),
                      [(slug, {"learning_rate": rates.get(slug, 0.02)}) for slug in HOOKED],
                      40, noise=0.05, seed=1)
    for run in runs:
        assert run.path.shape == (41, mlp.SIZE), run.slug
        assert np.isfinite(run.path).all() and np.isfinite(run.loss).all(), run.slug
        assert run.diverged_at is None, run.slug
        assert run.loss[-1] < run.loss[0], run.slug
        # the recorded loss is the loss of the recorded parameters
        np.testing.assert_allclose(run.loss[-1], mlp.loss(run.path[-1], points, labels),
                                   rtol=1e-5, err_msg=run.slug)
    slow = {run.slug: run for run in runs}["lookahead"].path
    moved = np.abs(np.diff(slow, axis=0)).max(axis=1) > 0
    assert list(np.flatnonzero(moved) + 1) == [5, 10, 15, 20, 25, 30, 35, 40]
