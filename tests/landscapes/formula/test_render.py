"""Canonical text and LaTeX, printed from the normalized tree."""

from __future__ import annotations

import pytest

from landscapes import formula as fm
from landscapes import from_formula
from tests.helpers import normalized_tree


def test_latex_is_rendered_from_the_tree():
    assert from_formula("sin(x)/(1+y^2)").latex == (
        r"f(x,y) = \frac{\sin\left(x\right)}{1 + y^{2}}"
    )
    assert from_formula("(1-x)^2 + 100*(y-x^2)^2").latex == (
        r"f(x,y) = \left(1 - x\right)^{2} + 100 \cdot \left(y - x^{2}\right)^{2}"
    )
    assert from_formula("3*x^2 - pi").latex == r"f(x,y) = 3 x^{2} - \pi"
    assert from_formula("sqrt(abs(x)) + x - (y - 1)").latex == (
        r"f(x,y) = \sqrt{\left|x\right|} + x - \left(y - 1\right)"
    )
    assert from_formula("2^-x * 1e-7").latex == r"f(x,y) = 2^{-x} \cdot 10^{-7}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x**2", "x^2"),
        ("  x  +  y ", "x + y"),
        ("+x", "x"),
        ("-x^2", "-x^2"),
        ("(-x)^2", "(-x)^2"),
        ("2^(3^2)", "2^3^2"),
        ("(2^3)^2", "(2^3)^2"),
        ("x-(y-1)", "x - (y - 1)"),
        ("(x-y)-1", "x - y - 1"),
        ("x/(y*2)", "x/(y*2)"),
        ("(x*y)/2", "x*y/2"),
        ("2^(-1)", "2^-1"),
        ("arcsin(x)+ARCTAN2(y,x)".lower(), "asin(x) + atan2(y, x)"),
        ("pow(x+1, y)", "(x + 1)^y"),
        ("-(x+y)", "-(x + y)"),
        ("x - -y", "x - -y"),
        ("1e5*x", "1e5*x"),
    ],
)
def test_canonical_text(text, expected):
    assert fm.canonical(text) == expected
    assert fm.canonical(expected) == expected
    assert normalized_tree(text) == normalized_tree(expected)


def test_canonical_text_of_a_long_formula_still_fits_the_limit():
    text = "+".join(["atan(12345)"] * 40)  # 479 characters, 159 nodes
    assert len(text) <= fm.MAX_LENGTH < len(text) + 2 * 39  # spaces around + would not fit
    c = fm.canonical(text)
    assert len(c) <= fm.MAX_LENGTH and fm.canonical(c) == c
    assert normalized_tree(c) == normalized_tree(text)
