"""A formula typed by a user, compiled to a jax.numpy loss through a whitelist.

The text comes from anyone on the internet, so it is treated as hostile. It is never
evaluated as Python: no ``eval``, ``exec``, bytecode ``compile``, sympy or numexpr ever
sees it. ``ast.parse(..., mode="eval")`` only builds a syntax tree (it runs nothing), and
that tree is walked against a whitelist and turned into a closure over ``jax.numpy``.
Everything not listed below is refused with a :class:`FormulaError` a student can read.

Grammar (a subset of Python expression syntax)::

    expr     := expr ("+" | "-") expr | expr ("*" | "/") expr | expr ("^" | "**") expr
              | ("-" | "+") expr | "(" expr ")" | call | number | name
    call     := function "(" expr ["," expr] ")"            (exact arity, no keywords)
    name     := "x" | "y" | "pi" | "e"
    number   := an int or float literal (2, 0.5, .5, 1e-3; not complex, not bool)

``^`` means power (it is rewritten to ``**`` before parsing; power binds tighter than
unary minus, so ``-x^2`` is ``-(x^2)``, and is right-associative: ``2^3^2 = 2^9``).
Multiplication must be written out (``2*x``, not ``2x``; ``2e`` is a malformed number).
``(sin)(x)`` is the same tree as ``sin(x)`` and is accepted; calling anything that is
not a function name (``(x+1)(y)``, ``x(2)``) is refused.

Functions (aliases in brackets; the first spelling is the canonical one)::

    1 argument:  sin cos tan  asin [arcsin] acos [arccos] atan [arctan]
                 sinh cosh tanh  asinh [arcsinh] acosh [arccosh] atanh [arctanh]
                 exp expm1  log ln (both natural)  log10 log2 log1p  sqrt cbrt
                 abs sign floor ceil  sigmoid relu softplus
    2 arguments: atan2 [arctan2] (atan2(y, x))  hypot  min max (elementwise)
                 pow (pow(a, b) is a^b)

Limits, each checked before the work it protects, each with its own message:

- type ``str``, at most ``MAX_LENGTH`` (500) characters: bounds every later step;
- only printable ASCII from a small set (letters, digits, space, ``+ - * / ^ ( ) , .``):
  refuses look-alikes (``×``, ``−``, ``ｘ``, ``²``) with a hint of what to type instead,
  control characters (including newline and tab), quotes, brackets, ``=``, ``_`` ...
  before Python's tokenizer sees anything; the first bad character's column is reported;
- not empty or blank;
- parentheses balanced and nested at most ``MAX_PAREN_DEPTH`` (30) deep, checked on the
  raw text because ``ast.parse`` itself can hit ``RecursionError``/``MemoryError`` (also
  caught) on deep nesting;
- at most ``MAX_NODES`` (200) expression nodes and ``MAX_DEPTH`` (100) levels of them in
  the tree (both measured without recursion), so compiling, tracing and the recursive
  walks below stay small (a sum of 100 terms is 100 levels deep);
- every literal at most ``MAX_LITERAL`` (1e6) in size (``1e400`` is refused, not inf);
- a power whose exponent does not involve x or y must have an exponent in
  ``[-MAX_EXPONENT, MAX_EXPONENT]`` = [-20, 20]. The exponent is evaluated in numpy
  float64 (never Python integers), bottom-up, so towers like ``9^9^9`` or ``10^10^10``
  are refused without the tower ever being computed. Exponents that involve x or y (``2^x``) are
  evaluated by jax in floating point, where overflow is just ``inf``.

Domain errors (``log(-1)``, ``1/0``, ``sqrt(-1)``) are not errors: jax returns nan/inf and
the plot shows a gap. A formula with no finite value anywhere on a 64x64 grid over the
domain is refused.

The character filter also matters for correctness: Python itself NFKC-normalizes
identifiers, so without it ``ｘ`` (full-width) would silently parse as ``x``.

Canonical text (the display name and the share link): the normalized tree printed with
minimal parentheses, ``^`` for powers, the short spelling of aliases (``atan``), numbers
as typed, spaces around binary ``+``/``-`` unless that would exceed ``MAX_LENGTH``, in
which case it is printed compactly (never longer than the input), so it always re-parses
to the same tree.

Default start: ``START_FRACTION`` (60%) of the way from the domain's centre towards each
corner; of those four points, the finite one with the largest value (ties: lower-left
first); if none is finite, the finite grid point nearest the lower-left one.

Compiled losses are cached by canonical text (bounded LRU), so the same formula always
yields the *same* ``loss`` function object (the engine's jit cache is keyed on it). At
most ``MAX_CONCURRENT_COMPILES`` compiles run at once; a request that cannot get a slot
within ``BUSY_TIMEOUT_S`` seconds is refused as "busy".
"""

