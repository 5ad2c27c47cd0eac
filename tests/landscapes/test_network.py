"""The toy neural-network landscapes (landscapes/network.py): the exact 2-parameter
networks (tanh unit, logistic regression), their gradients, minima and saddle, their
seeded data, and their minibatch losses."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscapes import LANDSCAPES, mlp
from landscapes import network as nw
from optimizers import simulate
from tests.helpers import f64_params, seeded_digests, value_gradient_hessian

ROOT = Path(__file__).resolve().parents[2]
NETWORKS = ("tanh_unit", "logistic")


def f64_loss(slug: str, **values):
    ls = LANDSCAPES[slug].bind(**values) if values else LANDSCAPES[slug]
    params = f64_params(ls)
    return ls, (lambda p: ls.loss(p, params)), params


# -- gradients against central finite differences (float64) -------------------------------


def central_difference(f, p: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(p)
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = h
        out[i] = (float(f(jnp.asarray(p + e))) - float(f(jnp.asarray(p - e)))) / (2 * h)
    return out


@pytest.mark.slow  # float64 programs of its own
@pytest.mark.parametrize("slug", NETWORKS)
def test_network_gradients_match_central_differences(slug):
    with jax.enable_x64(True):
        ls, f, params = f64_loss(slug, seed=7)
        key = jax.random.PRNGKey(3)
        for p in ([0.3, -1.2], [2.1, 0.7], [-1.4, 2.5]):
            p = np.array(p, dtype=np.float64)
            np.testing.assert_allclose(np.asarray(jax.grad(f)(jnp.asarray(p))),
                                       central_difference(f, p), rtol=1e-6, atol=1e-8)
            # and the minibatch loss of one fixed batch
            mb_params = {**params, "batch_size": jnp.float64(9)}

            def g(q, mb_params=mb_params):
                return ls.stochastic_loss(q, mb_params, key)

            np.testing.assert_allclose(np.asarray(jax.grad(g)(jnp.asarray(p))),
                                       central_difference(g, p), rtol=1e-6, atol=1e-8)


# -- the tanh unit's minima and saddle are where the teacher says --------------------------


@pytest.mark.parametrize("seed", [0, 1, 42, 99])
def test_tanh_unit_minima_are_the_teacher_and_its_mirror(seed):
    with jax.enable_x64(True):
        ls, _, params = f64_loss("tanh_unit", seed=seed)
        assert ls.minima == ((nw.TEACHER_B, nw.TEACHER_A), (-nw.TEACHER_B, -nw.TEACHER_A))
        assert ls.min_value == 0.0
        at = value_gradient_hessian(ls.loss, params)
        for m in ls.minima:
            value, gradient, hessian = at(jnp.array(m, dtype=jnp.float64))
            assert value == 0.0  # a noiseless teacher: exactly zero
            assert np.abs(gradient).max() == 0.0
            assert np.linalg.eigvalsh(hessian).min() > 1e-3
        # elsewhere the loss is positive: the minima are global
        grid = jnp.stack(jnp.meshgrid(jnp.linspace(-3, 3, 121), jnp.linspace(-3, 3, 121)))
        z = np.asarray(jax.jit(ls.loss)(grid, params))
        far = np.ones(z.shape, dtype=bool)
        for m in ls.minima:
            far &= np.hypot(np.asarray(grid[0]) - m[0], np.asarray(grid[1]) - m[1]) > 0.2
        assert z[far].min() > 1e-3


def test_tanh_unit_origin_is_a_saddle_with_the_predicted_hessian():
    with jax.enable_x64(True):
        ls, _, params = f64_loss("tanh_unit")
        assert ls.saddles == ((0.0, 0.0),)
        origin = jnp.zeros(2, dtype=jnp.float64)
        _, gradient, h = value_gradient_hessian(ls.loss, params)(origin)
        assert np.abs(gradient).max() == 0.0
        x = np.asarray(nw.tanh_inputs(0), dtype=np.float64)
        c = -2.0 * np.mean(x * nw.TEACHER_A * np.tanh(nw.TEACHER_B * x))
        np.testing.assert_allclose(h, [[0.0, c], [c, 0.0]], atol=1e-12)
        eig = np.linalg.eigvalsh(h)
        assert eig.min() < -0.1 and eig.max() > 0.1  # indefinite


# -- the logistic regression's minimum -----------------------------------------------------


@pytest.mark.parametrize("seed", [0, 3, 57, 99])
def test_logistic_minimum_is_stationary_and_strictly_convex(seed):
    with jax.enable_x64(True):
        ls, f, params = f64_loss("logistic", seed=seed)
        (m,) = ls.minima
        p = jnp.array(m, dtype=jnp.float64)
        at = value_gradient_hessian(ls.loss, params)
        value, _, hessian = at(p)
        assert value == pytest.approx(ls.min_value, abs=1e-12)
        # op by op: compiled, the gradient's sum over the float32 data comes out about
        # 3e-9 off (float32's precision), though every per-example term agrees to 1e-16
        assert np.abs(np.asarray(jax.grad(f)(p))).max() < 1e-10
        assert np.linalg.eigvalsh(hessian).min() > 1e-3  # positive definite
        # and nothing nearby is lower
        for d in ([1e-3, 0], [0, 1e-3], [-1e-3, 1e-3]):
            assert at(p + jnp.asarray(d))[0] > ls.min_value


def test_logistic_minimum_lies_inside_the_domain_for_every_seed():
    (x0, x1), (y0, y1) = LANDSCAPES["logistic"].domain
    for seed in range(nw.SEEDS):
        (wx, wy), value = nw.logistic_minimum(seed)
        assert x0 < wx < x1 and y0 < wy < y1, seed
        assert 0 < value < np.log(2)  # better than w = 0, and not separable (finite, > 0)


def test_the_registered_default_minimum_is_derive_of_seed_0():
    ls = LANDSCAPES["logistic"]
    bound = ls.bind(seed=0)
    assert bound.minima == ls.minima == (nw.LOGISTIC_MINIMUM_SEED0[0],)
    assert bound.min_value == ls.min_value == nw.LOGISTIC_MINIMUM_SEED0[1]
    assert ls.bind(seed=5).minima != ls.minima  # the minimum moves with the data


# -- data ----------------------------------------------------------------------------------


def test_data_depend_on_the_seed_only_and_a_traced_seed_works():
    x0, x0b = np.asarray(nw.tanh_inputs(0)), np.asarray(nw.tanh_inputs(0.0))
    assert x0.shape == (nw.DATA_SIZE,) and (x0 == x0b).all()
    assert np.abs(x0).max() <= nw.X_RANGE
    assert not np.array_equal(x0, np.asarray(nw.tanh_inputs(1)))
    traced = jax.jit(lambda s: nw.blobs(s)[0])(jnp.float32(4))
    np.testing.assert_array_equal(np.asarray(traced), np.asarray(nw.blobs(4)[0]))
    _, s = nw.blobs(4)
    assert np.asarray(s).sum() == 0  # balanced classes
    points, labels = mlp.moons(2)
    assert points.shape == (mlp.MOON_POINTS, 2) and float(labels.mean()) == 0.5
    with jax.enable_x64(True):  # float32 draws in either mode
        np.testing.assert_array_equal(np.asarray(nw.tanh_inputs(0)), x0)


@pytest.mark.slow  # a fresh Python process imports JAX
def test_a_fixed_seed_gives_identical_data_and_paths_in_a_new_process():
    """This process first: the new one then loads the compiled programs from this
    worker's compile cache (the same programs, not compiled again) and draws every
    seeded number itself."""
    here = seeded_digests()
    script = (f"import os, sys; sys.path.insert(0, {str(ROOT)!r}); "
              "from optimizers.engine import use_compilation_cache; "
              "use_compilation_cache(os.environ.get('OPTPLAY_JAX_CACHE')); "
              "from tests.helpers import seeded_digests; print(*seeded_digests())")
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, env=env, timeout=600)
    assert out.stdout.split() == here


# -- minibatches ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 5, 32, 63, 64])
def test_batch_weights_pick_exactly_batch_size_examples(size):
    draws = 3000
    keys = jax.random.split(jax.random.PRNGKey(size), draws)
    # one program for every batch size: the size is traced
    weights = jax.jit(jax.vmap(nw.batch_weights, in_axes=(0, None)))
    w = np.asarray(weights(keys, jnp.float32(size)))
    assert set(np.unique(w)) <= {0.0, 1.0}
    assert (w.sum(axis=1) == size).all()
    # each example is drawn with probability size/n, independently of its index
    p = size / nw.DATA_SIZE
    seen = w.sum(axis=0)
    sd = np.sqrt(draws * p * (1 - p))
    assert np.abs(seen - draws * p).max() <= 5 * sd + 1e-9


@pytest.mark.slow  # 300 steps, two programs per case
@pytest.mark.parametrize("slug", NETWORKS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_minibatch_sgd_with_the_full_batch_is_full_batch_gradient_descent(slug, optimizer):
    full = LANDSCAPES[slug].bind(batch_size=nw.DATA_SIZE)
    exact = replace(full, stochastic_loss=None)  # the engine then follows ∇f itself
    hp = {"learning_rate": 0.05}
    a = simulate(full, optimizer, hp, steps=300, seed=5)
    b = simulate(exact, optimizer, hp, steps=300, seed=5)
    # Two compiled programs (the minibatch one masks and reweights): equal up to float32
    # rounding of the same numbers, i.e. a few ulps, not bit for bit.
    np.testing.assert_allclose(a.path, b.path, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-6, atol=1e-7)
    # ... while a smaller batch really is stochastic, and its recorded loss is the exact one
    small = simulate(LANDSCAPES[slug].bind(batch_size=8), optimizer, hp, steps=300, seed=5)
    assert np.abs(small.path - b.path).max() > 1e-3
    f = LANDSCAPES[slug].bind(batch_size=8).fn
    assert float(small.loss[-1]) == pytest.approx(float(f(jnp.asarray(small.path[-1]))),
                                                  rel=1e-5)


def test_the_full_loss_and_the_full_batch_loss_are_the_same_number():
    for slug in NETWORKS:
        ls = LANDSCAPES[slug]
        params = {k: jnp.float32(v) for k, v in ls.param_values.items()}
        p = jnp.array([0.7, -0.4], jnp.float32)
        assert float(ls.stochastic_loss(p, params, jax.random.PRNGKey(9))) == float(
            ls.loss(p, params))
