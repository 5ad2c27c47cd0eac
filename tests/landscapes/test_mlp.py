"""The projected MLP's pieces (landscapes/mlp.py): its gradient, filter-normalized and
PCA directions, projections onto a plane and the losses on it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscapes import mlp


@pytest.mark.slow  # float64 programs of its own
def test_mlp_gradient_matches_central_differences_along_random_directions():
    with jax.enable_x64(True):
        points, labels = (jnp.asarray(a, jnp.float64) for a in mlp.moons(1))
        theta = np.asarray(mlp.init(1), dtype=np.float64)

        def f(th):
            return mlp.loss(th, points, labels)

        grad = np.asarray(jax.grad(f)(jnp.asarray(theta)))
        rng = np.random.default_rng(0)
        for _ in range(4):
            d = rng.standard_normal(mlp.SIZE)
            h = 1e-6
            fd = (float(f(jnp.asarray(theta + h * d))) - float(f(jnp.asarray(theta - h * d)))) / (
                2 * h)
            assert grad @ d == pytest.approx(fd, rel=1e-6, abs=1e-9)


# -- directions and projections -------------------------------------------------------------


def test_filter_normalized_directions_have_the_weights_filter_norms():
    theta = np.asarray(mlp.init(4), dtype=np.float64) * 1.7
    d = mlp.filter_normalized(theta, 3)
    np.testing.assert_allclose(mlp.filter_norms(d), mlp.filter_norms(theta), rtol=1e-12)
    # computed independently: per layer, the column norms of W; biases of d are 0
    i = 0
    for (a, b), _ in mlp.SHAPES:
        w, dw = theta[i: i + a * b].reshape(a, b), d[i: i + a * b].reshape(a, b)
        np.testing.assert_allclose(np.linalg.norm(dw, axis=0), np.linalg.norm(w, axis=0),
                                   rtol=1e-12)
        assert (d[i + a * b: i + a * b + b] == 0).all()
        i += a * b + b
    assert i == mlp.SIZE
    d1, d2 = mlp.random_directions(theta, 3)
    assert abs(d1 @ d2) / (np.linalg.norm(d1) * np.linalg.norm(d2)) < 0.3  # independent


def test_pca_of_a_planar_trajectory_reproduces_it_exactly():
    rng = np.random.default_rng(1)
    center = rng.standard_normal(mlp.SIZE)
    u, v = rng.standard_normal(mlp.SIZE), 0.3 * rng.standard_normal(mlp.SIZE)
    t = np.linspace(0.0, 1.0, 120)
    a, b = (1 - t) ** 2 * 3.0, np.sin(5 * t) * (1 - t)  # ends at the centre (0, 0)
    path = center + a[:, None] * u + b[:, None] * v
    d1, d2, share = mlp.pca_directions(path, path[-1])
    assert share.sum() == pytest.approx(1.0, abs=1e-12)
    assert abs(d1 @ d2) < 1e-12 and np.linalg.norm(d1) == pytest.approx(1.0)
    coords, off = mlp.project(path, path[-1], d1, d2)
    rebuilt = path[-1] + coords @ np.stack([d1, d2])
    np.testing.assert_allclose(rebuilt, path, atol=1e-10)
    assert off.max() < 1e-10
    np.testing.assert_allclose(coords[-1], [0.0, 0.0], atol=1e-12)
    # a component off the plane shows up as the distance, not in the coordinates
    w = rng.standard_normal(mlp.SIZE)
    w -= np.stack([d1, d2]).T @ (np.stack([d1, d2]) @ w)
    lifted = path + 0.25 * w / np.linalg.norm(w)
    coords2, off2 = mlp.project(lifted, path[-1], d1, d2)
    np.testing.assert_allclose(coords2, coords, atol=1e-10)
    np.testing.assert_allclose(off2, 0.25, rtol=1e-10)


def test_projection_onto_non_orthogonal_directions_is_least_squares():
    rng = np.random.default_rng(2)
    d1, d2 = rng.standard_normal(mlp.SIZE), rng.standard_normal(mlp.SIZE)
    d2 += 0.5 * d1
    center = rng.standard_normal(mlp.SIZE)
    coords = rng.standard_normal((7, 2))
    points = center + coords @ np.stack([d1, d2])
    got, off = mlp.project(points, center, d1, d2)
    np.testing.assert_allclose(got, coords, atol=1e-10)
    assert off.max() < 1e-9


def test_plane_losses_are_the_loss_at_the_plane_points():
    points, labels = mlp.moons(0)
    theta = np.asarray(mlp.init(0), dtype=np.float64)
    d1, d2 = mlp.random_directions(theta, 0)
    alphas, betas = np.array([-0.5, 0.0, 0.25]), np.array([-1.0, 0.5])
    grid = mlp.plane_losses(theta, d1, d2, alphas, betas, points, labels)
    assert grid.shape == (2, 3)
    for i, b in enumerate(betas):
        for j, a in enumerate(alphas):
            th = jnp.asarray(theta + a * d1 + b * d2, jnp.float32)
            assert grid[i, j] == pytest.approx(float(mlp.loss(th, points, labels)), rel=1e-5)
    along = mlp.losses_at(theta, d1, d2, np.array([[0.25, -1.0]]), points, labels)
    assert along[0] == pytest.approx(grid[0, 2], rel=1e-6)
