"""Fuzzing the formula compiler: random text, random grammar, and values against float64."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landscapes import FormulaError, Landscape, from_formula
from tests.helpers import check_error, normalized_tree

FORMULA_CHARS = [*"xy0123456789.+-*/^(), eipsncoatlqrbmghw", "sin(", "**", "exp("]


def _outcome(text: str) -> Landscape | None:
    try:
        ls = from_formula(text)
    except FormulaError as err:
        check_error(err, text)
        return None
    p = jnp.asarray(ls.start, dtype=jnp.float32)
    value = ls.fn(p)
    assert value.shape == ()
    float(value)
    assert jax.grad(ls.fn)(p).shape == (2,)
    return ls


# No deadline: every example compiles, and a loaded machine compiles slowly.
@settings(max_examples=200, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(FORMULA_CHARS), st.characters()), max_size=25))
def test_fuzz_random_text(pieces):
    _outcome("".join(pieces))


_UNARY = ["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "atan", "arcsin",
          "log10", "sign", "floor", "relu", "sigmoid", "foo", "atan2"]
_BINARY = ["atan2", "min", "max", "pow", "hypot", "sin"]
_LEAF = st.one_of(
    st.sampled_from(["x", "y", "pi", "e"]),
    st.integers(0, 30).map(str),
    st.floats(0, 100, allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.3g}"),
    st.sampled_from(["z", "1j", "", "x.y", "2x", "1e9"]),
)


def _grow(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", "**"]), children).map(
            lambda t: f"{t[0]}{t[1]}{t[2]}"
        ),
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", " ^ "]), children).map(
            lambda t: f"({t[0]}){t[1]}({t[2]})"
        ),
        children.map(lambda c: f"-{c}"),
        children.map(lambda c: f"-({c})"),
        st.tuples(st.sampled_from(_UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(_BINARY), children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
    )


@pytest.mark.slow  # a hundred formulas compiled
@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(_LEAF, _grow, max_leaves=12))
def test_fuzz_grammar(text):
    ls = _outcome(text)
    if ls is not None:
        canonical = ls.name.removeprefix("f(x, y) = ")
        # the share text means the same thing
        assert normalized_tree(canonical) == normalized_tree(text)
        assert from_formula(canonical).loss is ls.loss
        # the page's title line carries the LaTeX as $…$ in Markdown
        assert "$" not in ls.latex, ls.latex


# A grammar whose float64 reference is exact enough to compare: every node carries
# (text, numpy function, bound M with |error| <~ eps * M).
_REF_LEAF = st.one_of(
    st.sampled_from([("x", lambda x, y: x, lambda x, y: abs(x)),
                     ("y", lambda x, y: y, lambda x, y: abs(y)),
                     ("pi", lambda x, y: math.pi, lambda x, y: 4.0)]),
    st.integers(0, 9).map(lambda n: (str(n), lambda x, y: float(n), lambda x, y: float(n))),
)


def _ref_grow(children):
    def binop(t):
        (a, fa, ma), op, (b, fb, mb) = t
        f = {
            "+": lambda x, y: fa(x, y) + fb(x, y),
            "-": lambda x, y: fa(x, y) - fb(x, y),
            "*": lambda x, y: fa(x, y) * fb(x, y),
        }[op]
        m = (lambda x, y: ma(x, y) * mb(x, y) + 1) if op == "*" else (
            lambda x, y: ma(x, y) + mb(x, y) + 1)
        return f"({a}){op}({b})", f, m

    def call(t):
        name, (a, fa, ma) = t
        f = {"sin": np.sin, "cos": np.cos, "tanh": np.tanh, "abs": np.abs}[name]
        return f"{name}({a})", lambda x, y: f(fa(x, y)), lambda x, y: ma(x, y) + 1

    def square(t):
        a, fa, ma = t
        return f"({a})^2", lambda x, y: fa(x, y) ** 2, lambda x, y: (ma(x, y) + 1) ** 2

    def neg(t):
        a, fa, ma = t
        return f"-({a})", lambda x, y: -fa(x, y), ma

    return st.one_of(
        st.tuples(children, st.sampled_from("+-*"), children).map(binop),
        st.tuples(st.sampled_from(["sin", "cos", "tanh", "abs"]), children).map(call),
        children.map(square),
        children.map(neg),
    )


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(_REF_LEAF, _ref_grow, max_leaves=8),
    st.lists(st.floats(-3, 3, allow_nan=False), min_size=2, max_size=2),
)
def test_fuzz_values_match_a_float64_reference(expr, point):
    text, f, m = expr
    x, y = point
    ls = from_formula(text)
    with jax.enable_x64(True):
        got = float(ls.loss(jnp.array([x, y], dtype=jnp.float64), {}))
    want = float(f(x, y))
    assert abs(got - want) <= 1e-9 * m(x, y) + 1e-12, (text, x, y, got, want)
