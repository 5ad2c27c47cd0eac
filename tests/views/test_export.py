"""Exports: the CSV and JSON hold the app's numbers exactly, the JSON carries the link, the
optax script reproduces the app's trajectory when run on its own (a subprocess outside
the repository), the HTML embeds plotly.js and the figure, and the GIF animates."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from urllib.parse import parse_qs

import numpy as np
import pytest
from PIL import Image

from compute import frame_steps
from optimizers import OPTIMIZERS
from scene import SCHEMA_VERSION, Racer, Scene, from_query, query_string
from tests.helpers import race_result
from views import race_figure
from views.export import (
    CSV_COLUMNS,
    animation_gif,
    figure_html,
    python_snippet,
    trajectories_csv,
    trajectories_json,
)

#: The default scene, 100 steps (SGD first), and a scheduled + clipped + noisy one.
DEFAULT = Scene.of(steps=100)
SCHEDULED = Scene.of(
    surface="quadratic", surface_params=(("kappa", 10.0), ("theta", 30.0)),
    racers=(Racer("adam", (("b1", 0.9), ("b2", 0.999), ("eps", 1e-8), ("learning_rate", 0.3))),
            Racer("sgd", (("learning_rate", 0.02),))),
    start=(-1.8, 1.2), steps=100, seed=3, schedule="warmup_cosine",
    schedule_params=(("warmup_steps", 10.0), ("alpha", 0.1)), clip_norm=2.0, noise=0.5)


def test_csv_round_trips_to_the_same_numbers():
    res = race_result(SCHEDULED)
    rows = list(csv.reader(io.StringIO(trajectories_csv(res))))
    assert tuple(rows[0]) == CSV_COLUMNS
    body = rows[1:]
    assert len(body) == len(res.runs) * (res.steps + 1)
    for run in res.runs:
        mine = [r[3:] for r in body if r[0] == run.key]
        assert {tuple(r[:3]) for r in body if r[0] == run.key} == {
            (run.key, run.name, run.slug)}
        assert [int(r[0]) for r in mine] == list(range(res.steps + 1))
        table = np.array([[float(v) for v in r[1:5]] for r in mine], dtype=np.float32)
        np.testing.assert_array_equal(table[:, :2], run.path)  # exact, float32
        np.testing.assert_array_equal(table[:, 2], run.loss)
        np.testing.assert_array_equal(table[:, 3], run.grad_norm)
        lr = np.array([float(r[5]) for r in mine[:-1]], dtype=np.float32)
        np.testing.assert_array_equal(lr, run.learning_rate)
        assert mine[-1][5] == ""  # no update leaves the last point


def test_json_holds_the_link_its_schema_and_the_numbers():
    res = race_result(SCHEDULED)
    doc = json.loads(trajectories_json(SCHEDULED, res, "http://example.org/app"))
    assert doc["schema_version"] == SCHEMA_VERSION == 2
    assert doc["query"] == query_string(SCHEDULED)
    assert doc["link"] == "http://example.org/app?" + query_string(SCHEDULED)
    assert from_query(parse_qs(doc["query"])) == (SCHEDULED, [])
    assert [r["optimizer"] for r in doc["runs"]] == ["adam", "sgd"]
    assert [r["racer"] for r in doc["runs"]] == ["r1", "r2"]
    for entry, run in zip(doc["runs"], res.runs, strict=True):
        np.testing.assert_array_equal(np.array(entry["x"], np.float32), run.path[:, 0])
        np.testing.assert_array_equal(np.array(entry["f"], np.float32), run.loss)
        np.testing.assert_array_equal(np.array(entry["learning_rate"], np.float32),
                                      run.learning_rate)
        assert entry["hparams"] == run.hparams and entry["diverged_at"] == run.diverged_at


def _run_script(tmp_path, source: str) -> np.ndarray:
    script = tmp_path / "reproduce.py"
    script.write_text(source)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "after" in done.stdout
    return np.loadtxt(tmp_path / "path.csv", delimiter=",", skiprows=1, dtype=np.float64)


@pytest.mark.slow  # a fresh Python process imports optax and runs the script
@pytest.mark.parametrize("scene", [DEFAULT, SCHEDULED], ids=["default", "scheduled"])
def test_the_optax_script_reproduces_the_first_racer(tmp_path, scene):
    source = python_snippet(scene, "http://example.org/app?" + query_string(scene))
    assert "import optax" in source and "from landscapes" not in source  # self-contained
    assert "optax.inject_hyperparams(" in source
    if scene.setup.clip_norm is not None:
        assert "optax.clip_by_global_norm" in source
    path = _run_script(tmp_path, source)
    expected = race_result(scene).runs[0].path
    assert path.shape == expected.shape == (scene.setup.steps + 1, 2)
    np.testing.assert_allclose(path, expected, rtol=1e-5, atol=1e-5)
    # far from a coincidence: the path moved a long way
    assert np.linalg.norm(expected[-1] - expected[0]) > 0.4


#: Runs each exported script in a folder of its own, all in one fresh process (importing
#: JAX and optax once), outside the repository as a user would.
_RUN_EACH = """
import os, runpy, sys
for folder in sys.argv[1:]:
    os.chdir(folder)
    runpy.run_path("reproduce.py", run_name="__main__")