from __future__ import annotations

import ast
import math
import re
import threading
import unicodedata
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import jax.numpy as jnp
import numpy as np

from landscapes.base import Domain, Landscape

__all__ = [
    "FUNCTIONS",
    "MAX_LENGTH",
    "NAMES",
    "FormulaError",
    "canonical",
    "from_formula",
]

MAX_LENGTH = 500
MAX_PAREN_DEPTH = 30
MAX_NODES = 200
MAX_DEPTH = 100
MAX_LITERAL = 1e6
MAX_EXPONENT = 20
MAX_DOMAIN_BOUND = 1e4
MIN_DOMAIN_SPAN = 1e-3
GRID = 64
CACHE_SIZE = 256
MAX_CONCURRENT_COMPILES = 4
BUSY_TIMEOUT_S = 2.0
DEFAULT_DOMAIN: Domain = ((-3.0, 3.0), (-3.0, 3.0))
#: The start is this fraction of the way from the domain's centre to a corner.
START_FRACTION = 0.6

NAMES = ("x", "y", "pi", "e")
_ALLOWED_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 +-*/^(),."
)


class FormulaError(ValueError):
    """A refused formula: ``message`` (a sentence), ``position`` (0-based column into the
    text as typed, or None) and ``hint`` (what to do instead, or None).

    Messages speak of 1-based columns ("column 5" is the fifth character, position 4).
    """

    def __init__(self, message: str, position: int | None = None, hint: str | None = None):
        self.message = message
        self.position = position
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} {self.hint}"


def _col(position: int) -> str:
    return f"column {position + 1}"


# --------------------------------------------------------------------------------------
# Functions: canonical name -> (arity, implementation(xp, *args), LaTeX template).
# ``xp`` is ``jnp`` for the loss and ``np`` (float64) for constant exponents.


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
    "asinh": _Fn(1, lambda xp, a: xp.arcsinh(a), r"\operatorname{arsinh}\left({0}\right)"),
    "acosh": _Fn(1, lambda xp, a: xp.arccosh(a), r"\operatorname{arcosh}\left({0}\right)"),
    "atanh": _Fn(1, lambda xp, a: xp.arctanh(a), r"\operatorname{artanh}\left({0}\right)"),
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


# --------------------------------------------------------------------------------------
# Stage 1: the raw text.

_CHAR_HINTS = {
    "×": "Type * for multiplication.",
    "·": "Type * for multiplication.",
    "⋅": "Type * for multiplication.",
    "∙": "Type * for multiplication.",
    "∗": "Type * for multiplication.",
    "÷": "Type / for division.",
    "∕": "Type / for division.",
    "−": "Type the ASCII minus sign - instead.",
    "–": "Type the ASCII minus sign - instead.",
    "—": "Type the ASCII minus sign - instead.",
    "‐": "Type the ASCII minus sign - instead.",
    "‑": "Type the ASCII minus sign - instead.",
    "π": "Type pi instead.",
    "√": "Type sqrt(...) instead, e.g. sqrt(x^2 + y^2).",
    "\u00a0": "That is a non-breaking space: type an ordinary space.",
    "\n": "Write the formula on one line.",
    "\r": "Write the formula on one line.",
    "\t": "Use spaces instead of tabs.",
    "=": "Type only the right-hand side, e.g. x^2 + y^2 (no 'f(x, y) =', no assignments).",
    "<": "Comparisons are not supported; min(a, b) and max(a, b) may do what you want.",
    ">": "Comparisons are not supported; min(a, b) and max(a, b) may do what you want.",
    "!": "Comparisons and factorials are not supported.",
    "[": "Use round parentheses ( ) for grouping.",
    "]": "Use round parentheses ( ) for grouping.",
    "{": "Use round parentheses ( ) for grouping.",
    "}": "Use round parentheses ( ) for grouping.",
    "'": "Text in quotes is not allowed: a formula uses numbers, x, y, pi, e and functions.",
    '"': "Text in quotes is not allowed: a formula uses numbers, x, y, pi, e and functions.",
    "`": "Text in quotes is not allowed: a formula uses numbers, x, y, pi, e and functions.",
    ";": "Write a single expression.",
    "_": "Names never contain underscores, and numbers are written without separators "
    "(1000, not 1_000).",
    "%": "The remainder operator % is not supported.",
    "\\": "LaTeX commands are not supported: type sin(x), not \\sin x.",
    "|": "Type abs(x) for an absolute value.",
}
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_GENERIC_CHAR_HINT = "Use only letters, digits, spaces and + - * / ^ ( ) , ."


