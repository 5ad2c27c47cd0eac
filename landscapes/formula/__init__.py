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

Stages, one module each, each importing only the ones before it: ``errors``
(:class:`FormulaError`), ``text`` (the raw text), ``functions`` (the callable functions),
``codegen`` (closures over jax.numpy, or numpy for constant exponents), ``normalize``
(parsing and the whitelist walk), ``render`` (canonical text and LaTeX), ``domain`` (the
plotting domain and the default start) and ``cache`` (the entry points, caches and the
compile limiter).
"""

from landscapes.formula.cache import BUSY_TIMEOUT_S as BUSY_TIMEOUT_S
from landscapes.formula.cache import CACHE_SIZE as CACHE_SIZE
from landscapes.formula.cache import MAX_CONCURRENT_COMPILES as MAX_CONCURRENT_COMPILES
from landscapes.formula.cache import canonical, from_formula
from landscapes.formula.domain import DEFAULT_DOMAIN as DEFAULT_DOMAIN
from landscapes.formula.domain import GRID as GRID
from landscapes.formula.domain import MAX_DOMAIN_BOUND as MAX_DOMAIN_BOUND
from landscapes.formula.domain import MIN_DOMAIN_SPAN as MIN_DOMAIN_SPAN
from landscapes.formula.domain import START_FRACTION as START_FRACTION
from landscapes.formula.errors import FormulaError
from landscapes.formula.functions import ALIASES as ALIASES
from landscapes.formula.functions import FUNCTIONS
from landscapes.formula.normalize import MAX_DEPTH as MAX_DEPTH
from landscapes.formula.normalize import MAX_EXPONENT as MAX_EXPONENT
from landscapes.formula.normalize import MAX_LITERAL as MAX_LITERAL
from landscapes.formula.normalize import MAX_NODES as MAX_NODES
from landscapes.formula.normalize import NAMES
from landscapes.formula.text import MAX_LENGTH
from landscapes.formula.text import MAX_PAREN_DEPTH as MAX_PAREN_DEPTH

__all__ = [
    "FUNCTIONS",
    "MAX_LENGTH",
    "NAMES",
    "FormulaError",
    "canonical",
    "from_formula",
]
