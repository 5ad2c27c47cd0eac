"""Every setting of a view, declared once: its URL key (also its widget key), the Scene
fields it fills, the computations it changes, its label, its README entry, and how it
reads and writes a link and the widgets' session state.

``SETTINGS`` is the one table; scene/codec.py derives the URL codec and the
widget-state mapping from it, compute/keys.py the cache keys (from ``affects``), the
sidebar its labels and ranges, and the README's link table is checked against it
(``markdown_table``). Adding a plain number is one row: ``Number("key", "field",
HParam(...), affects=...)`` plus its Scene field.

A row reads its keys from a :class:`scene.reader.Reader` in table order; ``got`` holds
the fields read so far (the start is checked against the surface read before it, the
heatmap's parameter against the racers).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import parse_qs

from hparam import HParam
from landscapes import LANDSCAPES, FormulaError, Landscape, from_formula
from landscapes.mlp import PLANES as MLP_PLANES
from lessons import LESSONS
from optimizers import OPTIMIZERS, SCHEDULE_PARAMS, SCHEDULES
from scene.model import (
    MAX_LABEL_LENGTH,
    TUNE_TOL,
    TUNINGS,
    Display,
    Racer,
    Scene,
    Setup,
    label_problem,
    pairs,
    repeated_label,
    second_params,
    without_label,
)
from scene.reader import MAX_VALUE_LENGTH, Reader, clean, number_text

#: The computations a setting can change (compute/keys.py keys each cache by them).
#: "race" is the race and what is inside its optimizers; "drag" its runs from a grid of
#: starts (the start itself plays no part); "surface" the surface on its grid; the
#: studies run the first racer.
RACE, DRAG, SURFACE, MLP = "race", "drag", "surface", "mlp"
STUDIES = ("lr_fan", "lr_curve", "heatmap", "basins", "seeds")
COMPUTATIONS = (RACE, DRAG, SURFACE, MLP, *STUDIES)
#: Every computation that runs optimizers.
EVERYTHING = frozenset(COMPUTATIONS) - {SURFACE}
#: What the page shows: the race, one of the studies of the first racer, or the MLP.
MODES = ("race", "lr_fan", "lr_frames", "lr_curve", "heatmap", "basins", "seeds")
NETWORK_MODES = ("mlp",)
LR_SWEEP_MODES = frozenset({"lr_fan", "lr_frames", "lr_curve", "heatmap"})

#: The most racers a race holds (instances: one optimizer may race several times).
MAX_OPTIMIZERS = 8
#: The schema a link is written in (a v=1 link is still read, scene/codec.py).
SCHEMA_VERSION = 2
MAX_SEED = 2**31 - 1
VIEWS = ("contour", "3d")
CURVES = ("loss", "grad_norm", "distance")
STEPS = HParam(200, 1, 2000, integer=True, label="steps")
SEED = HParam(0, 0, MAX_SEED, integer=True, label="seed")
NOISE = HParam(0.0, 0.0, 100.0, label="gradient noise σ")
CLIP = HParam(1.0, 1e-3, 1e3, log=True, label="clip gradient norm at")
FRAME = HParam(0, 0, 10**6, integer=True, label="open at step")
SWEEP_LR_LOW = HParam(1e-4, 1e-6, 100.0, log=True, label="lowest learning rate")
SWEEP_LR_HIGH = HParam(1.0, 1e-6, 100.0, log=True, label="highest learning rate")
SWEEP_COUNT = HParam(12, 2, 64, integer=True, label="learning rates")
BASINS_N = HParam(100, 10, 200, integer=True, label="grid of starts (per side)")
SEEDS_COUNT = HParam(32, 2, 128, integer=True, label="seeded runs")
TUNE_TOLERANCE = HParam(TUNE_TOL, 1e-8, 1.0, log=True, label="tolerance: f − f* below")

_SETUP, _DISPLAY = Setup(), Display()


def default_of(name: str) -> Any:
    """The default value of a Scene field (of either part)."""
    return getattr(_SETUP if name in {f.name for f in fields(Setup)} else _DISPLAY, name)


def value_of(scene: Scene, name: str) -> Any:
    """A Scene field's value, from whichever part holds it."""
    part = scene.setup if hasattr(scene.setup, name) else scene.display
    return getattr(part, name)


