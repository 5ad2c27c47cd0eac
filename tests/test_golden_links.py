"""Golden v=1 links: every link recorded in tests/fixtures/golden_v1.json must still decode
to the same scene and compute the same runs (paths, losses, divergence steps, studies,
the MLP) as when it was recorded. The fixture was written once by the v=1 app (its commit
is in the file) and is never regenerated: a shared link is a public contract. The app
writes v=2 links now (racers by position); each recorded link's canonical v=1 form and
its v=2 form must read as the same scene.

Numbers are compared to float32 rounding (rtol 1e-5): a refactor that changes the
arithmetic shows up here; integer outcomes (divergence step, steps to tolerance, basin
labels) must be equal.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np
import pytest

from compute import compute_inside, compute_mlp, compute_race, run_study, study_computation
from scene import Scene, from_query, query_string

FIXTURE = Path(__file__).with_name("fixtures") / "golden_v1.json"
ENTRIES = json.loads(FIXTURE.read_text())["entries"]
#: The default link and a lesson run in the fast layer; the rest are marked slow.
FAST = {"v=1", "lesson=ravine"}


def array(spec: dict) -> np.ndarray:
    raw = base64.b64decode(spec["b64"])
    return np.frombuffer(raw, dtype=spec["dtype"]).reshape(spec["shape"])


def same(actual, expected: dict, what: str) -> None:
    want = array(expected)
    got = np.asarray(actual)
    assert got.shape == want.shape, what
    if want.dtype.kind == "i":
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        np.testing.assert_allclose(got.astype(np.float32), want, rtol=1e-5, atol=1e-6,
                                   err_msg=what)


def params(kind: str):
    chosen = [e for e in ENTRIES if e["kind"] == kind]
    return [pytest.param(e, id=e["link"][:60],
                         marks=() if e["link"] in FAST else pytest.mark.slow)
            for e in chosen]


def decoded(entry: dict) -> Scene:
    """The scene of the entry's link. The v=1 app wrote it as ``canonical``; links are
    written as v=2 now, so the canonical v=1 link must read as the same scene, with no
    warning, and so must the v=2 link written for it."""
    scene, warnings = from_query(parse_qs(entry["link"], keep_blank_values=True))
    assert warnings == entry["warnings"]
    assert from_query(parse_qs(entry["canonical"], keep_blank_values=True)) == (scene, [])
    assert from_query(parse_qs(query_string(scene), keep_blank_values=True)) == (scene, [])
    return scene


def none_or_int(value) -> int | None:
    return None if value is None else int(value)


@pytest.mark.parametrize("entry", params("race"))
def test_race_link_reproduces_its_runs(entry):
    scene = decoded(entry)
    result = compute_race(scene.setup)
    assert [r.slug for r in result.runs] == [r["slug"] for r in entry["runs"]]
    for run, want in zip(result.runs, entry["runs"], strict=True):
        at = np.asarray(want["at"])
        assert run.diverged_at == none_or_int(want["diverged_at"]), run.slug
        assert run.steps_to_tolerance == none_or_int(want["steps_to_tolerance"]), run.slug
        same(run.path[at], want["path"], f"{run.slug} path")
        same(run.loss[at], want["loss"], f"{run.slug} loss")
        same(run.grad_norm[at], want["grad_norm"], f"{run.slug} gradient norm")
        same(run.learning_rate[at[:-1]], want["learning_rate"], f"{run.slug} η_t")
        same(run.path[-1], want["final"], f"{run.slug} final point")
    zs = result.surface.zs
    np.testing.assert_allclose(np.nansum(zs.astype(np.float64)), entry["surface"]["zs_sum"],
                               rtol=1e-6)
    same(zs[len(zs) // 3], entry["surface"]["zs_row"], "surface row")
    if "panel_steps" in entry:
        same(result.panel_steps, entry["panel_steps"], "data panel steps")
    if "inside" in entry:
        inside = compute_inside(scene.setup)
        for run, want in zip(inside.runs, entry["inside"], strict=True):
            at = np.asarray(want["at"])
            same(run.gradient[at], want["gradient"], f"{run.slug} gradients seen")
            same(run.step[at], want["step"], f"{run.slug} steps")
            same(run.curvature[at], want["curvature"], f"{run.slug} curvature")
            assert sorted(run.state) == sorted(want["state"])
            for name, spec in want["state"].items():
                same(run.state[name][at], spec, f"{run.slug} state {name}")


@pytest.mark.parametrize("entry", params("study"))
def test_study_link_reproduces_its_study(entry):
    scene = decoded(entry)
    study = run_study(scene.setup, study_computation(scene.display.mode, scene.setup))
    assert study.mode == entry["mode"]
    assert study.noise == entry["noise"]
    if "lrs" in entry:
        same(study.lrs, entry["lrs"], "learning rates")
    if "paths" in entry:
        at = np.asarray(entry["paths"]["at"])
        same(study.paths.path[:, at], entry["paths"]["path"], "paths")
        same(study.paths.loss[:, at], entry["paths"]["loss"], "losses")
        same(study.paths.diverged_at, entry["paths"]["diverged_at"], "divergence")
    for name, spec in entry.get("ends", {}).items():
        same(getattr(study.ends, name), spec, f"outcome {name}")
    if "grid" in entry:
        grid = entry["grid"]
        assert study.grid.second_name == grid["second_name"]
        for name in ("second", "final_loss", "reached_at", "diverged_at"):
            same(getattr(study.grid, name), grid[name], f"grid {name}")
    for name, spec in entry.get("basins", {}).items():
        same(getattr(study.basins, name), spec, f"basins {name}")


@pytest.mark.parametrize("entry", params("mlp"))
def test_mlp_link_reproduces_its_training(entry):
    result = compute_mlp(decoded(entry).setup)
    assert result.center == entry["center"]
    if entry["explained"] is None:
        assert result.explained is None
    else:
        np.testing.assert_allclose(result.explained, entry["explained"], rtol=1e-4)
    same(result.zs[::10, ::10], entry["zs"], "plane losses")
    for run, want in zip(result.runs, entry["runs"], strict=True):
        at = np.asarray(want["at"])
        assert run.slug == want["slug"]
        assert run.diverged_at == none_or_int(want["diverged_at"])
        same(run.loss[at], want["loss"], f"{run.slug} training loss")
        same(run.coords[at], want["coords"], f"{run.slug} projected path")
        same(run.off_plane[at], want["off_plane"], f"{run.slug} distance from the plane")
        assert run.accuracy == pytest.approx(want["accuracy"], abs=1e-9)
