"""The Scene: the complete, validated state of one view, and its URL codec (schema v=1).

A Scene is frozen and hashable; every figure the app draws is a function of it. The URL
query string is its public, versioned share format (documented in README.md, "Share
links"). Encoding writes every value explicitly, defaults included, so that a link keeps
its meaning if a default changes in a later version. Decoding never raises: an unknown
key, or a value that is malformed or out of range, falls back to its default and adds
one warning that names the key.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, urlencode

from hparam import HParam
from landscapes import LANDSCAPES, FormulaError, Landscape, from_formula
from landscapes.formula import DEFAULT_DOMAIN as FORMULA_DOMAIN
from landscapes.mlp import PLANES as MLP_PLANE_CHOICES
from lessons import LESSONS
from optimizers import OPTIMIZERS, SCHEDULE_PARAMS, SCHEDULES

SCHEMA_VERSION = 1
MAX_OPTIMIZERS = 8
MAX_SEED = 2**31 - 1
VIEWS = ("contour", "3d")
CURVES = ("loss", "grad_norm", "distance")
#: A hostile link may be huge; values longer than this are refused before parsing.
MAX_VALUE_LENGTH = 600
STEPS = HParam(200, 1, 2000, integer=True, label="steps")
NOISE = HParam(0.0, 0.0, 100.0, label="gradient noise σ")
CLIP = HParam(1.0, 1e-3, 1e3, log=True, label="clip gradient norm at")
#: What the page shows: the race, or one of the studies of the first racer.
MODES = ("race", "lr_fan", "lr_frames", "lr_curve", "heatmap", "basins", "seeds")
#: Modes beyond the 2-D surface: the race's optimizers training an MLP, seen on a plane.
NETWORK_MODES = ("mlp",)
#: The MLP mode's plane: principal directions of the paths, or random filter-normalized.
MLP_PLANES = MLP_PLANE_CHOICES
SWEEP_LR_LOW = HParam(1e-4, 1e-6, 100.0, log=True, label="lowest learning rate")
SWEEP_LR_HIGH = HParam(1.0, 1e-6, 100.0, log=True, label="highest learning rate")
SWEEP_COUNT = HParam(12, 2, 64, integer=True, label="learning rates")
BASINS_N = HParam(100, 10, 200, integer=True, label="grid of starts (per side)")
SEEDS_COUNT = HParam(32, 2, 128, integer=True, label="seeded runs")
#: The heatmap's second hyperparameter defaults to the first of these the optimizer has.
SECOND_PREFERENCE = ("momentum", "b1", "decay", "rho")

Pairs = tuple[tuple[str, float], ...]


def second_params(slug: str) -> tuple[str, ...]:
    """The hyperparameters a stability heatmap can sweep against the learning rate, the
    default first: the first of ``SECOND_PREFERENCE`` the optimizer has, then the rest in
    the catalogue's order. Empty for an optimizer with a learning rate only (SGD)."""
    names = [n for n in OPTIMIZERS[slug].hparams if n != "learning_rate"]
    preferred = [n for n in SECOND_PREFERENCE if n in names]
    return tuple(preferred + [n for n in names if n not in preferred])


def _pairs(values: Mapping[str, float]) -> Pairs:
    return tuple(sorted((k, float(v)) for k, v in values.items()))


@dataclass(frozen=True)
class Racer:
    """One optimizer in the race, with every hyperparameter set."""

    slug: str
    hparams: Pairs

    @classmethod
    def default(cls, slug: str) -> Racer:
        return cls(slug, _pairs(OPTIMIZERS[slug].defaults()))

    @property
    def values(self) -> dict[str, float]:
        return dict(self.hparams)