def parse_domain(text: str) -> tuple[float, float, float, float]:
    """``"x0,x1,y0,y1"`` as four floats (``ValueError`` if it is not four numbers)."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 4:
        raise ValueError("A plotting domain is four numbers: xmin, xmax, ymin, ymax.")
    x0, x1, y0, y1 = (float(p) for p in parts)
    return (x0, x1, y0, y1)


def domain_text(domain: tuple[float, ...], sep: str = ",") -> str:
    return sep.join(number_text(v) for v in domain)


def landscape_of(got: Mapping[str, Any]) -> Landscape:
    """The landscape of the surface fields read so far."""
    if got["surface"] == "formula":
        x0, x1, y0, y1 = got["domain"] or (None,) * 4
        domain = None if x0 is None else ((x0, x1), (y0, y1))
        return from_formula(got["formula"], domain)
    return LANDSCAPES[got["surface"]].bind(**dict(got["surface_params"]))


@dataclass(frozen=True)
class Setting:
    """One row of the table (see the module docstring). ``docs`` are the README's rows:
    (key, what the value is, an example); ``modes`` the page modes whose sidebar draws
    the widget (``None``: every mode); ``affects`` the computations it changes (empty:
    it only changes how a result is shown)."""

    key: str
    fields: tuple[str, ...]
    affects: frozenset[str]
    label: str
    docs: tuple[tuple[str, str, str], ...]
    modes: frozenset[str] | None = None

    def prepare(self, reader: Reader) -> dict[str, Any]:
        """Called on every row before any is read (a lesson expands the link here);
        returns the fields it settles."""
        return {}

    def write(self, scene: Scene) -> dict[str, str]:
        raise NotImplementedError

    def read(self, reader: Reader, got: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def state(self, scene: Scene) -> dict[str, Any]:
        """The widget values showing this setting of ``scene`` (widget key -> value)."""
        return {self.key: value_of(scene, self.fields[0])}

    def unstate(self, state: Mapping[str, Any], got: Mapping[str, Any]) -> dict[str, Any]:
        """The fields the widgets' ``state`` shows."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class Number(Setting):
    """A number in ``spec``'s range."""

    spec: HParam

    def write(self, scene):
        return {self.key: number_text(value_of(scene, self.fields[0]))}

    def read(self, reader, got):
        name = self.fields[0]
        value = reader.number(self.key, self.spec, default_of(name))
        return {name: int(value) if self.spec.integer else value}

    def unstate(self, state, got):
        name = self.fields[0]
        value = state.get(self.key, default_of(name))
        return {name: int(value) if self.spec.integer else float(value)}


@dataclass(frozen=True, kw_only=True)
class Choice(Setting):
    """One word of ``choices``; ``echo`` repeats a refused value in its warning."""

    choices: tuple[str, ...]
    echo: bool = False

    def write(self, scene):
        return {self.key: value_of(scene, self.fields[0])}

    def read(self, reader, got):
        name = self.fields[0]
        return {name: reader.choice(self.key, self.choices, default_of(name), echo=self.echo)}

    def unstate(self, state, got):
        name = self.fields[0]
        return {name: state.get(self.key) or default_of(name)}


@dataclass(frozen=True)
class Flag(Setting):
    """On or off: ``1`` / ``0`` in the link, a toggle on the page."""

    def write(self, scene):
        return {self.key: "1" if value_of(scene, self.fields[0]) else "0"}

    def read(self, reader, got):
        name = self.fields[0]
        return {name: reader.flag(self.key, default_of(name))}

    def unstate(self, state, got):
        name = self.fields[0]
        return {name: bool(state.get(self.key, default_of(name)))}


