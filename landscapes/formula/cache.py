"""The entry points: compiled losses and landscapes, cached and rate-limited.

Compiled losses are cached by canonical text (bounded LRU), so the same formula always
yields the *same* ``loss`` function object (the engine's jit cache is keyed on it); at
most ``MAX_CONCURRENT_COMPILES`` compiles run at once.
"""

from __future__ import annotations

import ast
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from landscapes.base import Domain, Landscape
from landscapes.formula.codegen import _make_loss
from landscapes.formula.domain import _check_domain, _default_start
from landscapes.formula.errors import FormulaError
from landscapes.formula.normalize import _normalize
from landscapes.formula.render import _canonical_text, _latex

CACHE_SIZE = 256
MAX_CONCURRENT_COMPILES = 4
BUSY_TIMEOUT_S = 2.0


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


def _compiled(body: ast.expr, canonical_text: str):
    hit = _COMPILED.get(canonical_text)
    if hit is not None:
        return hit
    entry = (_make_loss(body, canonical_text), "f(x,y) = " + _latex(body))
    return _COMPILED.put(canonical_text, entry)


def from_formula(text: str, domain: Domain | None = None) -> Landscape:
    """Compile a typed formula f(x, y) into a :class:`Landscape` (slug ``"formula"``).

    Raises :class:`FormulaError` for anything refused (see :mod:`landscapes.formula`). The same
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
