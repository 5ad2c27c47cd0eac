"""MLP loss-landscape benchmark: a 60×60 grid of the loss on a plane through the weights.

Run: python bench/bench_network.py

The grid is one vmapped, jitted call (``landscapes.mlp.plane_losses``); the baseline is
the same 3600 losses evaluated point by point, a Python loop calling a jitted
single-point loss, timed on a subsample of points and extrapolated (labelled as such).
Compile time is printed apart from the warm time.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np
from _common import best_of, once, row

from landscapes import mlp

GRID = 60
SUBSAMPLE = 300


def main() -> None:
    points, labels = mlp.moons(0)
    theta = np.asarray(mlp.init(0), dtype=np.float64)
    d1, d2 = mlp.random_directions(theta, 0)
    alphas = np.linspace(-1.0, 1.0, GRID)
    betas = np.linspace(-1.0, 1.0, GRID)

    print(f"MLP {'-'.join(map(str, mlp.LAYERS))} ({mlp.SIZE} parameters), {mlp.MOON_POINTS} "
          f"points; loss on a {GRID}×{GRID} plane grid ({GRID * GRID} evaluations)")
    compile_s = once(lambda: mlp.plane_losses(theta, d1, d2, alphas, betas, points, labels))
    warm = best_of(lambda: mlp.plane_losses(theta, d1, d2, alphas, betas, points, labels))
    grid = mlp.plane_losses(theta, d1, d2, alphas, betas, points, labels)
    row("vmapped grid: first call (compile + run)", f"{compile_s * 1e3:.1f} ms")
    row("vmapped grid: warm (best of 7)", f"{warm * 1e3:.2f} ms")

    # Baseline: the same losses one point at a time, a Python loop over a jitted loss.
    f32 = np.float32
    c, u, v = (jnp.asarray(a, jnp.float32) for a in (theta, d1, d2))
    pts, lab = jnp.asarray(points), jnp.asarray(labels)
    single = jax.jit(lambda a, b: mlp.loss(c + a * u + b * v, pts, lab))
    single(f32(0.0), f32(0.0)).block_until_ready()  # compile outside the timing
    rng = np.random.default_rng(0)
    pick = rng.choice(GRID * GRID, SUBSAMPLE, replace=False)
    ia, ib = pick % GRID, pick // GRID

    def loop() -> list[float]:
        return [float(single(f32(alphas[i]), f32(betas[j]))) for i, j in zip(ia, ib,
                                                                           strict=True)]

    t = time.perf_counter()
    values = loop()
    per_point = (time.perf_counter() - t) / SUBSAMPLE
    per_point = min(per_point, best_of(loop, repeat=3) / SUBSAMPLE)
    np.testing.assert_allclose(values, grid[ib, ia], rtol=1e-4)  # the same numbers
    baseline = per_point * GRID * GRID
    row("baseline: Python loop of a jitted 1-point loss",
        f"{per_point * 1e6:.1f} µs/pt", f"timed on {SUBSAMPLE} points")
    row(f"baseline: {GRID * GRID} points (extrapolated)", f"{baseline * 1e3:.1f} ms",
        f"= {SUBSAMPLE}-point timing × {GRID * GRID / SUBSAMPLE:g}")
    row("speed-up of the vmapped grid over the baseline (warm)", f"{baseline / warm:.0f}×")


if __name__ == "__main__":
    main()
