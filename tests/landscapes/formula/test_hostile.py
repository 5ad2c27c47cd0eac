"""Nothing hostile gets through: every refusal, by the text checks or the tree whitelist,
is a readable :class:`FormulaError`, and the limits hold at their boundaries.

The canary fixture proves that no payload ran: it installs a ``canary`` builtin that a
payload would call if the text were ever evaluated, and makes ``eval``/``exec`` and any
non-AST-only ``compile`` record themselves, while checking that ``ast.parse`` (an
AST-only ``compile``) really was the path taken.
"""

from __future__ import annotations

import ast
import builtins
import math
import time

import jax.numpy as jnp
import pytest

from landscapes import FormulaError, from_formula
from landscapes import formula as fm
from landscapes.formula.normalize import _check_size, _Normalizer
from tests.helpers import check_error

CANARY: list[str] = []


@pytest.fixture
def canary(monkeypatch):
    """Record any evaluation of Python; count AST-only compiles (ast.parse)."""
    from_formula("x + y")  # warm jax up outside the patch
    calls: dict[str, int] = {"ast_only": 0}
    real_compile = builtins.compile

    def fake_compile(source, filename, mode, flags=0, *args, **kwargs):
        if flags & ast.PyCF_ONLY_AST:
            calls["ast_only"] += 1
            return real_compile(source, filename, mode, flags, *args, **kwargs)
        CANARY.append(f"compile({source!r})")
        raise AssertionError("bytecode compile called")

    def fake(name):
        def f(*args, **kwargs):
            CANARY.append(f"{name}{args!r}")
            raise AssertionError(f"{name} called")

        return f

    CANARY.clear()
    monkeypatch.setattr(builtins, "compile", fake_compile)
    monkeypatch.setattr(builtins, "eval", fake("eval"))
    monkeypatch.setattr(builtins, "exec", fake("exec"))
    monkeypatch.setattr(builtins, "canary", fake("canary"), raising=False)
    yield calls
    assert CANARY == []


HOSTILE = [
    # attribute walks, imports, builtins
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "x.real",
    "1 .real",
    "x . y",
    "__import__('os').system('echo hi')",
    "__import__('builtins').canary()",
    "canary()",
    "canary",
    "print(canary())",
    "open('/etc/passwd')",
    "eval('canary()')",
    "exec('canary()')",
    "compile('1', 'f', 'eval')",
    "getattr(x, 'canary')",
    "globals()",
    "vars()",
    "breakpoint()",
    "lambda: canary()",
    "lambda x: x",
    # containers, comprehensions, subscripts, walrus, keywords, starred
    "[canary() for i in (1,)]",
    "sum(canary() for i in x)",
    "sin(canary() for i in x)",
    "{canary()}",
    "{1: canary()}",
    "[x, y]",
    "x[0]",
    "x[0:1]",
    "(y := canary())",
    "sin(x=1)",
    "sin(*x)",
    "sin(**x)",
    "max(*(x, y))",
    # text, bytes, f-strings
    "'x'",
    '"x"',
    "b'x'",
    "f'{canary()}'",
    # operators and constructs outside the grammar
    "x < y",
    "x == y",
    "x is y",
    "x in y",
    "x and y",
    "x or y",
    "not x",
    "x if y else canary()",
    "x // 2",
    "x % 2",
    "x @ y",
    "x << 2",
    "~x",
    "x | y",
    "x & y",
    "x ^^ 2",
    "x *^ 2",
    "await x",
    "yield x",
    "x, y",
    "...",
    # literals
    "1j",
    "x + 2j",
    "True",
    "False + x",
    "None",
    "1e400",
    "1" * 400,
    "1e7*x",
    "0x1000000 + x",
    "1_000",
    # statements
    "x; canary()",
    "x = 1",
    "f(x, y) = x^2",
    "import os",
    "del x",
    "pass",
    # powers and towers
    "9**9**9",
    "9^9^9",
    "10**400",
    "2**1000000",
    "10**10**10",
    "2**2**2**2**2",
    "(-9)**9**9",
    "pow(9, pow(9, 9))",
    "x**(10**10)",
    "x^21",
    "x^-21",
    "x^1e6",
    "x^(1/0)",
    "x^log(-1)",
    "x^(exp(100))",
    # size and nesting
    "(" * 1000 + "x" + ")" * 1000,
    "(" * 31 + "x" + ")" * 31,
    "-" * 10000 + "x",
    "-" * 499 + "x",
    "x+" * 249 + "x",
    "x" * 501,
    " " * 498 + "x+y",
    "-" * 101 + "x",
    "sin(" * 40 + "x" + ")" * 40,
    # characters
    "x×y",
    "x·y",
    "x−y",
    "x–y",
    "ｘ",
    "x²",
    "π*x",
    "√x",
    "x÷y",
    "x\u00a0+y",
    "x\u200b",
    "x\x00",
    "x\n+y",
    "x\t+y",
    "\r",
    "\\sin x",
    "$x$",
    "x!",
    "x#",
    "x?",
    "x:y",
    "x\\y",
    # empty and malformed
    "",
    " ",
    "   \t",
    "x +",
    "* x",
    "2x",
    "x y",
    "sin x",
    "sin(x",
    "x)",
    "()",
    "sin()",
    # names, arity, calls
    "z",
    "x + z",
    "X",
    "Sin(x)",
    "sinx",
    "xy",
    "sin",
    "foo(x)",
    "sin(x, y)",
    "atan2(x)",
    "min(x)",
    "max(x, y, 1)",
    "pow(x)",
    "(x+1)(y)",
    "x(2)",
    "e(2)",
    "(1)(2)",
    "sin(x)(y)",
]


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:40]) for t in HOSTILE])
def test_hostile_input_is_refused(text, canary):
    with pytest.raises(FormulaError) as info:
        from_formula(text)
    check_error(info.value, text)
    assert isinstance(info.value, ValueError)


