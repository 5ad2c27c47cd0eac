"""Stage 2: the syntax tree. ``ast.parse`` builds it (it runs nothing); its size is
bounded without recursion; then a whitelist walk validates it and returns it normalized
(aliases -> canonical names, pow(a, b) -> a ** b, +a -> a), with every constant exponent
bounded and stored on its power node."""

from __future__ import annotations

import ast
import math
import warnings

from landscapes.formula.codegen import _constant_value
from landscapes.formula.errors import FormulaError, _col
from landscapes.formula.functions import _ALL_FUNCTION_NAMES, _POW, ALIASES, FUNCTIONS
from landscapes.formula.text import (
    _check_text,
    _implicit_multiplication_hint,
    _to_python_source,
)

MAX_NODES = 200
MAX_DEPTH = 100
MAX_LITERAL = 1e6
MAX_EXPONENT = 20

NAMES = ("x", "y", "pi", "e")


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
        hint = (
            _implicit_multiplication_hint(text)
            or "Check for a missing operator, operand or comma near there."
        )
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
        func, name = self.called_function(node)
        self.check_arguments(node, func, name)
        args = [self.visit(arg) for arg in node.args]
        if name == _POW:
            out = ast.copy_location(ast.BinOp(left=args[0], op=ast.Pow(), right=args[1]), node)
            self.check_exponent(out, args[1])
            return out
        call = ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[])
        ast.copy_location(call.func, func)
        return ast.copy_location(call, node)

    def called_function(self, node: ast.Call) -> tuple[ast.Name, str]:
        """The name called, which must be a known function, and its canonical spelling."""
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
        return func, name

    def check_arguments(self, node: ast.Call, func: ast.Name, name: str) -> None:
        """Positional arguments only, exactly as many as ``name`` takes."""
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


def _normalize(text: object) -> ast.expr:
    """Every check, in order; returns the validated, normalized tree."""
    checked = _check_text(text)
    body, cols = _parse(checked)
    _check_size(body)
    src, _ = _to_python_source(checked)
    return _Normalizer(cols, src).visit(body)
