"""The formula compiler: right values and gradients, and nothing hostile gets through.

The canary fixture proves that no payload ran: it installs a ``canary`` builtin that a
payload would call if the text were ever evaluated, and makes ``eval``/``exec`` and any
non-AST-only ``compile`` record themselves, while checking that ``ast.parse`` (an
AST-only ``compile``) really was the path taken.
"""

from __future__ import annotations

import ast
import builtins
import math
import threading
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landscapes import FormulaError, Landscape, from_formula
from landscapes import formula as fm

CANARY: list[str] = []

# --------------------------------------------------------------------------------------
# Valid formulas: value and gradient against closed forms.


def _rosen_grad(x, y):
    return (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2))


VALID = [
    (
        "sin(x)*cos(y) + 0.1*(x**2+y**2)",
        lambda x, y: np.sin(x) * np.cos(y) + 0.1 * (x**2 + y**2),
        lambda x, y: (np.cos(x) * np.cos(y) + 0.2 * x, -np.sin(x) * np.sin(y) + 0.2 * y),
    ),
    ("x^2 + 3*y^2", lambda x, y: x**2 + 3 * y**2, lambda x, y: (2 * x, 6 * y)),
    ("(1-x)^2 + 100*(y-x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, _rosen_grad),
    (
        "atan2(y, x)",
        lambda x, y: np.arctan2(y, x),
        lambda x, y: (-y / (x**2 + y**2), x / (x**2 + y**2)),
    ),
    ("max(x, y)", np.maximum, lambda x, y: (float(x > y), float(y > x))),
    ("min(x, y)", np.minimum, lambda x, y: (float(x < y), float(y < x))),
    (
        "exp(-x**2-y**2)",
        lambda x, y: np.exp(-(x**2) - y**2),
        lambda x, y: (-2 * x * np.exp(-(x**2) - y**2), -2 * y * np.exp(-(x**2) - y**2)),
    ),
    ("-x", lambda x, y: -x, lambda x, y: (-1.0, 0.0)),
    ("+y", lambda x, y: y, lambda x, y: (0.0, 1.0)),
    ("2**x", lambda x, y: 2.0**x, lambda x, y: (math.log(2) * 2.0**x, 0.0)),
    ("abs(x)+abs(y)", lambda x, y: abs(x) + abs(y), lambda x, y: (np.sign(x), np.sign(y))),
    ("-x^2", lambda x, y: -(x**2), lambda x, y: (-2 * x, 0.0)),
    ("(-x)^3", lambda x, y: -(x**3), lambda x, y: (-3 * x**2, 0.0)),
    ("2^3^x", lambda x, y: 2.0 ** (3.0**x), lambda x, y: (
        2.0 ** (3.0**x) * math.log(2) * 3.0**x * math.log(3), 0.0)),
    ("x - y - 1", lambda x, y: x - y - 1, lambda x, y: (1.0, -1.0)),
    ("x - (y - 1)", lambda x, y: x - (y - 1), lambda x, y: (1.0, -1.0)),
    ("x/y/2", lambda x, y: x / y / 2, lambda x, y: (1 / (2 * y), -x / (2 * y**2))),
    ("x/(y/2)", lambda x, y: 2 * x / y, lambda x, y: (2 / y, -2 * x / y**2)),
    ("pow(x, 3) - 3*x*y^2", lambda x, y: x**3 - 3 * x * y**2,
     lambda x, y: (3 * x**2 - 3 * y**2, -6 * x * y)),
    ("hypot(x, y) + 1", lambda x, y: np.hypot(x, y) + 1,
     lambda x, y: (x / np.hypot(x, y), y / np.hypot(x, y))),
    ("sqrt(x^2 + y^2 + 1)", lambda x, y: np.sqrt(x**2 + y**2 + 1),
     lambda x, y: (x / np.sqrt(x**2 + y**2 + 1), y / np.sqrt(x**2 + y**2 + 1))),
    ("ln(1 + x^2) - tanh(y)", lambda x, y: np.log(1 + x**2) - np.tanh(y),
     lambda x, y: (2 * x / (1 + x**2), -(1 - np.tanh(y) ** 2))),
    ("pi*e*x + arctan(y)", lambda x, y: math.pi * math.e * x + np.arctan(y),
     lambda x, y: (math.pi * math.e, 1 / (1 + y**2))),
    ("sigmoid(x) + softplus(y)", lambda x, y: 1 / (1 + np.exp(-x)) + np.log1p(np.exp(y)),
     lambda x, y: (np.exp(-x) / (1 + np.exp(-x)) ** 2, 1 / (1 + np.exp(-y)))),
    ("x^(1/2) * 1e-1", lambda x, y: np.sqrt(abs(x)) * 0.1,
     lambda x, y: (0.05 / np.sqrt(abs(x)), 0.0)),  # evaluated at |x| only, see below
    ("7", lambda x, y: 7.0, lambda x, y: (0.0, 0.0)),
]


@pytest.mark.parametrize(("text", "value", "grad"), VALID, ids=[v[0] for v in VALID])
def test_values_and_gradients_match_closed_forms(text, value, grad):
    ls = from_formula(text)
    rng = np.random.default_rng(1234)
    points = rng.uniform(-2.5, 2.5, size=(12, 2))
    if "1/2" in text:
        points[:, 0] = np.abs(points[:, 0]) + 0.1
    g = jax.jit(jax.grad(ls.fn))
    for x, y in points:
        p = jnp.array([x, y], dtype=jnp.float32)
        v = float(ls.fn(p))
        want = float(value(x, y))
        assert v == pytest.approx(want, rel=2e-4, abs=1e-4), (text, x, y)
        got = np.asarray(g(p))
        assert got == pytest.approx(np.array(grad(x, y), dtype=float), rel=2e-3, abs=1e-3)


def test_landscape_record():
    ls = from_formula("x^2 + 3*y^2")
    assert isinstance(ls, Landscape)
    assert (ls.slug, ls.family) == ("formula", "formula")
    assert ls.name == "f(x, y) = x^2 + 3*y^2"
    assert ls.domain == ((-3.0, 3.0), (-3.0, 3.0))
    assert ls.minima == () and ls.log_scale is False
    (x0, x1), (y0, y1) = ls.domain
    assert x0 < ls.start[0] < x1 and y0 < ls.start[1] < y1
    assert math.isfinite(float(ls.fn(jnp.array(ls.start))))


def test_grid_and_point_shapes():
    ls = from_formula("sin(x)*y + 1")
    xs, ys = jnp.linspace(-1, 1, 7), jnp.linspace(-2, 2, 5)
    X, Y = jnp.meshgrid(xs, ys)
    grid = ls.fn(jnp.stack([X, Y]))
    assert grid.shape == (5, 7)
    np.testing.assert_allclose(grid, np.sin(np.asarray(X)) * np.asarray(Y) + 1, rtol=1e-6)
    assert ls.fn(jnp.array([0.5, 0.5])).shape == ()
    # a constant still has the shape of the input, and a zero gradient
    c = from_formula("2 + 3")
    assert c.fn(jnp.stack([X, Y])).shape == (5, 7)
    assert np.all(np.asarray(jax.grad(c.fn)(jnp.array([1.0, 2.0]))) == 0.0)
    # integer input is promoted; vmap and jit work
    assert ls.fn(jnp.array([1, 2])).dtype == jnp.float32
    batched = jax.vmap(ls.fn)(jnp.array([[0.0, 1.0], [1.0, 2.0]]))
    assert batched.shape == (2,)
    assert float(jax.jit(ls.fn)(jnp.array([1.0, 2.0]))) == pytest.approx(math.sin(1) * 2 + 1)


def test_same_formula_same_loss_object():
    a = from_formula("x^2 + y^2")
    assert from_formula("x^2 + y^2") is a
    b = from_formula("  x**2+y ** 2")  # same canonical text
    assert b.loss is a.loss
    c = from_formula("x^2 + y^2", domain=((-1, 1), (-2, 2)))
    assert c.loss is a.loss and c.domain == ((-1.0, 1.0), (-2.0, 2.0))
    assert from_formula("x^2 + y^2 + 0").loss is not a.loss
    assert from_formula("arctan(x)").loss is from_formula("atan(x)").loss
    assert from_formula("pow(x, 2)").loss is from_formula("x^2").loss


def test_concurrent_compiles_of_one_formula_share_the_loss_object():
    out: list[Landscape] = []
    threads = [
        threading.Thread(target=lambda: out.append(from_formula("cos(x) + 0.25*y^2 - 0.5")))
        for _ in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 6 and len({id(ls.loss) for ls in out}) == 1


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
    assert _tree(text) == _tree(expected)


def test_canonical_text_of_a_long_formula_still_fits_the_limit():
    text = "+".join(["atan(12345)"] * 40)  # 479 characters, 159 nodes
    assert len(text) <= fm.MAX_LENGTH < len(text) + 2 * 39  # spaces around + would not fit
    c = fm.canonical(text)
    assert len(c) <= fm.MAX_LENGTH and fm.canonical(c) == c
    assert _tree(c) == _tree(text)


def _tree(text: str) -> str:
    return ast.dump(fm._normalize(text))


# --------------------------------------------------------------------------------------
# Domain errors are data; a formula with no finite value at all is refused.


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


# --------------------------------------------------------------------------------------
# Hostile input.


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


def _check_error(err: FormulaError, text: str) -> None:
    msg = str(err)
    assert err.message and msg.startswith(err.message)
    assert "Traceback" not in msg and 'File "' not in msg and "\n" not in msg
    assert err.hint is None or (err.hint and msg.endswith(err.hint))
    if err.position is not None:
        assert 0 <= err.position <= len(text)
        assert f"column {err.position + 1}" in err.message or "at the end" in err.message


@pytest.mark.parametrize("text", HOSTILE, ids=[repr(t[:40]) for t in HOSTILE])
def test_hostile_input_is_refused(text, canary):
    with pytest.raises(FormulaError) as info:
        from_formula(text)
    _check_error(info.value, text)
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
    _check_error(err, text)


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
        fm._check_size(body)
        fm._Normalizer().visit(body)
    _check_error(info.value, payload)


# --------------------------------------------------------------------------------------
# Limits on resources.


def test_busy_server_refuses_new_compiles(monkeypatch):
    cached = from_formula("x - y")
    slots = threading.BoundedSemaphore(1)
    assert slots.acquire(timeout=1)
    monkeypatch.setattr(fm, "_COMPILE_SLOTS", slots)
    monkeypatch.setattr(fm, "BUSY_TIMEOUT_S", 0.05)
    with pytest.raises(FormulaError, match="busy"):
        from_formula("x - y + 0.125")
    assert from_formula("x - y") is cached  # cache hits need no slot
    slots.release()
    assert from_formula("x - y + 0.125").name == "f(x, y) = x - y + 0.125"


def test_lru_is_bounded_and_keeps_the_first_value():
    lru = fm._LRU(2)
    assert lru.put("a", 1) == 1
    assert lru.put("a", 2) == 1  # first one wins
    lru.put("b", 2)
    assert lru.get("a") == 1  # a is now most recent
    lru.put("c", 3)
    assert lru.get("b") is None and lru.get("a") == 1 and lru.get("c") == 3
    assert len(lru) == 2
    assert fm._COMPILED.maxsize == fm._LANDSCAPES.maxsize == 256


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


# --------------------------------------------------------------------------------------
# Fuzzing.

FORMULA_CHARS = [*"xy0123456789.+-*/^(), eipsncoatlqrbmghw", "sin(", "**", "exp("]


def _outcome(text: str) -> Landscape | None:
    try:
        ls = from_formula(text)
    except FormulaError as err:
        _check_error(err, text)
        return None
    p = jnp.asarray(ls.start, dtype=jnp.float32)
    value = ls.fn(p)
    assert value.shape == ()
    float(value)
    assert jax.grad(ls.fn)(p).shape == (2,)
    return ls


@settings(max_examples=200, deadline=2000, database=None,
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


@settings(max_examples=100, deadline=2000, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(_LEAF, _grow, max_leaves=12))
def test_fuzz_grammar(text):
    ls = _outcome(text)
    if ls is not None:
        canonical = ls.name.removeprefix("f(x, y) = ")
        assert _tree(canonical) == _tree(text)  # the share text means the same thing
        assert from_formula(canonical).loss is ls.loss


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


@settings(max_examples=60, deadline=2000, database=None,
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
