"""What an ensemble saves in compile time, and why it holds a dozen members.

    python bench/bench_ensemble.py

Compiles (first call, in this process, no persistent cache) 40 steps on Rosenbrock:
the first twelve optimizers of the catalogue each in a program of its own (the baseline,
measured in the same run), the same twelve as one ensemble, and ensembles of 6, 24 and
every optimizer, to show how compile time grows with the members
(``optimizers.ensemble.MEMBERS_PER_PROGRAM``). Wall clock on a shared machine: compare
the ratios, not the seconds.
"""

from __future__ import annotations

import _common  # noqa: F401  (puts the repository on the path)
import numpy as np
from _common import once, row

from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS, simulate
from optimizers.ensemble import MEMBERS_PER_PROGRAM, WHICH, ensemble

STEPS = 40
ROSENBROCK = LANDSCAPES["rosenbrock"]


def compile_ensemble(members: tuple[str, ...]) -> float:
    """Seconds to compile and run one ensemble of ``members`` (each run one member)."""
    n = len(members)
    batch = {WHICH: np.arange(n, dtype=np.float32),
             "learning_rate": np.full(n, 1e-3, np.float32)}
    return once(lambda: simulate(ROSENBROCK, ensemble(members), batch, None, STEPS))


def main() -> None:
    slugs = tuple(sorted(OPTIMIZERS))
    dozen = slugs[:MEMBERS_PER_PROGRAM]
    print(f"Ensemble compile times ({STEPS} steps on Rosenbrock; first call, wall clock)")
    apart = sum(once(lambda s=s: simulate(ROSENBROCK, s, None, None, STEPS)) for s in dozen)
    row(f"{len(dozen)} optimizers, a program each (baseline)", f"{apart:.1f} s")
    together = compile_ensemble(dozen)
    row(f"the same {len(dozen)} as one ensemble", f"{together:.1f} s",
        f"{together / apart:.2f}× the baseline")
    for n in (6, 24, len(slugs)):
        seconds = compile_ensemble(slugs[:n])
        row(f"an ensemble of {n}", f"{seconds:.1f} s",
            f"{seconds / n:.2f} s per member ({together / len(dozen):.2f} at "
            f"{len(dozen)})")


if __name__ == "__main__":
    main()
