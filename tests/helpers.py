"""Helpers shared by the tests: running the app in-process, reading figures back, decoding
the arrays and images the views write, the scenes and results several test files share
(one computation, one set of compiled programs, in one process), and the formula
compiler's readable-refusal checks."""

from __future__ import annotations

import ast
import base64
import functools
import hashlib
import json
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import jax
import numpy as np
from hypothesis import strategies as st
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from compute import (
    MlpResult,
    Result,
    Study,
    compute_mlp,
    compute_race,
    run_study,
    study_computation,
)
from landscapes import LANDSCAPES, FormulaError, mlp
from landscapes import network as nw
from landscapes.formula.normalize import _normalize
from lessons import LESSONS
from optimizers import OPTIMIZERS, SCHEDULE_PARAMS, SCHEDULES, Trajectory, simulate
from optimizers.training import train
from scene import (
    BASINS_N,
    CLIP,
    CURVES,
    MAX_LABEL_LENGTH,
    MAX_OPTIMIZERS,
    MAX_SEED,
    MODES,
    NOISE,
    SEEDS_COUNT,
    STEPS,
    SWEEP_COUNT,
    SWEEP_LR_HIGH,
    SWEEP_LR_LOW,
    TUNE_TOLERANCE,
    TUNINGS,
    VIEWS,
    Racer,
    Scene,
    from_query,
    second_params,
)
from scene.model import BIDI_CONTROLS, repeated_label, without_label
from views.packing import unpack

APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT = 60  # the first JAX compile of a scene's programs takes seconds


# -- the page in-process ---------------------------------------------------------------------


def run_app(query: dict[str, str] | None = None) -> AppTest:
    """The app run once in-process, opened with ``query`` as its link."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def open_racer_box(at: AppTest, i: int) -> AppTest:
    """Open racer ``i``'s folded box (0-based), as a click on its title does: the page
    reruns and draws the racer's widgets."""
    at.session_state[f"racer.{i + 1}.open"] = True
    return at.run()


def open_run_settings(at: AppTest) -> AppTest:
    """Open the folded run settings (schedule, clipping, noise, seed), as a click on
    their title does."""
    from ui.controls import MORE_RUN_OPEN

    at.session_state[MORE_RUN_OPEN] = True
    return at.run()


def figure(at: AppTest) -> dict:
    """The page's one plotly chart, as the dict the browser receives."""
    (chart,) = at.get("plotly_chart")
    return json.loads(chart.proto.spec)


@dataclass(frozen=True)
class Staged:
    """A message of the race stage (views/stage.py) as the browser receives it: its
    header, and the arrays its ``{"$": i}`` references name."""

    header: dict
    arrays: list[np.ndarray]

    def __getitem__(self, key: str):
        return self.header[key]

    def array(self, ref: dict) -> np.ndarray:
        return self.arrays[ref["$"]]

    @property
    def names(self) -> list[str]:
        return [racer["name"] for racer in self.header["racers"]]

    @property
    def start(self) -> tuple[float, float]:
        return tuple(self.header["start"])

    @property
    def frames(self) -> np.ndarray:
        return self.array(self.header["frames"])

    def plot(self, name: str) -> dict:
        """The figure of one of the stage's plots ("map", "chart", "scene", ...)."""
        return self.header["plots"][name]

    def path(self, name: str) -> np.ndarray:
        """The named racer's path as the map draws it (to its end, or its divergence)."""
        i = self.names.index(name)
        return self.array(self.header["runs"][i]["path"])[: self.header["racers"][i]["end"] + 1]


def stage_elements(at: AppTest) -> dict[str, object]:
    """The stage's elements on the page, by key ("stage", "stage.surface", "stage.grid")."""
    return {element.proto.id.split("-", 2)[2]: element
            for element in at.get("bidi_component")
            if element.proto.component_name == "optplay_stage"}


def staged(at: AppTest, key: str = "stage") -> Staged:
    """The message the page handed to the stage element ``key``."""
    return Staged(*unpack(stage_elements(at)[key].proto.bytes))