@dataclass(frozen=True)
class Scene:
    """Everything that determines what the user sees.

    A Scene is canonical: ``start=None`` is replaced by the landscape's default start and
    missing schedule parameters by their defaults, so equal views are equal Scenes (and
    one cache entry). ``clip_norm=None`` means no clipping; ``frame`` is the animation
    frame shown when the page opens. ``present`` (presenter mode), ``overlay`` (what is
    inside each optimizer, drawn at ``frame``) and ``lesson`` (the slug of the lesson
    whose text is shown, "" for none) change how a result is shown, not what is computed.
    """

    surface: str = "rosenbrock"
    surface_params: Pairs = ()
    formula: str = ""
    racers: tuple[Racer, ...] = field(
        default_factory=lambda: tuple(Racer.default(s) for s in ("sgd", "momentum", "adam")))
    start: tuple[float, float] = None  # type: ignore[assignment]  # filled in __post_init__
    steps: int = 200
    seed: int = 0
    schedule: str = "constant"
    schedule_params: Pairs = ()
    clip_norm: float | None = None
    noise: float = 0.0
    frame: int = 0
    view: str = "contour"
    curve: str = "loss"
    mode: str = "race"
    lr_low: float = 1e-4
    lr_high: float = 1.0
    sweep_count: int = 12
    sweep_param: str = ""
    basins_n: int = 100
    seeds_count: int = 32
    mlp_plane: str = "pca"
    present: bool = False
    overlay: bool = False
    lesson: str = ""
    #: With ``surface == "formula"``: the plotting domain (x0, x1, y0, y1); else ().
    domain: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.surface == "formula":
            (x0, x1), (y0, y1) = FORMULA_DOMAIN
            chosen = tuple(float(v) for v in self.domain) or (x0, x1, y0, y1)
            object.__setattr__(self, "domain", chosen)
        else:
            object.__setattr__(self, "domain", ())
        if self.surface != "formula":
            params = LANDSCAPES[self.surface].param_values
            object.__setattr__(self, "surface_params",
                               _pairs({**params, **dict(self.surface_params)}))
        if self.start is None:
            object.__setattr__(self, "start", self.landscape().start)
        defaults = {name: spec.default for name, spec in SCHEDULE_PARAMS.items()}
        object.__setattr__(self, "schedule_params",
                           _pairs({**defaults, **dict(self.schedule_params)}))
        # The heatmap sweeps a hyperparameter of the study optimizer (the first racer):
        # anything else, or "", means its default.
        seconds = second_params(self.racers[0].slug) if self.racers else ()
        if self.sweep_param not in seconds:
            object.__setattr__(self, "sweep_param", seconds[0] if seconds else "")

    # -- derived -------------------------------------------------------------------
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

    def with_start(self, x: float, y: float) -> Scene:
        return replace(self, start=(float(x), float(y)), frame=0)

    # -- URL -----------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        """The share link's query parameters, every value explicit (schema v=1)."""
        ls = self.landscape()
        q: dict[str, str] = {"v": str(SCHEMA_VERSION), "surface": self.surface}
        if self.surface == "formula":
            q["formula"] = self.formula
            q["domain"] = ",".join(_num(v) for v in self.domain)
        for name, value in _pairs(ls.param_values) if self.surface != "formula" else ():
            q[f"{self.surface}.{name}"] = _num(value)
        q["opt"] = ",".join(self.slugs)
        for racer in self.racers:
            for name, value in racer.hparams:
                q[f"{racer.slug}.{name}"] = _num(value)
        q["start"] = f"{_num(self.start[0])},{_num(self.start[1])}"
        q["steps"] = str(self.steps)
        q["seed"] = str(self.seed)
        q["schedule"] = self.schedule
        for name, value in self.schedule_params:
            q[f"schedule.{name}"] = _num(value)
        q["clip"] = "off" if self.clip_norm is None else _num(self.clip_norm)
        q["noise"] = _num(self.noise)
        q["frame"] = str(self.frame)
        q["view"] = self.view
        q["curve"] = self.curve
        q["mode"] = self.mode
        q["sweep.lr_low"] = _num(self.lr_low)
        q["sweep.lr_high"] = _num(self.lr_high)
        q["sweep.count"] = str(self.sweep_count)
        q["sweep.param"] = self.sweep_param
        q["basins.n"] = str(self.basins_n)
        q["seeds.count"] = str(self.seeds_count)
        q["mlp.plane"] = self.mlp_plane
        q["present"] = "1" if self.present else "0"
        q["overlay"] = "1" if self.overlay else "0"
        if self.lesson:  # a reference, not a value: written only when a lesson is open
            q["lesson"] = self.lesson
        return q

    def query_string(self) -> str:
        """``to_query`` URL-encoded (a formula's ``+`` becomes ``%2B`` and survives)."""
        return urlencode(self.to_query())

    @classmethod
    def from_query(cls, query: Mapping[str, str | Iterable[str]]) -> tuple[Scene, list[str]]:
        """Decode a query mapping; never raises. Returns the scene and its warnings."""
        return _Decoder(query).scene()


def parse_domain(text: str) -> tuple[float, float, float, float]:
    """``"x0,x1,y0,y1"`` as four floats (``ValueError`` if it is not four numbers)."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 4:
        raise ValueError("A plotting domain is four numbers: xmin, xmax, ymin, ymax.")
    x0, x1, y0, y1 = (float(p) for p in parts)
    return (x0, x1, y0, y1)


def _num(value: float) -> str:
    """Shortest text that reads back as the same float (``repr`` of a Python float)."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