@dataclass(frozen=True)
class Surface(Setting):
    """The surface: a registered slug with its parameters, or a typed formula with its
    plotting domain."""

    def write(self, scene):
        s = scene.setup
        query = {"surface": s.surface}
        if s.surface == "formula":
            return {**query, "formula": s.formula, "domain": domain_text(s.domain)}
        for name, value in s.surface_params:
            query[f"{s.surface}.{name}"] = number_text(value)
        return query

    def read(self, reader, got):
        default = default_of("surface")
        surface = reader.text("surface")
        surface = default if surface is None else surface
        if surface == "formula":
            formula = reader.text("formula") or ""
            try:
                from_formula(formula)
            except FormulaError as err:
                reader.warn("formula", f"was refused: {str(err).rstrip('.')}; showing "
                            f"{LANDSCAPES[default].name}")
                reader.text("domain")  # read: it went with the refused formula
                return self._registered(reader, default)
            return {"surface": "formula", "formula": formula, "surface_params": (),
                    "domain": self._domain(reader, formula)}
        if surface not in LANDSCAPES:
            reader.warn("surface", f"names no surface ({clean(surface)}); showing "
                        f"{LANDSCAPES[default].name}")
            surface = default
        for key in ("formula", "domain"):
            if reader.text(key):
                reader.warn(key, "is only read with surface=formula, and was ignored")
        return self._registered(reader, surface)

    @staticmethod
    def _registered(reader: Reader, surface: str) -> dict[str, Any]:
        params = {name: reader.number(f"{surface}.{name}", spec, spec.default)
                  for name, spec in LANDSCAPES[surface].params.items()}
        return {"surface": surface, "formula": "", "domain": (),
                "surface_params": pairs(params)}

    @staticmethod
    def _domain(reader: Reader, formula: str) -> tuple[float, ...]:
        text = reader.text("domain")
        if not text:
            return ()
        try:
            x0, x1, y0, y1 = parse_domain(text)
            from_formula(formula, ((x0, x1), (y0, y1)))
        except ValueError as err:  # FormulaError is one
            reader.warn("domain", f"was refused ({str(err).rstrip('.')}); using "
                        "[-3, 3] × [-3, 3]")
            return ()
        return (x0, x1, y0, y1)

    def state(self, scene):
        s = scene.setup
        if s.surface == "formula":
            return {"surface": s.surface, "formula": s.formula,
                    "domain": domain_text(s.domain, ", ")}
        return {"surface": s.surface,
                **{f"{s.surface}.{name}": value for name, value in s.surface_params}}

    def unstate(self, state, got):
        surface = state["surface"]
        if surface == "formula":
            text = state.get("domain", "")
            return {"surface": surface, "formula": state.get("formula", ""),
                    "surface_params": (), "domain": parse_domain(text) if text.strip() else ()}
        params = {name: state.get(f"{surface}.{name}", spec.default)
                  for name, spec in LANDSCAPES[surface].params.items()}
        return {"surface": surface, "formula": "", "domain": (),
                "surface_params": pairs(params)}


#: A racer's key in a v=2 link: ``r<position>.<hparam>`` or ``r<position>.label``,
#: positions counted from 1 in the order of ``racers``.
_RACER_KEY = re.compile(r"r([1-9][0-9]*)\.(.+)")
#: A key that tries to be a racer's key (``r0.b1``, ``r-1.b1``, ``r1e3.b1``).
_LOOKS_LIKE_RACER_KEY = re.compile(r"r[-+]?[0-9][^.]*\..*")


def racer_key(i: int, name: str) -> str:
    """The link's (and the widget's) key of racer ``i``'s setting ``name`` (0-based ``i``;
    the key counts from 1)."""
    return f"r{i + 1}.{name}"


def is_racer_key(key: object) -> bool:
    """Whether ``key`` is some racer's key (as ``racer_key`` writes them)."""
    return isinstance(key, str) and _RACER_KEY.fullmatch(key) is not None


def _read_label(reader: Reader, key: str) -> str:
    """``key`` as a racer's own label, else ``""`` (the derived label) with a warning."""
    text = reader.text(key)
    if text is None:
        return ""
    problem = label_problem(text)
    if problem:
        reader.warn(key, f"{problem}; using the label derived from the race")
        return ""
    return text


def _unique_labels(racers: tuple[Racer, ...], warn) -> tuple[Racer, ...]:
    """``racers`` with each own label that repeats another racer's label dropped (the
    later one), calling ``warn(i, label)`` for each."""
    while (i := repeated_label(racers)) is not None:
        warn(i, racers[i].label)
        racers = without_label(racers, i)
    return racers


