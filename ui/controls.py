"""The sidebar: one widget per setting, keyed by its URL key, labelled from the table of
settings (scene/settings.py)."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from compute import frame_steps
from hparam import HParam
from landscapes import LANDSCAPES, FormulaError, from_formula
from optimizers import OPTIMIZERS, SCHEDULE_PARAMS, SCHEDULES
from optimizers.schedules import PARAMS_OF_SCHEDULE
from scene import CLIP, MAX_OPTIMIZERS, MAX_SEED, TUNE_TOLERANCE, TUNINGS, parse_domain
from scene.settings import BY_KEY, CURVES, VIEWS, Setting

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
            formula = ss.get("formula") or ss.get("_formula_kept") or EXAMPLE_FORMULA
            ss["start.x"], ss["start.y"] = from_formula(formula).start
        except FormulaError:
            pass  # the page says why the formula is refused
    ss["frame"] = 0


def keep_hidden(keys) -> None:
    """Streamlit forgets a widget's value after a run that does not draw it. The study
    settings and the race's view settings are hidden in some modes: keep each value in a
    shadow key while its widget is drawn, and restore it when it is not."""
    ss = st.session_state
    for key in keys:
        shadow = f"_kept.{key}"
        if key in ss:
            ss[shadow] = ss[key]
        elif shadow in ss:
            ss[key] = ss[shadow]


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
    if surface != "formula":
        for name, spec in LANDSCAPES[surface].params.items():
            slider(f"{surface}.{name}", spec, spec.label or name)
        return
    # Streamlit forgets a widget's value while it is not drawn: prepare_state keeps the
    # formula and its domain across a visit to another surface.
    st.text_input("f(x, y) =", key="formula",
                  help="e.g. sin(x)*cos(y) + 0.1*(x**2 + y**2). Allowed: numbers, x, y, pi, "
                  "e, + - * / ** ^ and functions such as sin, exp, log.")
    st.text_input("Plotting domain: xmin, xmax, ymin, ymax", key="domain",
                  on_change=_on_domain_change,
                  help="Where the surface is drawn and where a run may start.")


def _racer_controls(lr_notes: Mapping[int, tuple[str, bool]]) -> None:
    """Each racer's sliders; ``lr_notes`` (by position) says, while tuning is on, what
    its learning-rate slider is for, and whether it rests."""
    ss = st.session_state
    st.header("Optimizers")
    st.multiselect(BY_KEY["opt"].label, list(OPTIMIZERS), key="opt",
                   max_selections=MAX_OPTIMIZERS, format_func=lambda s: OPTIMIZERS[s].name,
                   help=f"Up to {MAX_OPTIMIZERS}, all from the same start.")
    for i, slug in enumerate(ss["opt"]):
        spec = OPTIMIZERS[slug]
        note, rests = lr_notes.get(i, ("", False))
        with st.expander(spec.name, expanded=len(ss["opt"]) <= 2):
            for name, hp in spec.hparams.items():
                tuned = name == "learning_rate" and rests
                slider(f"{slug}.{name}", hp, hp.label or name, disabled=tuned)
                if name == "learning_rate" and note:
                    st.caption(note)
            st.button("Reset to defaults", key=f"reset.{slug}", on_click=_reset, args=(slug,))


def _tune_controls() -> None:
    """Tune the learning rates (and, for ``reach``, its tolerance)."""
    st.radio(BY_KEY["tune"].label, TUNINGS, key="tune", format_func=TUNE_LABELS.get,
             help=TUNE_HELP)
    if st.session_state["tune"] == "reach":
        slider("tune.tol", TUNE_TOLERANCE, TUNE_TOLERANCE.label.capitalize())


def _clip_control() -> None:
    ss = st.session_state
    options = ["off", *CLIP.ladder(CLIP.default)]
    if ss.get("clip", "off") not in options:
        options = ["off", *sorted(set(options[1:]) | {float(ss["clip"])})]
    st.select_slider(BY_KEY["clip"].label, options, key="clip",
                     format_func=lambda v: v if v == "off" else _fmt(v))


def _run_controls(race: bool) -> None:
    ss = st.session_state
    st.header("Run")
    number_slider(BY_KEY["steps"])
    c1, c2 = st.columns(2)
    c1.number_input("start x", key="start.x", format="%.4g", step=0.1)
    c2.number_input("start y", key="start.y", format="%.4g", step=0.1)
    if race:
        st.caption("Or click anywhere on the contour map.")
    st.selectbox(BY_KEY["schedule"].label, SCHEDULES, key="schedule",
                 format_func=lambda s: s.replace("_", " + "))
    for name in PARAMS_OF_SCHEDULE[ss["schedule"]]:
        slider(f"schedule.{name}", SCHEDULE_PARAMS[name], SCHEDULE_PARAMS[name].label)
    _clip_control()
    number_slider(BY_KEY["noise"])
    st.number_input(BY_KEY["seed"].label, min_value=0, max_value=MAX_SEED, step=1, key="seed")


def _view_controls() -> None:
    ss = st.session_state
    st.header("View")
    st.radio(BY_KEY["view"].label, list(VIEW_LABELS), key="view", horizontal=True,
             format_func=VIEW_LABELS.get)
    st.radio(BY_KEY["curve"].label, list(CURVE_LABELS), key="curve",
             format_func=CURVE_LABELS.get)
    steps_at = frame_steps(int(ss["steps"]), ss["view"] == "3d")
    st.select_slider(BY_KEY["frame"].label, options=list(range(len(steps_at))), key="frame",
                     format_func=lambda j: str(int(steps_at[j])),
                     help="The animation frame a shared link opens at.")


def prepare_state() -> None:
    """What the widgets would set before they are drawn: a default for every setting of
    a surface or optimizer just chosen, the formula kept across surfaces, the frame
    within the run. The page reads its Scene from the session state before it draws
    the sidebar, so the figure's data leaves first."""
    ss = st.session_state
    surface = ss["surface"]
    if surface == "formula":
        _ensure("formula", ss.get("_formula_kept", EXAMPLE_FORMULA))
        _ensure("domain", ss.get("_domain_kept", DEFAULT_DOMAIN_TEXT))
        ss["_formula_kept"], ss["_domain_kept"] = ss["formula"], ss["domain"]
    else:
        for name, spec in LANDSCAPES[surface].params.items():
            _ensure(f"{surface}.{name}", spec.default)
    for slug in ss["opt"]:
        for name, hp in OPTIMIZERS[slug].hparams.items():
            _ensure(f"{slug}.{name}", hp.default)
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


def _reset(slug: str) -> None:
    for name, hp in OPTIMIZERS[slug].hparams.items():
        st.session_state[f"{slug}.{name}"] = hp.default
