"""The studies are batched engine calls: they must equal the single runs they batch."""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import LANDSCAPES
from optimizers import outcomes, simulate
from optimizers.sweeps import (
    DIVERGED,
    NOT_CONVERGED,
    basin_labels,
    basin_map,
    lr_grid,
    lr_outcomes,
    lr_paths,
    quadratic_theory,
    seed_cloud,
    stability_grid,
    target_loss,
)

QUAD = LANDSCAPES["quadratic"].bind(kappa=10.0, theta=30.0)
START = (-1.8, 1.2)


def test_lr_paths_equal_single_runs():
    lrs = lr_grid(1e-3, 0.3, 9)
    batch = lr_paths(QUAD, "momentum", {"momentum": 0.8}, lrs, START, 60)
    assert batch.path.shape == (9, 61, 2)
    for i in (0, 4, 8):
        one = simulate(QUAD, "momentum", {"momentum": 0.8, "learning_rate": float(lrs[i])},
                       START, 60)
        # float32: a batched program may round differently from a single one
        np.testing.assert_allclose(batch.path[i], one.path, rtol=1e-6, atol=1e-6)
        assert (batch.diverged_at[i] if batch.diverged_at[i] >= 0 else None) == one.diverged_at


@pytest.mark.slow  # paths and outcomes of sixteen runs: two programs
def test_outcomes_equal_the_end_of_simulate():
    lrs = lr_grid(1e-3, 1.0, 16)
    paths = lr_paths(QUAD, "sgd", None, lrs, START, 100)
    ends = lr_outcomes(QUAD, "sgd", None, lrs, START, 100)
    np.testing.assert_allclose(ends.final, paths.path[:, -1], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ends.loss, paths.loss[:, -1], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(ends.diverged_at, paths.diverged_at)
    target = target_loss(QUAD)
    for i in range(16):
        below = np.flatnonzero(paths.loss[i] < target)
        expected = -1
        if below.size and (paths.diverged_at[i] < 0 or below[0] < paths.diverged_at[i]):
            expected = int(below[0])
        assert ends.reached_at[i] == expected


def test_outcomes_respect_the_step_count_inside_a_bucket():
    # 100 steps run in the 128-step bucket: the padding must not move the end point
    short = outcomes(QUAD, "sgd", {"learning_rate": 0.01}, START, 100)
    longer = outcomes(QUAD, "sgd", {"learning_rate": 0.01}, START, 120)
    path = simulate(QUAD, "sgd", {"learning_rate": 0.01}, START, 120).path
    np.testing.assert_allclose(short.final[0], path[100], rtol=1e-6)
    np.testing.assert_allclose(longer.final[0], path[120], rtol=1e-6)


@pytest.mark.slow  # a grid program and a single run of momentum
def test_stability_grid_shape_axes_and_cells():
    lrs = lr_grid(1e-3, 1.0, 12)
    betas = np.linspace(0.0, 0.95, 5)
    grid = stability_grid(QUAD, "momentum", None, lrs, "momentum", betas, START, 80)
    assert grid.final_loss.shape == (5, 12)
    np.testing.assert_array_equal(grid.lrs, lrs)
    np.testing.assert_array_equal(grid.second, betas)
    i, j = 3, 7
    one = simulate(QUAD, "momentum", {"learning_rate": float(lrs[j]),
                                      "momentum": float(betas[i])}, START, 80)
    assert grid.final_loss[i, j] == pytest.approx(float(one.loss[-1]), rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("kappa", [4.0, 10.0, 50.0])
def test_gd_stability_limit_is_where_divergence_begins(kappa):
    ls = LANDSCAPES["quadratic"].bind(kappa=kappa, theta=20.0)
    theory = quadratic_theory(ls)
    lrs = lr_grid(theory.gd_limit / 10, theory.gd_limit * 10, 200)
    ends = lr_outcomes(ls, "sgd", None, lrs, START, 500)
    first = int(np.argmax(ends.diverged_at >= 0))
    assert ends.diverged_at[first] >= 0 and (ends.diverged_at[first:] >= 0).all()
    # the limit lies within one grid cell of the first diverging learning rate
    assert lrs[first - 1] <= theory.gd_limit * 1.0001
    assert lrs[first] >= theory.gd_limit / (lrs[1] / lrs[0]) ** 1


@pytest.mark.parametrize("beta", [0.5, 0.9])
def test_heavy_ball_stability_limit(beta):
    theory = quadratic_theory(QUAD)
    limit = theory.momentum_limit(beta)
    lrs = lr_grid(limit / 10, limit * 10, 200)
    ends = lr_outcomes(QUAD, "momentum", {"momentum": beta}, lrs, START, 600)
    first = int(np.argmax(ends.diverged_at >= 0))
    ratio = lrs[1] / lrs[0]
    assert lrs[first] / ratio <= limit * 1.0001 <= lrs[first] * ratio


def test_heavy_ball_optimum_beats_the_best_gd_step():
    theory = quadratic_theory(QUAD)
    lr, beta = theory.heavy_ball_optimal
    hb = simulate(QUAD, "momentum", {"learning_rate": lr, "momentum": beta}, START, 60)
    gd = simulate(QUAD, "sgd", {"learning_rate": theory.gd_optimal}, START, 60)
    assert hb.loss[-1] < gd.loss[-1] * 1e-3


def test_theory_exists_only_for_quadratics():
    assert quadratic_theory(LANDSCAPES["rosenbrock"]) is None
    assert quadratic_theory(QUAD).L == 10.0


def test_himmelblau_basins_are_the_four_minima_reached():
    ls = LANDSCAPES["himmelblau"]
    bm = basin_map(ls, "sgd", {"learning_rate": 0.01}, 40, 400)
    assert bm.labels.shape == (40, 40)
    assert set(np.unique(bm.labels)) == {0, 1, 2, 3}
    # every label is the minimum the end point sits on
    minima = np.asarray(ls.minima)
    ends = bm.final.reshape(-1, 2)
    nearest = np.linalg.norm(ends[:, None] - minima[None], axis=-1).argmin(1)
    np.testing.assert_array_equal(bm.labels.ravel(), nearest)
    # a start next to a minimum lands in that minimum's basin
    j = int(np.argmin(np.abs(bm.xs - 3.0)))
    i = int(np.argmin(np.abs(bm.ys - 2.0)))
    assert bm.labels[i, j] == 0


def test_basin_labels_mark_divergence_and_non_convergence():
    ls = LANDSCAPES["himmelblau"]
    final = np.array([[3.0, 2.0], [0.0, 0.0], [3.0, 2.0]])
    labels = basin_labels(ls, final, np.array([0.0, 170.0, 0.0]), np.array([-1, -1, 7]))
    assert labels.tolist() == [0, NOT_CONVERGED, DIVERGED]


def test_too_large_a_step_makes_the_basin_map_diverge():
    bm = basin_map(LANDSCAPES["himmelblau"], "sgd", {"learning_rate": 0.2}, 16, 100)
    assert (bm.labels == DIVERGED).mean() > 0.9


@pytest.mark.slow  # noisy programs, batched and single
def test_seed_cloud_rows_are_the_seeded_runs():
    seeds = np.arange(6)
    cloud = seed_cloud(LANDSCAPES["saddle"], "sgd", {"learning_rate": 0.05}, (-1.5, 0.0), 80,
                       seeds, noise=0.3)
    assert cloud.path.shape == (6, 81, 2)
    one = simulate(LANDSCAPES["saddle"], "sgd", {"learning_rate": 0.05}, (-1.5, 0.0), 80,
                   seed=4, noise=0.3)
    # the same noise draw; a batch of 8 and a batch of 1 are different programs (float32)
    np.testing.assert_allclose(cloud.path[4], one.path, rtol=1e-6, atol=1e-6)
    assert len({tuple(np.round(p[-1], 5)) for p in cloud.path}) == 6