@dataclass(frozen=True)
class Racers(Setting):
    """The race: its racers in order, each an optimizer with every hyperparameter and an
    optional label. Written as schema v=2 (``racers`` and ``r<i>.<name>``); a link
    without ``racers`` in its own keys is read as v=1 (``opt``, ``<slug>.<hparam>``: each
    optimizer once)."""

    def write(self, scene):
        racers = scene.setup.racers
        query = {"racers": ",".join(r.slug for r in racers)}
        for i, racer in enumerate(racers):
            for name, value in racer.hparams:
                query[racer_key(i, name)] = number_text(value)
            if racer.label:
                query[racer_key(i, "label")] = racer.label
        return query

    def read(self, reader, got):
        if "racers" in reader.raw or ("opt" not in reader.raw and reader.raw.get("v") == "2"):
            return {"racers": self._read_v2(reader)}
        return {"racers": self._read_v1(reader)}

    # -- schema v=2: racers by position ------------------------------------------------

    def _read_v2(self, reader: Reader) -> tuple[Racer, ...]:
        listed = self._listed(reader)
        if not any(slug in OPTIMIZERS for slug in listed):
            reader.warn("racers", "names no known optimizer; racing the defaults")
            listed = [r.slug for r in default_of("racers")]
        kept = [(k, slug) for k, slug in enumerate(listed) if slug in OPTIMIZERS]
        kept = kept[:MAX_OPTIMIZERS]
        self._check_keys(reader, listed, {k for k, _ in kept})
        racers = tuple(self._racer_v2(reader, k, slug) for k, slug in kept)

        def warn(i: int, label: str) -> None:
            reader.warn(racer_key(kept[i][0], "label"),
                        f"repeats the label of another racer ({clean(label)}); using the "
                        "label derived from the race")
        return _unique_labels(racers, warn)

    @staticmethod
    def _listed(reader: Reader) -> list[str]:
        """The link's ``racers`` in order, and one warning for those it cannot race."""
        text = reader.text("racers")
        if text is None:
            return [r.slug for r in default_of("racers")]
        listed = [s.strip() for s in text.split(",") if s.strip()]
        unknown = list(dict.fromkeys(s for s in listed if s not in OPTIMIZERS))
        reasons = []
        if unknown:
            names = ", ".join(clean(slug) for slug in unknown[:3])
            more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
            reasons.append(f"names unknown optimizers ({names}{more}), skipped with their "
                           "settings")
        if len(listed) - len(unknown) > MAX_OPTIMIZERS:
            reasons.append(f"lists more than {MAX_OPTIMIZERS} racers; the first "
                           f"{MAX_OPTIMIZERS} are raced")
        if reasons:
            reader.warn("racers", "; ".join(reasons))
        return listed

    @staticmethod
    def _check_keys(reader: Reader, listed: list[str], positions: set[int]) -> None:
        """Warn once for each racer key that names no racer of the link; the keys of a
        racer ``racers`` already refused (unknown, or past the limit) are read silently."""
        for key in list(reader.raw):
            if key == "opt" or key.partition(".")[0] in OPTIMIZERS:
                reader.used.add(key)
                reader.warn(key, "is a key of version 1 links; this link's racers are "
                            "`racers` and `r1.…`, `r2.…`, so it was ignored")
                continue
            match = _RACER_KEY.fullmatch(key)
            if match is None:
                if _LOOKS_LIKE_RACER_KEY.fullmatch(key):
                    reader.used.add(key)
                    reader.warn(key, "is not a racer's key (racers are numbered from 1: "
                                "r1, r2, …) and was ignored")
                continue
            digits = match.group(1)
            # (a hostile index may have thousands of digits: int() refuses those)
            k = int(digits) - 1 if len(digits) <= len(str(MAX_VALUE_LENGTH)) else len(listed)
            if k >= len(listed):
                reader.used.add(key)
                reader.warn(key, f"names racer {clean(digits)}, but `racers` lists "
                            f"{len(listed)}; ignored")
            elif k not in positions:
                reader.used.add(key)
            else:
                name = match.group(2)
                spec = OPTIMIZERS[listed[k]]
                if name != "label" and name not in spec.hparams:
                    reader.used.add(key)
                    reader.warn(key, f"names no hyperparameter of {spec.name} (racer "
                                f"{k + 1}: {', '.join(spec.hparams)}); ignored")

    @staticmethod
    def _racer_v2(reader: Reader, k: int, slug: str) -> Racer:
        values = {name: reader.number(racer_key(k, name), spec, spec.default)
                  for name, spec in OPTIMIZERS[slug].hparams.items()}
        return Racer(slug, pairs(values), _read_label(reader, racer_key(k, "label")))

    # -- schema v=1: each optimizer once, its settings keyed by its slug ---------------

    def _read_v1(self, reader: Reader) -> tuple[Racer, ...]:
        slugs = self._slugs(reader)
        for key in reader.raw:
            head = key.partition(".")[0]
            if head in OPTIMIZERS and head not in slugs:
                reader.used.add(key)
                reader.warn(key, f"sets a hyperparameter of {head}, which is not in `opt`")
        return tuple(
            Racer(slug, pairs({name: reader.number(f"{slug}.{name}", spec, spec.default)
                               for name, spec in OPTIMIZERS[slug].hparams.items()}))
            for slug in slugs)

    @staticmethod
    def _slugs(reader: Reader) -> list[str]:
        defaults = [r.slug for r in default_of("racers")]
        opt = reader.text("opt")
        slugs: list[str] = [] if opt is not None else defaults
        unknown: list[str] = []
        for slug in (s.strip() for s in (opt or "").split(",")):
            if not slug or slug in slugs or slug in unknown:
                continue
            if slug not in OPTIMIZERS:
                unknown.append(slug)
            elif len(slugs) == MAX_OPTIMIZERS:
                reader.warn("opt", f"lists more than {MAX_OPTIMIZERS} optimizers; the first "
                            f"{MAX_OPTIMIZERS} are raced")
                break
            else:
                slugs.append(slug)
        if unknown:
            names = ", ".join(clean(slug) for slug in unknown[:3])
            more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
            reader.warn("opt", f"names unknown optimizers ({names}{more}), skipped")
        if not slugs:
            reader.warn("opt", "names no known optimizer; racing the defaults")
            slugs = defaults
        return slugs

    # -- the widgets: the slugs in order (``racers``), each racer's sliders and label ---

    def state(self, scene):
        racers = scene.setup.racers
        state: dict[str, Any] = {"racers": [r.slug for r in racers]}
        for i, racer in enumerate(racers):
            state.update({racer_key(i, name): value for name, value in racer.hparams})
            state[racer_key(i, "label")] = racer.label
        return state

    def unstate(self, state, got):
        racers = tuple(
            Racer(slug, pairs({name: state.get(racer_key(i, name), spec.default)
                               for name, spec in OPTIMIZERS[slug].hparams.items()}),
                  widget_label(state.get(racer_key(i, "label"))))
            for i, slug in enumerate(state["racers"][:MAX_OPTIMIZERS]))
        return {"racers": _unique_labels(racers, lambda i, label: None)
                or default_of("racers")}


