"""The Scene: what a view computes (``Setup``) and how it is shown (``Display``).

Both parts are frozen, hashable and canonical: ``start=None`` is replaced by the
landscape's default start, missing surface and schedule parameters by their defaults, an
unusable heatmap parameter by the first racer's default one, so equal views are equal
values. Every computation is a function of the ``Setup`` alone (compute/keys.py derives
each cache key from it); the ``Display`` only selects and draws.

The URL format lives apart, in scene/codec.py (with the table of settings it is derived
from, scene/settings.py): this module knows nothing of links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from landscapes import LANDSCAPES, Landscape, from_formula
from landscapes.formula import DEFAULT_DOMAIN as FORMULA_DOMAIN
from optimizers import OPTIMIZERS, SCHEDULE_PARAMS

#: The heatmap's second hyperparameter defaults to the first of these the optimizer has.
SECOND_PREFERENCE = ("momentum", "b1", "decay", "rho")
#: How the race may tune each racer's learning rate: not at all, to the lowest final
#: f − f*, or to the fewest steps to f − f* < ``tune_tol`` (compute/tuning.py).
TUNINGS = ("off", "final", "reach")
#: The tolerance of ``tune="reach"``; the only value a Setup holds under another tuning.
TUNE_TOL = 1e-3

Pairs = tuple[tuple[str, float], ...]


def pairs(values: Mapping[str, float]) -> Pairs:
    """A mapping of numbers as sorted ``(name, float)`` pairs: hashable and canonical."""
    return tuple(sorted((k, float(v)) for k, v in values.items()))


def second_params(slug: str) -> tuple[str, ...]:
    """The hyperparameters a stability heatmap can sweep against the learning rate, the
    default first: the first of ``SECOND_PREFERENCE`` the optimizer has, then the rest in
    the catalogue's order. Empty for an optimizer with a learning rate only (SGD)."""
    names = [n for n in OPTIMIZERS[slug].hparams if n != "learning_rate"]
    preferred = [n for n in SECOND_PREFERENCE if n in names]
    return tuple(preferred + [n for n in names if n not in preferred])


@dataclass(frozen=True)
class Racer:
    """One optimizer in the race, with every hyperparameter set."""

    slug: str
    hparams: Pairs

    @classmethod
    def default(cls, slug: str) -> Racer:
        return cls(slug, pairs(OPTIMIZERS[slug].defaults()))

    @property
    def values(self) -> dict[str, float]:
        return dict(self.hparams)


def _default_racers() -> tuple[Racer, ...]:
    return tuple(Racer.default(s) for s in ("sgd", "momentum", "adam"))


