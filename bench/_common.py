"""Timing helpers shared by the benchmark scripts (wall clock, best of several runs)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def best_of(fn: Callable[[], object], repeat: int = 7, number: int = 1) -> float:
    """The fastest of ``repeat`` timings of ``number`` calls, in seconds per call.

    The minimum is the figure least disturbed by other work on a shared machine.
    """
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t) / number)
    return best


def once(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def row(label: str, value: str, note: str = "") -> None:
    print(f"  {label:<52} {value:>14}  {note}")