def widget_label(text: Any) -> str:
    """A label box's text as a racer's own label: ``""`` (derived) if it cannot be one
    (the sidebar says why beside the box)."""
    text = text if isinstance(text, str) else ""
    return text if text and label_problem(text) is None else ""


@dataclass(frozen=True)
class Start(Setting):
    """The start point ``x,y``, inside the surface's plotting domain (two number boxes
    on the page, ``start.x`` and ``start.y``)."""

    def write(self, scene):
        x, y = scene.setup.start
        return {"start": f"{number_text(x)},{number_text(y)}"}

    def read(self, reader, got):
        text = reader.text("start")
        if text is None:
            return {"start": None}
        try:
            x, y = (float(part) for part in text.split(","))
        except ValueError:
            reader.warn("start", f"must be two numbers 'x,y'; got {clean(text)}")
            return {"start": None}
        (x0, x1), (y0, y1) = landscape_of(got).domain
        if not (math.isfinite(x) and math.isfinite(y) and x0 <= x <= x1 and y0 <= y <= y1):
            reader.warn("start", f"must lie in the plotting domain [{number_text(x0)}, "
                        f"{number_text(x1)}] × [{number_text(y0)}, {number_text(y1)}]; "
                        f"got {clean(text)}")
            return {"start": None}
        return {"start": (x, y)}

    def state(self, scene):
        x, y = scene.setup.start
        return {"start.x": float(x), "start.y": float(y)}

    def unstate(self, state, got):
        return {"start": (float(state["start.x"]), float(state["start.y"]))}


@dataclass(frozen=True)
class Schedule(Setting):
    """The learning-rate schedule and every parameter of the schedules."""

    def write(self, scene):
        s = scene.setup
        return {"schedule": s.schedule,
                **{f"schedule.{name}": number_text(v) for name, v in s.schedule_params}}

    def read(self, reader, got):
        schedule = reader.choice("schedule", SCHEDULES, default_of("schedule"))
        params = {name: reader.number(f"schedule.{name}", spec, spec.default)
                  for name, spec in SCHEDULE_PARAMS.items()}
        return {"schedule": schedule, "schedule_params": pairs(params)}

    def state(self, scene):
        s = scene.setup
        return {"schedule": s.schedule,
                **{f"schedule.{name}": value for name, value in s.schedule_params}}

    def unstate(self, state, got):
        params = {name: state.get(f"schedule.{name}", spec.default)
                  for name, spec in SCHEDULE_PARAMS.items()}
        return {"schedule": state["schedule"], "schedule_params": pairs(params)}


@dataclass(frozen=True)
class Clip(Setting):
    """Clip the gradient to a global norm, or ``off``."""

    def write(self, scene):
        norm = scene.setup.clip_norm
        return {"clip": "off" if norm is None else number_text(norm)}

    def read(self, reader, got):
        if reader.text("clip") in (None, "off", ""):
            return {"clip_norm": None}
        value = reader.number("clip", CLIP, math.nan, shown="off")
        return {"clip_norm": None if math.isnan(value) else value}

    def state(self, scene):
        norm = scene.setup.clip_norm
        return {"clip": "off" if norm is None else norm}

    def unstate(self, state, got):
        clip = state.get("clip", "off")
        return {"clip_norm": None if clip == "off" else float(clip)}


