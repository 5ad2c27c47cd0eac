"""Study benchmark: the batched sweeps of optimizers/sweeps.py against numpy loops.

Run: python bench/bench_sweeps.py

Targets (issue: learning-rate effects and sweeps), warm, best of several runs:
- 256 learning rates × 1000 steps (whole paths, SGD on Rosenbrock) ≤ 20 ms;
- a (learning rate, β) grid of 64 × 64 runs × 500 steps (momentum on Rosenbrock) ≤ 1 s;
- a basin map of 200 × 200 starts × 500 steps (SGD on Himmelblau) ≤ 3 s.
Compile times (first call minus a warm call) are printed separately.

The baseline is the same work as a numpy per-step loop, measured in this run: one run at
a time (the straightforward loop), and also vectorized over the runs (numpy's best).
Where a one-run-at-a-time loop over every run would take minutes, it runs on a subsample
of the runs and is extrapolated linearly; those lines say so. The machine has 2 cores
and may be shared: every figure is the best of several runs.
"""

from __future__ import annotations

import numpy as np
from _common import best_of, once, row

from landscapes import LANDSCAPES
from optimizers.sweeps import basin_map, lr_grid, lr_paths, stability_grid


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def rosenbrock_grad(x, y):
    return -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)


def himmelblau(x, y):
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


def himmelblau_grad(x, y):
    a, b = x * x + y - 11, x + y * y - 7
    return 4 * x * a + 2 * b, 2 * a + 4 * y * b


def loop_one(f, grad, x, y, lr, beta, steps, center, radius, keep_path):
    """One run as a per-step numpy loop: heavy ball (β = 0: SGD), the loss and the
    divergence test at every step, like the engine."""
    p = np.array([x, y], dtype=np.float64)
    v = np.zeros(2)
    path = [p.copy()] if keep_path else None
    loss = f(*p)
    for _ in range(steps):
        g = np.array(grad(*p))
        v = g + beta * v
        q = p - lr * v
        value = f(*q)
        if not (np.isfinite(q).all() and np.isfinite(value)
                and (np.abs(q - center) <= radius).all()):
            break
        p, loss = q, value
        if keep_path:
            path.append(p.copy())
    return p, loss


def loop_vectorized(f, grad, x, y, lr, beta, steps, center, radius, keep_path):
    """All runs at once, one numpy step at a time (arrays over the runs)."""
    x, y = np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)
    vx, vy = np.zeros_like(x), np.zeros_like(y)
    alive = np.ones(x.shape, dtype=bool)
    paths = []
    with np.errstate(all="ignore"):
        for _ in range(steps):
            gx, gy = grad(x, y)
            vx, vy = gx + beta * vx, gy + beta * vy
            nx, ny = x - lr * vx, y - lr * vy
            value = f(nx, ny)
            ok = (alive & np.isfinite(nx) & np.isfinite(ny) & np.isfinite(value)
                  & (np.abs(nx - center[0]) <= radius) & (np.abs(ny - center[1]) <= radius))
            x, y = np.where(ok, nx, x), np.where(ok, ny, y)
            alive = ok
            if keep_path:
                paths.append(np.stack([x, y]))
    return x, y


def subsample_loop(runs, n_total, **kw) -> tuple[float, int]:
    """Seconds per run of the one-run loop (best of 3 over the subsample) and its size."""
    def go():
        for args in runs:
            loop_one(*args, **kw)
    return best_of(go, repeat=3) / len(runs), len(runs)


def report(label, ours, compile_s, target, loop_one_s, n_runs, sub, loop_vec_s, note):
    row(f"compile: {label} (first call − warm call)", f"{compile_s:.2f} s")
    row(f"{label}, warm (target ≤ {target * 1e3:g} ms)", f"{ours * 1e3:.1f} ms",
        "PASS" if ours <= target else "MISS")
    extrapolated = loop_one_s * n_runs
    tag = f"extrapolated from {sub} of {n_runs} runs" if sub < n_runs else "measured"
    row("  numpy loop, one run at a time", f"{extrapolated:.2f} s", tag)
    row("  numpy loop, vectorized over runs", f"{loop_vec_s:.2f} s", note)
    row("  speed-up vs one run at a time", f"{extrapolated / ours:.0f}×", tag)
    row("  speed-up vs vectorized numpy", f"{loop_vec_s / ours:.1f}×")


