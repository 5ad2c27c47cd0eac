"""Stage 1: checks on the raw text, before Python's tokenizer sees any of it.

Length, a character whitelist (with hints for look-alikes), blank input and balanced,
shallowly nested parentheses; then the text as Python source (``^`` becomes ``**``).
"""

from __future__ import annotations

import re
import unicodedata

from landscapes.formula.errors import FormulaError, _col

MAX_LENGTH = 500
MAX_PAREN_DEPTH = 30

_ALLOWED_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 +-*/^(),."
)

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


def _char_hint(c: str) -> str:
    if c in _SUPERSCRIPTS:
        return f"Type ^{_SUPERSCRIPTS.index(c)} for a power, e.g. x^{_SUPERSCRIPTS.index(c)}."
    if c in _CHAR_HINTS:
        return _CHAR_HINTS[c]
    plain = unicodedata.normalize("NFKC", c)
    if plain != c and len(plain) == 1 and plain in _ALLOWED_CHARS and plain != " ":
        return f"Type the plain character '{plain}' instead (this one only looks like it)."
    return _GENERIC_CHAR_HINT


def _char_error(text: str, i: int) -> FormulaError:
    c = text[i]
    code = f"U+{ord(c):04X}"
    hint = _char_hint(c)
    if not c.isprintable() or (c.isspace() and c != " "):
        what = f"The control or invisible character {code}"
    elif ord(c) < 128:
        what = f"The character '{c}'"
    else:
        what = f"The character '{c}' ({code})"
    return FormulaError(f"{what} at {_col(i)} is not allowed in a formula.", i, hint)


def _check_parentheses(text: str) -> None:
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
    _check_parentheses(text)
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


# Only consulted once the text failed to parse, to say "write * explicitly" instead of
# a generic hint.
_IMPLICIT_MULTIPLICATION = re.compile(r"(\d\.?|\))\s*[A-Za-z(]|[A-Za-z\d)]\s+[A-Za-z\d(]")


def _implicit_multiplication_hint(text: str) -> str | None:
    if _IMPLICIT_MULTIPLICATION.search(text):
        return "Write multiplication explicitly with *, e.g. 2*x or (x + 1)*(y - 1)."
    return None
