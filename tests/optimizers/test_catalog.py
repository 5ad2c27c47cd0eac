"""The catalogue's shape: every optimizer in a family of the picker, every family with
members, every hyperparameter's default inside its range, every factory callable the way
the engine calls it (each slider traced through optax.inject_hyperparams), and every
factory written out for an exported script. (The update rules are test_rules.py's.)"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from optimizers import FAMILIES, OPTIMIZERS, Family, engine
from optimizers.catalog import FAMILY_NAMES, markdown_table


def test_families_are_declared_once_in_order_with_descriptions():
    assert FAMILY_NAMES == ("classic", "adaptive", "sign-based", "parameter-free",
                            "schedule-free and wrappers", "second-order")
    for family in FAMILIES:
        assert isinstance(family, Family)
        assert family.description and "\n" not in family.description


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_every_family_has_members(family):
    assert [slug for slug, spec in OPTIMIZERS.items() if spec.family == family]


def test_every_optimizer_belongs_to_a_family():
    assert {spec.family for spec in OPTIMIZERS.values()} <= set(FAMILY_NAMES)
    with pytest.raises(ValueError, match="unknown family"):
        dataclasses.replace(OPTIMIZERS["sgd"], family="first-order")


@pytest.mark.parametrize("slug", ["sgd", "momentum", "nesterov"])
def test_classic_members(slug):
    assert OPTIMIZERS[slug].family == "classic"


@pytest.mark.parametrize(("slug", "family"), [
    ("lion", "sign-based"), ("sign_sgd", "sign-based"), ("signum", "sign-based"),
    ("rprop", "sign-based"), ("prodigy", "parameter-free"), ("cocob", "parameter-free"),
    ("adam", "adaptive"), ("adafactor", "adaptive"), ("newton", "second-order"),
    ("lbfgs", "second-order"),
])
def test_members_sit_in_their_family(slug, family):
    assert OPTIMIZERS[slug].family == family


@pytest.mark.parametrize("slug", sorted(OPTIMIZERS))
def test_every_entry_is_complete(slug):
    spec = OPTIMIZERS[slug]
    assert spec.slug == slug and spec.name and spec.latex
    assert "optax" in spec.reference or spec.script  # the optax function it runs
    assert "learning_rate" in spec.hparams
    for name, hp in spec.hparams.items():
        assert hp.admits(hp.default), (slug, name)
        assert hp.label, (slug, name)
    # the exported script calls optax's own public function, or defines the slug
    if spec.script:
        assert f"def {slug}(" in spec.script
    else:
        module, _, name = spec.factory_path.rpartition(".")
        assert getattr(optax.contrib if module == "optax.contrib" else optax, name) is spec.factory


def _quadratic(q):
    return 0.5 * (q[0] ** 2 + 10.0 * q[1] ** 2) + q[0] * q[1]


def _extra_args(spec, q):
    """What ``update`` needs beyond the gradient, built as the engine builds it."""
    value, grad = jax.value_and_grad(_quadratic)(q)
    oracle = engine.Oracle(_quadratic, jax.grad(_quadratic), jax.random.PRNGKey(0))
    return engine.update_arguments(spec, engine.Carry(q, None, value, grad, False), grad,
                                   oracle)


#: Each optimizer's update compiles a program no other test shares, so the fast layer
#: sweeps one of each kind the engine treats apart (plain, momentum, adaptive, sign, a
#: wrapper, a factored state kept static, every family, each word of ``needs``); the slow
#: layer sweeps the whole catalogue.
FAST_SWEEP = ("sgd", "momentum", "adam", "lion", "adafactor", "schedule_free_adamw",
              "prodigy", "lbfgs", "newton", "sophia", "sam")


def test_the_fast_sweep_holds_every_family_and_every_need():
    fast = [OPTIMIZERS[slug] for slug in FAST_SWEEP]
    assert {spec.family for spec in fast} == {spec.family for spec in OPTIMIZERS.values()}
    assert set().union(*(spec.needs for spec in fast)) == set().union(
        *(spec.needs for spec in OPTIMIZERS.values()))


def _swept(slugs) -> list:
    return [pytest.param(slug, marks=() if slug in FAST_SWEEP else pytest.mark.slow)
            for slug in sorted(slugs)]


@pytest.mark.parametrize("slug", _swept(OPTIMIZERS))
def test_every_slider_is_traced(slug):
    """The engine injects every hyperparameter into optax's state (inject_hyperparams);
    an argument optax reads in Python control flow, or a tuple, or a callable, would not
    be injected, or would fail under jit once it is. Here each slider is a traced input of
    one jitted update, which runs and moves the point."""
    spec = OPTIMIZERS[slug]
    opt = optax.inject_hyperparams(spec.factory)(
        **{k: jnp.float32(v) for k, v in spec.defaults().items()})
    p = jnp.array([-1.5, 2.5], jnp.float32)
    state = opt.init(p)
    # (optax's numeric arguments that no slider moves are injected too, at their defaults)
    assert set(spec.hparams) <= set(state.hyperparams)

    @jax.jit
    def two_updates(sliders):
        inner = state._replace(hyperparams={**state.hyperparams, **sliders})
        q = p
        for _ in range(2):
            updates, inner = opt.update(jax.grad(_quadratic)(q), inner, q,
                                        **_extra_args(spec, q))
            q = optax.apply_updates(q, updates)
        return q

    moved = np.asarray(two_updates({k: jnp.float32(v) for k, v in spec.defaults().items()}))
    assert np.isfinite(moved).all()
    assert not np.array_equal(moved, np.asarray(p)), "two updates did not move the point"


@pytest.mark.parametrize("slug", _swept(s for s, spec in OPTIMIZERS.items() if not spec.needs))
def test_every_optimizer_updates_a_network_s_parameters(slug):
    """optimizers/training.py runs the catalogue on a network's parameters: a tree of
    matrices and vectors. (optax.adafactor itself, injected whole, would trace its
    min_dim_size_to_factor and fail on the first matrix; the wrapper keeps it static.)"""
    spec = OPTIMIZERS[slug]
    opt = optax.inject_hyperparams(spec.factory)(**spec.defaults())
    params = {"w": jnp.full((3, 4), 0.5, jnp.float32), "b": jnp.zeros(4, jnp.float32)}
    grads = {"w": jnp.linspace(-1.0, 1.0, 12, dtype=jnp.float32).reshape(3, 4),
             "b": jnp.full(4, 0.25, jnp.float32)}
    state = opt.init(params)
    for _ in range(2):
        updates, state = jax.jit(opt.update)(grads, state, params)
        params = optax.apply_updates(params, updates)
    leaves = jax.tree.leaves(params)
    assert all(leaf.dtype == jnp.float32 and bool(jnp.isfinite(leaf).all()) for leaf in leaves)
    assert not np.array_equal(np.asarray(params["w"]), np.full((3, 4), 0.5, np.float32))


def test_readme_optimizer_table_is_the_catalogue():
    """The README's table is pasted from ``markdown_table()``: every optimizer, its
    family, its defaults and its paper, as the catalogue has them."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = markdown_table()
    assert table in readme
    assert all(f"| `{slug}` |" in table for slug in OPTIMIZERS)