def stage_event(at: AppTest, event: str, value, key: str = "stage") -> AppTest:
    """Rerun as after the stage reported ``event`` with ``value`` (what its JavaScript's
    ``setTriggerValue(event, value)`` sends: a trigger in the next run's widget states,
    read by the element's ``on_<event>_change`` callback)."""
    element = stage_elements(at)[key]
    states = at._tree.get_widget_states()
    states.widgets.append(WidgetState(
        id=f"$$STREAMLIT_INTERNAL_KEY_{element.proto.id}__events",
        json_trigger_value=json.dumps([{"event": event, "value": value}])))
    return at._run(states)


def share_link(at: AppTest) -> str:
    """The link the share box offers to copy."""
    (box,) = [e for e in at.get("bidi_component") if e.proto.component_name == "optplay_share"]
    return json.loads(box.proto.json)["url"]


def _cells(line: str) -> list[str]:
    inner = line.strip()[1:-1]
    return [re.sub(r"\\(.)", r"\1", c).strip() for c in re.split(r"(?<!\\)\|", inner)]


def tables(at: AppTest) -> list[list[dict[str, str]]]:
    """Every Markdown table of the page, in order: rows as plain text by column."""
    out = []
    for m in at.markdown:
        if m.value.startswith("| "):
            head, _, *rows = m.value.splitlines()
            out.append([dict(zip(_cells(head), _cells(row), strict=True)) for row in rows])
    return out


def summary_table(at: AppTest) -> list[dict[str, str]]:
    """The race's summary: one row a racer."""
    (table,) = [t for t in tables(at) if t and "final f" in t[0]]
    return table


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def click_chart(at: AppTest, x: float, y: float, curve_number: int = 0,
                point_index: int = 0) -> AppTest:
    """Simulate a click on point ``point_index`` of trace ``curve_number`` of the chart.

    AppTest 1.67 has no plotly element (no ``set_selection``), and ``st.session_state``
    refuses writes to a chart's selection key. So the selection is sent the way the
    browser sends it: as the chart widget's JSON string value in the next rerun's widget
    states. (``AppTest._run(widget_states)`` is what every ``Widget.run()`` calls.)
    """
    (chart,) = at.get("plotly_chart")
    states = at._tree.get_widget_states()
    point = {"x": x, "y": y, "curve_number": curve_number, "point_number": point_index,
             "point_index": point_index}
    selection = {"points": [point], "point_indices": [point_index], "box": [], "lasso": []}
    states.widgets.append(WidgetState(id=chart.proto.id,
                                      string_value=json.dumps({"selection": selection})))
    return at._run(states)


# -- derivatives -------------------------------------------------------------------------------


def f64_params(landscape) -> dict:
    """``landscape``'s parameter values as float64 scalars (inside ``jax.enable_x64``)."""
    return {k: jax.numpy.float64(v) for k, v in landscape.param_values.items()}


def value_gradient_hessian(loss, params):
    """``p -> (loss(p, params), ∇, ∇²)`` as numpy, from one compiled program per loss
    (``params`` traced, so every seed or setting shares it): evaluated op by op, a check
    compiles every primitive of the loss and its derivatives on its own, about 3.5× the
    time for the registry's surfaces. Precision is the caller's: float64 inside
    ``jax.enable_x64``."""
    compiled = _value_gradient_hessian(loss)

    def evaluate(p):
        value, gradient, hessian = compiled(p, params)
        return float(value), np.asarray(gradient), np.asarray(hessian)

    return evaluate


@functools.cache
def _value_gradient_hessian(loss):
    return jax.jit(lambda p, params: (loss(p, params), jax.grad(loss)(p, params),
                                      jax.hessian(loss)(p, params)))


# -- figures -----------------------------------------------------------------------------------


