"""Seeing inside the optimizers: the overlay numbers are optax's own state, the arrows are
the recorded gradient, momentum and step, the curvature is the Hessian's, and the figure
with its overlays is a valid plotly figure. (The page with `overlay=1` is
tests/ui/test_teaching.py's.)

The optimizer state is checked the way tests/optimizers/test_look_inside.py checks
look_inside: optax is replayed eagerly on the recorded gradients, with float32
hyperparameters.
"""

from __future__ import annotations

import functools

import numpy as np
import optax
import plotly.graph_objects as go
import pytest

from compute import Insides, compute_inside, frame_steps
from compute.inside import curvature
from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS
from scene import Racer
from tests.helpers import OVERLAY_CLIP as CLIP
from tests.helpers import OVERLAY_KAPPA as KAPPA
from tests.helpers import OVERLAY_RACERS as RACERS
from tests.helpers import OVERLAY_SCENE as SCENE
from tests.helpers import OVERLAY_THETA as THETA
from tests.helpers import race_result
from views.overlays import (
    arrows,
    live_rule,
    numbers,
    overlay_layout,
    table_rows,
    tex_vector,
    update_index,
)
from views.packing import unpack
from views.stage import race_message

#: compute_inside compiles a look-inside program for each of the five racers.
pytestmark = pytest.mark.slow

f32 = np.float32
UPDATES = (0, 1, 7, 23, 39)


@functools.lru_cache(maxsize=1)
def insides() -> Insides:
    return compute_inside(SCENE.setup)


def result():
    return race_result(SCENE)


def run_of(slug: str):
    return next(r for r in insides().runs if r.slug == slug)


def replay(transform, grads: np.ndarray, start) -> tuple[list, list, np.ndarray]:
    """Feed optax (clipping first, as the engine) the recorded gradients eagerly: the
    inner states, the clipped gradients and the steps."""
    clip = optax.clip_by_global_norm(f32(CLIP))
    params = np.asarray(start, dtype=f32)
    state = transform.init(params)
    states, clipped, steps = [], [], []
    for g in grads:
        g_used, _ = clip.update(np.asarray(g, f32), clip.init(params))
        updates, state = transform.update(g_used, state, params)
        params = optax.apply_updates(params, updates)
        states.append(state)
        clipped.append(np.asarray(g_used))
        steps.append(np.asarray(updates))
    return states, clipped, np.asarray(steps)


