"""The engine under ``jax_enable_x64``: a host that turns float64 on (a notebook, another
library) must see the same runs, in float32, bit for bit.

x64 is process-wide, so the x64 side runs in a subprocess of its own and hands its
arrays back in an .npz; the float32 side is this process's. Both keep their programs in
the worker's on-disk compilation cache, whose key is the program's text: a program
traced under x64 exactly as without it is loaded from there, not compiled again, and one
that differs (a float64 leak) is compiled anew, and caught by the comparison.

Every optimizer of the catalogue runs on every surface through the divergence matrix's
own programs (one ensemble per group, tests/optimizers/test_divergence_matrix.py), each
group checked in that group's unit of work, where those programs were just compiled.
Noise, a schedule and clipping (each a compiled-in branch with float constants of its
own, the same for every optimizer) are checked on a race of L-BFGS, whose optax state
takes the default dtype, and Adam; with the outcome and state readers and the MLP's
training.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.optimizers.test_divergence_matrix import GROUPS, SURFACES, group_runs

ROOT = Path(__file__).resolve().parents[2]

def ensemble_runs(k: int) -> dict[str, np.ndarray]:
    """The ``k``-th group of the catalogue at every learning rate on every surface: the
    divergence matrix's batches, through its one program."""
    out = {}
    for surface in SURFACES:
        runs = group_runs(k, surface)
        for field in ("path", "loss", "grad_norm", "learning_rate", "diverged_at"):
            out[f"{surface}.{field}"] = np.asarray(getattr(runs, field))
    return out


#: Every option on: noise, a schedule and clipping.
OPTIONS = dict(seed=7, noise=0.3, schedule="cosine", clip_norm=5.0)


def option_runs() -> dict[str, np.ndarray]:
    """A race, outcomes, the state read inside and the MLP's training, every option on."""
    from landscapes import LANDSCAPES, mlp
    from optimizers.engine import look_inside, outcomes, race
    from optimizers.training import train

    rosenbrock = LANDSCAPES["rosenbrock"]
    out = {}
    for slug, run in zip(("lbfgs", "adam"),
                         race(rosenbrock, [("lbfgs", {}), ("adam", {})], (-1.2, 1.0), 40,
                              **OPTIONS), strict=True):
        out[f"race.{slug}.path"], out[f"race.{slug}.loss"] = run.path, run.loss
        out[f"race.{slug}.learning_rate"] = run.learning_rate
    ends = outcomes(rosenbrock, "lbfgs", None, np.array([[-1.2, 1.0], [0.5, -0.5]]), 40,
                    **OPTIONS)
    out["lbfgs.outcome_final"] = ends.final
    inside = look_inside(rosenbrock, "lbfgs", None, (-1.2, 1.0), 40, **OPTIONS)
    for name, leaf in inside.state.items():
        out[f"lbfgs.inside.{name}"] = leaf
    points, labels = mlp.moons(0)
    trained = train(mlp.loss, mlp.init(0), (points, labels), "adam", None, 30, noise=0.1,
                    seed=3)
    out["train.data"], out["train.loss"] = np.asarray(points), trained.loss
    out["train.path"] = trained.path
    return out


#: The x64 side: ``python -c X64 <function> <its arguments as JSON> <out.npz>``, in the
#: worker's compile cache.
X64 = f"""
import json, os, sys
import numpy as np
from optimizers.engine import use_compilation_cache
use_compilation_cache(os.environ.get("OPTPLAY_JAX_CACHE"))
import {__name__} as source
np.savez(sys.argv[3], **getattr(source, sys.argv[1])(*json.loads(sys.argv[2])))
"""


def under_x64(function, *args, tmp_path: Path) -> dict[str, np.ndarray]:
    """``function(*args)`` (of this module) in a process with x64 on."""
    out = tmp_path / "x64.npz"
    env = {**os.environ, "JAX_ENABLE_X64": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", X64, function.__name__, json.dumps(args),
                           str(out)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    with np.load(out) as wide:
        return dict(wide)


def assert_same_runs(wide: dict[str, np.ndarray], narrow: dict[str, np.ndarray]) -> None:
    assert wide.keys() == narrow.keys()
    wrong_dtype = {k: str(v.dtype) for k, v in wide.items()
                   if v.dtype.kind == "f" and v.dtype != np.float32}
    assert not wrong_dtype, json.dumps(wrong_dtype)
    for name, value in narrow.items():
        np.testing.assert_array_equal(wide[name], value, err_msg=name)


@pytest.mark.slow  # a fresh Python process imports JAX and loads the group's program
@pytest.mark.parametrize("group", range(len(GROUPS)))
def test_every_optimizer_runs_unchanged_under_x64(group, tmp_path):
    narrow = ensemble_runs(group)
    assert_same_runs(under_x64(ensemble_runs, group, tmp_path=tmp_path), narrow)


@pytest.mark.slow  # a fresh Python process imports JAX
def test_noise_schedules_clipping_and_the_state_run_unchanged_under_x64(tmp_path):
    narrow = option_runs()
    assert_same_runs(under_x64(option_runs, tmp_path=tmp_path), narrow)