@dataclass(frozen=True)
class LearningRateRange(Setting):
    """The sweeps' learning-rate range; an empty or reversed range falls back to the
    default range, with one warning on the key that made it so."""

    def write(self, scene):
        s = scene.setup
        return {"sweep.lr_low": number_text(s.lr_low), "sweep.lr_high": number_text(s.lr_high)}

    def read(self, reader, got):
        base_low, base_high = default_of("lr_low"), default_of("lr_high")
        given_low = "sweep.lr_low" in reader.raw
        low = reader.number("sweep.lr_low", SWEEP_LR_LOW, base_low)
        high = reader.number("sweep.lr_high", SWEEP_LR_HIGH, base_high)
        if low < high:
            return {"lr_low": low, "lr_high": high}
        default = (f"using the default range {number_text(base_low)} to "
                   f"{number_text(base_high)}")
        # Blame the value that is out of place: a lowest rate that even the default
        # highest would not exceed, else the highest.
        given_high = "sweep.lr_high" in reader.raw and "sweep.lr_high" not in reader.reasons
        if given_low and (low >= base_high or not given_high):
            reader.warn("sweep.lr_low", f"must be smaller than sweep.lr_high "
                        f"({number_text(high)}); got {number_text(low)}, {default}")
        else:
            reader.warn("sweep.lr_high", f"must be larger than sweep.lr_low "
                        f"({number_text(low)}); got {number_text(high)}, {default}")
        return {"lr_low": base_low, "lr_high": base_high}

    def state(self, scene):
        return {"sweep.lr_low": scene.setup.lr_low, "sweep.lr_high": scene.setup.lr_high}

    def unstate(self, state, got):
        low = float(state.get("sweep.lr_low", default_of("lr_low")))
        high = float(state.get("sweep.lr_high", default_of("lr_high")))
        if high < low:  # the sliders keep them apart; never hand a study an empty range
            low, high = high, low
        if high == low:
            high = low * 10
        return {"lr_low": low, "lr_high": high}


@dataclass(frozen=True)
class SweepParam(Setting):
    """The stability map's second hyperparameter: one of the first racer's."""

    def write(self, scene):
        return {"sweep.param": scene.setup.sweep_param}

    def read(self, reader, got):
        slug = got["racers"][0].slug
        seconds = second_params(slug)
        value = reader.text("sweep.param")
        if not value or value in seconds:
            return {"sweep_param": value or (seconds[0] if seconds else "")}
        name = OPTIMIZERS[slug].name
        if seconds:
            reader.warn("sweep.param", f"must be a hyperparameter of {name} other than "
                        f"the learning rate ({', '.join(seconds)}); got {clean(value)}, "
                        f"using {seconds[0]}")
        else:
            reader.warn("sweep.param", f"names {clean(value)}, but {name} has no "
                        "hyperparameter besides the learning rate; ignored")
        return {"sweep_param": seconds[0] if seconds else ""}

    def unstate(self, state, got):
        return {"sweep_param": state.get("sweep.param") or ""}


@dataclass(frozen=True)
class Tune(Setting):
    """Race each optimizer at its best learning rate (``tune``), and the tolerance of
    ``tune=reach`` (``tune.tol``). Written only while tuning is on: a link without it
    races at the racers' own rates, as every link did before tuning existed; the
    tolerance only with ``reach``, the one tuning it changes."""

    def write(self, scene):
        s = scene.setup
        if s.tune == "off":
            return {}
        tol = {"tune.tol": number_text(s.tune_tol)} if s.tune == "reach" else {}
        return {"tune": s.tune, **tol}

    def read(self, reader, got):
        tune = reader.choice("tune", TUNINGS, default_of("tune"), echo=True)
        if tune == "reach":
            return {"tune": tune,
                    "tune_tol": reader.number("tune.tol", TUNE_TOLERANCE, TUNE_TOL)}
        if reader.text("tune.tol") is not None and "tune" not in reader.reasons:
            reader.warn("tune.tol", "is only read with tune=reach, and was ignored")
        return {"tune": tune, "tune_tol": TUNE_TOL}

    def state(self, scene):
        return {"tune": scene.setup.tune, "tune.tol": scene.setup.tune_tol}

    def unstate(self, state, got):
        return {"tune": state.get("tune") or default_of("tune"),
                "tune_tol": float(state.get("tune.tol", TUNE_TOL))}