def _char_error(text: str, i: int) -> FormulaError:
    c = text[i]
    code = f"U+{ord(c):04X}"
    if c in _SUPERSCRIPTS:
        hint = f"Type ^{_SUPERSCRIPTS.index(c)} for a power, e.g. x^{_SUPERSCRIPTS.index(c)}."
    elif c in _CHAR_HINTS:
        hint = _CHAR_HINTS[c]
    else:
        plain = unicodedata.normalize("NFKC", c)
        if plain != c and len(plain) == 1 and plain in _ALLOWED_CHARS and plain != " ":
            hint = f"Type the plain character '{plain}' instead (this one only looks like it)."
        else:
            hint = _GENERIC_CHAR_HINT
    if not c.isprintable() or (c.isspace() and c != " "):
        what = f"The control or invisible character {code}"
    elif ord(c) < 128:
        what = f"The character '{c}'"
    else:
        what = f"The character '{c}' ({code})"
    return FormulaError(f"{what} at {_col(i)} is not allowed in a formula.", i, hint)


def _check_text(text: object) -> str:
    """Length, characters, blank input and parentheses, on the raw text."""
    if not isinstance(text, str):
        raise FormulaError(
            "The formula must be text.", None, "Type an expression such as x^2 + y^2."
        )
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"The formula is too long ({len(text)} characters; the limit is {MAX_LENGTH}).",
            None,
            "Shorten it, e.g. by factoring out repeated parts.",
        )
    for i, c in enumerate(text):
        if c not in _ALLOWED_CHARS:
            raise _char_error(text, i)
    if not text.strip():
        raise FormulaError(
            "The formula is empty.", None, "Type an expression in x and y, e.g. x^2 + y^2."
        )
    opened: list[int] = []
    for i, c in enumerate(text):
        if c == "(":
            opened.append(i)
            if len(opened) > MAX_PAREN_DEPTH:
                raise FormulaError(
                    f"The parentheses are nested too deeply at {_col(i)} (more than "
                    f"{MAX_PAREN_DEPTH} levels).",
                    i,
                    "Simplify the formula.",
                )
        elif c == ")":
            if not opened:
                raise FormulaError(
                    f"The closing parenthesis at {_col(i)} has no matching '('.", i
                )
            opened.pop()
    if opened:
        raise FormulaError(
            f"The '(' at {_col(opened[-1])} is never closed.", opened[-1], "Add a ')'."
        )
    return text


def _to_python_source(text: str) -> tuple[str, list[int]]:
    """``text`` without leading spaces and with ``^`` as ``**``, plus, for every character
    of the result (and one past its end), the column in ``text`` it came from."""
    src: list[str] = []
    cols: list[int] = []
    start = len(text) - len(text.lstrip(" "))
    for i in range(start, len(text)):
        if text[i] == "^":
            src.append("**")
            cols.extend((i, i))
        else:
            src.append(text[i])
            cols.append(i)
    cols.append(len(text))
    return "".join(src), cols


_IMPLICIT_MULTIPLICATION = re.compile(r"(\d\.?|\))\s*[A-Za-z(]|[A-Za-z\d)]\s+[A-Za-z\d(]")


def _parse(text: str) -> tuple[ast.expr, list[int]]:
    src, cols = _to_python_source(text)
    try:
        # Tokenizer warnings (e.g. "1if") must neither leak nor turn into exceptions.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(src, mode="eval")
    except SyntaxError as err:
        offset = err.offset if err.offset and err.offset > 0 else len(src) + 1
        position = cols[min(offset - 1, len(src))]
        hint = "Check for a missing operator, operand or comma near there."
        if _IMPLICIT_MULTIPLICATION.search(text):
            hint = "Write multiplication explicitly with *, e.g. 2*x or (x + 1)*(y - 1)."
        where = "at the end" if position >= len(text) else f"at {_col(position)}"
        raise FormulaError(f"The formula cannot be read {where}.", position, hint) from None
    except (RecursionError, MemoryError):
        raise FormulaError(
            "The formula is nested too deeply to read.", None, "Simplify the formula."
        ) from None
    except ValueError:  # e.g. an integer literal with too many digits
        raise FormulaError(
            "The formula contains a number that cannot be read.", None, "Use smaller numbers."
        ) from None
    return tree.body, cols


