"""The sidebar: one widget per setting, keyed by its URL key, labelled from the table of
settings (scene/settings.py)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import NamedTuple

import streamlit as st

from compute import frame_steps
from hparam import HParam
from landscapes import LANDSCAPES, FormulaError, from_formula
from optimizers import OPTIMIZERS, SCHEDULE_PARAMS, SCHEDULES, catalog
from optimizers.schedules import PARAMS_OF_SCHEDULE
from scene import (
    CLIP,
    MAX_LABEL_LENGTH,
    MAX_OPTIMIZERS,
    MAX_SEED,
    TUNE_TOLERANCE,
    TUNINGS,
    Racer,
    Scene,
    is_racer_key,
    label_problem,
    parse_domain,
    racer_key,
    racer_labels,
    to_state,
)
from scene.settings import BY_KEY, CURVES, VIEWS, Setting
from ui.lazy import lazy_panel
from views.summary import plain_markdown

SURFACE_LABELS = {slug: ls.name for slug, ls in LANDSCAPES.items()}
CURVE_LABELS = {"loss": "f − f* (loss)", "grad_norm": "‖∇f‖ (gradient norm)",
                "distance": "distance to the nearest minimum"}
VIEW_LABELS = {"contour": "Contour", "3d": "Contour + 3D"}
TUNE_LABELS = {"off": "Off", "final": "Lowest final loss", "reach": "Fewest steps to tol"}
assert tuple(CURVE_LABELS) == CURVES and tuple(VIEW_LABELS) == VIEWS
assert tuple(TUNE_LABELS) == TUNINGS
TUNE_HELP = ("One learning rate for all judges the rate as much as the optimizer. Tuned, "
             "each optimizer first runs 64 learning rates over its slider's range (one "
             "batched call) and races at its best: the lowest final f − f*, or the fewest "
             "steps to f − f* < tol. Runs that diverge are never chosen.")
EXAMPLE_FORMULA = "sin(x)*cos(y) + 0.1*(x**2 + y**2)"
DEFAULT_DOMAIN_TEXT = "-3, 3, -3, 3"


def _fmt(value: float) -> str:
    return f"{value:g}"


def slider(key: str, spec: HParam, label: str, disabled: bool = False) -> None:
    """A select slider over ``spec``'s ladder (the current value always on it)."""
    st.select_slider(label, options=spec.ladder(st.session_state[key]), key=key,
                     format_func=_fmt, help=spec.help or None, disabled=disabled)


def number_slider(setting: Setting) -> None:
    """The slider of a ``Number`` row of the table of settings."""
    slider(setting.key, setting.spec, setting.label)


def _ensure(key: str, default) -> None:
    if key not in st.session_state:
        st.session_state[key] = default


def _on_domain_change() -> None:
    """A new domain: start from that domain's default point (when it is valid)."""
    ss = st.session_state
    try:
        x0, x1, y0, y1 = parse_domain(ss["domain"])
        landscape = from_formula(ss.get("formula") or EXAMPLE_FORMULA, ((x0, x1), (y0, y1)))
    except ValueError:  # FormulaError too: the page says why
        return
    ss["start.x"], ss["start.y"] = landscape.start
    ss["frame"] = 0


def _on_surface_change() -> None:
    ss = st.session_state
    slug = ss["surface"]
    if slug in LANDSCAPES:
        ss["start.x"], ss["start.y"] = LANDSCAPES[slug].start
    else:
        try:
            formula = ss.get("formula") or EXAMPLE_FORMULA
            ss["start.x"], ss["start.y"] = from_formula(formula).start
        except FormulaError:
            pass  # the page says why the formula is refused
    ss["frame"] = 0


def keep_while_hidden(keys) -> None:
    """The widgets of ``keys`` are not drawn in this run: keep their values. Streamlit
    forgets a widget's value after a run that does not draw it, and a value the page set
    before the widget first existed (the link's) would come back in its place; set
    again as a plain value of the session, the widget's last value stays."""
    ss = st.session_state
    for key in keys:
        if key in ss:
            ss[key] = ss[key]


def mode_selector(labels: dict[str, str], in_sidebar: bool = False) -> None:
    """The switch between the race and the studies, at the top of the main area (or of
    the sidebar)."""
    where = st.sidebar if in_sidebar else st.container(key="modes")
    where.segmented_control("Show", list(labels), key="mode", required=True,
                            format_func=labels.get,
                            label_visibility="visible" if in_sidebar else "collapsed")


