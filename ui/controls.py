"""The sidebar: one widget per Scene setting, keyed by its URL key."""

from __future__ import annotations

import math

import streamlit as st

from hparam import HParam
from landscapes import LANDSCAPES, FormulaError, from_formula
from optimizers import OPTIMIZERS, SCHEDULE_PARAMS, SCHEDULES
from optimizers.schedules import USES
from scene import CLIP, MAX_OPTIMIZERS, MAX_SEED, NOISE, STEPS, parse_domain
from views import frame_steps

SURFACE_LABELS = {slug: ls.name for slug, ls in LANDSCAPES.items()}
CURVE_LABELS = {"loss": "f − f* (loss)", "grad_norm": "‖∇f‖ (gradient norm)",
                "distance": "distance to the nearest minimum"}
VIEW_LABELS = {"contour": "Contour", "3d": "Contour + 3D"}
EXAMPLE_FORMULA = "sin(x)*cos(y) + 0.1*(x**2 + y**2)"
DEFAULT_DOMAIN_TEXT = "-3, 3, -3, 3"
_BETA_LADDER = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99,
                0.995, 0.999, 0.9995, 0.9999)


def ladder(spec: HParam, current: float) -> list[float]:
    """The values a slider offers: 1-2-5 steps per decade for log-scale settings, a
    β-style ladder (dense near 1) for [0, 0.9999], else ~100 even steps. The current
    value is always included, so a link's exact value is kept."""
    if spec.log:
        values = [m * 10.0**k for k in range(-16, 5) for m in (1, 2, 5)]
        values = [v for v in values if spec.low <= v <= spec.high]
    elif spec.high == 0.9999 and spec.low == 0.0:
        values = list(_BETA_LADDER)
    elif spec.integer:
        n = int(spec.high - spec.low)
        stride = max(1, n // 100)
        values = [float(v) for v in range(int(spec.low), int(spec.high) + 1, stride)]
    else:
        raw = (spec.high - spec.low) / 100
        step = 10 ** math.floor(math.log10(raw))
        step *= 5 if raw / step >= 5 else 2 if raw / step >= 2 else 1
        n = round((spec.high - spec.low) / step)
        values = [round(spec.low + i * step, 12) for i in range(n + 1)]
    return sorted({float(v) for v in values} | {float(current)})


def _fmt(value: float) -> str:
    return f"{value:g}"


def number_slider(key: str, spec: HParam, label: str | None = None) -> None:
    st.select_slider(label or spec.label or key.split(".")[-1],
                     options=ladder(spec, st.session_state[key]), key=key,
                     format_func=_fmt, help=spec.help or None)


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


def mode_selector(labels: dict[str, str]) -> None:
    """The switch between the race and the studies, at the top of the main area."""
    st.segmented_control("Show", list(labels), key="mode", required=True,
                         format_func=labels.get, label_visibility="collapsed")


def sidebar(race: bool = True) -> None:
    """Draw every control; values land in st.session_state under their URL keys. The
    race's view settings are drawn only with ``race`` (in a study they mean nothing)."""
    ss = st.session_state
    with st.sidebar:
        st.header("Surface")
        surfaces = [*LANDSCAPES, "formula"]
        st.selectbox("Loss surface", surfaces, key="surface", on_change=_on_surface_change,
                     format_func=lambda s: SURFACE_LABELS.get(s, "Custom formula f(x, y)"))
        surface = ss["surface"]
        if surface == "formula":
            # Streamlit forgets a widget's value while it is not drawn: keep the formula
            # across a visit to another surface.
            _ensure("formula", ss.get("_formula_kept", EXAMPLE_FORMULA))
            st.text_input("f(x, y) =", key="formula",
                          help="e.g. sin(x)*cos(y) + 0.1*(x**2 + y**2). Allowed: numbers, "
                          "x, y, pi, e, + - * / ** ^ and functions such as sin, exp, log.")
            ss["_formula_kept"] = ss["formula"]
            _ensure("domain", ss.get("_domain_kept", DEFAULT_DOMAIN_TEXT))
            st.text_input("Plotting domain: xmin, xmax, ymin, ymax", key="domain",
                          on_change=_on_domain_change,
                          help="Where the surface is drawn and where a run may start.")
            ss["_domain_kept"] = ss["domain"]
        else:
            for name, spec in LANDSCAPES[surface].params.items():
                key = f"{surface}.{name}"
                _ensure(key, spec.default)
                number_slider(key, spec)

        st.header("Optimizers")
        st.multiselect("Race", list(OPTIMIZERS), key="opt", max_selections=MAX_OPTIMIZERS,
                       format_func=lambda s: OPTIMIZERS[s].name,
                       help=f"Up to {MAX_OPTIMIZERS}, all from the same start.")
        for slug in ss["opt"]:
            spec = OPTIMIZERS[slug]
            with st.expander(spec.name, expanded=len(ss["opt"]) <= 2):
                for name, hp in spec.hparams.items():
                    key = f"{slug}.{name}"
                    _ensure(key, hp.default)
                    number_slider(key, hp)
                st.button("Reset to defaults", key=f"reset.{slug}", on_click=_reset, args=(slug,))

        st.header("Run")
        number_slider("steps", STEPS, "Steps")
        c1, c2 = st.columns(2)
        c1.number_input("start x", key="start.x", format="%.4g", step=0.1)
        c2.number_input("start y", key="start.y", format="%.4g", step=0.1)
        if race:
            st.caption("Or click anywhere on the contour map.")
        st.selectbox("Learning-rate schedule", SCHEDULES, key="schedule",
                     format_func=lambda s: s.replace("_", " + "))
        for name in USES[ss["schedule"]]:
            key = f"schedule.{name}"
            _ensure(key, SCHEDULE_PARAMS[name].default)
            number_slider(key, SCHEDULE_PARAMS[name])
        clip_options = ["off", *ladder(CLIP, CLIP.default)]
        if ss.get("clip", "off") not in clip_options:
            clip_options = sorted(set(clip_options[1:]) | {float(ss["clip"])})
            clip_options = ["off", *clip_options]
        st.select_slider("Clip gradient norm at", clip_options, key="clip",
                         format_func=lambda v: v if v == "off" else _fmt(v))
        number_slider("noise", NOISE, "Gradient noise σ")
        st.number_input("Seed", min_value=0, max_value=MAX_SEED, step=1, key="seed")

        steps_at = frame_steps(int(ss["steps"]), ss.get("view") == "3d")
        ss["frame"] = min(int(ss.get("frame", 0)), len(steps_at) - 1)
        if not race:
            return
        st.header("View")
        st.radio("Panels", list(VIEW_LABELS), key="view", horizontal=True,
                 format_func=VIEW_LABELS.get)
        st.radio("Chart", list(CURVE_LABELS), key="curve", format_func=CURVE_LABELS.get)
        steps_at = frame_steps(int(ss["steps"]), ss["view"] == "3d")
        ss["frame"] = min(int(ss.get("frame", 0)), len(steps_at) - 1)
        st.select_slider("Open at step", options=list(range(len(steps_at))), key="frame",
                         format_func=lambda j: str(int(steps_at[j])),
                         help="The animation frame a shared link opens at.")


def _reset(slug: str) -> None:
    for name, hp in OPTIMIZERS[slug].hparams.items():
        st.session_state[f"{slug}.{name}"] = hp.default