@dataclass(frozen=True)
class Lesson(Setting):
    """Open a lesson: its query string is read as if it were the link, under the keys
    this link gives itself (those win). A lesson key that depends on a choice the link
    overrides (a hyperparameter of an optimizer the link's ``opt`` drops, every racer key
    when the link has ``racers``, a parameter of another surface) is left out, so it
    warns about nothing. Written only while a lesson is open: it is a reference, not a
    value."""

    def prepare(self, reader):
        slug = reader.text("lesson")
        if not slug:
            return {"lesson": ""}
        if slug not in LESSONS:
            reader.warn("lesson", f"names no lesson ({clean(slug)}); showing no lesson text")
            return {"lesson": ""}
        preset = {k: v[0] for k, v in parse_qs(LESSONS[slug].query,
                                               keep_blank_values=True).items()}
        surface = reader.raw.get("surface", preset.get("surface", default_of("surface")))
        default_opt = ",".join(r.slug for r in default_of("racers"))
        racing = {s.strip() for s in reader.raw.get("opt", preset.get("opt", default_opt))
                  .split(",")}
        # A link with racers of its own (v=2) replaces the lesson's (v=1) whole.
        own_racers = "racers" in reader.raw
        for key, value in preset.items():
            head, dot, _ = key.partition(".")
            if key in reader.raw or (key == "formula" and surface != "formula"):
                continue
            if own_racers and (key == "opt" or (dot and head in OPTIMIZERS)):
                continue
            if dot and ((head in OPTIMIZERS and head not in racing)
                        or (head in LANDSCAPES and head != surface)):
                continue
            reader.raw[key] = value
        return {"lesson": slug}

    def write(self, scene):
        slug = scene.display.lesson
        return {"lesson": slug} if slug else {}

    def read(self, reader, got):
        return {}

    def unstate(self, state, got):
        return {"lesson": state.get("lesson") or ""}


_STUDY_RACE = EVERYTHING - {MLP}
_FROM_THE_START = _STUDY_RACE - {"basins", DRAG}  # what runs from the scene's start
_LR_SWEEPS = frozenset({"lr_fan", "lr_curve", "heatmap"})
_SHOWN = frozenset()