def _surface_controls() -> None:
    ss = st.session_state
    st.header("Surface")
    st.selectbox(BY_KEY["surface"].label, [*LANDSCAPES, "formula"], key="surface",
                 on_change=_on_surface_change,
                 format_func=lambda s: SURFACE_LABELS.get(s, "Custom formula f(x, y)"))
    surface = ss["surface"]
    keep_while_hidden(f"{slug}.{name}" for slug, ls in LANDSCAPES.items() if slug != surface
                      for name in ls.params)
    if surface != "formula":
        keep_while_hidden(["formula", "domain"])
        for name, spec in LANDSCAPES[surface].params.items():
            slider(f"{surface}.{name}", spec, spec.label or name)
        return
    st.text_input("f(x, y) =", key="formula",
                  help="e.g. sin(x)*cos(y) + 0.1*(x**2 + y**2). Allowed: numbers, x, y, pi, "
                  "e, + - * / ** ^ and functions such as sin, exp, log.")
    st.text_input("Plotting domain: xmin, xmax, ymin, ymax", key="domain",
                  on_change=_on_domain_change,
                  help="Where the surface is drawn and where a run may start.")


def _racers_shown() -> tuple[Racer, ...]:
    """The racers the widgets show now (own labels as the race uses them)."""
    return BY_KEY["racers"].unstate(st.session_state, {})["racers"]


def _label_note(i: int, racers: tuple[Racer, ...]) -> str:
    """Why the text in racer ``i``'s label box is not its label ("" when it is, or when
    the box is empty)."""
    text = st.session_state.get(racer_key(i, "label")) or ""
    if not text or i >= len(racers) or racers[i].label == text:
        return ""
    problem = label_problem(text) or "repeats another racer's label"
    return f"This label {problem}; the race shows the derived label instead."


def _racer_box(i: int, slug: str, racers: tuple[Racer, ...], derived: tuple[str, ...],
               lr_note: tuple[str, bool]) -> None:
    """Racer ``i``'s label, sliders and buttons, in an expander titled by its label;
    ``lr_note`` says, while tuning is on, what its learning-rate slider is for and
    whether it rests."""
    n, spec = len(racers), OPTIMIZERS[slug]
    # a label of one's own may not say which optimizer races: the title says it too
    own = racers[i].label
    title = plain_markdown(f"{own} · {spec.name}" if own else derived[i])
    # A folded box draws nothing (opening it reruns the page): folded, a race of three
    # sent some twenty widgets nobody looked at to every student, about a fifth of the
    # server's CPU per session (bench/load.py, against the trivial app's).
    box = st.expander(title, key=racer_box_key(i), on_change="rerun")
    if not box.open:
        keep_while_hidden(racer_widget_keys(i))
        return
    with box:
        st.text_input("Label", key=racer_key(i, "label"), max_chars=MAX_LABEL_LENGTH,
                      placeholder=derived[i],
                      help="Shown in the legend, the tables and the exports. Empty: "
                      "the optimizer's name, with what sets it apart from its twins.")
        note = _label_note(i, racers)
        if note:
            st.caption(note)
        note, rests = lr_note
        for name, hp in spec.hparams.items():
            tuned = name == "learning_rate" and rests
            slider(racer_key(i, name), hp, hp.label or name, disabled=tuned)
            if name == "learning_rate" and note:
                st.caption(note)
        # buttons as wide as their words, wrapping in a narrow sidebar
        row = st.container(horizontal=True, gap="small")
        row.button("Reset", key=f"reset.{i}", on_click=_reset, args=(i,),
                   help="Every hyperparameter back to its default.")
        row.button("Duplicate", key=f"duplicate.{i}", on_click=_duplicate, args=(i,),
                   disabled=n >= MAX_OPTIMIZERS,
                   help=f"Race a copy of this racer (up to {MAX_OPTIMIZERS} racers).")
        row.button("Remove", key=f"remove.{i}", on_click=_remove, args=(i,),
                   disabled=n <= 1, help="Take this racer out of the race.")


def racer_box_key(i: int) -> str:
    """The key of racer ``i``'s box's open state (the page's, not the link's)."""
    return f"racer.{i + 1}.open"


def racer_widget_keys(i: int) -> list[str]:
    """The keys of racer ``i``'s widgets that hold a setting: its label and its
    hyperparameters."""
    slug = st.session_state["racers"][i]
    return [racer_key(i, name) for name in (*OPTIMIZERS[slug].hparams, "label")]


def family_groups() -> dict[str, list[str]]:
    """The catalogue's slugs grouped by family, in the picker's order
    (``catalog.FAMILIES``; a spec's family is always one of them)."""
    groups: dict[str, list[str]] = {family.name: [] for family in catalog.FAMILIES}
    for slug, spec in OPTIMIZERS.items():
        groups[spec.family].append(slug)
    return {family: slugs for family, slugs in groups.items() if slugs}