def test_the_canary_fixture_sees_ast_parse(canary):
    from_formula("x*y + sin(x)")  # a new formula: parsed, compiled, evaluated
    assert canary["ast_only"] >= 1
    assert CANARY == []


def test_the_canary_fixture_would_catch_evaluation(canary):
    with pytest.raises(AssertionError):
        builtins.eval("canary()")
    assert CANARY
    CANARY.clear()


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("x×y", 1, "Type *"),
        ("x−y", 1, "minus"),
        ("ｘ + y", 0, "'x'"),
        ("x²", 1, "^2"),
        ("x + π", 4, "pi"),
        ("x\x00", 1, "U+0000"),
        ("x\n+y", 1, "one line"),
        ("x + z", 4, "Use x and y"),
        ("x^2 + z", 6, "x and y"),
        ("x**2 + z", 7, "x and y"),
        ("sin(x", 3, "never closed"),
        ("x + 1)", 5, "no matching"),
        ("2x + 1", 0, "explicitly"),
        ("x.real", 1, "decimals"),
        ("x ^ 2 ^ 99", 8, "between -20 and 20"),
        ("x + 1e400", 4, "too large"),
        ("x + sin(x, y)", 4, "takes 1 argument"),
        ("x +", 3, "at the end"),
        ("x + X", 4, "lower-case"),
    ],
)
def test_errors_point_at_the_problem(text, position, fragment):
    with pytest.raises(FormulaError) as info:
        from_formula(text)
    err = info.value
    assert err.position == position, str(err)
    assert fragment in str(err)
    check_error(err, text)


def test_error_reads_well():
    with pytest.raises(FormulaError) as info:
        from_formula("x + z")
    assert str(info.value).startswith("Unknown name 'z' at column 5.")
    assert info.value.hint is not None and "x and y" in info.value.hint


def test_formula_must_be_text():
    for value in (None, 3, b"x", ["x"]):
        with pytest.raises(FormulaError):
            from_formula(value)  # type: ignore[arg-type]


# Payloads the character filter already stops: the tree whitelist must refuse them too.
AST_PAYLOADS = [
    "().__class__.__bases__[0].__subclasses__()",
    "__import__('os').system('echo hi')",
    "open('/etc/passwd')",
    "eval('1')",
    "getattr(x, 'y')",
    "globals()",
    "__builtins__",
    "x[0]",
    "[x for x in y]",
    "{x}",
    "{x: y}",
    "(y := 1)",
    "sin(x=1)",
    "f'{x}'",
    "b'x'",
    "'x'",
    "lambda: x",
    "x < y",
    "x ^ y",
    "x % 2",
    "x @ y",
    "~x",
    "x << 2",
    "(*x,)",
    "sin(**x)",
    "1_000_000_0",
    "x if y else 1",
    "sin(x)(y)",
]


@pytest.mark.parametrize("payload", AST_PAYLOADS)
def test_tree_whitelist_alone_refuses(payload, canary):
    body = ast.parse(payload, mode="eval").body
    with pytest.raises(FormulaError) as info:
        _check_size(body)
        _Normalizer().visit(body)
    check_error(info.value, payload)


# --------------------------------------------------------------------------------------
# Limits on resources.


def test_limits_are_enforced_at_the_boundary():
    ok_depth = "(" * fm.MAX_PAREN_DEPTH + "x" + ")" * fm.MAX_PAREN_DEPTH
    from_formula(ok_depth)
    from_formula("x^20 + y^-20 + 1e6")
    from_formula("x" + "+x" * 99)  # 199 nodes
    with pytest.raises(FormulaError, match="too big"):
        from_formula("x" + "+x" * 100)  # 201 nodes
    with pytest.raises(FormulaError, match="too long"):
        from_formula("x" + " " * fm.MAX_LENGTH)


def test_power_towers_of_small_constants_compile_in_linear_time():
    # each constant exponent is evaluated once: re-evaluating nested ones doubles per level
    for text in ("x" + "^1" * 99, "x^(" + "1^" * 98 + "1)", "2" + "^1" * 98 + "*x"):
        t0 = time.perf_counter()
        ls = from_formula(text)
        assert time.perf_counter() - t0 < 5.0
        assert math.isfinite(float(ls.fn(jnp.array([0.5, 0.5]))))
