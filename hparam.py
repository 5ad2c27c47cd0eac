"""A tunable number: an optimizer hyperparameter or a landscape parameter.

One concept shared by both registries (and by the widgets and the URL codec that read
them): a default, a closed range for sliders and validation, and whether the natural
scale is logarithmic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class HParam:
    """A scalar setting with a default and an admissible range ``[low, high]``.

    ``log`` marks a quantity that spans decades (learning rates, epsilons): sliders move
    in log10 and sweeps space it geometrically. ``integer`` marks a count.
    """

    default: float
    low: float
    high: float
    log: bool = False
    integer: bool = False
    label: str = ""
    help: str = ""

    def __post_init__(self) -> None:
        if not (self.low <= self.default <= self.high):
            raise ValueError(f"default {self.default} outside [{self.low}, {self.high}]")
        if self.log and self.low <= 0:
            raise ValueError("a log-scale parameter needs a positive lower bound")

    def admits(self, value: float) -> bool:
        """Whether ``value`` is a finite number inside the range."""
        try:
            v = float(value)
        except (TypeError, ValueError):
            return False
        if not math.isfinite(v) or not (self.low <= v <= self.high):
            return False
        return not self.integer or v == int(v)

    def grid(self, n: int, low: float | None = None, high: float | None = None) -> list[float]:
        """``n`` values spanning ``[low, high]`` (default: the whole range), geometric if log."""
        lo = self.low if low is None else low
        hi = self.high if high is None else high
        if n == 1:
            return [lo]
        if self.log:
            a, b = math.log10(lo), math.log10(hi)
            return [10 ** (a + (b - a) * i / (n - 1)) for i in range(n)]
        return [lo + (hi - lo) * i / (n - 1) for i in range(n)]