def _picker_options() -> tuple[list[str], dict[str, str]]:
    """Every slug, family by family, and each one's text ("Adam · adaptive")."""
    groups = family_groups()
    shown = {slug: f"{OPTIMIZERS[slug].name} · {family}"
             for family, slugs in groups.items() for slug in slugs}
    return [slug for slugs in groups.values() for slug in slugs], shown


def _racer_controls(lr_notes: Mapping[int, tuple[str, bool]]) -> None:
    """Each racer's box; ``lr_notes`` (by position) as ``_racer_box``'s ``lr_note``."""
    ss = st.session_state
    st.header("Optimizers")
    racers = _racers_shown()
    derived = racer_labels(racers)
    for i, slug in enumerate(ss["racers"]):
        _racer_box(i, slug, racers, derived, lr_notes.get(i, ("", False)))
    options, shown = _picker_options()
    full = len(ss["racers"]) >= MAX_OPTIMIZERS
    # One widget: picking an optimizer adds it (a picker and an "Add" button were five
    # elements sent to every student).
    st.selectbox("Add a racer", options, index=None, key="racer.pick", on_change=_add,
                 format_func=shown.get, disabled=full,
                 placeholder="Full" if full else "Pick an optimizer to race…",
                 help=f"Up to {MAX_OPTIMIZERS} racers, all from the same start; an "
                 "optimizer may race more than once.")


def _tune_controls() -> None:
    """Tune the learning rates (and, for ``reach``, its tolerance)."""
    st.radio(BY_KEY["tune"].label, TUNINGS, key="tune", format_func=TUNE_LABELS.get,
             help=TUNE_HELP)
    if st.session_state["tune"] == "reach":
        slider("tune.tol", TUNE_TOLERANCE, TUNE_TOLERANCE.label.capitalize())
    else:
        keep_while_hidden(["tune.tol"])


def _clip_control() -> None:
    ss = st.session_state
    options = ["off", *CLIP.ladder(CLIP.default)]
    if ss.get("clip", "off") not in options:
        options = ["off", *sorted(set(options[1:]) | {float(ss["clip"])})]
    st.select_slider(BY_KEY["clip"].label, options, key="clip",
                     format_func=lambda v: v if v == "off" else _fmt(v))


#: The run's settings a first look does without, folded (drawn only while open: a
#: hundred students who open a link are not each sent four widgets they did not ask for).
MORE_RUN = ("schedule", "clip", "noise", "seed")
#: Every key the folded panel's widgets hold (each schedule's parameters too).
MORE_RUN_KEYS = (*MORE_RUN, *(f"schedule.{name}" for name in SCHEDULE_PARAMS))
MORE_RUN_TITLE = "Schedule · clipping · noise · seed"
MORE_RUN_OPEN = "run.more.open"


def _run_controls(race: bool) -> None:
    ss = st.session_state
    st.header("Run")
    number_slider(BY_KEY["steps"])
    with st.container(horizontal=True):  # side by side, without columns' two blocks
        st.number_input("start x", key="start.x", format="%.4g", step=0.1)
        st.number_input("start y", key="start.y", format="%.4g", step=0.1)
    if race:
        st.caption("Or click anywhere on the contour map.")
    box = lazy_panel(MORE_RUN_TITLE, MORE_RUN_OPEN)
    if box is None:
        keep_while_hidden(MORE_RUN_KEYS)
        return
    with box:
        st.selectbox(BY_KEY["schedule"].label, SCHEDULES, key="schedule",
                     format_func=lambda s: s.replace("_", " + "))
        drawn = PARAMS_OF_SCHEDULE[ss["schedule"]]
        for name in drawn:
            slider(f"schedule.{name}", SCHEDULE_PARAMS[name], SCHEDULE_PARAMS[name].label)
        keep_while_hidden(f"schedule.{name}" for name in SCHEDULE_PARAMS if name not in drawn)
        _clip_control()
        number_slider(BY_KEY["noise"])
        st.number_input(BY_KEY["seed"].label, min_value=0, max_value=MAX_SEED, step=1,
                        key="seed")


@functools.cache
def _more_run_defaults() -> tuple[tuple[str, object], ...]:
    defaults = to_state(Scene())
    return tuple((key, defaults[key]) for key in MORE_RUN)


def unfold_what_is_set() -> None:
    """Open the run's folded settings when the scene just loaded (a link, a lesson) sets
    any of them: what a link changes is in sight."""
    ss = st.session_state
    if any(ss.get(key, value) != value for key, value in _more_run_defaults()):
        ss[MORE_RUN_OPEN] = True