#: The table: URL order (every link writes its keys in this order).
SETTINGS: tuple[Setting, ...] = (
    Surface("surface", ("surface", "surface_params", "formula", "domain"),
            _STUDY_RACE | {SURFACE},
            "Loss surface", (
                ("surface", "a surface slug (table below), or `formula`",
                 "surface=himmelblau"),
                ("formula", "with `surface=formula`: the typed f(x, y) (URL-encoded)",
                 "formula=x%5E2%2B3*y%5E2"),
                ("domain", "with `surface=formula`: the plotting domain "
                 "`xmin,xmax,ymin,ymax`", "domain=-3,3,-3,3"),
                ("<surface>.<param>", "a surface parameter",
                 "quadratic.kappa=10`, `quadratic.theta=30"))),
    Racers("racers", ("racers",), EVERYTHING, "Race", (
        ("racers", f"comma list of optimizer slugs, raced in this order; one may race "
         f"several times (at most {MAX_OPTIMIZERS} racers)", "racers=adam,adam,sgd"),
        ("r<i>.<hparam>", "racer i's hyperparameter (i counts from 1 in `racers`), "
         "optax's argument name", "r2.b1=0"),
        ("r<i>.label", f"racer i's label, plain text of at most {MAX_LABEL_LENGTH} "
         "characters (written only when set)", "r2.label=Adam%20fast"),
        ("opt`, `<slug>.<hparam>", "v=1 links: comma list of optimizer slugs (each once), "
         "a hyperparameter by the optimizer's slug", "opt=sgd,adam`, `adam.b1=0.9"))),
    Start("start", ("start",), _FROM_THE_START, "Start", (
        ("start", "start point `x,y` (inside the surface's plotting domain)",
         "start=-1.5,2.5"),)),
    Number("steps", ("steps",), EVERYTHING, "Steps", (
        ("steps", "number of updates, 1–2000", "steps=200"),), spec=STEPS),
    Number("seed", ("seed",), EVERYTHING, "Seed", (
        ("seed", "seed of the gradient noise, 0–2³¹−1", "seed=0"),), spec=SEED),
    Schedule("schedule", ("schedule", "schedule_params"), EVERYTHING,
             "Learning-rate schedule", (
                 ("schedule", "`constant`, `step`, `exponential`, `cosine`, `warmup_cosine`",
                  "schedule=cosine"),
                 ("schedule.<param>", "`decay_rate`, `transition_steps`, `warmup_steps`, "
                  "`alpha`", "schedule.alpha=0"))),
    Clip("clip", ("clip_norm",), EVERYTHING, "Clip gradient norm at", (
        ("clip", "clip the gradient to this global norm, or `off`", "clip=off"),)),
    Number("noise", ("noise",), EVERYTHING, "Gradient noise σ", (
        ("noise", "standard deviation σ of additive Gaussian gradient noise", "noise=0"),),
        spec=NOISE),
    Tune("tune", ("tune", "tune_tol"), frozenset({RACE}), "Tune learning rates", (
        ("tune", "race each optimizer at its best learning rate: `final` (lowest final "
         "f − f*) or `reach` (fewest steps to f − f* < `tune.tol`); written only while on",
         "tune=final"),
        ("tune.tol", "with `tune=reach`: the tolerance on f − f* (1e-8 to 1)",
         "tune.tol=0.001")), modes=frozenset({"race"})),
    Number("frame", ("frame",), _SHOWN, "Open at step", (
        ("frame", "the animation frame the page opens at (0 = the start)", "frame=0"),),
        modes=frozenset({"race"}), spec=FRAME),
    Choice("view", ("view",), _SHOWN, "Panels", (
        ("view", "`contour` or `3d` (contour and 3D side by side)", "view=contour"),),
        modes=frozenset({"race"}), choices=VIEWS),
    Choice("curve", ("curve",), _SHOWN, "Chart", (
        ("curve", "the chart: `loss` (f − f*), `grad_norm`, `distance`", "curve=loss"),),
        modes=frozenset({"race"}), choices=CURVES),
    Choice("mode", ("mode",), _SHOWN, "Show", (
        ("mode", "`race`, a study (`lr_fan`, `lr_frames`, `lr_curve`, `heatmap`, `basins`, "
         "`seeds`) or `mlp`", "mode=race"),), choices=(*MODES, *NETWORK_MODES)),
    LearningRateRange("sweep.lr_low", ("lr_low", "lr_high"), _LR_SWEEPS,
                      "Learning-rate range", (
                          ("sweep.lr_low`, `sweep.lr_high", "learning-rate range of the sweeps "
                           "(1e-6 to 100, low < high)", "sweep.lr_low=0.0001"),),
                      modes=LR_SWEEP_MODES),
    Number("sweep.count", ("sweep_count",), frozenset({"lr_fan"}),
           "Learning rates (log-spaced)", (
               ("sweep.count", "learning rates in the fan and the LR animation (2–64; the "
                "loss-vs-LR curve uses 200)", "sweep.count=12"),),
           modes=frozenset({"lr_fan", "lr_frames"}), spec=SWEEP_COUNT),
    SweepParam("sweep.param", ("sweep_param",), frozenset({"heatmap"}),
               "Second hyperparameter", (
                   ("sweep.param", "second axis of the stability map (`momentum`, `b1`, "
                    "`decay`, `rho`, …)", "sweep.param=momentum"),),
               modes=frozenset({"heatmap"})),
    Number("basins.n", ("basins_n",), frozenset({"basins"}), "Starts per side of the grid", (
        ("basins.n", "starts per side of the basin map (10–200)", "basins.n=100"),),
        modes=frozenset({"basins"}), spec=BASINS_N),
    Number("seeds.count", ("seeds_count",), frozenset({"seeds"}), "Seeded runs", (
        ("seeds.count", "seeded runs in the seed cloud (2–128)", "seeds.count=32"),),
        modes=frozenset({"seeds"}), spec=SEEDS_COUNT),
    Choice("mlp.plane", ("mlp_plane",), frozenset({MLP}), "Plane", (
        ("mlp.plane", "with `mode=mlp`: the plane of the loss slice, `pca` or `random`",
         "mlp.plane=pca"),), modes=frozenset({"mlp"}), choices=MLP_PLANES, echo=True),
    Flag("present", ("present",), _SHOWN, "Presenter mode", (
        ("present", "presenter mode, `1` on / `0` off", "present=0"),)),
    Flag("overlay", ("overlay",), _SHOWN, "Show inside the optimizers", (
        ("overlay", "show inside the optimizers at `frame`, `1` on / `0` off", "overlay=0"),),
        modes=frozenset({"race"})),
    Lesson("lesson", ("lesson",), _SHOWN, "Lesson", (
        ("lesson", "open a lesson by slug (written only while one is open)", "lesson=ravine"),)),
)

BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


@functools.cache
def hidden_in(mode: str) -> tuple[str, ...]:
    """The keys of the settings whose widgets the sidebar of page mode ``mode`` does not
    draw (the page keeps their values meanwhile); the same on every run of the page."""
    return tuple(key for s in SETTINGS if s.modes is not None and mode not in s.modes
                 for key in (s.state(Scene()) if s.fields else {}))


def affecting(computation: str) -> frozenset[str]:
    """The Scene fields that change what ``computation`` computes."""
    return frozenset(name for s in SETTINGS if computation in s.affects for name in s.fields)


def markdown_table() -> str:
    """The README's table of link keys (v first), from the table above."""
    rows = ["| key | value | example |", "|---|---|---|",
            f"| `v` | schema version (this app writes {SCHEMA_VERSION}, reads 1 and 2) | "
            f"`v={SCHEMA_VERSION}` |"]
    for setting in SETTINGS:
        rows += [f"| `{key}` | {what} | `{example}` |" for key, what, example in setting.docs]
    return "\n".join(rows)
