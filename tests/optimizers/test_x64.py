"""The engine under ``jax_enable_x64``: a host that turns float64 on (a notebook, another
library) must see the same runs, in float32, bit for bit.

x64 is process-wide and fixed once JAX computes, so each side runs in a subprocess of
its own and hands its arrays back in an .npz: first without x64, then with it. Every
optimizer of the catalogue, with noise, a schedule and clipping on (each a compiled-in
branch with float constants of its own).

Both sides keep their programs in one on-disk compilation cache, whose key is the
program's text: a program traced under x64 exactly as without it is loaded, not
compiled again, and one that differs (a float64 leak) is compiled anew, and caught by
the comparison.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Runs as a script in both modes: prints nothing, writes ``{name: array}`` to argv[1],
#: keeps its compiled programs in argv[2].
#: The whole catalogue runs as a few ensembles (a program of a dozen optimizers each),
#: each optimizer at its defaults; a fused race, the outcome and state readers are
#: checked on L-BFGS, whose optax state takes the default dtype.
RUNS = r'''
import sys
import numpy as np
from optimizers.engine import use_compilation_cache
use_compilation_cache(sys.argv[2])
from landscapes import LANDSCAPES
from landscapes import mlp
from optimizers import OPTIMIZERS
from optimizers.engine import look_inside, outcomes, race, simulate
from optimizers.ensemble import WHICH, ensemble, groups
from optimizers.training import train

rosenbrock = LANDSCAPES["rosenbrock"]
options = dict(seed=7, noise=0.3, schedule="cosine", clip_norm=5.0)
out = {}
for members in groups(tuple(OPTIMIZERS)):
    defaults = {WHICH: np.arange(len(members), dtype=np.float32),
                "learning_rate": np.array([OPTIMIZERS[s].hparams["learning_rate"].default
                                           for s in members], np.float32)}
    runs = simulate(rosenbrock, ensemble(members), defaults, (-1.2, 1.0), 40, **options)
    for i, slug in enumerate(members):
        out[f"{slug}.path"], out[f"{slug}.loss"] = runs.path[i], runs.loss[i]
        out[f"{slug}.learning_rate"] = runs.learning_rate[i]
for slug, run in zip(("lbfgs", "adam"), race(rosenbrock, [("lbfgs", {}), ("adam", {})],
                                             (-1.2, 1.0), 40, **options), strict=True):
    out[f"race.{slug}.path"] = run.path
ends = outcomes(rosenbrock, "lbfgs", None, np.array([[-1.2, 1.0], [0.5, -0.5]]), 40,
                **options)
out["lbfgs.outcome_final"] = ends.final
inside = look_inside(rosenbrock, "lbfgs", None, (-1.2, 1.0), 40, **options)
for name, leaf in inside.state.items():
    out[f"lbfgs.inside.{name}"] = leaf
points, labels = mlp.moons(0)
trained = train(mlp.loss, mlp.init(0), (points, labels), "adam", None, 30, noise=0.1, seed=3)
out["train.data"], out["train.loss"] = np.asarray(points), trained.loss
out["train.path"] = trained.path
np.savez(sys.argv[1], **out)
'''


@pytest.mark.slow
def test_runs_are_float32_and_unchanged_under_x64(tmp_path):
    wide_file, narrow_file = tmp_path / "x64.npz", tmp_path / "x32.npz"
    cache = str(tmp_path / "programs")
    for x64, out in (("0", narrow_file), ("1", wide_file)):
        env = {**os.environ, "JAX_ENABLE_X64": x64, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", RUNS, str(out), cache], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-4000:]
    with np.load(wide_file) as w, np.load(narrow_file) as n:
        wide, narrow = dict(w), dict(n)
    assert wide.keys() == narrow.keys()
    wrong_dtype = {k: str(v.dtype) for k, v in wide.items()
                   if v.dtype.kind == "f" and v.dtype != np.float32}
    assert not wrong_dtype, json.dumps(wrong_dtype)
    for name, value in narrow.items():
        np.testing.assert_array_equal(wide[name], value, err_msg=name)