def array(value) -> np.ndarray | None:
    """A trace's numeric array, whatever form the view chose (numpy array, list, or
    plotly.js's typed-array spec ``{"dtype", "bdata", "shape"}``)."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            shape = value["shape"]
            if isinstance(shape, str):
                shape = [int(s) for s in shape.split(",")]
            out = out.reshape(shape)
        return out
    if isinstance(value, list | tuple):
        return np.asarray([np.nan if v is None else v for v in value], dtype=np.float64)
    return None


def n_points(trace: dict) -> int:
    x = array(trace.get("x"))
    return 0 if x is None else int(x.size)


def racer_names(fig: dict) -> list[str]:
    """The racers' names, from the legend traces of their whole paths."""
    return [t["name"] for t in fig["data"]
            if t.get("mode") == "lines" and t.get("showlegend", True) is not False]


def numbers(node, path="fig"):
    """Every number in the figure (arrays decoded), with where it was found."""
    if isinstance(node, dict):
        if "bdata" in node:
            yield path, array(node)
            return
        for key, value in node.items():
            yield from numbers(value, f"{path}.{key}")
    elif isinstance(node, list | tuple):
        for i, value in enumerate(node):
            yield from numbers(value, f"{path}[{i}]")
    elif isinstance(node, np.ndarray):
        if node.dtype.kind in "fiu":
            yield path, node
    elif isinstance(node, float | int | np.floating | np.integer) and not isinstance(node, bool):
        yield path, np.asarray([node], dtype=np.float64)


def assert_all_finite(fig: dict) -> None:
    """Every number of a figure (typed arrays decoded) is finite. (A text search for
    "NaN" is no test: base64 data can contain those letters.)"""
    for where, values in numbers(fig):
        assert np.isfinite(values).all(), where


def _refuse(token: str):
    raise AssertionError(f"{token} in the figure JSON")


def strict_json(text: str):
    """Parse as a browser's JSON.parse would: a NaN or Infinity token fails. (Searching
    the text would not do: base64 data may spell "NaN".)"""
    return json.loads(text, parse_constant=_refuse)


# -- images ------------------------------------------------------------------------------------


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos: pos + 4])
        kind, body = png[pos + 4: pos + 8], png[pos + 8: pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length: pos + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks.append((kind, body))
        pos += 12 + length
    return chunks


def decode_png(png: bytes) -> np.ndarray:
    """The RGBA pixels of a PNG written by views/image.py (8-bit RGBA, no filter)."""
    chunks = png_chunks(png)
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour, interlace) == (8, 6, 0)
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(h, 1 + 4 * w)
    assert (rows[:, 0] == 0).all()  # filter type "none" on every row
    return rows[:, 1:].reshape(h, w, 4)


# -- computed results shared across test files -------------------------------------------------


@functools.cache
def race_result(scene: Scene) -> Result:
    return compute_race(scene.setup)


#: A race of eight explosive optimizers (tests/views/test_race.py) and the step count of
#: the divergence matrix's runs.
DIVERGING_RACE = ("sgd", "momentum", "adam", "rmsprop", "lion", "newton", "adagrad", "yogi")
DIVERGENCE_STEPS = 40


#: Every study scene runs 60 steps (one step bucket), so the views' tests, the page's and
#: the compute tests share few compiled programs.
STUDY_STEPS = 60
_MOMENTUM = Racer("momentum", (("learning_rate", 0.05), ("momentum", 0.9)))
_QUAD = Scene.of(surface="quadratic", racers=(_MOMENTUM, Racer.default("adam")),
                 steps=STUDY_STEPS, lr_low=1e-3, lr_high=1.0, sweep_count=8)
STUDY_SCENES = {
    "lr_fan": _QUAD.replace(mode="lr_fan"),
    "lr_frames": _QUAD.replace(mode="lr_frames"),
    "lr_curve": Scene.of(surface="quadratic", racers=(Racer.default("sgd"),),
                         steps=STUDY_STEPS, lr_low=0.01, lr_high=1.0, mode="lr_curve"),
    "lr_curve_momentum": _QUAD.replace(mode="lr_curve"),
    "lr_curve_saddle": Scene.of(surface="saddle", racers=(Racer.default("sgd"),),
                                steps=STUDY_STEPS, mode="lr_curve"),
    "heatmap": _QUAD.replace(mode="heatmap"),
    "basins": Scene.of(surface="himmelblau",
                       racers=(Racer("sgd", (("learning_rate", 0.01),)),),
                       steps=STUDY_STEPS, basins_n=24, mode="basins"),
    "seeds": Scene.of(surface="himmelblau",
                      racers=(Racer("sgd", (("learning_rate", 0.005),)),),
                      steps=STUDY_STEPS, seeds_count=8, noise=20.0, mode="seeds"),
    "seeds_without_noise": Scene.of(surface="saddle", steps=STUDY_STEPS, seeds_count=8,
                                    mode="seeds",
                                    racers=(Racer("sgd", (("learning_rate", 0.05),)),)),
}


