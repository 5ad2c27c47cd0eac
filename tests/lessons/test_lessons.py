"""Lesson presets (lessons/): every lesson's link decodes without a warning, and what its
text claims holds in the computed runs (compute_race(scene.setup), the app's own
numbers). The URL keys `lesson`, `present` and `overlay` are tests/scene/test_settings.py's;
the page's lesson text and presenter mode, tests/ui/test_teaching.py's.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import parse_qs

import numpy as np
import pytest

from lessons import LESSONS, load
from scene import Scene, from_query, query_string, to_query
from tests.helpers import lesson_scene as lesson
from tests.helpers import race_result

EXPECTED = {"ravine", "momentum-overshoots", "adam-saddle", "lr-too-large",
            "adaptive-aligned", "adaptive-rotated", "noise-saddle", "schedules", "clipping"}


def runs(scene: Scene) -> dict:
    return {r.slug: r for r in race_result(scene).runs}


def with_lr(scene: Scene, slug: str, lr: float) -> Scene:
    racers = tuple(replace(r, hparams=tuple(sorted({**r.values, "learning_rate": lr}.items())))
                   if r.slug == slug else r for r in scene.setup.racers)
    return scene.replace(racers=racers)


# -- the data -----------------------------------------------------------------------------


def test_the_lessons_are_data_with_a_title_a_link_and_a_paragraph():
    assert set(LESSONS) >= EXPECTED
    assert load() == LESSONS  # read from lessons/lessons.toml, nothing else
    for slug, item in LESSONS.items():
        assert item.slug == slug and re.fullmatch(r"[a-z0-9-]+", slug)
        assert item.title and "\n" not in item.text and len(item.text) > 200
        assert item.query.startswith("v=1&")


@pytest.mark.parametrize("slug", sorted(LESSONS))
def test_each_lesson_link_decodes_without_warning_and_round_trips(slug):
    scene = lesson(slug)
    assert scene.display.mode == "race" and scene.setup.steps <= 200
    opened, warnings = from_query({"lesson": slug})
    assert warnings == []
    assert opened == scene.replace(lesson=slug)  # `lesson=` reads the link as if typed
    assert to_query(opened)["lesson"] == slug
    assert from_query(parse_qs(query_string(opened))) == (opened, [])
    # the text names the numbers the link sets
    for racer in scene.setup.racers:
        assert racer.slug in LESSONS[slug].query


# -- what each lesson claims ------------------------------------------------------------------


def test_ravine_sgd_zigzags_across_the_ravine_yet_converges():
    scene = lesson("ravine")
    kappa = dict(scene.setup.surface_params)["kappa"]
    lr = scene.setup.racers[0].values["learning_rate"]
    assert 0.9 * 2 / kappa < lr < 2 / kappa  # just below 2/L
    sgd = runs(scene)["sgd"]
    y = sgd.path[:, 1]  # θ = 0: y is the stiff direction
    assert np.all(y != 0)
    assert np.all(np.sign(y[1:]) == -np.sign(y[:-1])), "the side changes at every step"
    np.testing.assert_allclose(y[1:] / y[:-1], 1 - lr * kappa, rtol=1e-4)
    assert sgd.diverged_at is None and sgd.loss[-1] < 1e-6 * sgd.loss[0]
    # the text's suggestions: η = 0.11 diverges, η = 0.05 has no zig-zag
    assert runs(with_lr(scene, "sgd", 0.11))["sgd"].diverged_at is not None
    calm = runs(with_lr(scene, "sgd", 0.05))["sgd"].path[1:, 1]
    assert np.all(np.abs(calm) < 1e-6)


def test_momentum_overshoots_the_minimum_and_sgd_does_not():
    scene = lesson("momentum-overshoots")
    assert scene.display.curve == "distance"
    r = runs(scene)
    sgd, mom = r["sgd"], r["momentum"]
    assert np.all(np.diff(sgd.distance) <= 1e-7), "SGD's distance falls at every step"
    assert sgd.path[:, 0].max() < 0
    assert mom.path[:, 0].max() > 0.3, "momentum passes to the other side of the minimum"
    rises = np.flatnonzero(np.diff(mom.distance) > 1e-6)
    assert rises.size >= 3, "momentum's distance goes down and up again"
    assert mom.distance[-1] < 0.01 * sgd.distance[-1]
    assert mom.steps_to_tolerance < sgd.steps_to_tolerance


def test_adam_escapes_the_saddle_where_sgd_stalls():
    scene = lesson("adam-saddle")
    assert scene.setup.surface == "saddle" and scene.setup.start == (-1.8, 0.001)
    r = runs(scene)
    sgd, adam = r["sgd"], r["adam"]
    assert np.hypot(*sgd.path[-1]) < 0.1, "SGD is still near the saddle at the end"
    away = np.flatnonzero(np.abs(adam.path[:, 1]) > 1)
    assert away.size and away[0] < 100, "Adam is more than 1 away before step 100"
    assert np.hypot(*adam.path[-1]) > 1
    assert adam.diverged_at is None and adam.loss[-1] < sgd.loss[-1] - 1


def test_a_learning_rate_too_large_really_diverges_and_a_smaller_one_does_not():
    scene = lesson("lr-too-large")
    kappa = dict(scene.setup.surface_params)["kappa"]
    lr = scene.setup.racers[0].values["learning_rate"]
    assert lr > 2 / kappa
    big = runs(scene)["sgd"]
    assert big.diverged_at is not None and big.diverged_at < scene.setup.steps
    y = big.path[: big.diverged_at, 1]
    assert np.all(np.sign(y[1:]) == -np.sign(y[:-1]))
    assert np.all(np.abs(y[1:]) > np.abs(y[:-1])), "the zig-zag grows"
    small = runs(with_lr(scene, "sgd", 0.19))["sgd"]
    assert small.diverged_at is None and small.loss[-1] < 1e-6


def _rotate(path: np.ndarray, degrees: float) -> np.ndarray:
    """The quadratic at θ is the one at 0 seen in coordinates turned by θ: p_θ = R(θ)ᵀ p₀."""
    t = np.deg2rad(degrees)
    rot = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    return path @ rot  # rows: (Rᵀ p)ᵀ = pᵀ R


def test_adaptive_methods_depend_on_the_axes_and_sgd_does_not():
    aligned, rotated = lesson("adaptive-aligned"), lesson("adaptive-rotated")
    theta = dict(rotated.setup.surface_params)["theta"]
    assert dict(aligned.setup.surface_params)["theta"] == 0 and theta == 45
    assert aligned.setup.racers == rotated.setup.racers
    assert aligned.setup.steps == rotated.setup.steps
    np.testing.assert_allclose(rotated.setup.start, _rotate(np.array([aligned.setup.start]),
                                                            theta)[0],
                               atol=1e-7)
    a, b = runs(aligned), runs(rotated)
    # SGD: the same path, rotated
    np.testing.assert_allclose(b["sgd"].path, _rotate(a["sgd"].path, theta), atol=2e-5)
    assert a["sgd"].steps_to_tolerance == b["sgd"].steps_to_tolerance
    assert 60 <= a["sgd"].steps_to_tolerance <= 80
    # AdaGrad and Adam: another path, not just turned, and slower once rotated
    for slug in ("adagrad", "adam"):
        gap = np.abs(b[slug].path - _rotate(a[slug].path, theta)).max()
        assert gap > 0.1, (slug, gap)
        assert b[slug].steps_to_tolerance > a[slug].steps_to_tolerance, slug
    assert a["adagrad"].steps_to_tolerance <= 15 and a["adam"].steps_to_tolerance < 50
    assert b["adagrad"].steps_to_tolerance > 3 * a["adagrad"].steps_to_tolerance


def test_gradient_noise_carries_sgd_away_from_the_saddle():
    scene = lesson("noise-saddle")
    assert scene.setup.start[1] == 0 and scene.setup.noise > 0
    quiet = runs(scene.replace(noise=0.0))["sgd"]
    assert np.all(quiet.path[:, 1] == 0), "without noise SGD never leaves y = 0"
    stalled = float(np.hypot(*quiet.path[-1]))
    assert stalled < 0.05
    for seed in range(8):  # "whatever the seed"
        noisy = runs(scene.replace(seed=seed))["sgd"]
        ended = float(np.hypot(*noisy.path[-1]))
        assert noisy.diverged_at is None and ended > 0.3 > 6 * stalled, (seed, ended)


def test_warmup_then_cosine_is_the_recorded_learning_rate_and_helps_adam_settle():
    scene = lesson("schedules")
    sp = dict(scene.setup.schedule_params)
    warm, steps = int(sp["warmup_steps"]), scene.setup.steps
    assert scene.setup.schedule == "warmup_cosine" and warm == 20 and sp["alpha"] == 0
    adam = runs(scene)["adam"]
    peak = adam.hparams["learning_rate"]
    lr = adam.learning_rate
    t = np.arange(steps)
    np.testing.assert_allclose(lr[:warm], peak * t[:warm] / warm, rtol=1e-6, atol=1e-7)
    cosine = peak * 0.5 * (1 + np.cos(np.pi * (t[warm:] - warm) / (steps - warm)))
    np.testing.assert_allclose(lr[warm:], cosine, rtol=1e-5, atol=1e-6)
    assert lr[warm] == pytest.approx(peak) and np.all(np.diff(lr[warm:]) <= 0)
    assert lr[-1] < 1e-3 * peak
    constant = runs(scene.replace(schedule="constant"))["adam"]
    assert np.all(constant.learning_rate == peak)
    assert adam.loss[-1] < constant.loss[-1] / 5


def test_clipping_keeps_the_run_that_diverges_without_it():
    scene = lesson("clipping")
    assert scene.setup.clip_norm == 100
    clipped = runs(scene)["sgd"]
    assert clipped.grad_norm[0] == pytest.approx(150, rel=0.05)
    assert clipped.loss[0] == pytest.approx(12.5)
    assert clipped.diverged_at is None
    assert clipped.loss[-1] < clipped.loss[0] / 3
    steps = np.linalg.norm(np.diff(clipped.path, axis=0), axis=1)
    assert steps.max() <= 0.3 * (1 + 1e-5), "every step is at most η × 100"
    free = runs(scene.replace(clip_norm=None))["sgd"]
    assert free.diverged_at is not None and free.diverged_at <= 10
