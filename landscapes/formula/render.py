"""Printing a normalized tree: the canonical text (the display name and the share link)
and LaTeX.

Canonical text uses minimal parentheses, ``^`` for powers, the short spelling of aliases
and numbers as typed, so that it always re-parses to the same tree.
"""

from __future__ import annotations

import ast
import re

from landscapes.formula.functions import FUNCTIONS
from landscapes.formula.text import MAX_LENGTH

_PREC_ADD, _PREC_MUL, _PREC_UNARY, _PREC_POW, _PREC_ATOM = 10, 20, 30, 40, 50


def _prec(node: ast.expr) -> int:
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Add | ast.Sub):
            return _PREC_ADD
        if isinstance(node.op, ast.Mult | ast.Div):
            return _PREC_MUL
        return _PREC_POW
    if isinstance(node, ast.UnaryOp):
        return _PREC_UNARY
    return _PREC_ATOM


def _needs_parens(parent: ast.BinOp, child: ast.expr, right: bool) -> bool:
    p, c = _prec(parent), _prec(child)
    if isinstance(parent.op, ast.Pow):
        # right-associative; a unary minus is fine in the exponent (2^-x), not in the base
        return c < _PREC_UNARY if right else c <= _PREC_POW
    return c <= p if right else c < p


def _text(node: ast.expr, compact: bool) -> str:
    if isinstance(node, ast.Constant):
        return node.spelling  # type: ignore[attr-defined]
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Call):
        sep = "," if compact else ", "
        args = sep.join(_text(a, compact) for a in node.args)
        return f"{node.func.id}({args})"  # type: ignore[attr-defined]
    if isinstance(node, ast.UnaryOp):
        inner = _text(node.operand, compact)
        return f"-({inner})" if _prec(node.operand) < _PREC_UNARY else f"-{inner}"
    assert isinstance(node, ast.BinOp)
    left = _text(node.left, compact)
    right = _text(node.right, compact)
    if _needs_parens(node, node.left, right=False):
        left = f"({left})"
    if _needs_parens(node, node.right, right=True):
        right = f"({right})"
    op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "^"}[
        type(node.op)
    ]
    if op in "+-" and not compact:
        op = f" {op} "
    return f"{left}{op}{right}"


def _canonical_text(body: ast.expr) -> str:
    """Readable (spaces around + and -) unless that would not fit in ``MAX_LENGTH``; the
    compact form never is longer than the text it came from, so it always re-parses."""
    readable = _text(body, compact=False)
    return readable if len(readable) <= MAX_LENGTH else _text(body, compact=True)


def _latex_number(node: ast.Constant) -> str:
    spelling: str = node.spelling  # type: ignore[attr-defined]
    if re.fullmatch(r"[0-9.]+", spelling):
        return spelling
    value = node.value
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    shown = f"{value:.6g}"
    if "e" in shown:
        mantissa, exponent = shown.split("e")
        power = f"10^{{{int(exponent)}}}"
        return power if mantissa == "1" else rf"{mantissa} \cdot {power}"
    return shown


def _latex(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return _latex_number(node)
    if isinstance(node, ast.Name):
        return r"\pi" if node.id == "pi" else node.id
    if isinstance(node, ast.Call):
        fn = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        return fn.latex.format(*(_latex(a) for a in node.args))
    if isinstance(node, ast.UnaryOp):
        inner = _latex(node.operand)
        if _prec(node.operand) < _PREC_MUL or isinstance(node.operand, ast.UnaryOp):
            inner = rf"\left({inner}\right)"
        return f"-{inner}"
    assert isinstance(node, ast.BinOp)
    if isinstance(node.op, ast.Div):
        return rf"\frac{{{_latex(node.left)}}}{{{_latex(node.right)}}}"
    left, right = _latex(node.left), _latex(node.right)
    if isinstance(node.op, ast.Pow):
        if _prec(node.left) < _PREC_ATOM or isinstance(node.left, ast.Call):
            left = rf"\left({left}\right)"
        return f"{left}^{{{right}}}"
    p = _prec(node)
    if _prec(node.left) < p:
        left = rf"\left({left}\right)"
    right_parens = _prec(node.right) < p or isinstance(node.right, ast.UnaryOp)
    if isinstance(node.op, ast.Sub) and _prec(node.right) == p:
        right_parens = True
    if right_parens:
        right = rf"\left({right}\right)"
    if isinstance(node.op, ast.Add):
        return f"{left} + {right}"
    if isinstance(node.op, ast.Sub):
        return f"{left} - {right}"
    juxtapose = isinstance(node.left, ast.Constant) and (
        isinstance(node.right, ast.Name)
        or (
            isinstance(node.right, ast.BinOp)
            and isinstance(node.right.op, ast.Pow)
            and isinstance(node.right.left, ast.Name)
        )
    )
    return f"{left} {right}" if juxtapose else rf"{left} \cdot {right}"
