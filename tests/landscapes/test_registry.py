"""Every landscape's stated facts, re-derived in float64."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscapes import FAMILIES, LANDSCAPES, Landscape
from tests.helpers import f64_params, value_gradient_hessian

ALL = sorted(LANDSCAPES)
WITH_MINIMA = [slug for slug in ALL if LANDSCAPES[slug].minima]


def _f64(ls: Landscape):
    def f(p):
        return ls.loss(p, f64_params(ls))

    return f


def test_surfaces_without_minima_are_the_saddles():
    assert {slug for slug in ALL if not LANDSCAPES[slug].minima} == {"saddle", "monkey_saddle"}


def test_registry_has_the_promised_surfaces():
    promised = {"rosenbrock", "saddle", "monkey_saddle", "beale", "himmelblau", "rastrigin",
                "ackley", "booth", "goldstein_price", "six_hump_camel", "styblinski_tang",
                "quadratic"}
    assert promised <= set(LANDSCAPES)
    for slug, ls in LANDSCAPES.items():
        assert ls.slug == slug
        assert ls.family in FAMILIES
        # the page's title line carries it as $…$ in Markdown
        assert ls.latex and "$" not in ls.latex, slug


@pytest.mark.parametrize("slug", ALL)
def test_minima_are_stationary_with_the_stated_value(slug):
    ls = LANDSCAPES[slug]
    with jax.enable_x64(True):
        at = value_gradient_hessian(ls.loss, f64_params(ls))
        for m in ls.minima:
            value, gradient, hessian = at(jnp.array(m, dtype=jnp.float64))
            assert value == pytest.approx(ls.min_value, abs=1e-9)
            assert np.abs(gradient).max() < 1e-7
            eig = np.linalg.eigvalsh(hessian)
            assert eig.min() >= -1e-9, "a stated minimum must not be a saddle"


@pytest.mark.slow  # an 801 × 801 float64 grid per surface
@pytest.mark.parametrize("slug", WITH_MINIMA)
def test_no_point_of_a_fine_grid_beats_the_stated_minimum(slug):
    ls = LANDSCAPES[slug]
    (x0, x1), (y0, y1) = ls.domain
    with jax.enable_x64(True):
        X, Y = jnp.meshgrid(jnp.linspace(x0, x1, 801), jnp.linspace(y0, y1, 801))
        Z = np.asarray(_f64(ls)(jnp.stack([X, Y])))
    assert Z.min() >= ls.min_value - 1e-9


@pytest.mark.parametrize("slug", ALL)
def test_saddles_are_stationary_and_indefinite(slug):
    ls = LANDSCAPES[slug]
    with jax.enable_x64(True):
        at = value_gradient_hessian(ls.loss, f64_params(ls))
        for s in ls.saddles:
            _, gradient, hessian = at(jnp.array(s, dtype=jnp.float64))
            assert np.abs(gradient).max() < 1e-7
            eig = np.linalg.eigvalsh(hessian)
            # a saddle: not a strict minimum (the monkey saddle's Hessian is zero)
            assert eig.min() <= 1e-9 and (eig.max() >= -1e-9)
            if slug != "monkey_saddle":
                assert eig.min() < 0 < eig.max()


@pytest.mark.slow  # three programs of its own per surface
@pytest.mark.parametrize("slug", ALL)
def test_point_and_grid_evaluation_agree_and_gradients_are_finite(slug):
    ls = LANDSCAPES[slug]
    (x0, x1), (y0, y1) = ls.domain
    xs, ys = np.linspace(x0, x1, 41), np.linspace(y0, y1, 37)
    X, Y = np.meshgrid(xs, ys)
    grid = np.asarray(ls.fn(jnp.stack([jnp.asarray(X), jnp.asarray(Y)])))
    assert grid.shape == X.shape
    i, j = 13, 29
    point = float(ls.fn(jnp.array([X[i, j], Y[i, j]])))
    assert point == pytest.approx(grid[i, j], rel=1e-5, abs=1e-5)
    grads = jax.vmap(jax.grad(ls.fn))(jnp.stack([X.ravel(), Y.ravel()], axis=1))
    assert np.isfinite(np.asarray(grads)).all()
    # exact grid points that are classic traps (the origin for Ackley's sqrt)
    for m in (*ls.minima, *ls.saddles, (0.0, 0.0)):
        assert np.isfinite(np.asarray(jax.grad(ls.fn)(jnp.array(m, dtype=jnp.float32)))).all()


@pytest.mark.parametrize("slug", ALL)
def test_start_lies_in_the_domain_and_is_not_already_optimal(slug):
    ls = LANDSCAPES[slug]
    (x0, x1), (y0, y1) = ls.domain
    assert x0 <= ls.start[0] <= x1 and y0 <= ls.start[1] <= y1
    for m in ls.minima:
        assert np.hypot(ls.start[0] - m[0], ls.start[1] - m[1]) > 0.5


def test_quadratic_parameters_set_the_curvatures():
    ls = LANDSCAPES["quadratic"].bind(kappa=25.0, theta=30.0)
    assert ls.param_values == {"kappa": 25.0, "theta": 30.0}
    with jax.enable_x64(True):
        _, _, h = value_gradient_hessian(ls.loss, f64_params(ls))(jnp.zeros(2))
        np.testing.assert_allclose(np.linalg.eigvalsh(h), [1.0, 25.0], rtol=1e-12)
        # the stiff direction is the v axis, rotated 30° from y toward -x
        v = np.array([-np.sin(np.pi / 6), np.cos(np.pi / 6)])
        assert v @ h @ v == pytest.approx(25.0)


def test_bind_rejects_unknown_and_out_of_range_parameters():
    with pytest.raises(KeyError):
        LANDSCAPES["quadratic"].bind(gamma=1.0)
    with pytest.raises(ValueError):
        LANDSCAPES["quadratic"].bind(kappa=0.0)
    with pytest.raises(ValueError):
        LANDSCAPES["quadratic"].bind(kappa=float("nan"))
