"""The traceable learning-rate schedules against the optax schedules they mirror.

``optimizers.schedules`` re-implements optax's schedules with every parameter traced (so
no slider recompiles); each kind is compared here, at many step counts and for several
parameter sets, with the optax constructor named in the module's docstring. optax's
schedule count is 0 for the first update, as is ``learning_rate_at``'s.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizers.engine import MAX_STEPS, bucket_steps
from optimizers.schedules import (
    PARAMS_OF_SCHEDULE,
    SCHEDULE_PARAMS,
    SCHEDULES,
    learning_rate_at,
    schedule_defaults,
    schedule_index,
)

N_COUNTS = 512


@jax.jit
def _ours(kind_index, counts, learning_rate, horizon, params):
    return jax.vmap(
        lambda c: learning_rate_at(kind_index, c, learning_rate, horizon, params))(counts)


def ours(kind: str, counts, learning_rate: float, horizon: int, **params: float) -> np.ndarray:
    """η_t of ``learning_rate_at`` at ``counts`` (padded to a fixed shape: one compile)."""
    counts = np.asarray(counts)
    assert counts.size <= N_COUNTS
    padded = np.zeros(N_COUNTS, np.int32)
    padded[: counts.size] = counts
    full = {k: jnp.float32(v) for k, v in {**schedule_defaults(), **params}.items()}
    out = _ours(jnp.int32(schedule_index(kind)), padded, jnp.float32(learning_rate),
                jnp.float32(horizon), full)
    return np.asarray(out)[: counts.size]


def optax_schedule(kind: str, learning_rate: float, horizon: int, **params: float):
    """The optax schedule that ``kind`` mirrors (the table in optimizers/schedules.py)."""
    p = {**schedule_defaults(), **params}
    if kind == "constant":
        return optax.constant_schedule(learning_rate)
    if kind in ("step", "exponential"):
        return optax.exponential_decay(learning_rate, int(p["transition_steps"]),
                                       p["decay_rate"], staircase=kind == "step")
    if kind == "cosine":
        return optax.cosine_decay_schedule(learning_rate, horizon, p["alpha"])
    if kind == "warmup_cosine":
        return optax.warmup_cosine_decay_schedule(0.0, learning_rate, int(p["warmup_steps"]),
                                                  horizon, p["alpha"] * learning_rate)
    raise AssertionError(kind)


def _counts(horizon: int) -> np.ndarray:
    """Every count of a run of ``horizon`` updates (or an even spread of them), a few past
    the end (the padded steps of a step bucket), and the boundaries themselves."""
    span = bucket_steps(horizon)
    if span <= N_COUNTS - 16:
        return np.arange(span)
    return np.unique(np.linspace(0, span - 1, N_COUNTS - 16).round().astype(np.int64))


CASES = [
    ("constant", 0.001, 50, {}),
    ("constant", 3.0, 1, {}),
    ("step", 0.1, 300, {"decay_rate": 0.5, "transition_steps": 100}),
    ("step", 0.05, 200, {"decay_rate": 0.9, "transition_steps": 7}),
    ("step", 1.0, 64, {"decay_rate": 0.01, "transition_steps": 1}),
    ("step", 0.2, 100, {"decay_rate": 1.0, "transition_steps": 3}),
    ("exponential", 0.1, 300, {"decay_rate": 0.5, "transition_steps": 100}),
    ("exponential", 0.05, 1000, {"decay_rate": 0.3, "transition_steps": 13}),
    ("exponential", 2.0, 64, {"decay_rate": 0.01, "transition_steps": 1}),
    ("exponential", 0.02, 8192, {"decay_rate": 0.7, "transition_steps": 1000}),
    ("cosine", 0.1, 200, {"alpha": 0.0}),
    ("cosine", 0.5, 37, {"alpha": 0.25}),
    ("cosine", 1e-3, 1, {"alpha": 0.0}),
    ("cosine", 0.3, 8192, {"alpha": 1.0}),
    ("warmup_cosine", 0.1, 200, {"warmup_steps": 50, "alpha": 0.0}),
    ("warmup_cosine", 0.7, 37, {"warmup_steps": 10, "alpha": 0.1}),
    ("warmup_cosine", 0.05, 100, {"warmup_steps": 0, "alpha": 0.3}),
    ("warmup_cosine", 1.0, 2, {"warmup_steps": 1, "alpha": 0.0}),
    ("warmup_cosine", 0.01, 5000, {"warmup_steps": 4999, "alpha": 0.5}),
]


def test_cases_cover_every_kind():
    assert {case[0] for case in CASES} == set(SCHEDULES)


@pytest.mark.parametrize(("kind", "lr", "horizon", "params"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_matches_optax(kind, lr, horizon, params):
    counts = _counts(horizon)
    padded = np.zeros(N_COUNTS, np.int32)  # one shape: eager ops compile once
    padded[: counts.size] = counts
    expected = optax_schedule(kind, lr, horizon, **params)(jnp.asarray(padded))
    expected = np.broadcast_to(np.asarray(expected, np.float64), padded.shape)[: counts.size]
    actual = ours(kind, counts, lr, horizon, **params)
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6 * lr)


def test_first_update_uses_count_zero():
    # Warm-up starts at exactly 0 and the decays start at exactly η (optax's count 0).
    assert ours("warmup_cosine", [0], 0.3, 100, warmup_steps=10)[0] == 0.0
    for kind in ("constant", "step", "exponential", "cosine"):
        assert ours(kind, [0], 0.3, 100, decay_rate=0.5, transition_steps=1)[0] == \
            np.float32(0.3)


@pytest.mark.parametrize("kind", SCHEDULES)
def test_ignores_parameters_it_does_not_use(kind):
    counts = np.arange(0, 200, 3)
    base = ours(kind, counts, 0.1, 150)
    for name, spec in SCHEDULE_PARAMS.items():
        if name in PARAMS_OF_SCHEDULE[kind]:
            continue
        moved = spec.high if spec.default != spec.high else spec.low
        np.testing.assert_array_equal(ours(kind, counts, 0.1, 150, **{name: moved}), base)
    # ... and does react to the ones it declares.
    for name in PARAMS_OF_SCHEDULE[kind]:
        spec = SCHEDULE_PARAMS[name]
        moved = {"decay_rate": 0.2, "transition_steps": 7.0, "warmup_steps": 20.0,
                 "alpha": 0.5}[name]
        assert moved != spec.default
        assert not np.array_equal(ours(kind, counts, 0.1, 150, **{name: moved}), base), name


def _integer(spec) -> st.SearchStrategy[float]:
    return st.integers(int(spec.low), int(spec.high)).map(float)


def _real(spec) -> st.SearchStrategy[float]:
    if spec.log:
        lo, hi = math.log10(spec.low), math.log10(spec.high)
        return st.floats(lo, hi).map(lambda e: 10.0**e)
    return st.floats(spec.low, spec.high, allow_nan=False)


@st.composite
def schedule_inputs(draw):
    params = {name: draw(_integer(spec) if spec.integer else _real(spec))
              for name, spec in SCHEDULE_PARAMS.items()}
    kind = draw(st.sampled_from(SCHEDULES))
    lr = draw(st.floats(-5, 1).map(lambda e: 10.0**e))  # the learning-rate slider's range
    horizon = draw(st.integers(1, MAX_STEPS))
    span = bucket_steps(horizon)  # the engine evaluates every count of the bucket
    extra = draw(st.lists(st.integers(0, span - 1), max_size=16))
    counts = np.unique(np.concatenate([
        np.linspace(0, span - 1, N_COUNTS - 16).round().astype(np.int64),
        np.asarray(extra, np.int64)]))
    return kind, lr, horizon, params, counts


@settings(max_examples=200, deadline=None)
@given(schedule_inputs())
def test_values_are_finite_and_within_zero_and_base_rate(inputs):
    kind, lr, horizon, params, counts = inputs
    values = ours(kind, counts, lr, horizon, **params).astype(np.float64)
    assert np.all(np.isfinite(values))
    assert np.all(values >= 0.0)
    # Never above η, exactly: every factor is ≤ 1 in float32 too (round-to-nearest keeps
    # fl(fl(1 - α) + α) ≤ 1, pow of a base ≤ 1 with a non-negative exponent is ≤ 1, and
    # the warm-up ramp t/W < 1 for t < W).
    assert np.all(values <= np.float32(lr)), values.max() / np.float32(lr)