def test_adam_moments_and_effective_rate_are_optax_state():
    run = run_of("adam")
    lr, b1, b2, eps = f32(0.05), f32(0.9), f32(0.999), f32(1e-8)
    states, clipped, steps = replay(optax.adam(lr, b1=b1, b2=b2, eps=eps), run.gradient,
                                    SCENE.setup.start)
    np.testing.assert_allclose(run.step, steps, rtol=1e-4, atol=1e-6)
    for k in UPDATES:
        n = numbers(run, k, CLIP)
        s = states[k][0]
        np.testing.assert_allclose(n.g_used, clipped[k], rtol=1e-6)
        assert n.clipped == (np.linalg.norm(run.gradient[k]) >= CLIP)
        np.testing.assert_allclose(n.moments["m"], s.mu, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(n.moments["v"], s.nu, rtol=1e-5, atol=1e-9)
        m_hat = s.mu / (1 - b1 ** (k + 1))
        v_hat = s.nu / (1 - b2 ** (k + 1))
        np.testing.assert_allclose(n.moments["m̂"], m_hat, rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(n.moments["v̂"], v_hat, rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(n.eta_eff, lr / (np.sqrt(v_hat) + eps), rtol=1e-5)
        # the effective rate times the first moment is the step optax took
        np.testing.assert_allclose(-n.eta_eff * n.moments["m̂"], steps[k], rtol=1e-4,
                                   atol=1e-7)
        np.testing.assert_allclose(n.multiplier, steps[k] / -clipped[k], rtol=1e-4)
        if k:
            np.testing.assert_allclose(n.previous["m"], states[k - 1][0].mu, rtol=1e-5,
                                       atol=1e-8)


@pytest.mark.parametrize("slug, transform, key, moment", [
    ("rmsprop", lambda: optax.rmsprop(f32(0.01), decay=f32(0.9), eps=f32(1e-8)), "ν", "nu"),
    ("adagrad", lambda: optax.adagrad(f32(0.5), initial_accumulator_value=f32(0.1),
                                      eps=f32(1e-7)), "G", "sum_of_squares"),
])
def test_rms_and_sum_of_squares_rates_are_optax_state(slug, transform, key, moment):
    run = run_of(slug)
    states, clipped, steps = replay(transform(), run.gradient, SCENE.setup.start)
    lr = f32(run.hparams["learning_rate"])
    eps = f32(run.hparams["eps"])
    for k in UPDATES:
        n = numbers(run, k, CLIP)
        acc = getattr(states[k][0], moment)
        np.testing.assert_allclose(n.moments[key], acc, rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(n.eta_eff, lr / np.sqrt(acc + eps), rtol=1e-5)
        # for these, the effective rate is exactly what the step multiplied −ĝ by
        np.testing.assert_allclose(n.multiplier, n.eta_eff, rtol=1e-4)
        np.testing.assert_allclose(-n.eta_eff * clipped[k], steps[k], rtol=1e-4, atol=1e-7)


def test_momentum_velocity_is_optax_trace_and_sgd_rate_is_eta():
    mom = run_of("momentum")
    states, _, steps = replay(optax.sgd(f32(0.02), momentum=f32(0.9)), mom.gradient,
                                    SCENE.setup.start)
    for k in UPDATES:
        n = numbers(mom, k, CLIP)
        np.testing.assert_allclose(n.moments["v"], states[k][0].trace, rtol=1e-5, atol=1e-7)
        assert n.eta_eff is None  # η scales the velocity, not g
        np.testing.assert_allclose(-f32(0.02) * n.moments["v"], steps[k], rtol=1e-4,
                                   atol=1e-7)
    sgd = numbers(run_of("sgd"), 7, CLIP)
    np.testing.assert_allclose(sgd.eta_eff, [0.05, 0.05], rtol=1e-6)
    np.testing.assert_allclose(sgd.multiplier, 0.05, rtol=1e-4)


@pytest.mark.parametrize("slug", [r.slug for r in RACERS])
def test_arrows_are_the_gradient_the_momentum_and_the_step_of_the_path(slug):
    path = next(r for r in result().runs if r.slug == slug).path
    run = run_of(slug)
    np.testing.assert_array_equal(run.path, path)  # look_inside retraces the race
    for k in UPDATES:
        drawn = {a.kind: a for a in arrows(run, k, SCENE.setup.landscape().domain)}
        assert drawn["step"].origin == pytest.approx(tuple(path[k]))
        np.testing.assert_allclose(drawn["step"].vector, path[k + 1] - path[k], rtol=1e-6,
                                   atol=1e-9)
        np.testing.assert_allclose(drawn["gradient"].vector, -run.gradient[k], rtol=1e-6)
        if slug == "momentum":
            np.testing.assert_allclose(drawn["momentum"].vector, -run.state["trace"][k],
                                       rtol=1e-6)
        elif slug == "adam":
            np.testing.assert_allclose(drawn["momentum"].vector, -run.state["mu"][k],
                                       rtol=1e-6)
        else:
            assert "momentum" not in drawn
        # −∇f and the momentum share one scale, so their lengths compare
        if "momentum" in drawn:
            assert drawn["momentum"].scale == drawn["gradient"].scale


def test_the_drawn_arrows_are_those_vectors_at_the_frame():
    steps_at = frame_steps(SCENE.setup.steps)
    at = int(steps_at[9])
    extra = overlay_layout(insides(), SCENE.setup.landscape().domain, at)
    by_name = {a["name"]: a for a in extra["annotations"]}
    for run in insides().runs:
        k = update_index(run.steps, at)
        for arrow in arrows(run, k, SCENE.setup.landscape().domain):
            drawn = by_name[f"{run.key}.{arrow.kind}"]
            assert (drawn["ax"], drawn["ay"]) == pytest.approx(tuple(run.path[k]))
            tip = np.array([drawn["x"], drawn["y"]]) - np.array([drawn["ax"], drawn["ay"]])
            np.testing.assert_allclose(tip, arrow.scale * np.asarray(arrow.vector), rtol=1e-9)
            assert by_name[f"{run.key}.{arrow.kind}.label"]["text"] == arrow.label
    # the gradient field: one path shape of short segments
    (field,) = [s for s in extra["shapes"] if s["name"] == "gradient field"]
    assert field["type"] == "path" and field["path"].count("M") > 50


def test_the_hessian_matches_numpy_on_the_quadratic():
    landscape = LANDSCAPES["quadratic"].bind(kappa=KAPPA, theta=THETA)
    t = np.deg2rad(THETA)
    rot = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]])
    expected = rot.T @ np.diag([1.0, KAPPA]) @ rot  # f = ½ pᵀ Rᵀ diag(1, κ) R p
    values, vectors = np.linalg.eigh(expected)
    points = np.array([[-1.5, 1.0], [0.3, -0.2], [0.0, 0.0]], dtype=np.float32)
    h, w, v = curvature(landscape, points)
    for i in range(len(points)):
        np.testing.assert_allclose(h[i], expected, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(w[i], [1.0, KAPPA], rtol=1e-5)
        np.testing.assert_allclose(w[i], values, rtol=1e-5)
        for j in range(2):  # eigenvectors agree up to sign
            assert abs(float(v[i][:, j] @ vectors[:, j])) == pytest.approx(1.0, abs=1e-5)
    run = run_of("sgd")
    np.testing.assert_allclose(run.curvature, np.broadcast_to([1.0, KAPPA], (41, 2)),
                               rtol=1e-5)
    # the drawn segments follow the eigenvectors; the label gives 2/λmax
    extra = overlay_layout(insides(), landscape.domain, 0)
    stiff = next(s for s in extra["shapes"] if s["name"] == "curvature.1")
    d = np.array([stiff["x1"] - stiff["x0"], stiff["y1"] - stiff["y0"]])
    assert abs(d @ vectors[:, 1]) / np.linalg.norm(d) == pytest.approx(1.0, abs=1e-5)
    label = next(a for a in extra["annotations"] if a["name"] == "curvature.1.label")
    assert f"2/λmax = {2 / KAPPA:.3g}" in label["text"]


def test_table_and_live_rule_carry_this_steps_numbers():
    at = int(frame_steps(SCENE.setup.steps)[5])
    rows = table_rows(insides(), at)
    assert len(rows) == 2 * len(RACERS)
    adam = run_of("adam")
    n = numbers(adam, at, CLIP)
    (row_x,) = [r for r in rows if r["optimizer"] == "Adam"]
    assert row_x["η_eff from the state"] == f"{n.eta_eff[0]:.4g}"
    assert f"m = {n.moments['m'][0]:.4g}" in row_x["state after the update"]
    rule = live_rule(adam, at, CLIP)
    assert rule.startswith(r"\begin{aligned}") and rule.endswith(r"\end{aligned}")
    for vector in (n.g, n.g_used, n.moments["m"], n.moments["v"], n.moments["m̂"],
                   n.moments["v̂"], n.point, n.next_point):
        assert tex_vector(vector) in rule
    assert f"t = {at + 1}" in rule and rf"1-0.9^{{{at + 1}}}" in rule
    assert rule.count(r"\begin{pmatrix}") == rule.count(r"\end{pmatrix}")
    for run in insides().runs:  # every racer has a rule with its own next point
        assert tex_vector(run.path[at + 1]) in live_rule(run, at, CLIP)


def test_the_stage_map_with_overlays_validates_as_plotly():
    extra = overlay_layout(insides(), SCENE.setup.landscape().domain, int(frame_steps(40)[5]))
    data = race_message(result(), (), key="r", surface_key="s", grid_key="g",
                        ladders_key="l", plotly_src="plotly.js", frame=5, overlay=extra)
    header, _ = unpack(data)
    layout = header["plots"]["map"]["layout"]
    assert len(layout["annotations"]) == len(extra["annotations"]) > 10
    assert layout["shapes"] == extra["shapes"]
    go.Figure(header["plots"]["map"])  # validates every property the overlay adds


#: Every optimizer the overlays above do not follow, at its defaults, on the overlay scene
#: (one look-inside program each).
OTHERS = tuple(slug for slug in OPTIMIZERS if slug not in {r.slug for r in RACERS})


@functools.lru_cache(maxsize=1)
def other_insides() -> Insides:
    return compute_inside(SCENE.replace(racers=tuple(Racer.default(s) for s in OTHERS)).setup)


@pytest.mark.slow  # one look-inside program per optimizer
@pytest.mark.parametrize("slug", OTHERS)
def test_every_anatomy_reads_its_optimizer_s_state(slug):
    """Each moment an anatomy shows is a leaf of optax's state, one value per coordinate;
    its live rule, table row and arrows are written from it without a failure, and the
    step the rule ends on is the step the path took."""
    insides = other_insides()
    run = next(r for r in insides.runs if r.slug == slug)
    anatomy = OPTIMIZERS[slug].anatomy
    for moment in anatomy.moments:
        assert moment.leaf in run.state, (moment.leaf, sorted(run.state))
        assert run.state[moment.leaf].shape == (run.steps, 2)
    if anatomy.momentum:
        assert anatomy.momentum in {m.label for m in anatomy.moments}
    last = run.steps - 1 if run.diverged_at is None else max(run.diverged_at - 2, 0)
    for k in sorted({0, 1, last}):
        shown = numbers(run, k, CLIP)
        assert set(shown.moments) >= {m.label for m in anatomy.moments}
        rule = live_rule(run, k, CLIP)
        assert rule.startswith(r"\begin{aligned}") and "p_{t+1}" in rule
        assert tex_vector(run.path[k + 1]) in rule
        arrows(run, k, SCENE.setup.landscape().domain)
    assert table_rows(insides, last)


#: Optimizers whose drawn point is not their iterate (schedule-free, Lookahead) beside
#: ones with a moment of their own (MoMo's d, Sophia's and QHAdam's m), unclipped and
#: on the overlay scene's surface and start.
HOOKED_SCENE = SCENE.replace(racers=tuple(Racer(slug, (("learning_rate", 0.05),)) for slug in
                                          ("schedule_free_sgd", "lookahead", "momo", "sophia",
                                           "qhadam")), clip_norm=None)


def test_the_overlays_of_drawn_points_and_new_moments():
    found = compute_inside(HOOKED_SCENE.setup)
    domain = HOOKED_SCENE.setup.landscape().domain
    paths = {run.slug: run.path for run in race_result(HOOKED_SCENE).runs}
    for run in found.runs:
        np.testing.assert_array_equal(run.path, paths[run.slug])
        for k in UPDATES:
            kinds = {a.kind: a for a in arrows(run, k, domain)}
            # the gradient was taken at the drawn point only where it is the iterate
            has_gradient = run.slug not in ("schedule_free_sgd", "lookahead")
            assert ("gradient" in kinds) == has_gradient, run.slug
            assert ("momentum" in kinds) == (run.slug in ("momo", "sophia", "qhadam"))
            step = run.path[k + 1] - run.path[k]
            if np.any(step != 0):  # Lookahead's slow weights stand still between syncs
                np.testing.assert_allclose(kinds["step"].vector, step, rtol=1e-6, atol=1e-9)
            else:
                assert "step" not in kinds and run.slug == "lookahead"
            rule = live_rule(run, k, None)
            assert r"p_{t+1}" in rule and "nan" not in rule.lower(), run.slug
    named = {row["optimizer"] for row in table_rows(found, 10)} - {""}
    assert named == {run.name for run in found.runs}