@dataclass(frozen=True)
class Setup:
    """Everything that determines what is computed.

    ``clip_norm=None`` means no clipping. ``domain`` is the plotting domain
    ``(x0, x1, y0, y1)`` of a typed formula (``()`` for a registered surface). The
    studies run the first racer (``study``); ``lr_low`` … ``seeds_count`` are their
    settings and ``mlp_plane`` the MLP mode's. ``tune`` (one of ``TUNINGS``) races each
    racer at its best learning rate instead of its own, with ``tune_tol`` the tolerance of
    ``"reach"`` (reset to ``TUNE_TOL`` under any other tuning: it changes nothing there).
    """

    surface: str = "rosenbrock"
    surface_params: Pairs = ()
    formula: str = ""
    domain: tuple[float, ...] = ()
    racers: tuple[Racer, ...] = field(default_factory=_default_racers)
    start: tuple[float, float] = None  # type: ignore[assignment]  # filled in __post_init__
    steps: int = 200
    seed: int = 0
    schedule: str = "constant"
    schedule_params: Pairs = ()
    clip_norm: float | None = None
    noise: float = 0.0
    lr_low: float = 1e-4
    lr_high: float = 1.0
    sweep_count: int = 12
    sweep_param: str = ""
    basins_n: int = 100
    seeds_count: int = 32
    mlp_plane: str = "pca"
    tune: str = "off"
    tune_tol: float = TUNE_TOL

    def __post_init__(self) -> None:
        if self.surface == "formula":
            (x0, x1), (y0, y1) = FORMULA_DOMAIN
            chosen = tuple(float(v) for v in self.domain) or (x0, x1, y0, y1)
            object.__setattr__(self, "domain", chosen)
        else:
            object.__setattr__(self, "domain", ())
            params = LANDSCAPES[self.surface].param_values
            object.__setattr__(self, "surface_params",
                               pairs({**params, **dict(self.surface_params)}))
        if self.start is None:
            object.__setattr__(self, "start", self.landscape().start)
        defaults = {name: spec.default for name, spec in SCHEDULE_PARAMS.items()}
        object.__setattr__(self, "schedule_params",
                           pairs({**defaults, **dict(self.schedule_params)}))
        # The heatmap sweeps a hyperparameter of the study optimizer (the first racer):
        # anything else, or "", means its default.
        seconds = second_params(self.racers[0].slug) if self.racers else ()
        if self.sweep_param not in seconds:
            object.__setattr__(self, "sweep_param", seconds[0] if seconds else "")
        if self.tune != "reach":
            object.__setattr__(self, "tune_tol", TUNE_TOL)

    def landscape(self) -> Landscape:
        """The bound landscape (compiles the formula when ``surface == "formula"``)."""
        if self.surface == "formula":
            x0, x1, y0, y1 = self.domain
            return from_formula(self.formula, ((x0, x1), (y0, y1)))
        return LANDSCAPES[self.surface].bind(**dict(self.surface_params))

    @property
    def study(self) -> Racer:
        """The optimizer every study runs: the first of the race."""
        return self.racers[0]

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(r.slug for r in self.racers)


@dataclass(frozen=True)
class Display:
    """How a computed setup is shown: nothing here changes a number.

    ``mode`` picks the race, a study or the MLP; ``frame`` is the animation frame the page
    opens at; ``present`` is presenter mode; ``overlay`` draws what is inside each
    optimizer at ``frame``; ``lesson`` is the slug of the lesson whose text is shown
    ("" for none).
    """

    frame: int = 0
    view: str = "contour"
    curve: str = "loss"
    mode: str = "race"
    present: bool = False
    overlay: bool = False
    lesson: str = ""


SETUP_FIELDS = frozenset(f.name for f in fields(Setup))
DISPLAY_FIELDS = frozenset(f.name for f in fields(Display))


@dataclass(frozen=True)
class Scene:
    """One view: what is computed and how it is shown."""

    setup: Setup = field(default_factory=Setup)
    display: Display = field(default_factory=Display)

    @classmethod
    def of(cls, **values: Any) -> Scene:
        """A scene from fields of both parts, each routed to its own part (the others
        take their defaults)."""
        unknown = set(values) - SETUP_FIELDS - DISPLAY_FIELDS
        if unknown:
            raise TypeError(f"no scene field(s) {sorted(unknown)}")
        return cls(Setup(**{k: v for k, v in values.items() if k in SETUP_FIELDS}),
                   Display(**{k: v for k, v in values.items() if k in DISPLAY_FIELDS}))

    def replace(self, **changes: Any) -> Scene:
        """This scene with some fields of either part changed."""
        unknown = set(changes) - SETUP_FIELDS - DISPLAY_FIELDS
        if unknown:
            raise TypeError(f"no scene field(s) {sorted(unknown)}")
        setup = {k: v for k, v in changes.items() if k in SETUP_FIELDS}
        display = {k: v for k, v in changes.items() if k in DISPLAY_FIELDS}
        return Scene(replace(self.setup, **setup) if setup else self.setup,
                     replace(self.display, **display) if display else self.display)

    def with_start(self, x: float, y: float) -> Scene:
        """The same scene from another start, shown from its first frame."""
        return self.replace(start=(float(x), float(y)), frame=0)
