"""The Landscape record: what is minimized, where to look at it, and where its minima are."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import jax.numpy as jnp

from hparam import HParam

Point = tuple[float, float]
Domain = tuple[tuple[float, float], tuple[float, float]]
#: ``loss(p, params)``: ``p`` of shape ``(2, ...)`` -> shape ``(...)``; ``params`` maps the
#: landscape's parameter names to scalars (traced in the engine, so a κ slider never
#: recompiles).
LossFn = Callable[[Any, Mapping[str, Any]], Any]

FAMILIES = ("classic", "saddle", "quadratic", "network", "formula")


@dataclass(frozen=True, eq=False)
class Landscape:
    """A 2-D loss surface.

    ``fn(p)`` evaluates one point ``p.shape == (2,)`` or a whole grid
    ``fn(jnp.stack([X, Y]))`` with the same code. ``minima`` lists every global minimum
    (empty where there is none); ``saddles`` the known saddle points; ``min_value`` the
    value at the global minima. Parameters (``params``) are declared like optimizer
    hyperparameters; ``bind`` returns the landscape at other parameter values, with
    minima recomputed by ``derive`` where they move.
    """

    slug: str
    name: str
    family: str
    loss: LossFn
    domain: Domain
    start: Point
    latex: str
    minima: tuple[Point, ...] = ()
    min_value: float | None = None
    saddles: tuple[Point, ...] = ()
    log_scale: bool = False
    params: Mapping[str, HParam] = field(default_factory=lambda: MappingProxyType({}))
    values: tuple[tuple[str, float], ...] = ()
    reference: str = ""
    blurb: str = ""
    derive: Callable[[Mapping[str, float]], Mapping[str, Any]] | None = None
    #: ``stochastic_loss(p, params, key)``: a minibatch estimate of the loss at ``p`` for
    #: one step's PRNG ``key`` (networks trained by minibatch SGD). When present, the
    #: engine follows its gradient while it records the exact loss of ``loss``.
    stochastic_loss: Callable[[Any, Mapping[str, Any], Any], Any] | None = None
    #: ``panel(values, at) -> DataPanel`` (landscapes/network.py): a network's data and
    #: its fitted model at each parameter point of ``at`` (k, 2), as numpy, for the data
    #: panel drawn next to the surface. Called with concrete values, outside of jit.
    panel: Callable[[Mapping[str, float], Any], Any] | None = None

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown family {self.family!r}")
        (x0, x1), (y0, y1) = self.domain
        if not (x0 < x1 and y0 < y1):
            raise ValueError(f"empty domain {self.domain}")

    @property
    def param_values(self) -> dict[str, float]:
        """Every parameter's value: the bound ones, else the defaults."""
        out = {name: float(spec.default) for name, spec in self.params.items()}
        out.update(self.values)
        return out

    def fn(self, p):
        """The loss at ``p`` (shape ``(2, ...)``) with this landscape's parameter values."""
        return self.loss(p, {k: jnp.float32(v) for k, v in self.param_values.items()})

    def bind(self, **values: float) -> Landscape:
        """This landscape with some parameters set (unknown names raise ``KeyError``)."""
        for name, value in values.items():
            if name not in self.params:
                raise KeyError(f"{self.slug} has no parameter {name!r}")
            if not self.params[name].admits(value):
                raise ValueError(f"{self.slug}.{name}={value} is outside its range")
        merged = {**dict(self.values), **{k: float(v) for k, v in values.items()}}
        bound = replace(self, values=tuple(sorted(merged.items())))
        if self.derive is not None:
            bound = replace(bound, **self.derive(bound.param_values))
        return bound

    @property
    def center(self) -> Point:
        (x0, x1), (y0, y1) = self.domain
        return (0.5 * (x0 + x1), 0.5 * (y0 + y1))

    @property
    def escape_radius(self) -> float:
        """Half-width of the box outside which a run counts as diverged: 50× the domain's
        larger side, so the box is 100× as wide as the domain, centred on it."""
        (x0, x1), (y0, y1) = self.domain
        return 50.0 * max(x1 - x0, y1 - y0)
