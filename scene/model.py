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

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
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


#: A racer's label: plain text of at most this many characters.
MAX_LABEL_LENGTH = 40
#: Unicode categories a label refuses: control characters, lone surrogates (no UTF-8,
#: so no link), line and paragraph separators.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
#: The bidirectional embeddings, overrides and isolates: they would reorder the text
#: shown after the label.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def label_problem(text: str) -> str | None:
    """Why ``text`` cannot be a racer's label, in words (``None`` if it can). A label is
    plain text: markup in it is shown as text wherever it appears, never rendered."""
    if not text.strip():
        return "is empty"
    if len(text) > MAX_LABEL_LENGTH:
        return f"is longer than {MAX_LABEL_LENGTH} characters"
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES or c in BIDI_CONTROLS
           for c in text):
        return "contains control characters"
    return None


def compact(value: float) -> str:
    """A hyperparameter as a label shows it: four significant digits (0.9, 1e-08)."""
    return f"{float(value):.4g}"


@dataclass(frozen=True)
class Racer:
    """One instance in the race: an optimizer with every hyperparameter set, and the
    label a person gave it (``""``: the label derived from the race, ``racer_labels``)."""

    slug: str
    hparams: Pairs
    label: str = ""

    @classmethod
    def default(cls, slug: str) -> Racer:
        return cls(slug, pairs(OPTIMIZERS[slug].defaults()))

    @property
    def values(self) -> dict[str, float]:
        return dict(self.hparams)


def _symbol(name: str, slug: str) -> str:
    """A hyperparameter's short name: the last word of its label ("learning rate η": η)."""
    label = OPTIMIZERS[slug].hparams[name].label or name
    return label.split()[-1]


def _base_label(racer: Racer, siblings: Sequence[Racer]) -> str:
    """The optimizer's name, and the hyperparameters in which it differs from the other
    instances of the same optimizer (``siblings``, itself included)."""
    name = OPTIMIZERS[racer.slug].name
    if len(siblings) == 1:
        return name
    differing = [n for n, v in racer.hparams
                 if any(dict(other.hparams).get(n) != v for other in siblings)]
    if not differing:
        return name
    values = racer.values
    shown = ", ".join(f"{_symbol(n, racer.slug)}={compact(values[n])}" for n in differing)
    return f"{name} ({shown})"


def racer_labels(racers: Sequence[Racer]) -> tuple[str, ...]:
    """The derived label of each racer (its own label set aside): the optimizer's name
    when it races once; with several instances, the name and the hyperparameters that
    differ between them, "Adam (β₁=0)"; instances that would read alike are numbered,
    "Adam #2"."""
    bases = [_base_label(r, [o for o in racers if o.slug == r.slug]) for r in racers]
    counts, seen = Counter(bases), Counter()
    labels = []
    for base in bases:
        seen[base] += 1
        labels.append(base if counts[base] == 1 else f"{base} #{seen[base]}")
    return tuple(labels)


def shown_labels(racers: Sequence[Racer]) -> tuple[str, ...]:
    """Each racer's label as shown: its own, else the derived one."""
    return tuple(r.label or d for r, d in zip(racers, racer_labels(racers), strict=True))


def repeated_label(racers: Sequence[Racer]) -> int | None:
    """The position of a racer whose own label is also another racer's shown label (the
    later of two equal own labels), or ``None`` when every shown label is unique."""
    shown = shown_labels(racers)
    for i in reversed(range(len(racers))):
        if racers[i].label and shown.count(shown[i]) > 1:
            return i
    return None


def without_label(racers: tuple[Racer, ...], i: int) -> tuple[Racer, ...]:
    """``racers`` with racer ``i`` back on its derived label."""
    return (*racers[:i], replace(racers[i], label=""), *racers[i + 1:])


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
        # A label equal to the derived one is the derived one: never stored.
        derived = racer_labels(self.racers)
        object.__setattr__(self, "racers", tuple(
            replace(r, label="") if r.label == d else r
            for r, d in zip(self.racers, derived, strict=True)))
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

    @property
    def labels(self) -> tuple[str, ...]:
        """Each racer's label as shown (its own, else derived from the race)."""
        return shown_labels(self.racers)


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
