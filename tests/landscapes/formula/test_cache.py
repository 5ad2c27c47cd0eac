"""Caches and the compile limiter: one loss object per formula, bounded caches, busy refusals."""

from __future__ import annotations

import math
import threading

import jax.numpy as jnp
import pytest

from landscapes import FormulaError, Landscape, from_formula
from landscapes.formula import cache


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


def test_busy_server_refuses_new_compiles(monkeypatch):
    cached = from_formula("x - y")
    slots = threading.BoundedSemaphore(1)
    assert slots.acquire(timeout=1)
    monkeypatch.setattr(cache, "_COMPILE_SLOTS", slots)
    monkeypatch.setattr(cache, "BUSY_TIMEOUT_S", 0.05)
    with pytest.raises(FormulaError, match="busy"):
        from_formula("x - y + 0.125")
    assert from_formula("x - y") is cached  # cache hits need no slot
    slots.release()
    assert from_formula("x - y + 0.125").name == "f(x, y) = x - y + 0.125"


def test_lru_is_bounded_and_keeps_the_first_value():
    lru = cache._LRU(2)
    assert lru.put("a", 1) == 1
    assert lru.put("a", 2) == 1  # first one wins
    lru.put("b", 2)
    assert lru.get("a") == 1  # a is now most recent
    lru.put("c", 3)
    assert lru.get("b") is None and lru.get("a") == 1 and lru.get("c") == 3
    assert len(lru) == 2
    assert cache._COMPILED.maxsize == cache._LANDSCAPES.maxsize == 256
