"""Toy neural-network landscapes: the exact 2-parameter networks (tanh unit, logistic
regression), their minibatch losses and data panel, and the projected MLP (training in
full parameter space, filter-normalized and PCA planes, the figure and the page mode)."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from compute import compute_mlp, compute_race, frame_steps
from landscapes import LANDSCAPES, mlp
from landscapes import network as nw
from landscapes.classic import quadratic
from optimizers import simulate
from optimizers.training import train
from scene import Racer, Scene, from_query, to_query
from views import race_figure
from views.network import mlp_figure
from views.race import TRAIL

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = ("tanh_unit", "logistic")


def f64_loss(slug: str, **values):
    ls = LANDSCAPES[slug].bind(**values) if values else LANDSCAPES[slug]
    params = {k: jnp.float64(v) for k, v in ls.param_values.items()}
    return ls, (lambda p: ls.loss(p, params)), params


def array(value) -> np.ndarray:
    """A figure array: a list, or plotly.js's typed-array spec."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            out = out.reshape([int(s) for s in str(value["shape"]).split(",")])
        return out
    return np.asarray([np.nan if v is None else v for v in value], dtype=np.float64)


def n_points(trace: dict) -> int:
    return 0 if trace.get("x") is None else int(array(trace["x"]).size)


def assert_all_finite(node, path="fig") -> None:
    """Every number of a figure (typed arrays decoded) is finite. (A text search for
    "NaN" is no test: base64 data can contain those letters.)"""
    if isinstance(node, dict):
        if "bdata" in node:
            assert np.isfinite(array(node)).all(), path
            return
        for key, value in node.items():
            assert_all_finite(value, f"{path}.{key}")
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            assert_all_finite(value, f"{path}[{i}]")
    elif isinstance(node, np.ndarray):
        assert np.isfinite(node).all(), path
    elif isinstance(node, float):
        assert np.isfinite(node), path


# -- gradients against central finite differences (float64) -------------------------------