class _Decoder:
    """Reads a query mapping key by key, recording one warning per rejected key."""

    def __init__(self, query: Mapping[str, str | Iterable[str]]):
        self.raw: dict[str, str] = {}
        self.reasons: dict[str, list[str]] = {}
        for key, value in query.items():
            if not isinstance(value, str):
                values = list(value)
                if len(values) != 1:
                    self.warn(str(key), "appears more than once; the first value is used")
                value = values[0] if values else ""
            self.raw[str(key)] = value
        self.used: set[str] = set()
        self.formula_domain: tuple[float, ...] = ()

    def warn(self, key: str, why: str) -> None:
        self.reasons.setdefault(key, []).append(why)

    @property
    def warnings(self) -> list[str]:
        """One warning per rejected key, naming it, with every reason it was rejected."""
        return [f"{_clean(key)} {'; '.join(whys)}." for key, whys in self.reasons.items()]

    def text(self, key: str) -> str | None:
        if key not in self.raw:
            return None
        self.used.add(key)
        value = self.raw[key]
        if len(value) > MAX_VALUE_LENGTH:
            self.warn(key, f"is longer than {MAX_VALUE_LENGTH} characters and was ignored")
            return None
        return value

    def number(self, key: str, spec: HParam, default: float, shown: str = "") -> float:
        value = self.text(key)
        if value is None:
            return default
        shown = shown or _num(default)
        try:
            number = float(value)
        except ValueError:
            self.warn(key, f"is not a number ({_clean(value)}); using {shown}")
            return default
        if not spec.admits(number):
            self.warn(key, f"must be {_range(spec)}; got {_clean(value)}, using {shown}")
            return default
        return int(number) if spec.integer else number

    def scene(self) -> tuple[Scene, list[str]]:
        base = Scene()
        lesson = self.lesson()
        version = self.text("v")
        if version is not None and version != str(SCHEMA_VERSION):
            self.warn("v", f"is {_clean(version)}, but this app reads links of version "
                      f"{SCHEMA_VERSION}; values are read as version {SCHEMA_VERSION}")

        surface, formula, landscape = self.surface()
        surface_params = ()
        if surface != "formula":
            surface_params = _pairs({
                name: self.number(f"{surface}.{name}", spec, spec.default)
                for name, spec in landscape.params.items()
            })
            landscape = landscape.bind(**dict(surface_params))

        racers = self.racers()
        steps = int(self.number("steps", STEPS, base.steps))
        seed_spec = HParam(0, 0, MAX_SEED, integer=True)
        seed = int(self.number("seed", seed_spec, base.seed))

        schedule = self.text("schedule") or base.schedule
        if schedule not in SCHEDULES:
            self.warn("schedule", f"must be one of {', '.join(SCHEDULES)}; using constant")
            schedule = "constant"
        schedule_params = _pairs({
            name: self.number(f"schedule.{name}", spec, spec.default)
            for name, spec in SCHEDULE_PARAMS.items()
        })

        clip_norm = None
        clip = self.text("clip")
        if clip not in (None, "off", ""):
            value = self.number("clip", CLIP, math.nan, shown="off")
            clip_norm = None if math.isnan(value) else value

        noise = self.number("noise", NOISE, base.noise)
        start = self.start(landscape)
        frame = int(self.number("frame", HParam(0, 0, 10**6, integer=True), 0))
        view = self.text("view") or base.view
        if view not in VIEWS:
            self.warn("view", f"must be one of {', '.join(VIEWS)}; using contour")
            view = "contour"

        curve = self.text("curve") or base.curve
        if curve not in CURVES:
            self.warn("curve", f"must be one of {', '.join(CURVES)}; using loss")
            curve = "loss"

        mode = self.text("mode") or base.mode
        if mode not in (*MODES, *NETWORK_MODES):
            self.warn("mode", f"must be one of {', '.join((*MODES, *NETWORK_MODES))}; "
                      "using race")
            mode = "race"
        lr_low, lr_high = self.lr_range(base)
        sweep_count = int(self.number("sweep.count", SWEEP_COUNT, base.sweep_count))
        sweep_param = self.sweep_param(racers[0].slug)
        basins_n = int(self.number("basins.n", BASINS_N, base.basins_n))
        seeds_count = int(self.number("seeds.count", SEEDS_COUNT, base.seeds_count))
        mlp_plane = self.text("mlp.plane") or base.mlp_plane
        if mlp_plane not in MLP_PLANES:
            self.warn("mlp.plane", f"must be one of {', '.join(MLP_PLANES)}; got "
                      f"{_clean(mlp_plane)}, using {base.mlp_plane}")
            mlp_plane = base.mlp_plane

        present = self.flag("present", base.present)
        overlay = self.flag("overlay", base.overlay)

        for key in sorted(set(self.raw) - self.used - _PASSTHROUGH):
            self.warn(key, "is not a setting of this app and was ignored")
        scene = Scene(surface=surface, surface_params=surface_params, formula=formula,
                      racers=racers, start=start, steps=steps, seed=seed, schedule=schedule,
                      schedule_params=schedule_params, clip_norm=clip_norm, noise=noise,
                      frame=frame, view=view, curve=curve, mode=mode, lr_low=lr_low,
                      lr_high=lr_high, sweep_count=sweep_count, sweep_param=sweep_param,
                      basins_n=basins_n, seeds_count=seeds_count, mlp_plane=mlp_plane,
                      present=present, overlay=overlay, lesson=lesson,
                      domain=self.formula_domain)
        return scene, self.warnings

    def flag(self, key: str, default: bool) -> bool:
        """An on/off view option: ``1``/``0`` (``true``/``false`` also read)."""
        value = self.text(key)
        if value is None:
            return default
        word = value.strip().lower()
        if word in ("1", "true"):
            return True
        if word in ("0", "false"):
            return False
        self.warn(key, f"must be 1 (on) or 0 (off); got {_clean(value)}, using {int(default)}")
        return default

    def lesson(self) -> str:
        """Open ``lesson=<slug>``: its query string is read as if it were the link, under
        the keys this link gives itself (those win). A lesson key that depends on a
        choice the link overrides (a hyperparameter of an optimizer the link's ``opt``
        drops, a parameter of another surface) is left out, so it warns about nothing."""
        slug = self.text("lesson")
        if not slug:
            return ""
        if slug not in LESSONS:
            self.warn("lesson", f"names no lesson ({_clean(slug)}); showing no lesson text")
            return ""
        preset = {k: v[0] for k, v in parse_qs(LESSONS[slug].query,
                                               keep_blank_values=True).items()}
        surface = self.raw.get("surface", preset.get("surface", Scene.surface))
        opt = self.raw.get("opt", preset.get("opt", ",".join(Scene().slugs)))
        racing = {s.strip() for s in opt.split(",")}
        for key, value in preset.items():
            head, dot, _ = key.partition(".")
            if key in self.raw or (key == "formula" and surface != "formula"):
                continue
            if dot and ((head in OPTIMIZERS and head not in racing)
                        or (head in LANDSCAPES and head != surface)):
                continue
            self.raw[key] = value
        return slug

    def lr_range(self, base: Scene) -> tuple[float, float]:
        """The sweep's learning-rate range; a range that is empty or reversed falls back
        to the default range, with one warning on the key that made it so."""
        given_low = "sweep.lr_low" in self.raw
        low = self.number("sweep.lr_low", SWEEP_LR_LOW, base.lr_low)
        high = self.number("sweep.lr_high", SWEEP_LR_HIGH, base.lr_high)
        if low < high:
            return low, high
        default = f"using the default range {_num(base.lr_low)} to {_num(base.lr_high)}"
        # Blame the value that is out of place: a lowest rate that even the default
        # highest would not exceed, else the highest.
        given_high = "sweep.lr_high" in self.raw and "sweep.lr_high" not in self.reasons
        if given_low and (low >= base.lr_high or not given_high):
            self.warn("sweep.lr_low", f"must be smaller than sweep.lr_high ({_num(high)}); "
                      f"got {_num(low)}, {default}")
        else:
            self.warn("sweep.lr_high", f"must be larger than sweep.lr_low ({_num(low)}); "
                      f"got {_num(high)}, {default}")
        return base.lr_low, base.lr_high

    def sweep_param(self, slug: str) -> str:
        seconds = second_params(slug)
        value = self.text("sweep.param")
        if not value:
            return seconds[0] if seconds else ""
        if value in seconds:
            return value
        name = OPTIMIZERS[slug].name
        if seconds:
            self.warn("sweep.param", f"must be a hyperparameter of {name} other than the "
                      f"learning rate ({', '.join(seconds)}); got {_clean(value)}, using "
                      f"{seconds[0]}")
        else:
            self.warn("sweep.param", f"names {_clean(value)}, but {name} has no "
                      "hyperparameter besides the learning rate; ignored")
        return seconds[0] if seconds else ""

    def surface(self) -> tuple[str, str, Landscape]:
        default = Scene().surface
        surface = self.text("surface")
        if surface is None:
            surface = default
        if surface == "formula":
            formula = self.text("formula") or ""
            try:
                landscape = from_formula(formula)
            except FormulaError as err:
                reason = str(err).rstrip(".")
                self.warn("formula", f"was refused: {reason}; showing {LANDSCAPES[default].name}")
                self.text("domain")  # read: it went with the refused formula
                return default, "", LANDSCAPES[default]
            text = self.text("domain")
            if text:
                try:
                    domain = parse_domain(text)
                    landscape = from_formula(formula, ((domain[0], domain[1]),
                                                       (domain[2], domain[3])))
                    self.formula_domain = domain
                except ValueError as err:  # FormulaError is one
                    self.warn("domain", f"was refused ({str(err).rstrip('.')}); using "
                              "[-3, 3] × [-3, 3]")
            return "formula", formula, landscape
        if surface not in LANDSCAPES:
            self.warn("surface", f"names no surface ({_clean(surface)}); showing "
                      f"{LANDSCAPES[default].name}")
            surface = default
        for key in ("formula", "domain"):
            if self.text(key):
                self.warn(key, "is only read with surface=formula, and was ignored")
        return surface, "", LANDSCAPES[surface]

    def racers(self) -> tuple[Racer, ...]:
        defaults = list(Scene().slugs)
        opt = self.text("opt")
        slugs: list[str] = [] if opt is not None else defaults
        unknown: list[str] = []
        for slug in (s.strip() for s in (opt or "").split(",")):
            if not slug or slug in slugs or slug in unknown:
                continue
            if slug not in OPTIMIZERS:
                unknown.append(slug)
            elif len(slugs) == MAX_OPTIMIZERS:
                self.warn("opt", f"lists more than {MAX_OPTIMIZERS} optimizers; the first "
                          f"{MAX_OPTIMIZERS} are raced")
                break
            else:
                slugs.append(slug)
        if unknown:
            names = ", ".join(_clean(slug) for slug in unknown[:3])
            more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
            self.warn("opt", f"names unknown optimizers ({names}{more}), skipped")
        if not slugs:
            self.warn("opt", "names no known optimizer; racing the defaults")
            slugs = defaults
        for key in self.raw:
            head = key.partition(".")[0]
            if head in OPTIMIZERS and head not in slugs:
                self.used.add(key)
                self.warn(key, f"sets a hyperparameter of {head}, which is not in `opt`")
        return tuple(
            Racer(slug, _pairs({
                name: self.number(f"{slug}.{name}", spec, spec.default)
                for name, spec in OPTIMIZERS[slug].hparams.items()
            }))
            for slug in slugs
        )

    def start(self, landscape: Landscape) -> tuple[float, float] | None:
        text = self.text("start")
        if text is None:
            return None
        try:
            x, y = (float(part) for part in text.split(","))
        except ValueError:
            self.warn("start", f"must be two numbers 'x,y'; got {_clean(text)}")
            return None
        (x0, x1), (y0, y1) = landscape.domain
        if not (math.isfinite(x) and math.isfinite(y) and x0 <= x <= x1 and y0 <= y <= y1):
            self.warn("start", f"must lie in the plotting domain [{_num(x0)}, {_num(x1)}] × "
                      f"[{_num(y0)}, {_num(y1)}]; got {_clean(text)}")
            return None
        return (x, y)


#: Keys read by other layers (the UI), not by the Scene (none at present: `present` and
#: `lesson` are now the Scene's).
_PASSTHROUGH: frozenset[str] = frozenset()


def _range(spec: HParam) -> str:
    kind = "a whole number" if spec.integer else "a number"
    return f"{kind} in [{_num(spec.low)}, {_num(spec.high)}]"


def _clean(text: str, limit: int = 40) -> str:
    """A hostile value made safe to echo in Markdown (st.warning): printable ASCII,
    truncated, and quoted in a code span, so no link, image, HTML or maths renders."""
    safe = "".join(c if c.isascii() and c.isprintable() and c != "`" else "?"
                   for c in str(text))
    safe = safe if len(safe) <= limit else safe[: limit - 1] + "…"
    return f"`{safe}`" if safe else "''"
