"""A tunable number: an optimizer hyperparameter, a landscape parameter, a run setting.

One concept shared by both registries (and by the widgets, the URL codec and the
engine's slider sweeps that read them): a default, a closed range for sliders and
validation, whether the natural scale is logarithmic, and the ladder of values a slider
offers.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

#: The ladder of a β-like setting in [0, 0.9999]: dense near 1, where momentum lives.
BETA_LADDER = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99,
               0.995, 0.999, 0.9995, 0.9999)


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

    def ladder(self, current: float | None = None) -> list[float]:
        """The values a slider offers: 1-2-5 steps per decade for a log-scale setting, the
        β ladder (dense near 1) for [0, 0.9999], a stride of whole numbers for a count
        (about 100 notches), else ~100 even steps. ``current`` is always included, so a
        link's exact value is kept."""
        values = _ladder(self.low, self.high, self.log, self.integer)
        if current is None or float(current) in values:
            return list(values)
        return sorted((*values, float(current)))


@functools.lru_cache(maxsize=1024)
def _ladder(low: float, high: float, log: bool, integer: bool) -> tuple[float, ...]:
    """The ladder of a range (see ``HParam.ladder``), cached: every rerun asks for it per
    slider."""
    if log:
        values = [m * 10.0**k for k in range(-16, 5) for m in (1, 2, 5)]
        values = [v for v in values if low <= v <= high]
    elif high == 0.9999 and low == 0.0:
        values = list(BETA_LADDER)
    elif integer:
        stride = max(1, int(high - low) // 100)
        values = [float(v) for v in range(int(low), int(high) + 1, stride)]
    else:
        raw = (high - low) / 100
        step = 10 ** math.floor(math.log10(raw))
        step *= 5 if raw / step >= 5 else 2 if raw / step >= 2 else 1
        n = round((high - low) / step)
        values = [round(low + i * step, 12) for i in range(n + 1)]
    return tuple(sorted({float(v) for v in values}))
