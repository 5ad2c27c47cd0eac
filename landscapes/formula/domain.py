"""The plotting domain a formula is drawn on, and the default start inside it."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from landscapes.base import Domain
from landscapes.formula.errors import FormulaError

MAX_DOMAIN_BOUND = 1e4
MIN_DOMAIN_SPAN = 1e-3
GRID = 64
DEFAULT_DOMAIN: Domain = ((-3.0, 3.0), (-3.0, 3.0))
#: The start is this fraction of the way from the domain's centre to a corner.
START_FRACTION = 0.6


def _check_domain(domain: object) -> Domain:
    if domain is None:
        return DEFAULT_DOMAIN
    usage = "Give the domain as ((xmin, xmax), (ymin, ymax))."
    try:
        (x0, x1), (y0, y1) = domain  # type: ignore[misc]
        bounds = [x0, x1, y0, y1]
        if any(isinstance(b, bool | str | bytes) for b in bounds):
            raise TypeError
        x0, x1, y0, y1 = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise FormulaError("The plotting domain is malformed.", None, usage) from None
    if not all(math.isfinite(b) and abs(b) <= MAX_DOMAIN_BOUND for b in (x0, x1, y0, y1)):
        raise FormulaError(
            f"The plotting domain must lie within ±{MAX_DOMAIN_BOUND:g}.", None, usage
        )
    if not (x1 - x0 >= MIN_DOMAIN_SPAN and y1 - y0 >= MIN_DOMAIN_SPAN):
        raise FormulaError(
            "The plotting domain is empty or too narrow: it needs xmin < xmax and "
            f"ymin < ymax, at least {MIN_DOMAIN_SPAN:g} apart.",
            None,
            usage,
        )
    return ((x0, x1), (y0, y1))


def _round(v: float) -> float:
    return float(f"{v:.6g}")


def _start_candidates(domain: Domain) -> list[tuple[float, float]]:
    """``START_FRACTION`` of the way from the centre to each corner: lower-left,
    lower-right, upper-left, upper-right."""
    (x0, x1), (y0, y1) = domain
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    hx, hy = START_FRACTION * 0.5 * (x1 - x0), START_FRACTION * 0.5 * (y1 - y0)
    return [
        (_round(cx + sx * hx), _round(cy + sy * hy))
        for sx, sy in ((-1, -1), (1, -1), (-1, 1), (1, 1))
    ]


def _nearest_finite_grid_point(gx, gy, finite, point: tuple[float, float]):
    gxn, gyn = np.asarray(gx), np.asarray(gy)
    ax, ay = point
    dist = np.where(finite, (gxn - ax) ** 2 + (gyn - ay) ** 2, np.inf)
    i = np.unravel_index(int(np.argmin(dist)), dist.shape)
    return (float(gxn[i]), float(gyn[i]))  # not rounded: it must stay a finite point


def _default_start(loss, domain: Domain) -> tuple[float, float]:
    """Of the start candidates, the finite one with the largest value (the first on ties);
    else the finite grid point nearest the lower-left one. Raises if the grid has no
    finite value at all."""
    (x0, x1), (y0, y1) = domain
    candidates = _start_candidates(domain)
    xs = jnp.linspace(x0, x1, GRID, dtype=jnp.float32)
    ys = jnp.linspace(y0, y1, GRID, dtype=jnp.float32)
    gx, gy = jnp.meshgrid(xs, ys)
    grid = np.asarray(loss(jnp.stack([gx, gy]), {}))
    finite = np.isfinite(grid)
    if not finite.any():
        raise FormulaError(
            f"The formula has no finite value in the plotting domain x in [{x0:g}, {x1:g}], "
            f"y in [{y0:g}, {y1:g}].",
            None,
            "Check for logarithms or square roots of negative numbers and divisions by "
            "zero, or change the domain.",
        )
    values = np.asarray(loss(jnp.asarray(np.array(candidates, dtype=np.float32).T), {}))
    best = None
    for i, v in enumerate(values):
        if np.isfinite(v) and (best is None or v > values[best]):
            best = i
    if best is not None:
        return candidates[best]
    return _nearest_finite_grid_point(gx, gy, finite, candidates[0])