def central_difference(f, p: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(p)
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = h
        out[i] = (float(f(jnp.asarray(p + e))) - float(f(jnp.asarray(p - e)))) / (2 * h)
    return out


@pytest.mark.parametrize("slug", NETWORKS)
def test_network_gradients_match_central_differences(slug):
    with jax.enable_x64(True):
        ls, f, params = f64_loss(slug, seed=7)
        key = jax.random.PRNGKey(3)
        for p in ([0.3, -1.2], [2.1, 0.7], [-1.4, 2.5]):
            p = np.array(p, dtype=np.float64)
            np.testing.assert_allclose(np.asarray(jax.grad(f)(jnp.asarray(p))),
                                       central_difference(f, p), rtol=1e-6, atol=1e-8)
            # and the minibatch loss of one fixed batch
            mb_params = {**params, "batch_size": jnp.float64(9)}

            def g(q, mb_params=mb_params):
                return ls.stochastic_loss(q, mb_params, key)

            np.testing.assert_allclose(np.asarray(jax.grad(g)(jnp.asarray(p))),
                                       central_difference(g, p), rtol=1e-6, atol=1e-8)


def test_mlp_gradient_matches_central_differences_along_random_directions():
    with jax.enable_x64(True):
        points, labels = (jnp.asarray(a, jnp.float64) for a in mlp.moons(1))
        theta = np.asarray(mlp.init(1), dtype=np.float64)

        def f(th):
            return mlp.loss(th, points, labels)

        grad = np.asarray(jax.grad(f)(jnp.asarray(theta)))
        rng = np.random.default_rng(0)
        for _ in range(4):
            d = rng.standard_normal(mlp.SIZE)
            h = 1e-6
            fd = (float(f(jnp.asarray(theta + h * d))) - float(f(jnp.asarray(theta - h * d)))) / (
                2 * h)
            assert grad @ d == pytest.approx(fd, rel=1e-6, abs=1e-9)


# -- the tanh unit's minima and saddle are where the teacher says --------------------------


@pytest.mark.parametrize("seed", [0, 1, 42, 99])
def test_tanh_unit_minima_are_the_teacher_and_its_mirror(seed):
    with jax.enable_x64(True):
        ls, f, _ = f64_loss("tanh_unit", seed=seed)
        assert ls.minima == ((nw.TEACHER_B, nw.TEACHER_A), (-nw.TEACHER_B, -nw.TEACHER_A))
        assert ls.min_value == 0.0
        for m in ls.minima:
            p = jnp.array(m, dtype=jnp.float64)
            assert float(f(p)) == 0.0  # a noiseless teacher: exactly zero
            assert np.abs(np.asarray(jax.grad(f)(p))).max() == 0.0
            assert np.linalg.eigvalsh(np.asarray(jax.hessian(f)(p))).min() > 1e-3
        # elsewhere the loss is positive: the minima are global
        grid = jnp.stack(jnp.meshgrid(jnp.linspace(-3, 3, 121), jnp.linspace(-3, 3, 121)))
        z = np.asarray(f(grid))
        far = np.ones(z.shape, dtype=bool)
        for m in ls.minima:
            far &= np.hypot(np.asarray(grid[0]) - m[0], np.asarray(grid[1]) - m[1]) > 0.2
        assert z[far].min() > 1e-3


def test_tanh_unit_origin_is_a_saddle_with_the_predicted_hessian():
    with jax.enable_x64(True):
        ls, f, _ = f64_loss("tanh_unit")
        assert ls.saddles == ((0.0, 0.0),)
        origin = jnp.zeros(2, dtype=jnp.float64)
        assert np.abs(np.asarray(jax.grad(f)(origin))).max() == 0.0
        h = np.asarray(jax.hessian(f)(origin))
        x = np.asarray(nw.tanh_inputs(0), dtype=np.float64)
        c = -2.0 * np.mean(x * nw.TEACHER_A * np.tanh(nw.TEACHER_B * x))
        np.testing.assert_allclose(h, [[0.0, c], [c, 0.0]], atol=1e-12)
        eig = np.linalg.eigvalsh(h)
        assert eig.min() < -0.1 and eig.max() > 0.1  # indefinite


# -- the logistic regression's minimum -----------------------------------------------------


@pytest.mark.parametrize("seed", [0, 3, 57, 99])
def test_logistic_minimum_is_stationary_and_strictly_convex(seed):
    with jax.enable_x64(True):
        ls, f, _ = f64_loss("logistic", seed=seed)
        (m,) = ls.minima
        p = jnp.array(m, dtype=jnp.float64)
        assert float(f(p)) == pytest.approx(ls.min_value, abs=1e-12)
        assert np.abs(np.asarray(jax.grad(f)(p))).max() < 1e-10
        eig = np.linalg.eigvalsh(np.asarray(jax.hessian(f)(p)))
        assert eig.min() > 1e-3  # positive definite
        # and nothing nearby is lower
        for d in ([1e-3, 0], [0, 1e-3], [-1e-3, 1e-3]):
            assert float(f(p + jnp.asarray(d))) > ls.min_value


def test_logistic_minimum_lies_inside_the_domain_for_every_seed():
    (x0, x1), (y0, y1) = LANDSCAPES["logistic"].domain
    for seed in range(nw.SEEDS):
        (wx, wy), value = nw.logistic_minimum(seed)
        assert x0 < wx < x1 and y0 < wy < y1, seed
        assert 0 < value < np.log(2)  # better than w = 0, and not separable (finite, > 0)


def test_the_registered_default_minimum_is_derive_of_seed_0():
    ls = LANDSCAPES["logistic"]
    bound = ls.bind(seed=0)
    assert bound.minima == ls.minima == (nw.LOGISTIC_MINIMUM_SEED0[0],)
    assert bound.min_value == ls.min_value == nw.LOGISTIC_MINIMUM_SEED0[1]
    assert ls.bind(seed=5).minima != ls.minima  # the minimum moves with the data


# -- data ----------------------------------------------------------------------------------


def test_data_depend_on_the_seed_only_and_a_traced_seed_works():
    x0, x0b = np.asarray(nw.tanh_inputs(0)), np.asarray(nw.tanh_inputs(0.0))
    assert x0.shape == (nw.DATA_SIZE,) and (x0 == x0b).all()
    assert np.abs(x0).max() <= nw.X_RANGE
    assert not np.array_equal(x0, np.asarray(nw.tanh_inputs(1)))
    traced = jax.jit(lambda s: nw.blobs(s)[0])(jnp.float32(4))
    np.testing.assert_array_equal(np.asarray(traced), np.asarray(nw.blobs(4)[0]))
    _, s = nw.blobs(4)
    assert np.asarray(s).sum() == 0  # balanced classes
    points, labels = mlp.moons(2)
    assert points.shape == (mlp.MOON_POINTS, 2) and float(labels.mean()) == 0.5
    with jax.enable_x64(True):  # float32 draws in either mode
        np.testing.assert_array_equal(np.asarray(nw.tanh_inputs(0)), x0)


def test_a_fixed_seed_gives_identical_data_and_paths_in_a_new_process():
    script = textwrap.dedent("""
        import hashlib, sys
        import numpy as np
        sys.path.insert(0, {root!r})
        from landscapes import LANDSCAPES, mlp
        from landscapes import network as nw
        from optimizers import simulate
        from optimizers.training import train
        def h(*arrays):
            d = hashlib.sha256()
            for a in arrays:
                d.update(np.ascontiguousarray(np.asarray(a)).tobytes())
            return d.hexdigest()
        ls = LANDSCAPES["tanh_unit"].bind(seed=11, batch_size=8)
        lg = LANDSCAPES["logistic"].bind(seed=11, batch_size=5)
        points, labels = mlp.moons(11)
        print(h(nw.tanh_inputs(11), *nw.blobs(11), points, labels, mlp.init(11)))
        print(h(simulate(ls, "adam", steps=60, seed=3).path,
                simulate(lg, "momentum", steps=60, seed=3).path))
        print(h(train(mlp.loss, mlp.init(11), (points, labels), "adam", steps=20,
                      seed=3, noise=0.1).path))
    """).format(root=str(ROOT))

    def digests_here() -> list[str]:
        def h(*arrays):
            d = hashlib.sha256()
            for a in arrays:
                d.update(np.ascontiguousarray(np.asarray(a)).tobytes())
            return d.hexdigest()

        ls = LANDSCAPES["tanh_unit"].bind(seed=11, batch_size=8)
        lg = LANDSCAPES["logistic"].bind(seed=11, batch_size=5)
        points, labels = mlp.moons(11)
        return [h(nw.tanh_inputs(11), *nw.blobs(11), points, labels, mlp.init(11)),
                h(simulate(ls, "adam", steps=60, seed=3).path,
                  simulate(lg, "momentum", steps=60, seed=3).path),
                h(train(mlp.loss, mlp.init(11), (points, labels), "adam", steps=20,
                        seed=3, noise=0.1).path)]

    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, env=env, timeout=600)
    assert out.stdout.split() == digests_here()


