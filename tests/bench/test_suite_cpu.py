"""The suite's CPU breakdown (bench/suite_cpu.py), run as its command line on a small
part of the suite with two workers: it reports the run's exit status, its wall time,
the CPU of every process it started, and the workers' share by kind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "suite_cpu.py"

pytestmark = pytest.mark.slow  # an inner pytest with two workers of its own: ~10 s


def test_the_breakdown_names_the_workers_and_the_floor():
    # the inner run must not think it is one of this run's workers
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    done = subprocess.run([sys.executable, str(SCRIPT), "tests/hparam", "-n", "2",
                           "-p", "no:cacheprovider"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"suite: exit status 0, [\d.]+ s wall, cold", out), out
    total = float(re.search(r"CPU of every process it started: ([\d.]+) CPU-s", out)[1])
    workers = re.search(r"pytest workers\s+([\d.]+) CPU-s", out)
    assert workers and 0 < float(workers[1]) <= total, out
    floor = re.search(r"floor on (\d+) cores: ([\d.]+) s; wall / floor = ([\d.]+)", out)
    assert floor and float(floor[2]) == pytest.approx(total / int(floor[1]), abs=0.11), out