@functools.cache
def study_of(scene: Scene) -> Study:
    return run_study(scene.setup, study_computation(scene.display.mode, scene.setup))


@functools.cache
def mlp_result(plane: str) -> MlpResult:
    # 60 steps: the step bucket (and the optimizers) of the MLP's golden link
    scene = Scene.of(steps=60, racers=(Racer("sgd", (("learning_rate", 0.3),)),
                                       Racer.default("adam")), mlp_plane=plane)
    return compute_mlp(scene.setup)


#: The overlays' scene: a clipped race of five stateful and stateless optimizers on a
#: rotated quadratic, 40 steps (the step bucket of tests/optimizers/test_look_inside.py).
OVERLAY_KAPPA, OVERLAY_THETA = 8.0, 25.0
OVERLAY_CLIP = 3.0
OVERLAY_RACERS = (
    Racer("sgd", (("learning_rate", 0.05),)),
    Racer("momentum", (("learning_rate", 0.02), ("momentum", 0.9))),
    Racer("adam", (("b1", 0.9), ("b2", 0.999), ("eps", 1e-08), ("learning_rate", 0.05))),
    Racer("rmsprop", (("decay", 0.9), ("eps", 1e-08), ("learning_rate", 0.01))),
    Racer("adagrad", (("eps", 1e-07), ("initial_accumulator_value", 0.1),
                      ("learning_rate", 0.5))),
)
OVERLAY_SCENE = Scene.of(
    surface="quadratic", surface_params=(("kappa", OVERLAY_KAPPA), ("theta", OVERLAY_THETA)),
    racers=OVERLAY_RACERS, start=(-1.5, 1.0), steps=40, clip_norm=OVERLAY_CLIP)


def lesson_scene(slug: str) -> Scene:
    """A lesson's scene, decoded from its link (which must not warn)."""
    scene, warnings = from_query(parse_qs(LESSONS[slug].query))
    assert warnings == []
    return scene


def seeded_digests() -> list[str]:
    """Digests of seeded data and paths (the networks' data, the moons, minibatch runs and
    MLP training with noise): equal in any process if the seeds alone decide them."""

    def h(*arrays):
        d = hashlib.sha256()
        for a in arrays:
            d.update(np.ascontiguousarray(np.asarray(a)).tobytes())
        return d.hexdigest()

    ls = LANDSCAPES["tanh_unit"].bind(seed=11, batch_size=8)
    lg = LANDSCAPES["logistic"].bind(seed=11, batch_size=5)
    points, labels = mlp.moons(11)
    return [h(nw.tanh_inputs(11), *nw.blobs(11), points, labels, mlp.init(11)),
            h(simulate(ls, "adam", steps=60, seed=3).path,
              simulate(lg, "momentum", steps=60, seed=3).path),
            h(train(mlp.loss, mlp.init(11), (points, labels), "adam", steps=20,
                    seed=3, noise=0.1).path)]


# -- random scenes -----------------------------------------------------------------------------


def _value(draw, spec):
    if spec.integer:
        return float(draw(st.integers(int(spec.low), int(spec.high))))
    return draw(st.floats(spec.low, spec.high, allow_nan=False, allow_infinity=False))


#: A label a person may type: any text but control characters, line breaks and the
#: bidirectional controls.
LABELS = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"),
                               exclude_characters=BIDI_CONTROLS),
                 min_size=1, max_size=MAX_LABEL_LENGTH).filter(str.strip)


