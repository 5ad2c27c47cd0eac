"""Engine benchmark: compiled races and sweeps against a plain numpy per-step loop.

Run: python bench/bench_engine.py

Targets (issue: core engine): 4 optimizers × 1000 steps at least 50× faster than the
same work as a numpy loop measured in this run; 256 learning rates × 1000 steps warm
within 20 ms. Compile times are printed too.
"""

from __future__ import annotations

import numpy as np
from _common import best_of, once, row

from landscapes import LANDSCAPES
from optimizers import race, simulate

STEPS = 1000
RACE = (("sgd", {"learning_rate": 1e-4}), ("momentum", {"learning_rate": 1e-4}),
        ("rmsprop", {"learning_rate": 1e-3}), ("adam", {"learning_rate": 1e-2}))


def rosenbrock_grad(p: np.ndarray) -> np.ndarray:
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


def rosenbrock(p: np.ndarray) -> float:
    x, y = p
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def numpy_race(start: np.ndarray) -> list[np.ndarray]:
    """The same four optimizers as a per-step numpy loop (the baseline)."""
    paths = []
    for slug, hp in RACE:
        lr = hp["learning_rate"]
        p = start.astype(np.float64).copy()
        v = np.zeros(2)
        m = np.zeros(2)
        path = [p.copy()]
        losses = [rosenbrock(p)]
        for t in range(1, STEPS + 1):
            g = rosenbrock_grad(p)
            if slug == "sgd":
                p = p - lr * g
            elif slug == "momentum":
                v = g + 0.9 * v
                p = p - lr * v
            elif slug == "rmsprop":
                v = 0.9 * v + 0.1 * g * g
                p = p - lr * g / np.sqrt(v + 1e-8)
            else:
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                p = p - lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
            path.append(p.copy())
            losses.append(rosenbrock(p))
        paths.append(np.array(path))
    return paths


def main() -> None:
    ls = LANDSCAPES["rosenbrock"]
    start = np.array([-1.5, 2.5])
    print(f"Engine benchmark (Rosenbrock, {STEPS} steps; best-of wall clock)")

    compile_s = once(lambda: race(ls, RACE, start, STEPS))
    race_s = best_of(lambda: race(ls, RACE, start, STEPS), repeat=15, number=5)
    loop_s = best_of(lambda: numpy_race(start), repeat=3)
    ours = race(ls, RACE, start, STEPS)
    ref = numpy_race(start)
    gap = max(float(np.abs(a.path - b).max()) for a, b in zip(ours, ref, strict=True))
    row("compile: race of 4 (first call)", f"{compile_s:.2f} s")
    row("race of 4 × 1000 steps, warm", f"{race_s * 1e3:.2f} ms")
    row("numpy per-step loop, same work", f"{loop_s * 1e3:.1f} ms")
    row("speed-up (target ≥ 50×)", f"{loop_s / race_s:.0f}×",
        "PASS" if loop_s / race_s >= 50 else "MISS")
    row("max |path - numpy path| (float32 vs float64)", f"{gap:.1e}")

    lrs = np.geomspace(1e-5, 1e-2, 256)
    compile_s = once(lambda: simulate(ls, "sgd", {"learning_rate": lrs}, start, STEPS))
    sweep_s = best_of(lambda: simulate(ls, "sgd", {"learning_rate": lrs}, start, STEPS),
                      repeat=15)
    row("compile: 256-LR sweep (first call)", f"{compile_s:.2f} s")
    row("256 LRs × 1000 steps, warm (target ≤ 20 ms)", f"{sweep_s * 1e3:.2f} ms",
        "PASS" if sweep_s <= 0.020 else "MISS")
    one = best_of(lambda: simulate(ls, "sgd", {"learning_rate": 1e-4}, start, STEPS),
                  repeat=15, number=5)
    row("1 SGD run × 1000 steps, warm", f"{one * 1e3:.2f} ms")
    row("sweep cost per run vs a single run", f"{sweep_s / 256 / one:.3f}")


if __name__ == "__main__":
    main()
