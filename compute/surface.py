"""A landscape on a grid over its domain, with its landmarks: what every map is drawn on."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from landscapes import Landscape

#: Points per side of the grid behind the contour image and the 3D surface.
GRID = 360


@dataclass(frozen=True)
class Surface:
    """A landscape evaluated on a grid: ``zs[i, j] = f(xs[j], ys[i])`` (non-finite values
    are NaN), with its name, formula and landmarks."""

    title: str
    latex: str
    domain: tuple[tuple[float, float], tuple[float, float]]
    minima: tuple[tuple[float, float], ...]
    saddles: tuple[tuple[float, float], ...]
    min_value: float | None
    log_scale: bool
    xs: np.ndarray  # (GRID,)
    ys: np.ndarray  # (GRID,)
    zs: np.ndarray  # (GRID, GRID), rows follow y


@functools.lru_cache(maxsize=64)
def _grid_fn(loss):
    return jax.jit(lambda xs, ys, params: loss(jnp.stack(jnp.meshgrid(xs, ys)), params))


def surface_grid(landscape: Landscape, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``landscape`` on an ``n × n`` grid over its domain (non-finite values become NaN)."""
    (x0, x1), (y0, y1) = landscape.domain
    xs = np.linspace(x0, x1, n, dtype=np.float32)
    ys = np.linspace(y0, y1, n, dtype=np.float32)
    params = {k: np.float32(v) for k, v in landscape.param_values.items()}
    zs = np.asarray(_grid_fn(landscape.loss)(xs, ys, params), dtype=np.float32)
    return xs, ys, np.where(np.isfinite(zs), zs, np.nan)


def surface(landscape: Landscape, n: int = GRID) -> Surface:
    """The :class:`Surface` of ``landscape`` on an ``n × n`` grid."""
    xs, ys, zs = surface_grid(landscape, n)
    return Surface(title=landscape.name, latex=landscape.latex, domain=landscape.domain,
                   minima=landscape.minima, saddles=landscape.saddles,
                   min_value=landscape.min_value, log_scale=landscape.log_scale,
                   xs=xs, ys=ys, zs=zs)
