"""The pipeline's layers, as pyproject.toml's import-linter contracts declare them.

Run here so that `python -m pytest` (what CI runs) breaks when a contract breaks; the
second test plants a violation in a copy of the tree, so a contract that checks nothing
would fail it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["ui", "views", "compute", "scene", "optimizers", "landscapes", "lessons",
            "hparam"]


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    # Through the interpreter running the tests, so the check needs nothing on PATH.
    command = [sys.executable, "-c",
               "import sys; from importlinter.cli import lint_imports; "
               "sys.exit(lint_imports(no_cache=True, no_logo=True))"]
    # A wide terminal, so that no verdict line wraps.
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "300"})


def _copy_tree(into: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", into)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, into / package,
                        ignore=shutil.ignore_patterns("__pycache__", "*.json", "*.md"))


def test_every_contract_is_kept():
    done = _lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(("module", "planted", "broken"), [
    ("views/figure.py", "import streamlit", "Streamlit only in the UI layer"),
    ("scene/model.py", "import jax.numpy", "No JAX above the compute stage"),
    ("compute/race.py", "import views.figure", "The pipeline flows one way"),
])
def test_a_planted_violation_breaks_its_contract(tmp_path, module, planted, broken):
    _copy_tree(tmp_path)
    path = tmp_path / module
    path.write_text(path.read_text() + f"\n{planted}  # planted by the test\n")
    done = _lint(tmp_path)
    assert done.returncode != 0
    assert "2 kept, 1 broken" in done.stdout
    verdicts = [line for line in done.stdout.splitlines() if line.endswith(" BROKEN")]
    assert len(verdicts) == 1 and verdicts[0].startswith(broken)