@st.composite
def racer_lists(draw) -> tuple[Racer, ...]:
    """One to eight racers, an optimizer possibly several times (often with the same
    hyperparameters), some with a label of their own, every shown label unique."""
    slugs = draw(st.lists(st.sampled_from(sorted(OPTIMIZERS)[:4]) | st.sampled_from(
        sorted(OPTIMIZERS)), min_size=1, max_size=MAX_OPTIMIZERS))
    racers = []
    for slug in slugs:
        hparams = OPTIMIZERS[slug].hparams.items()
        values = (tuple(sorted((name, spec.default) for name, spec in hparams))
                  if draw(st.booleans())
                  else tuple(sorted((name, _value(draw, spec)) for name, spec in hparams)))
        racers.append(Racer(slug, values, draw(st.just("") | LABELS)))
    racers = tuple(racers)
    while (i := repeated_label(racers)) is not None:
        racers = without_label(racers, i)
    return racers


@st.composite
def scenes(draw) -> Scene:
    """Any valid Scene: every field drawn from its admissible range."""
    surface = draw(st.sampled_from(sorted(LANDSCAPES)))
    ls = LANDSCAPES[surface]
    surface_params = tuple((name, _value(draw, spec)) for name, spec in ls.params.items())
    racers = draw(racer_lists())
    slugs = [r.slug for r in racers]
    (x0, x1), (y0, y1) = ls.domain
    start = (draw(st.floats(x0, x1)), draw(st.floats(y0, y1)))
    schedule_params = tuple((name, _value(draw, spec)) for name, spec in SCHEDULE_PARAMS.items())
    clip = draw(st.none() | st.floats(CLIP.low, CLIP.high))
    lr_low = draw(st.floats(SWEEP_LR_LOW.low, SWEEP_LR_HIGH.high, exclude_max=True))
    lr_high = draw(st.floats(lr_low, SWEEP_LR_HIGH.high, exclude_min=True))
    seconds = second_params(slugs[0])
    return Scene.of(
        surface=surface, surface_params=surface_params, racers=racers, start=start,
        steps=draw(st.integers(int(STEPS.low), int(STEPS.high))),
        seed=draw(st.integers(0, MAX_SEED)), schedule=draw(st.sampled_from(SCHEDULES)),
        schedule_params=schedule_params, clip_norm=clip,
        noise=draw(st.floats(NOISE.low, NOISE.high)),
        frame=draw(st.integers(0, 149)), view=draw(st.sampled_from(VIEWS)),
        curve=draw(st.sampled_from(CURVES)), mode=draw(st.sampled_from(MODES)),
        lr_low=lr_low, lr_high=lr_high, sweep_count=int(_value(draw, SWEEP_COUNT)),
        sweep_param=draw(st.sampled_from(seconds)) if seconds else "",
        basins_n=int(_value(draw, BASINS_N)), seeds_count=int(_value(draw, SEEDS_COUNT)),
        tune=draw(st.sampled_from(TUNINGS)), tune_tol=_value(draw, TUNE_TOLERANCE),
    )


# -- the formula compiler ----------------------------------------------------------------------


def check_error(err: FormulaError, text: str) -> None:
    """A refusal a student can read, pointing inside the text if anywhere."""
    msg = str(err)
    assert err.message and msg.startswith(err.message)
    assert "Traceback" not in msg and 'File "' not in msg and "\n" not in msg
    assert err.hint is None or (err.hint and msg.endswith(err.hint))
    if err.position is not None:
        assert 0 <= err.position <= len(text)
        assert f"column {err.position + 1}" in err.message or "at the end" in err.message


def normalized_tree(text: str) -> str:
    """The validated, normalized tree of ``text``, dumped for comparison."""
    return ast.dump(_normalize(text))


def single_runs(batch: Trajectory) -> list[Trajectory]:
    """A batched trajectory as the single runs it holds (``diverged_at`` -1 as None)."""
    return [Trajectory(batch.path[i], batch.loss[i], batch.grad_norm[i],
                       batch.learning_rate[i],
                       None if batch.diverged_at[i] < 0 else int(batch.diverged_at[i]))
            for i in range(batch.path.shape[0])]