def lr_fan_sweep() -> None:
    """256 learning rates × 1000 steps, whole paths (the LR fan / LR animation)."""
    ls = LANDSCAPES["rosenbrock"]
    start, steps = np.array([-1.5, 2.5]), 1000
    center, radius = np.array(ls.center), ls.escape_radius
    lrs = lr_grid(1e-5, 1e-2, 256)

    def sweep():
        return lr_paths(ls, "sgd", None, lrs, start, steps)

    first = once(sweep)
    warm = best_of(sweep, repeat=15)
    sub = [(rosenbrock, rosenbrock_grad, *start, float(lr), 0.0, steps, center, radius)
           for lr in lrs[:: len(lrs) // 16]]
    per_run, k = subsample_loop(sub, len(lrs), keep_path=True)
    vec = best_of(lambda: loop_vectorized(rosenbrock, rosenbrock_grad, np.full(256, start[0]),
                                          np.full(256, start[1]), lrs.astype(np.float64), 0.0,
                                          steps, center, radius, True), repeat=3)
    report("256 LRs × 1000 steps (paths)", warm, first - warm, 0.020, per_run, len(lrs), k,
           vec, "measured")
    ours = sweep()
    ref = loop_one(rosenbrock, rosenbrock_grad, *start, float(lrs[100]), 0.0, steps, center,
                   radius, False)[0]
    row("  |end point − numpy| at η = lrs[100]", f"{np.abs(ours.path[100, -1] - ref).max():.1e}",
        "float32 vs float64")


def stability_sweep(rng: np.random.Generator) -> None:
    """(η, β) grid 64 × 64 × 500 steps, outcomes only (the stability heatmap)."""
    ls = LANDSCAPES["rosenbrock"]
    start, steps = np.array([-1.5, 2.5]), 500
    center, radius = np.array(ls.center), ls.escape_radius
    glrs = lr_grid(1e-5, 1e-2, 64)
    betas = np.linspace(0.0, 0.99, 64).astype(np.float32)

    def grid():
        return stability_grid(ls, "momentum", None, glrs, "momentum", betas, start, steps)

    first = once(grid)
    warm = best_of(grid, repeat=5)
    L, B = np.meshgrid(glrs.astype(np.float64), betas.astype(np.float64))
    picks = rng.choice(L.size, 32, replace=False)
    sub = [(rosenbrock, rosenbrock_grad, *start, float(L.flat[i]), float(B.flat[i]), steps,
            center, radius) for i in picks]
    per_run, k = subsample_loop(sub, L.size, keep_path=False)
    vec = best_of(lambda: loop_vectorized(rosenbrock, rosenbrock_grad, np.full(L.size, start[0]),
                                          np.full(L.size, start[1]), L.ravel(), B.ravel(),
                                          steps, center, radius, False), repeat=3)
    report("64 × 64 (η, β) grid × 500 steps", warm, first - warm, 1.0, per_run, L.size, k, vec,
           "measured")


def basin_sweep(rng: np.random.Generator) -> None:
    """Basin map 200 × 200 starts × 500 steps, SGD on Himmelblau."""
    hb = LANDSCAPES["himmelblau"]
    hcenter, hradius = np.array(hb.center), hb.escape_radius
    n, lr, steps = 200, 0.01, 500

    def basins():
        return basin_map(hb, "sgd", {"learning_rate": lr}, n, steps)

    first = once(basins)
    warm = best_of(basins, repeat=3)
    (x0, x1), (y0, y1) = hb.domain
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    picks = rng.choice(X.size, 32, replace=False)
    sub = [(himmelblau, himmelblau_grad, float(X.flat[i]), float(Y.flat[i]), lr, 0.0, steps,
            hcenter, hradius) for i in picks]
    per_run, k = subsample_loop(sub, X.size, keep_path=False)
    vec = best_of(lambda: loop_vectorized(himmelblau, himmelblau_grad, X.ravel(), Y.ravel(),
                                          lr, 0.0, steps, hcenter, hradius, False), repeat=2)
    report("basin map 200 × 200 × 500 steps", warm, first - warm, 3.0, per_run, X.size, k, vec,
           "measured")
    bm = basins()
    ends = loop_vectorized(himmelblau, himmelblau_grad, X.ravel(), Y.ravel(), lr, 0.0, steps,
                           hcenter, hradius, False)
    gap = np.abs(bm.final.reshape(-1, 2) - np.stack(ends, axis=1)).max()
    row("  max |end point − numpy| over the 40 000 runs", f"{gap:.1e}", "float32 vs float64")


def main() -> None:
    rng = np.random.default_rng(0)
    print("Sweep benchmark (best-of wall clock; 2 shared cores)")
    lr_fan_sweep()
    stability_sweep(rng)
    basin_sweep(rng)


if __name__ == "__main__":
    main()