# -- minibatches ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 5, 32, 63, 64])
def test_batch_weights_pick_exactly_batch_size_examples(size):
    draws = 3000
    keys = jax.random.split(jax.random.PRNGKey(size), draws)
    # one program for every batch size: the size is traced
    weights = jax.jit(jax.vmap(nw.batch_weights, in_axes=(0, None)))
    w = np.asarray(weights(keys, jnp.float32(size)))
    assert set(np.unique(w)) <= {0.0, 1.0}
    assert (w.sum(axis=1) == size).all()
    # each example is drawn with probability size/n, independently of its index
    p = size / nw.DATA_SIZE
    seen = w.sum(axis=0)
    sd = np.sqrt(draws * p * (1 - p))
    assert np.abs(seen - draws * p).max() <= 5 * sd + 1e-9


@pytest.mark.parametrize("slug", NETWORKS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_minibatch_sgd_with_the_full_batch_is_full_batch_gradient_descent(slug, optimizer):
    full = LANDSCAPES[slug].bind(batch_size=nw.DATA_SIZE)
    exact = replace(full, stochastic_loss=None)  # the engine then follows ∇f itself
    hp = {"learning_rate": 0.05}
    a = simulate(full, optimizer, hp, steps=300, seed=5)
    b = simulate(exact, optimizer, hp, steps=300, seed=5)
    # Two compiled programs (the minibatch one masks and reweights): equal up to float32
    # rounding of the same numbers, i.e. a few ulps, not bit for bit.
    np.testing.assert_allclose(a.path, b.path, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-6, atol=1e-7)
    # ... while a smaller batch really is stochastic, and its recorded loss is the exact one
    small = simulate(LANDSCAPES[slug].bind(batch_size=8), optimizer, hp, steps=300, seed=5)
    assert np.abs(small.path - b.path).max() > 1e-3
    f = LANDSCAPES[slug].bind(batch_size=8).fn
    assert float(small.loss[-1]) == pytest.approx(float(f(jnp.asarray(small.path[-1]))),
                                                  rel=1e-5)


def test_the_full_loss_and_the_full_batch_loss_are_the_same_number():
    for slug in NETWORKS:
        ls = LANDSCAPES[slug]
        params = {k: jnp.float32(v) for k, v in ls.param_values.items()}
        p = jnp.array([0.7, -0.4], jnp.float32)
        assert float(ls.stochastic_loss(p, params, jax.random.PRNGKey(9))) == float(
            ls.loss(p, params))


# -- training in full parameter space -------------------------------------------------------


def test_training_uses_exactly_the_engines_optimizer_schedule_and_clipping():
    """On a 2-D loss, training.train and the engine's simulate are the same dynamics: a
    convex quadratic, whose parameters are traced in both (as data here), agrees to
    float32 rounding over 150 steps. L-BFGS runs without clipping: its line search's
    accept/reject decisions on clipped steps flip with one ulp of the start (the engine
    against itself), which no comparison of two programs can survive."""
    quad = LANDSCAPES["quadratic"].bind(kappa=10.0, theta=30.0)

    def loss(theta, kappa, angle):
        return quadratic(theta, {"kappa": kappa, "theta": angle})

    clipped = {"schedule": "warmup_cosine", "schedule_params": {"warmup_steps": 10.0},
               "clip_norm": 0.5}
    cases = (("adam", {"learning_rate": 0.05}, clipped),
             ("momentum", {"learning_rate": 0.02}, clipped), ("rmsprop", {}, clipped),
             ("lbfgs", {}, {"schedule": "cosine"}))
    for slug, hp, options in cases:
        ref = simulate(quad, slug, hp, quad.start, 150, **options)
        got = train(loss, np.asarray(quad.start, np.float32), (10.0, 30.0), slug, hp, 150,
                    **options)
        np.testing.assert_allclose(got.path, ref.path, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got.loss, ref.loss, rtol=1e-4, atol=1e-7)
        if slug == "adam":  # clipping and the warm-up really act: without them it differs
            plain = train(loss, np.asarray(quad.start, np.float32), (10.0, 30.0), slug, hp,
                          150)
            assert np.abs(plain.path - ref.path).max() > 1e-2


def test_training_records_every_step_and_freezes_a_diverged_run():
    points, labels = mlp.moons(0)
    theta0 = mlp.init(0)
    run = train(mlp.loss, theta0, (points, labels), "sgd", {"learning_rate": 0.5}, 40)
    assert run.path.shape == (41, mlp.SIZE) and run.loss.shape == (41,)
    np.testing.assert_array_equal(run.path[0], np.asarray(theta0))
    # one SGD step is θ - η ∇L
    g = np.asarray(jax.grad(mlp.loss)(theta0, points, labels))
    np.testing.assert_allclose(run.path[1], np.asarray(theta0) - 0.5 * g, atol=1e-6)
    assert run.loss[-1] < run.loss[0] and run.diverged_at is None
    bad = train(mlp.loss, theta0, (points, labels), "sgd", {"learning_rate": 10.0}, 200,
                noise=1e6)
    assert bad.diverged_at is not None
    k = bad.diverged_at
    assert np.isfinite(bad.path).all() and np.isfinite(bad.loss).all()
    assert (bad.path[k:] == bad.path[k - 1]).all()


# -- directions and projections -------------------------------------------------------------


def test_filter_normalized_directions_have_the_weights_filter_norms():
    theta = np.asarray(mlp.init(4), dtype=np.float64) * 1.7
    d = mlp.filter_normalized(theta, 3)
    np.testing.assert_allclose(mlp.filter_norms(d), mlp.filter_norms(theta), rtol=1e-12)
    # computed independently: per layer, the column norms of W; biases of d are 0
    i = 0
    for (a, b), _ in mlp.SHAPES:
        w, dw = theta[i: i + a * b].reshape(a, b), d[i: i + a * b].reshape(a, b)
        np.testing.assert_allclose(np.linalg.norm(dw, axis=0), np.linalg.norm(w, axis=0),
                                   rtol=1e-12)
        assert (d[i + a * b: i + a * b + b] == 0).all()
        i += a * b + b
    assert i == mlp.SIZE
    d1, d2 = mlp.random_directions(theta, 3)
    assert abs(d1 @ d2) / (np.linalg.norm(d1) * np.linalg.norm(d2)) < 0.3  # independent


def test_pca_of_a_planar_trajectory_reproduces_it_exactly():
    rng = np.random.default_rng(1)
    center = rng.standard_normal(mlp.SIZE)
    u, v = rng.standard_normal(mlp.SIZE), 0.3 * rng.standard_normal(mlp.SIZE)
    t = np.linspace(0.0, 1.0, 120)
    a, b = (1 - t) ** 2 * 3.0, np.sin(5 * t) * (1 - t)  # ends at the centre (0, 0)
    path = center + a[:, None] * u + b[:, None] * v
    d1, d2, share = mlp.pca_directions(path, path[-1])
    assert share.sum() == pytest.approx(1.0, abs=1e-12)
    assert abs(d1 @ d2) < 1e-12 and np.linalg.norm(d1) == pytest.approx(1.0)
    coords, off = mlp.project(path, path[-1], d1, d2)
    rebuilt = path[-1] + coords @ np.stack([d1, d2])
    np.testing.assert_allclose(rebuilt, path, atol=1e-10)
    assert off.max() < 1e-10
    np.testing.assert_allclose(coords[-1], [0.0, 0.0], atol=1e-12)
    # a component off the plane shows up as the distance, not in the coordinates
    w = rng.standard_normal(mlp.SIZE)
    w -= np.stack([d1, d2]).T @ (np.stack([d1, d2]) @ w)
    lifted = path + 0.25 * w / np.linalg.norm(w)
    coords2, off2 = mlp.project(lifted, path[-1], d1, d2)
    np.testing.assert_allclose(coords2, coords, atol=1e-10)
    np.testing.assert_allclose(off2, 0.25, rtol=1e-10)


def test_projection_onto_non_orthogonal_directions_is_least_squares():
    rng = np.random.default_rng(2)
    d1, d2 = rng.standard_normal(mlp.SIZE), rng.standard_normal(mlp.SIZE)
    d2 += 0.5 * d1
    center = rng.standard_normal(mlp.SIZE)
    coords = rng.standard_normal((7, 2))
    points = center + coords @ np.stack([d1, d2])
    got, off = mlp.project(points, center, d1, d2)
    np.testing.assert_allclose(got, coords, atol=1e-10)
    assert off.max() < 1e-9


def test_plane_losses_are_the_loss_at_the_plane_points():
    points, labels = mlp.moons(0)
    theta = np.asarray(mlp.init(0), dtype=np.float64)
    d1, d2 = mlp.random_directions(theta, 0)
    alphas, betas = np.array([-0.5, 0.0, 0.25]), np.array([-1.0, 0.5])
    grid = mlp.plane_losses(theta, d1, d2, alphas, betas, points, labels)
    assert grid.shape == (2, 3)
    for i, b in enumerate(betas):
        for j, a in enumerate(alphas):
            th = jnp.asarray(theta + a * d1 + b * d2, jnp.float32)
            assert grid[i, j] == pytest.approx(float(mlp.loss(th, points, labels)), rel=1e-5)
    along = mlp.losses_at(theta, d1, d2, np.array([[0.25, -1.0]]), points, labels)
    assert along[0] == pytest.approx(grid[0, 2], rel=1e-6)


# -- figures -------------------------------------------------------------------------------

NETWORK_SCENES = {
    "tanh": Scene.of(surface="tanh_unit"),
    "tanh-3d": Scene.of(surface="tanh_unit", view="3d"),
    "tanh-minibatch": Scene.of(surface="tanh_unit", surface_params=(("batch_size", 4.0),),
                            racers=(Racer("sgd", (("learning_rate", 0.1),)),)),
    "logistic": Scene.of(surface="logistic"),
    "logistic-3d-diverging": Scene.of(surface="logistic", view="3d", steps=40,
                                   racers=(Racer.default("newton"), Racer.default("adam"))),
}


@functools.cache
def network_result(name: str):
    return compute_race(NETWORK_SCENES[name].setup)


def network_figure(name: str, frame: int = 0) -> dict:
    scene = NETWORK_SCENES[name]
    return race_figure(network_result(name), frame=frame, view=scene.display.view,
                       curve=scene.display.curve)


@pytest.mark.parametrize("name", list(NETWORK_SCENES))
def test_network_race_figures_validate_and_keep_the_frame_rule(name):
    scene = NETWORK_SCENES[name]
    fig = network_figure(name)
    validated = go.Figure(fig)
    assert len(validated.data) == len(fig["data"])
    assert len(validated.frames) == len(fig["frames"])
    data, frames = fig["data"], fig["frames"]
    assert len(frames) == len(frame_steps(scene.setup.steps, scene.display.view == "3d"))
    panel = [i for i, t in enumerate(data) if t.get("xaxis") == "x3"]
    assert panel, "a network race has a data panel"
    result = network_result(name)
    limit = max(result.panel.fits.shape[1], 6)  # a fitted curve, a boundary, a half-plane
    static = {i for i, t in enumerate(data)
              if t.get("type") == "surface" or ("lines" in t.get("mode", "") and n_points(t) > 1
                                                and i not in panel)}
    static |= {i for i in panel if data[i].get("name") in ("teacher",)}
    for frame in frames:
        assert frame["traces"] == frames[0]["traces"]
        for index, update in zip(frame["traces"], frame["data"], strict=True):
            if not update:
                continue
            assert index not in static, f"frame {frame['name']} moves a static trace"
            assert set(update) <= {"x", "y", "z", "type", "hovertemplate"}
            bound = limit if index in panel else TRAIL + 1
            assert max(n_points(update), len(array(update.get("y", [])))) <= bound
    # every clickable trace (map, data points) is in every frame
    clickable = {i for i, t in enumerate(data)
                 if t.get("xaxis") in ("x", "x3") and "markers" in t.get("mode", "")}
    assert clickable <= set(frames[0]["traces"])
    on_map = sorted(i for i, t in enumerate(data) if t.get("xaxis") == "x")
    assert fig["layout"]["meta"]["start_traces"] == on_map  # a click on the data is no start
    assert fig["layout"]["xaxis"]["title"]["text"] == "w₁"
    assert_all_finite(fig)
    json.loads(pio.to_json(fig, validate=False))


def test_the_tanh_panel_draws_the_first_racers_fit_at_each_frame():
    scene = NETWORK_SCENES["tanh"]
    result = network_result("tanh")
    fig = network_figure("tanh")
    steps_at = frame_steps(scene.setup.steps)
    panel = [i for i, t in enumerate(fig["data"]) if t.get("xaxis") == "x3"]
    fit_index = next(i for i in panel if fig["data"][i].get("name") == result.runs[0].name)
    grid = array(fig["data"][fit_index]["x"]).astype(np.float64)
    run = result.runs[0]
    for j in (0, 17, len(steps_at) - 1):
        frame = fig["frames"][j]
        update = frame["data"][frame["traces"].index(fit_index)]
        w1, w2 = run.path[steps_at[j]]
        np.testing.assert_allclose(array(update["y"]), w2 * np.tanh(w1 * grid), atol=1e-5)
    # the data points are the seed's inputs with the teacher's targets
    (points,) = [fig["data"][i] for i in panel if fig["data"][i].get("name") == "data"]
    x = np.asarray(nw.tanh_inputs(0))
    np.testing.assert_allclose(array(points["x"]), x, atol=1e-6)
    np.testing.assert_allclose(array(points["y"]), 2.0 * np.tanh(1.5 * x), atol=1e-5)


def test_the_logistic_panel_draws_the_boundary_and_the_predicted_side():
    result = network_result("logistic")
    panel = result.panel
    run = result.runs[0]
    for row, step in enumerate(result.panel_steps):
        w = run.path[step].astype(np.float64)
        seg = panel.fits[row].astype(np.float64)
        assert np.abs(seg @ w).max() < 1e-3 * max(1.0, np.abs(w).sum())  # on w·x = 0
        region = panel.regions[row].astype(np.float64)
        assert (region @ w >= -1e-3 * np.abs(w).sum()).all()  # the class-1 side
    # a half-plane through the origin covers half of the symmetric box
    poly = nw.half_plane(np.array([1.0, 2.0]), ((-2.0, 2.0), (-2.0, 2.0)))
    x, y = poly[:, 0], poly[:, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    assert area == pytest.approx(8.0)


def test_network_figure_json_stays_within_the_contour_budget():
    size = len(pio.to_json(network_figure("tanh"), validate=False))
    assert size < 0.6e6, size
    size = len(pio.to_json(network_figure("logistic"), validate=False))
    assert size < 0.6e6, size


@functools.cache
def mlp_result(plane: str, steps: int = 120):
    scene = Scene.of(steps=steps, racers=(Racer("sgd", (("learning_rate", 0.3),)),
                                          Racer.default("adam")), mlp_plane=plane)
    return compute_mlp(scene.setup)


@pytest.mark.parametrize("plane", ["pca", "random"])
def test_mlp_figure_validates_and_describes_its_plane(plane):
    result = mlp_result(plane)
    fig = mlp_figure(result, frame=3)
    validated = go.Figure(fig)
    assert len(validated.frames) == len(frame_steps(result.steps))
    assert_all_finite(fig)
    assert len(pio.to_json(fig, validate=False)) < 0.6e6
    notes = " ".join(a["text"] for a in fig["layout"]["annotations"])
    assert "projection" in notes and ("PCA" in notes) == (plane == "pca")
    assert "final weights" in result.description
    for frame in fig["frames"]:
        for index, update in zip(frame["traces"], frame["data"], strict=True):
            assert not update or n_points(update) == 1
            assert not update or "lines" not in fig["data"][index].get("mode", "")
    # θ* is the best run's final point, at the origin of the plane
    best = result.runs[result.center]
    assert best.loss[-1] == min(r.loss[-1] for r in result.runs)
    np.testing.assert_allclose(best.coords[-1], [0.0, 0.0], atol=1e-5)
    assert best.off_plane[-1] == pytest.approx(0.0, abs=1e-5)
    assert best.plane_loss[-1] == pytest.approx(best.loss[-1], rel=1e-4)
    # the grid covers every kept path
    assert result.alphas[0] <= best.coords[:, 0].min() <= best.coords[:, 0].max() <= \
        result.alphas[-1]


def test_pca_plane_holds_the_paths_better_than_a_random_one():
    pca, rnd = mlp_result("pca"), mlp_result("random")
    assert sum(pca.explained) > 0.5
    for a, b in zip(pca.runs, rnd.runs, strict=True):
        np.testing.assert_array_equal(a.loss, b.loss)  # same training, another plane
        assert a.off_plane.mean() <= b.off_plane.mean() + 1e-6


# -- scene, URL and page --------------------------------------------------------------------


def test_network_parameters_and_the_plane_travel_in_the_url():
    scene = Scene.of(surface="tanh_unit", surface_params=(("batch_size", 8.0), ("seed", 5.0)),
                     mode="mlp", mlp_plane="random")
    query = to_query(scene)
    assert query["tanh_unit.seed"] == "5" and query["tanh_unit.batch_size"] == "8"
    assert query["mode"] == "mlp" and query["mlp.plane"] == "random"
    back, warnings = from_query(query)
    assert back == scene and not warnings
    bad, warnings = from_query({"surface": "tanh_unit", "tanh_unit.batch_size": "65",
                                      "tanh_unit.seed": "2.5", "mlp.plane": "sideways"})
    assert dict(bad.setup.surface_params) == {"batch_size": 64.0, "seed": 0.0}
    assert bad.setup.mlp_plane == "pca"
    assert len(warnings) == 3
    for key in ("tanh_unit.batch_size", "tanh_unit.seed", "mlp.plane"):
        assert sum(f"`{key}`" in w for w in warnings) == 1


@pytest.mark.slow
def test_the_page_shows_a_network_race_and_the_mlp_mode():
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"surface": "tanh_unit", "opt": "adam"})
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert any(t.get("xaxis") == "x3" for t in fig["data"])
    at.query_params.clear()

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"mode": "mlp", "opt": "sgd,adam", "sgd.learning_rate": "0.2",
                            "steps": "100"})
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.exception]
    assert not at.warning
    assert at.query_params["mode"] == "mlp" and at.query_params["mlp.plane"] == "pca"
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("α")
    assert any("projection" in md.value for md in at.markdown)
    at.radio(key="mlp.plane").set_value("random").run()
    assert not at.exception and not at.error
    assert at.query_params["mlp.plane"] == "random"
    fig2 = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "random" in " ".join(a["text"] for a in fig2["layout"]["annotations"])
    st.cache_data.clear()
    st.cache_resource.clear()
