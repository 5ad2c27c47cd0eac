"""The plotting domain and the default start: domain errors are data; a formula with no
finite value at all is refused.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import pytest

from landscapes import FormulaError, from_formula


def test_domain_errors_are_nan_and_inf_not_exceptions():
    log = from_formula("log(x)")
    assert math.isnan(float(log.fn(jnp.array([-1.0, 0.0]))))
    assert log.start[0] > 0  # the default start is a finite point
    inv = from_formula("1/x")
    assert float(inv.fn(jnp.array([0.0, 1.0]))) == math.inf
    assert math.isnan(float(from_formula("sqrt(x)").fn(jnp.array([-1.0, 0.0]))))
    g = jax.grad(log.fn)(jnp.array([-1.0, 0.0]))
    assert g.shape == (2,)  # nan is fine, raising is not


@pytest.mark.parametrize("text", ["log(-1-x**2)", "sqrt(-1-abs(y))", "1/0", "log(0)*x"])
def test_no_finite_value_is_refused(text):
    with pytest.raises(FormulaError, match="no finite value"):
        from_formula(text)


def test_start_is_finite_when_only_part_of_the_domain_is():
    ls = from_formula("sqrt(x - 2.5) + y")  # finite only for x >= 2.5: not at 60%
    x, y = ls.start
    assert x >= 2.5 and math.isfinite(float(ls.fn(jnp.array([x, y]))))


@pytest.mark.parametrize(
    "domain",
    [
        ((0, 0), (-1, 1)),
        ((1, -1), (-1, 1)),
        ((-1, 1), (2, 2)),
        ((-1, math.inf), (0, 1)),
        ((-1, math.nan), (0, 1)),
        ((-1e5, 1), (0, 1)),
        ((-1, 1),),
        "abc",
        5,
        ((True, 2), (0, 1)),
        (("a", "b"), (0, 1)),
        ((0, 1e-9), (0, 1)),
    ],
)
def test_bad_domains_are_refused(domain):
    with pytest.raises(FormulaError):
        from_formula("x + y", domain=domain)


def test_custom_domain_and_start():
    ls = from_formula("x*y", domain=((0, 10), (-1, 1)))
    assert ls.domain == ((0.0, 10.0), (-1.0, 1.0))
    (x0, x1), (y0, y1) = ls.domain
    assert x0 <= ls.start[0] <= x1 and y0 <= ls.start[1] <= y1
