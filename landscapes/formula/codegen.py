"""Code generation: ``_build(node, xp)`` turns a normalized tree into a closure f(x, y)
over ``xp``, ``jnp`` for the loss and ``np`` (float64) for constant exponents.

It imports nothing from the normaliser (it only reads the ``exponent_value`` the
normaliser stores on power nodes), so the normaliser can use the float64 form to evaluate
constant exponents.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np

from landscapes.formula.functions import FUNCTIONS

_Closure = Callable[[Any, Any], Any]


def _build(node: ast.expr, xp: Any) -> _Closure:
    if isinstance(node, ast.Constant):
        value = np.float64(node.value) if xp is np else float(node.value)
        return lambda x, y: value
    if isinstance(node, ast.Name):
        if node.id == "x":
            return lambda x, y: x
        if node.id == "y":
            return lambda x, y: y
        value = math.pi if node.id == "pi" else math.e
        constant = np.float64(value) if xp is np else value
        return lambda x, y: constant
    if isinstance(node, ast.UnaryOp):
        f = _build(node.operand, xp)
        return lambda x, y: xp.negative(f(x, y))
    if isinstance(node, ast.Call):
        impl = FUNCTIONS[node.func.id].impl  # type: ignore[attr-defined]
        fs = [_build(arg, xp) for arg in node.args]
        if len(fs) == 1:
            (f,) = fs
            return lambda x, y: impl(xp, f(x, y))
        f, g = fs
        return lambda x, y: impl(xp, f(x, y), g(x, y))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        f = _build(node.left, xp)
        k = node.exponent_value  # type: ignore[attr-defined]  # set by check_exponent
        if k is None:
            g = _build(node.right, xp)
            return lambda x, y: xp.power(f(x, y), g(x, y))
        # validated: finite, |k| <= MAX_EXPONENT
        if abs(k - round(k)) < 1e-9:
            n = round(k)  # a small Python int: jnp lowers it to lax.integer_pow
            if xp is np:
                return lambda x, y: np.power(f(x, y), np.float64(n))
            return lambda x, y: jnp.power(jnp.asarray(f(x, y)), n)
        kf = np.float64(k) if xp is np else float(k)
        return lambda x, y: xp.power(f(x, y), kf)
    if isinstance(node, ast.BinOp):
        f, g = _build(node.left, xp), _build(node.right, xp)
        if isinstance(node.op, ast.Add):
            return lambda x, y: xp.add(f(x, y), g(x, y))
        if isinstance(node.op, ast.Sub):
            return lambda x, y: xp.subtract(f(x, y), g(x, y))
        if isinstance(node.op, ast.Mult):
            return lambda x, y: xp.multiply(f(x, y), g(x, y))
        if isinstance(node.op, ast.Div):
            return lambda x, y: xp.true_divide(f(x, y), g(x, y))
    raise AssertionError(f"unnormalized node {ast.dump(node)}")  # pragma: no cover


def _constant_value(node: ast.expr) -> float:
    """The value of a subtree without x or y, in numpy float64 (never Python ints), with
    overflow and invalid operations giving inf/nan silently."""
    with np.errstate(all="ignore"):
        return float(_build(node, np)(None, None))


def _make_loss(body: ast.expr, canonical_text: str):
    f = _build(body, jnp)

    def loss(p, params=None):
        p = jnp.asarray(p)
        if not jnp.issubdtype(p.dtype, jnp.floating):
            p = p.astype(jnp.float32)
        value = jnp.asarray(f(p[0], p[1]), dtype=p.dtype)
        return jnp.broadcast_to(value, p.shape[1:])

    loss.__name__ = loss.__qualname__ = "formula"
    loss.__doc__ = f"f(x, y) = {canonical_text}"
    return loss