def _view_controls() -> None:
    """The panels and the chart's measure. The frame a link opens at is the stage's own:
    its step slider, a pause and the presenter's step buttons set it (a second slider
    here was the heaviest widget sent to every student, its 150 options and all)."""
    st.header("View")
    st.radio(BY_KEY["view"].label, list(VIEW_LABELS), key="view", horizontal=True,
             format_func=VIEW_LABELS.get)
    st.radio(BY_KEY["curve"].label, list(CURVE_LABELS), key="curve",
             format_func=CURVE_LABELS.get)


def prepare_state() -> None:
    """What the widgets would set before they are drawn: a default for every setting of
    a surface or optimizer just chosen, the frame within the run. The page reads its
    Scene from the session state before it draws the sidebar, so the figure's data
    leaves first."""
    ss = st.session_state
    surface = ss["surface"]
    if surface == "formula":
        _ensure("formula", EXAMPLE_FORMULA)
        _ensure("domain", DEFAULT_DOMAIN_TEXT)
    else:
        for name, spec in LANDSCAPES[surface].params.items():
            _ensure(f"{surface}.{name}", spec.default)
    n = len(ss["racers"])
    for i, slug in enumerate(ss["racers"]):
        for name, hp in OPTIMIZERS[slug].hparams.items():
            _ensure(racer_key(i, name), hp.default)
        _ensure(racer_key(i, "label"), "")
        # Set again on every run: a box's title (its racer's label) is part of the
        # box's identity, and a box with a new identity would fold. Two racers or fewer
        # start with their boxes open.
        ss[racer_box_key(i)] = bool(ss.get(racer_box_key(i), n <= 2))
    for name in PARAMS_OF_SCHEDULE[ss["schedule"]]:
        _ensure(f"schedule.{name}", SCHEDULE_PARAMS[name].default)
    steps_at = frame_steps(int(ss["steps"]), ss.get("view") == "3d")
    ss["frame"] = min(int(ss.get("frame", 0)), len(steps_at) - 1)


def sidebar(race: bool = True, lr_notes: Mapping[int, tuple[str, bool]] | None = None) -> None:
    """Draw every control; values land in st.session_state under their URL keys. The
    race's tuning and view settings are drawn only with ``race`` (in a study they mean
    nothing); ``lr_notes`` as ``_racer_controls``."""
    with st.sidebar:
        _surface_controls()
        _racer_controls(lr_notes or {})
        if race:
            _tune_controls()
        _run_controls(race)
        if race:
            _view_controls()


class _Row(NamedTuple):
    """A racer as the widgets hold it."""

    slug: str
    values: dict[str, float]
    label: str
    open: bool


def _racer_rows() -> list[_Row]:
    ss = st.session_state
    return [_Row(slug, {name: ss.get(racer_key(i, name), hp.default)
                        for name, hp in OPTIMIZERS[slug].hparams.items()},
                 ss.get(racer_key(i, "label")) or "", bool(ss.get(racer_box_key(i))))
            for i, slug in enumerate(ss["racers"])]


def _write_racers(rows: list[_Row]) -> None:
    """Put ``rows`` in the widgets: each racer's keys by its new position, and no key
    left behind by a racer that moved or went."""
    ss = st.session_state
    boxes = {racer_box_key(i) for i in range(len(ss["racers"]))}
    for key in [k for k in ss if is_racer_key(k) or k in boxes]:
        del ss[key]
    ss["racers"] = [row.slug for row in rows]
    for i, row in enumerate(rows):
        ss.update({racer_key(i, name): value for name, value in row.values.items()})
        ss[racer_key(i, "label")] = row.label
        ss[racer_box_key(i)] = row.open


def _add() -> None:
    """The picked optimizer races too, its box open (it is there to be set); the picker
    is empty again, ready for the next."""
    ss = st.session_state
    slug = ss.get("racer.pick")
    ss["racer.pick"] = None
    rows = _racer_rows()
    if slug in OPTIMIZERS and len(rows) < MAX_OPTIMIZERS:
        _write_racers([*rows, _Row(slug, OPTIMIZERS[slug].defaults(), "", True)])


def _duplicate(i: int) -> None:
    """A copy of racer ``i`` right after it (with the derived label: the two are told
    apart by number until one of them changes), its box open."""
    rows = _racer_rows()
    if i < len(rows) and len(rows) < MAX_OPTIMIZERS:
        copy = rows[i]._replace(values=dict(rows[i].values), label="", open=True)
        _write_racers([*rows[: i + 1], copy, *rows[i + 1:]])


def _remove(i: int) -> None:
    rows = _racer_rows()
    if i < len(rows) and len(rows) > 1:
        _write_racers(rows[:i] + rows[i + 1:])


def _reset(i: int) -> None:
    ss = st.session_state
    for name, hp in OPTIMIZERS[ss["racers"][i]].hparams.items():
        ss[racer_key(i, name)] = hp.default
