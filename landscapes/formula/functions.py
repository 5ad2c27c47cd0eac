"""The functions a formula may call: canonical name -> (arity, implementation, LaTeX).

An implementation takes ``xp`` first: ``jnp`` for the loss, ``np`` (float64) for
constant exponents, so that both are computed by the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Fn:
    arity: int
    impl: Callable[..., Any]
    latex: str  # format string with {0}, {1}


def _sigmoid(xp, a):
    return 0.5 * (xp.tanh(0.5 * a) + 1.0)


FUNCTIONS: dict[str, _Fn] = {
    "sin": _Fn(1, lambda xp, a: xp.sin(a), r"\sin\left({0}\right)"),
    "cos": _Fn(1, lambda xp, a: xp.cos(a), r"\cos\left({0}\right)"),
    "tan": _Fn(1, lambda xp, a: xp.tan(a), r"\tan\left({0}\right)"),
    "asin": _Fn(1, lambda xp, a: xp.arcsin(a), r"\arcsin\left({0}\right)"),
    "acos": _Fn(1, lambda xp, a: xp.arccos(a), r"\arccos\left({0}\right)"),
    "atan": _Fn(1, lambda xp, a: xp.arctan(a), r"\arctan\left({0}\right)"),
    "sinh": _Fn(1, lambda xp, a: xp.sinh(a), r"\sinh\left({0}\right)"),
    "cosh": _Fn(1, lambda xp, a: xp.cosh(a), r"\cosh\left({0}\right)"),
    "tanh": _Fn(1, lambda xp, a: xp.tanh(a), r"\tanh\left({0}\right)"),
    "asinh": _Fn(1, lambda xp, a: xp.arcsinh(a), r"\operatorname{{arsinh}}\left({0}\right)"),
    "acosh": _Fn(1, lambda xp, a: xp.arccosh(a), r"\operatorname{{arcosh}}\left({0}\right)"),
    "atanh": _Fn(1, lambda xp, a: xp.arctanh(a), r"\operatorname{{artanh}}\left({0}\right)"),
    "exp": _Fn(1, lambda xp, a: xp.exp(a), r"\exp\left({0}\right)"),
    "expm1": _Fn(1, lambda xp, a: xp.expm1(a), r"\left(e^{{{0}}} - 1\right)"),
    "log": _Fn(1, lambda xp, a: xp.log(a), r"\ln\left({0}\right)"),
    "ln": _Fn(1, lambda xp, a: xp.log(a), r"\ln\left({0}\right)"),
    "log10": _Fn(1, lambda xp, a: xp.log10(a), r"\log_{{10}}\left({0}\right)"),
    "log2": _Fn(1, lambda xp, a: xp.log2(a), r"\log_{{2}}\left({0}\right)"),
    "log1p": _Fn(1, lambda xp, a: xp.log1p(a), r"\ln\left(1 + {0}\right)"),
    "sqrt": _Fn(1, lambda xp, a: xp.sqrt(a), r"\sqrt{{{0}}}"),
    "cbrt": _Fn(1, lambda xp, a: xp.cbrt(a), r"\sqrt[3]{{{0}}}"),
    "abs": _Fn(1, lambda xp, a: xp.abs(a), r"\left|{0}\right|"),
    "sign": _Fn(1, lambda xp, a: xp.sign(a), r"\operatorname{{sign}}\left({0}\right)"),
    "floor": _Fn(1, lambda xp, a: xp.floor(a), r"\left\lfloor {0} \right\rfloor"),
    "ceil": _Fn(1, lambda xp, a: xp.ceil(a), r"\left\lceil {0} \right\rceil"),
    "sigmoid": _Fn(1, _sigmoid, r"\sigma\left({0}\right)"),
    "relu": _Fn(1, lambda xp, a: xp.maximum(a, 0.0), r"\operatorname{{ReLU}}\left({0}\right)"),
    "softplus": _Fn(
        1, lambda xp, a: xp.logaddexp(a, 0.0), r"\operatorname{{softplus}}\left({0}\right)"
    ),
    "atan2": _Fn(
        2, lambda xp, a, b: xp.arctan2(a, b), r"\operatorname{{atan2}}\left({0}, {1}\right)"
    ),
    "hypot": _Fn(2, lambda xp, a, b: xp.hypot(a, b), r"\sqrt{{{0}^{{2}} + {1}^{{2}}}}"),
    "min": _Fn(2, lambda xp, a, b: xp.minimum(a, b), r"\min\left({0}, {1}\right)"),
    "max": _Fn(2, lambda xp, a, b: xp.maximum(a, b), r"\max\left({0}, {1}\right)"),
}
# pow(a, b) is rewritten to a ** b so that the exponent limits apply to it too.
_POW = "pow"
ALIASES = {
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "arctan2": "atan2",
}
_ALL_FUNCTION_NAMES = sorted([*FUNCTIONS, *ALIASES, _POW])