# --------------------------------------------------------------------------------------
# Stage 2: the tree. Sizes first (no recursion), then a whitelist walk that also
# normalizes (aliases -> canonical names, pow(a, b) -> a ** b, +a -> a).


def _check_size(body: ast.expr) -> None:
    count = sum(1 for node in ast.walk(body) if isinstance(node, ast.expr))
    if count > MAX_NODES:
        raise FormulaError(
            f"The formula is too big ({count} parts; the limit is {MAX_NODES}).",
            None,
            "Simplify it.",
        )
    stack: list[tuple[ast.AST, int]] = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormulaError(
                f"The formula is nested too deeply (more than {MAX_DEPTH} operations "
                "inside each other).",
                None,
                "Simplify it.",
            )
        stack.extend(
            (child, depth + isinstance(child, ast.expr)) for child in ast.iter_child_nodes(node)
        )


_REFUSED_NODES: dict[type, str] = {
    ast.Attribute: "The '.' {at} is not allowed here: '.' is only for decimals like 0.5",
    ast.Subscript: "Indexing with [ ] is not allowed",
    ast.Compare: "Comparisons are not supported",
    ast.BoolOp: "'and' and 'or' are not supported",
    ast.IfExp: "'... if ... else ...' is not supported",
    ast.Lambda: "'lambda' is not allowed",
    ast.NamedExpr: "Assignments are not allowed",
    ast.Tuple: "A formula must be a single expression, not several separated by commas",
    ast.Starred: "'*' in front of an argument is not allowed",
    ast.GeneratorExp: "Generators ('... for ... in ...') are not allowed",
    ast.ListComp: "Comprehensions are not allowed",
    ast.SetComp: "Comprehensions are not allowed",
    ast.DictComp: "Comprehensions are not allowed",
    ast.List: "Lists are not allowed",
    ast.Set: "Sets are not allowed",
    ast.Dict: "Dictionaries are not allowed",
    ast.JoinedStr: "Text (strings) is not allowed",
    ast.FormattedValue: "Text (strings) is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield' is not allowed",
    ast.Slice: "Slices are not allowed",
}
_BIN_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_OP_NAMES = {
    ast.FloorDiv: ("//", "Use floor(a / b) for integer division."),
    ast.Mod: ("%", None),
    ast.MatMult: ("@", None),
    ast.LShift: ("<<", None),
    ast.RShift: (">>", None),
    ast.BitOr: ("|", None),
    ast.BitAnd: ("&", None),
    ast.BitXor: ("^", None),
    ast.Not: ("not", None),
    ast.Invert: ("~", None),
}
_NAMES_HINT = (
    "Use x and y as the variables, pi and e as constants, and functions with "
    "parentheses, e.g. sin(x)."
)


def _has_variable(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id in ("x", "y") for n in ast.walk(node))


