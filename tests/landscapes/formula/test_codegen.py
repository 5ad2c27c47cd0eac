"""The closures a formula compiles to: right values, gradients and shapes."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscapes import from_formula


def _rosen_grad(x, y):
    return (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2))


VALID = [
    (
        "sin(x)*cos(y) + 0.1*(x**2+y**2)",
        lambda x, y: np.sin(x) * np.cos(y) + 0.1 * (x**2 + y**2),
        lambda x, y: (np.cos(x) * np.cos(y) + 0.2 * x, -np.sin(x) * np.sin(y) + 0.2 * y),
    ),
    ("x^2 + 3*y^2", lambda x, y: x**2 + 3 * y**2, lambda x, y: (2 * x, 6 * y)),
    ("(1-x)^2 + 100*(y-x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, _rosen_grad),
    (
        "atan2(y, x)",
        lambda x, y: np.arctan2(y, x),
        lambda x, y: (-y / (x**2 + y**2), x / (x**2 + y**2)),
    ),
    ("max(x, y)", np.maximum, lambda x, y: (float(x > y), float(y > x))),
    ("min(x, y)", np.minimum, lambda x, y: (float(x < y), float(y < x))),
    (
        "exp(-x**2-y**2)",
        lambda x, y: np.exp(-(x**2) - y**2),
        lambda x, y: (-2 * x * np.exp(-(x**2) - y**2), -2 * y * np.exp(-(x**2) - y**2)),
    ),
    ("-x", lambda x, y: -x, lambda x, y: (-1.0, 0.0)),
    ("+y", lambda x, y: y, lambda x, y: (0.0, 1.0)),
    ("2**x", lambda x, y: 2.0**x, lambda x, y: (math.log(2) * 2.0**x, 0.0)),
    ("abs(x)+abs(y)", lambda x, y: abs(x) + abs(y), lambda x, y: (np.sign(x), np.sign(y))),
    ("-x^2", lambda x, y: -(x**2), lambda x, y: (-2 * x, 0.0)),
    ("(-x)^3", lambda x, y: -(x**3), lambda x, y: (-3 * x**2, 0.0)),
    ("2^3^x", lambda x, y: 2.0 ** (3.0**x), lambda x, y: (
        2.0 ** (3.0**x) * math.log(2) * 3.0**x * math.log(3), 0.0)),
    ("x - y - 1", lambda x, y: x - y - 1, lambda x, y: (1.0, -1.0)),
    ("x - (y - 1)", lambda x, y: x - (y - 1), lambda x, y: (1.0, -1.0)),
    ("x/y/2", lambda x, y: x / y / 2, lambda x, y: (1 / (2 * y), -x / (2 * y**2))),
    ("x/(y/2)", lambda x, y: 2 * x / y, lambda x, y: (2 / y, -2 * x / y**2)),
    ("pow(x, 3) - 3*x*y^2", lambda x, y: x**3 - 3 * x * y**2,
     lambda x, y: (3 * x**2 - 3 * y**2, -6 * x * y)),
    ("hypot(x, y) + 1", lambda x, y: np.hypot(x, y) + 1,
     lambda x, y: (x / np.hypot(x, y), y / np.hypot(x, y))),
    ("sqrt(x^2 + y^2 + 1)", lambda x, y: np.sqrt(x**2 + y**2 + 1),
     lambda x, y: (x / np.sqrt(x**2 + y**2 + 1), y / np.sqrt(x**2 + y**2 + 1))),
    ("ln(1 + x^2) - tanh(y)", lambda x, y: np.log(1 + x**2) - np.tanh(y),
     lambda x, y: (2 * x / (1 + x**2), -(1 - np.tanh(y) ** 2))),
    ("pi*e*x + arctan(y)", lambda x, y: math.pi * math.e * x + np.arctan(y),
     lambda x, y: (math.pi * math.e, 1 / (1 + y**2))),
    ("sigmoid(x) + softplus(y)", lambda x, y: 1 / (1 + np.exp(-x)) + np.log1p(np.exp(y)),
     lambda x, y: (np.exp(-x) / (1 + np.exp(-x)) ** 2, 1 / (1 + np.exp(-y)))),
    ("x^(1/2) * 1e-1", lambda x, y: np.sqrt(abs(x)) * 0.1,
     lambda x, y: (0.05 / np.sqrt(abs(x)), 0.0)),  # evaluated at |x| only, see below
    ("7", lambda x, y: 7.0, lambda x, y: (0.0, 0.0)),
]


@pytest.mark.parametrize(("text", "value", "grad"), VALID, ids=[v[0] for v in VALID])
def test_values_and_gradients_match_closed_forms(text, value, grad):
    ls = from_formula(text)
    rng = np.random.default_rng(1234)
    points = rng.uniform(-2.5, 2.5, size=(12, 2))
    if "1/2" in text:
        points[:, 0] = np.abs(points[:, 0]) + 0.1
    g = jax.jit(jax.grad(ls.fn))
    for x, y in points:
        p = jnp.array([x, y], dtype=jnp.float32)
        v = float(ls.fn(p))
        want = float(value(x, y))
        assert v == pytest.approx(want, rel=2e-4, abs=1e-4), (text, x, y)
        got = np.asarray(g(p))
        assert got == pytest.approx(np.array(grad(x, y), dtype=float), rel=2e-3, abs=1e-3)


def test_grid_and_point_shapes():
    ls = from_formula("sin(x)*y + 1")
    xs, ys = jnp.linspace(-1, 1, 7), jnp.linspace(-2, 2, 5)
    X, Y = jnp.meshgrid(xs, ys)
    grid = ls.fn(jnp.stack([X, Y]))
    assert grid.shape == (5, 7)
    np.testing.assert_allclose(grid, np.sin(np.asarray(X)) * np.asarray(Y) + 1, rtol=1e-6)
    assert ls.fn(jnp.array([0.5, 0.5])).shape == ()
    # a constant still has the shape of the input, and a zero gradient
    c = from_formula("2 + 3")
    assert c.fn(jnp.stack([X, Y])).shape == (5, 7)
    assert np.all(np.asarray(jax.grad(c.fn)(jnp.array([1.0, 2.0]))) == 0.0)
    # integer input is promoted; vmap and jit work
    assert ls.fn(jnp.array([1, 2])).dtype == jnp.float32
    batched = jax.vmap(ls.fn)(jnp.array([[0.0, 1.0], [1.0, 2.0]]))
    assert batched.shape == (2,)
    assert float(jax.jit(ls.fn)(jnp.array([1.0, 2.0]))) == pytest.approx(math.sin(1) * 2 + 1)