"""
EXPORT_STEPS = 30
#: L-BFGS's zoom line search accepts a trial step by comparing nearly equal losses: on
#: Rosenbrock, at step 16, the last-digit difference between the app's scan and the
#: script's per-step jit tips one comparison and the paths part (by 0.1). Before that they
#: agree to float32 rounding; that is what is checked of it.
AGREES_FOR = {"lbfgs": 15}


@pytest.mark.slow  # one fresh process compiles every optimizer's script
def test_every_optimizer_s_script_reproduces_its_run(tmp_path):
    """Every optimizer of the catalogue, at its defaults on the default surface: the
    exported script (optax's public factory, or the definition the catalogue carries)
    runs on its own and retraces the app's path."""
    racers = tuple(Racer.default(slug) for slug in OPTIMIZERS)
    runs = race_result(Scene.of(racers=racers, steps=EXPORT_STEPS)).runs
    folders = []
    for racer in racers:
        scene = Scene.of(racers=(racer,), steps=EXPORT_STEPS)
        folder = tmp_path / racer.slug
        folder.mkdir()
        (folder / "reproduce.py").write_text(python_snippet(scene))
        folders.append(str(folder))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", _RUN_EACH, *folders], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    apart = {}
    for racer, run in zip(racers, runs, strict=True):
        path = np.loadtxt(tmp_path / racer.slug / "path.csv", delimiter=",", skiprows=1)
        end = AGREES_FOR.get(racer.slug, EXPORT_STEPS)
        if run.diverged_at is not None:
            end = min(end, run.diverged_at - 1)  # the app froze it there; the script goes on
        gap = np.abs(path[: end + 1] - run.path[: end + 1])
        if not np.all(gap <= 1e-5 + 1e-5 * np.abs(run.path[: end + 1])):
            apart[racer.slug] = (int(np.argmax(gap.max(axis=1) > 1e-5)), float(gap.max()))
    assert not apart, apart  # slug: (first step apart, largest gap)


def test_the_html_embeds_plotly_js_and_the_figure():
    res = race_result(DEFAULT)
    fig = race_figure(res)
    html = figure_html(fig, "Rosenbrock <race>")
    assert html.startswith("<!doctype html>")
    assert "<title>Rosenbrock &lt;race&gt;</title>" in html
    assert re.search(r"plotly\.js v\d+\.\d+\.\d+", html), "the plotly.js bundle is inside"
    assert len(html) > 3_000_000
    assert not re.search(r"<script[^>]+src=", html), "nothing is loaded from elsewhere"
    assert "Plotly.newPlot(" in html and "Plotly.addFrames(" in html
    text = html.replace("\\u002f", "/")  # plotly.io escapes "/" in the figure's JSON
    assert text.count('"traces":[') == len(fig["frames"]) == len(frame_steps(DEFAULT.setup.steps))
    assert fig["layout"]["images"][0]["source"] in text  # the data-URI background
    paths = [t for t in fig["data"] if t.get("name") in ("SGD", "Momentum", "Adam")
             and t.get("mode") == "lines"]
    assert len(paths) == 3 and all(t["x"]["bdata"] in text for t in paths)


def test_the_gif_animates_the_race():
    res = race_result(DEFAULT)
    data = animation_gif(res, size=240, max_frames=30)
    assert data[:6] == b"GIF89a"
    img = Image.open(io.BytesIO(data))
    assert img.n_frames == 30 and img.size[0] == 240
    first = np.asarray(img.convert("RGB"))
    img.seek(img.n_frames - 1)
    last = np.asarray(img.convert("RGB"))
    assert np.abs(first.astype(int) - last).sum() > 0  # the markers moved


#: One optimizer twice, one of them labelled with markup a browser or plotly would render.
MARKUP = "<b>bold</b> %{x} $y$ & [a](b)"
TWINS = Scene.of(steps=20, racers=(Racer.default("adam"), Racer(
    "adam", (("b1", 0.0), ("b2", 0.999), ("eps", 1e-8), ("learning_rate", 0.1)), MARKUP)))


def _plotly_texts(figure: dict) -> list[str]:
    return [str(t.get(k)) for t in figure["data"] for k in ("name", "hovertemplate", "text")
            if t.get(k)]


def test_twins_are_told_apart_and_a_label_is_exported_as_text():
    res = race_result(TWINS)
    assert [(r.key, r.name) for r in res.runs] == [("r1", "Adam (β₁=0.9)"), ("r2", MARKUP)]
    assert not np.array_equal(res.runs[0].path, res.runs[1].path)  # β₁ differs, so do they
    rows = list(csv.reader(io.StringIO(trajectories_csv(res))))[1:]
    assert {tuple(r[:3]) for r in rows} == {("r1", "Adam (β₁=0.9)", "adam"),
                                            ("r2", MARKUP, "adam")}
    doc = json.loads(trajectories_json(TWINS, res))
    assert [(r["racer"], r["name"]) for r in doc["runs"]] == [("r1", "Adam (β₁=0.9)"),
                                                              ("r2", MARKUP)]
    # plotly draws every name and hover as written: no tag, template field or LaTeX
    texts = _plotly_texts(race_figure(res))
    assert any("&lt;b&gt;bold&lt;/b&gt; &#37;{x} &#36;y&#36; &amp; [a](b)" in t
               for t in texts)
    assert not any(raw in t for t in texts for raw in ("<b>bold", "%{x} $y$", "$y$"))
    assert MARKUP not in figure_html(race_figure(res))


#: The optimizers whose script defines more than an optax call (a wrapper, a drawn point
#: other than the parameters, extra update arguments, the surface's f*), each with a
#: learning rate that keeps it inside the six-hump camel's domain for 60 steps.
WRAPPED = {"schedule_free_sgd": 0.02, "schedule_free_adamw": 0.05, "lookahead": 0.05,
           "sam": 0.02, "polyak_sgd": 0.5, "momo": 0.5, "sophia": 0.02, "qhm": 0.05,
           "qhadam": 0.05}


def _wrapped_scene(slug: str) -> Scene:
    """A classic surface whose minimum value is not 0 (Polyak's and MoMo's f*), with
    noise and clipping on (the script's noise reaches SAM's second gradient, and the
    clipped chain holds the state a drawn point is read from)."""
    return Scene.of(surface="six_hump_camel", racers=(Racer(slug, (("learning_rate",
                    WRAPPED[slug]),)),), start=(-1.5, -1.0), steps=60, seed=5, noise=0.3,
                    clip_norm=5.0)


@pytest.mark.slow  # one fresh process runs the nine scripts
def test_the_optax_script_reproduces_every_wrapped_optimizer(tmp_path):
    folders = []
    for slug in WRAPPED:
        folder = tmp_path / slug
        folder.mkdir()
        (folder / "reproduce.py").write_text(python_snippet(_wrapped_scene(slug)))
        folders.append(str(folder))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", _RUN_EACH, *folders], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    for slug in WRAPPED:
        path = np.loadtxt(tmp_path / slug / "path.csv", delimiter=",", skiprows=1)
        run = race_result(_wrapped_scene(slug)).runs[0]
        assert run.diverged_at is None, slug
        # float32 in both, the same operations in a different program: rounding only
        np.testing.assert_allclose(path, run.path, rtol=1e-4, atol=1e-4, err_msg=slug)
        assert np.linalg.norm(run.path[-1] - run.path[0]) > 0.1, slug


def test_every_optimizer_has_a_factory_the_script_can_name():
    """Each factory is optax's public function or defined by the script, and each needs
    word has the script's text for its update argument."""
    from optimizers import OPTIMIZERS
    from optimizers.catalog import NEEDS
    from views.export import _UPDATE_ARGUMENTS

    assert set(_UPDATE_ARGUMENTS) == set(NEEDS)
    for slug, spec in OPTIMIZERS.items():
        assert spec.factory_path or f"def {slug}(" in spec.script, slug
        if spec.factory_path:
            assert spec.factory_path.startswith(("optax.", "optax.contrib.")), slug
    assert OPTIMIZERS["momo"].factory_path == "optax.contrib.momo"