class _Normalizer:
    """Validates a tree against the whitelist and returns the normalized tree."""

    def __init__(self, cols: list[int] | None = None, src: str | None = None):
        self.cols = cols
        self.src = src

    def pos(self, node: ast.AST) -> int | None:
        col = getattr(node, "col_offset", None)
        if col is None:
            return None
        if self.cols is None:
            return col
        return self.cols[min(col, len(self.cols) - 1)]

    def fail(
        self, node: ast.AST, message: str, hint: str | None = None, at: int | None = None
    ) -> FormulaError:
        """``message`` names the place with ``{at}`` (else it goes at the end)."""
        p = self.pos(node) if at is None else self.cols_at(at)
        if "{at}" not in message:
            message += " {at}"
        where = "" if p is None else f"at {_col(p)}"
        message = message.replace(" {at}", " " + where if where else "")
        return FormulaError(message.rstrip() + ".", p, hint)

    def cols_at(self, col: int) -> int:
        return col if self.cols is None else self.cols[min(col, len(self.cols) - 1)]

    def visit(self, node: ast.AST) -> ast.expr:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.UnaryOp):
            return self.unaryop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute):
            dot = getattr(node.value, "end_col_offset", None)
            raise self.fail(node, _REFUSED_NODES[ast.Attribute], at=dot)
        for kind, message in _REFUSED_NODES.items():
            if isinstance(node, kind):
                raise self.fail(node, message)
        raise self.fail(node, f"This kind of expression ({type(node).__name__}) is not allowed")

    def constant(self, node: ast.Constant) -> ast.expr:
        value = node.value
        if type(value) is complex:
            raise self.fail(node, "The complex number {at} is not supported")
        if type(value) not in (int, float):
            shown = "Text" if isinstance(value, str | bytes) else f"'{self.spelling(node)}'"
            raise self.fail(
                node,
                f"{shown} {{at}} is not allowed: only numbers, x, y, pi and e may appear",
                _NAMES_HINT,
            )
        # ``abs`` of a Python int or float: exact, and cheap for a literal of <= 500 chars.
        if not abs(value) <= MAX_LITERAL:
            raise self.fail(
                node,
                f"The number {self.spelling(node)} {{at}} is too large (numbers must be at "
                f"most {MAX_LITERAL:.0e} in size)",
                "Rescale the formula: values are computed in 32-bit floats.",
            )
        out = ast.Constant(value=float(value))
        out.spelling = self.spelling(node)  # type: ignore[attr-defined]
        return ast.copy_location(out, node)

    def spelling(self, node: ast.Constant) -> str:
        if self.src is not None and getattr(node, "end_col_offset", None) is not None:
            return self.src[node.col_offset : node.end_col_offset]
        return getattr(node, "spelling", None) or repr(node.value)

    def name(self, node: ast.Name) -> ast.expr:
        if node.id in NAMES:
            return ast.copy_location(ast.Name(id=node.id, ctx=ast.Load()), node)
        if node.id in FUNCTIONS or node.id in ALIASES or node.id == _POW:
            raise self.fail(
                node,
                f"'{node.id}' {{at}} is a function and needs parentheses",
                f"Write e.g. {node.id}(x).",
            )
        hint = _NAMES_HINT
        if node.id.lower() in NAMES or node.id.lower() in _ALL_FUNCTION_NAMES:
            hint = f"Names are lower-case: write '{node.id.lower()}'."
        elif len(node.id) > 1 and set(node.id) <= set("xye"):
            hint = "Write multiplication explicitly with *, e.g. x*y."
        raise self.fail(node, f"Unknown name '{node.id}'", hint)

    def binop(self, node: ast.BinOp) -> ast.expr:
        if not isinstance(node.op, _BIN_OPS):
            symbol, hint = _OP_NAMES.get(type(node.op), (type(node.op).__name__, None))
            raise self.fail(node, f"The operator {symbol} {{at}} is not supported", hint)
        left = self.visit(node.left)
        right = self.visit(node.right)
        out = ast.copy_location(ast.BinOp(left=left, op=type(node.op)(), right=right), node)
        if isinstance(node.op, ast.Pow):
            self.check_exponent(out, right)
        return out

    def check_exponent(self, node: ast.BinOp, exponent: ast.expr) -> None:
        """Bound a constant exponent, and store it on the power node as
        ``exponent_value`` (None when it involves x or y) so that no later step evaluates
        it again: re-evaluating nested constant exponents would take exponential time in
        a tower like x^1^1^...^1."""
        node.exponent_value = None  # type: ignore[attr-defined]
        if _has_variable(exponent):
            return  # evaluated by jax: overflow is inf, never a hang
        value = _constant_value(exponent)  # linear: inner powers carry their exponents
        if not math.isfinite(value):
            raise self.fail(exponent, "The exponent {at} is not a finite number")
        if abs(value) > MAX_EXPONENT:
            big = abs(value) >= 1e15 or not value.is_integer()
            shown = f"{value:.6g}" if big else str(int(value))
            raise self.fail(
                exponent,
                f"The exponent {{at}} is {shown}, too large: constant exponents must be "
                f"between -{MAX_EXPONENT} and {MAX_EXPONENT}",
                "Bigger powers overflow 32-bit floats anyway; rescale the formula instead.",
            )
        node.exponent_value = value  # type: ignore[attr-defined]

    def unaryop(self, node: ast.UnaryOp) -> ast.expr:
        if isinstance(node.op, ast.UAdd):
            return self.visit(node.operand)
        if isinstance(node.op, ast.USub):
            operand = self.visit(node.operand)
            return ast.copy_location(ast.UnaryOp(op=ast.USub(), operand=operand), node)
        symbol, hint = _OP_NAMES.get(type(node.op), (type(node.op).__name__, None))
        raise self.fail(node, f"The operator {symbol} {{at}} is not supported", hint)

    def call(self, node: ast.Call) -> ast.expr:
        func = node.func
        if not isinstance(func, ast.Name):
            raise self.fail(
                node,
                "The call {at} is not allowed: only named functions such as sin(...) can "
                "be called",
                "To multiply, write * explicitly, e.g. (x + 1)*(y - 1).",
            )
        name = ALIASES.get(func.id, func.id)
        if name in NAMES:
            raise self.fail(
                func,
                f"'{func.id}' {{at}} is not a function",
                f"To multiply, write * explicitly, e.g. {func.id}*(...).",
            )
        if name not in FUNCTIONS and name != _POW:
            hint = "Available functions: " + ", ".join(_ALL_FUNCTION_NAMES) + "."
            if func.id.lower() in _ALL_FUNCTION_NAMES:
                hint = f"Names are lower-case: write '{func.id.lower()}'."
            raise self.fail(func, f"Unknown function '{func.id}'", hint)
        if node.keywords:
            raise self.fail(
                node, f"Named arguments are not allowed in {func.id}(...)", "Write e.g. sin(x)."
            )
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.fail(arg, _REFUSED_NODES[ast.Starred])
        arity = 2 if name == _POW else FUNCTIONS[name].arity
        if len(node.args) != arity:
            plural = "argument" if arity == 1 else "arguments"
            example = f"{func.id}(x)" if arity == 1 else f"{func.id}(x, y)"
            if name in ("atan2", _POW):
                example = f"{func.id}(y, x)" if name == "atan2" else f"{func.id}(x, 2)"
            raise self.fail(
                node,
                f"{func.id} {{at}} takes {arity} {plural}, but {len(node.args)} "
                f"{'was' if len(node.args) == 1 else 'were'} given",
                f"Write e.g. {example}.",
            )
        args = [self.visit(arg) for arg in node.args]
        if name == _POW:
            out = ast.copy_location(ast.BinOp(left=args[0], op=ast.Pow(), right=args[1]), node)
            self.check_exponent(out, args[1])
            return out
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])
        ast.copy_location(call.func, func)
        return ast.copy_location(call, node)


