"""look_inside: the state an optimizer kept is optax's own, update by update."""

from __future__ import annotations

import numpy as np
import optax
import pytest

from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS, simulate
from optimizers.engine import look_inside

QUAD = LANDSCAPES["quadratic"].bind(kappa=8.0, theta=25.0)


def _replay(transform, grads: np.ndarray, start) -> tuple[list, np.ndarray]:
    """Feed optax the recorded gradients eagerly; return its states and its steps."""
    params = np.asarray(start, dtype=np.float32)
    state = transform.init(params)
    states, steps = [], []
    for g in grads:
        updates, state = transform.update(np.asarray(g, np.float32), state, params)
        params = optax.apply_updates(params, updates)
        states.append(state)
        steps.append(np.asarray(updates))
    return states, np.asarray(steps)


def test_adam_moments_and_steps_are_optax_state():
    inside = look_inside(QUAD, "adam", {"learning_rate": 0.05}, (-1.5, 1.0), 30)
    # the engine's hyperparameters are float32 (1 - β₂ differs from float64's by 1e-5)
    f32 = np.float32
    states, steps = _replay(optax.adam(f32(0.05), b1=f32(0.9), b2=f32(0.999), eps=f32(1e-8)),
                            inside.gradient, (-1.5, 1.0))
    np.testing.assert_allclose(inside.state["mu"], [s[0].mu for s in states], rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(inside.state["nu"], [s[0].nu for s in states], rtol=1e-5,
                               atol=1e-8)
    np.testing.assert_allclose(inside.step, steps, rtol=1e-4, atol=1e-6)


def test_momentum_trace_and_the_gradients_are_those_of_the_path():
    inside = look_inside(QUAD, "momentum", {"learning_rate": 0.02, "momentum": 0.9},
                         (-1.5, 1.0), 25)
    traj = simulate(QUAD, "momentum", {"learning_rate": 0.02, "momentum": 0.9},
                    (-1.5, 1.0), 25)
    np.testing.assert_array_equal(inside.trajectory.path, traj.path)
    # without noise the gradient used is the exact gradient at the point
    np.testing.assert_allclose(np.linalg.norm(inside.gradient, axis=1), traj.grad_norm[:-1],
                               rtol=1e-5)
    states, steps = _replay(optax.sgd(0.02, momentum=0.9), inside.gradient, (-1.5, 1.0))
    np.testing.assert_allclose(inside.state["trace"], [s[0].trace for s in states],
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(inside.step, steps, rtol=1e-4, atol=1e-7)


@pytest.mark.slow  # three more look-inside programs
@pytest.mark.parametrize("slug, key", [("adagrad", "sum_of_squares"), ("rmsprop", "nu"),
                                       ("lion", "mu")])
def test_every_stateful_optimizer_exposes_its_accumulator(slug, key):
    inside = look_inside(QUAD, slug, None, (-1.5, 1.0), 12)
    assert inside.state[key].shape == (12, 2)
    assert np.isfinite(inside.state[key]).all()
    assert inside.gradient.shape == inside.step.shape == (12, 2)


def test_look_inside_refuses_a_batch():
    with pytest.raises(ValueError):
        look_inside(QUAD, "adam", {"learning_rate": np.array([0.1, 0.2])}, None, 10)


#: Each new optimizer and a leaf of its own state that look_inside must expose (the
#: anatomy's moments among them).
OWN_LEAVES = {"schedule_free_sgd": "z", "schedule_free_adamw": "base_optimizer_state.nu",
              "lookahead": "slow", "momo": "exp_avg", "sophia": "mu", "qhm": "mu",
              "qhadam": "nu"}


@pytest.mark.slow  # seven look-inside programs and their simulate programs
@pytest.mark.parametrize("slug", sorted(OWN_LEAVES))
def test_look_inside_retraces_the_drawn_path_and_shows_the_state(slug):
    hp = {"learning_rate": 0.05}
    inside = look_inside(QUAD, slug, hp, (-1.5, 1.0), 12)
    traj = simulate(QUAD, slug, hp, (-1.5, 1.0), 12)
    np.testing.assert_array_equal(inside.trajectory.path, traj.path)
    np.testing.assert_allclose(inside.step, np.diff(traj.path, axis=0))
    assert inside.state[OWN_LEAVES[slug]].shape == (12, 2)
    for moment in OPTIMIZERS[slug].anatomy.moments:
        assert np.isfinite(inside.state[moment.leaf]).all(), (slug, moment.leaf)
    if slug == "lookahead":  # the drawn point is the slow weights of the state
        np.testing.assert_array_equal(inside.state["slow"], traj.path[1:])