# --------------------------------------------------------------------------------------
# Stage 3: closures. ``_build(node, xp)`` turns a normalized tree into f(x, y).

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


# --------------------------------------------------------------------------------------
# Canonical text and LaTeX.

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


# --------------------------------------------------------------------------------------
# Public entry points, caches and the compile limiter.


def _normalize(text: object) -> ast.expr:
    """Every check, in order; returns the validated, normalized tree."""
    checked = _check_text(text)
    body, cols = _parse(checked)
    _check_size(body)
    src, _ = _to_python_source(checked)
    return _Normalizer(cols, src).visit(body)


def canonical(text: str) -> str:
    """The canonical text of a formula (raises :class:`FormulaError` if it is refused).

    ``canonical(canonical(t)) == canonical(t)``: it is what the share link carries.
    """
    return _canonical_text(_normalize(text))


class _LRU:
    """A small thread-safe LRU map; ``put`` keeps the first value stored for a key, so
    concurrent compiles of one formula still hand out one function object."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            return None

    def put(self, key: Hashable, value: Any) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            self._data[key] = value
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
            return value

    def __len__(self) -> int:
        return len(self._data)


_COMPILED = _LRU(CACHE_SIZE)  # canonical text -> (loss, latex)
_LANDSCAPES = _LRU(CACHE_SIZE)  # (canonical text, domain) -> Landscape
_COMPILE_SLOTS = threading.BoundedSemaphore(MAX_CONCURRENT_COMPILES)


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


def _compiled(body: ast.expr, canonical_text: str):
    hit = _COMPILED.get(canonical_text)
    if hit is not None:
        return hit
    entry = (_make_loss(body, canonical_text), "f(x,y) = " + _latex(body))
    return _COMPILED.put(canonical_text, entry)


def _check_domain(domain: object) -> Domain:
    if domain is None:
        return DEFAULT_DOMAIN
    usage = "Give the domain as ((xmin, xmax), (ymin, ymax))."
    try:
        (x0, x1), (y0, y1) = domain  # type: ignore[misc]
        bounds = [x0, x1, y0, y1]
        if any(isinstance(b, bool | str | bytes) for b in bounds):
            raise TypeError
        x0, x1, y0, y1 = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise FormulaError("The plotting domain is malformed.", None, usage) from None
    if not all(math.isfinite(b) and abs(b) <= MAX_DOMAIN_BOUND for b in (x0, x1, y0, y1)):
        raise FormulaError(
            f"The plotting domain must lie within ±{MAX_DOMAIN_BOUND:g}.", None, usage
        )
    if not (x1 - x0 >= MIN_DOMAIN_SPAN and y1 - y0 >= MIN_DOMAIN_SPAN):
        raise FormulaError(
            "The plotting domain is empty or too narrow: it needs xmin < xmax and "
            f"ymin < ymax, at least {MIN_DOMAIN_SPAN:g} apart.",
            None,
            usage,
        )
    return ((x0, x1), (y0, y1))


def _round(v: float) -> float:
    return float(f"{v:.6g}")


def _default_start(loss, domain: Domain) -> tuple[float, float]:
    """Of the points ``START_FRACTION`` of the way from the centre to each corner
    (lower-left, lower-right, upper-left, upper-right), the finite one with the largest
    value (the first on ties); else the finite grid point nearest the lower-left one.
    Raises if the grid has no finite value at all."""
    (x0, x1), (y0, y1) = domain
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    hx, hy = START_FRACTION * 0.5 * (x1 - x0), START_FRACTION * 0.5 * (y1 - y0)
    candidates = [
        (_round(cx + sx * hx), _round(cy + sy * hy))
        for sx, sy in ((-1, -1), (1, -1), (-1, 1), (1, 1))
    ]
    xs = jnp.linspace(x0, x1, GRID, dtype=jnp.float32)
    ys = jnp.linspace(y0, y1, GRID, dtype=jnp.float32)
    gx, gy = jnp.meshgrid(xs, ys)
    grid = np.asarray(loss(jnp.stack([gx, gy]), {}))
    finite = np.isfinite(grid)
    if not finite.any():
        raise FormulaError(
            f"The formula has no finite value in the plotting domain x in [{x0:g}, {x1:g}], "
            f"y in [{y0:g}, {y1:g}].",
            None,
            "Check for logarithms or square roots of negative numbers and divisions by "
            "zero, or change the domain.",
        )
    values = np.asarray(loss(jnp.asarray(np.array(candidates, dtype=np.float32).T), {}))
    best = None
    for i, v in enumerate(values):
        if np.isfinite(v) and (best is None or v > values[best]):
            best = i
    if best is not None:
        return candidates[best]
    gxn, gyn = np.asarray(gx), np.asarray(gy)
    ax, ay = candidates[0]
    dist = np.where(finite, (gxn - ax) ** 2 + (gyn - ay) ** 2, np.inf)
    i = np.unravel_index(int(np.argmin(dist)), dist.shape)
    return (float(gxn[i]), float(gyn[i]))  # not rounded: it must stay a finite point


def from_formula(text: str, domain: Domain | None = None) -> Landscape:
    """Compile a typed formula f(x, y) into a :class:`Landscape` (slug ``"formula"``).

    Raises :class:`FormulaError` for anything refused (see the module docstring). The same
    formula (same canonical text) always yields the same ``loss`` function object.
    """
    dom = _check_domain(domain)
    body = _normalize(text)
    canonical_text = _canonical_text(body)
    key = (canonical_text, dom)
    hit = _LANDSCAPES.get(key)
    if hit is not None:
        return hit
    if not _COMPILE_SLOTS.acquire(timeout=BUSY_TIMEOUT_S):
        raise FormulaError(
            "The server is busy compiling other formulas; try again in a moment."
        )
    try:
        loss, latex = _compiled(body, canonical_text)
        start = _default_start(loss, dom)
        landscape = Landscape(
            slug="formula",
            name=f"f(x, y) = {canonical_text}",
            family="formula",
            loss=loss,
            domain=dom,
            start=start,
            latex=latex,
            minima=(),
            log_scale=False,
            blurb="Your own formula: its minima are not known in advance.",
        )
    finally:
        _COMPILE_SLOTS.release()
    return _LANDSCAPES.put(key, landscape)
