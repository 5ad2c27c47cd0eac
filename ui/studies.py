"""The studies on the page: their sidebar section, their cached computation and figure,
and the main area of a study mode. The numbers come from compute/studies.py, the
figures from views/studies.py; here is only Streamlit.
"""

from __future__ import annotations

import streamlit as st

from compute import cache_key, study_computation
from compute.keys import study_figure_key
from compute.studies import CURVE_LRS, HEAT_LRS, HEAT_SECOND, SEED_NOISE
from optimizers import OPTIMIZERS
from optimizers.sweeps import TOLERANCE
from scene import SWEEP_LR_HIGH, SWEEP_LR_LOW, Scene, from_state, racer_key, second_params
from scene.settings import BY_KEY
from ui.caches import cached_study, cached_study_figure
from ui.chart import page_theme, show_figure
from ui.controls import number_slider
from views.studies import study_summary

MODE_LABELS = {"race": "Race", "lr_fan": "LR fan", "lr_frames": "LR animation",
               "lr_curve": "Loss vs LR", "heatmap": "Stability map", "basins": "Basins",
               "seeds": "Seed cloud"}

EXPLAIN = {
    "lr_fan": "Every path is the same optimizer from the same start; only the learning rate "
              "differs (colour: small η dark violet, large η orange). Press Play.",
    "lr_frames": "Each frame is one learning rate's whole run, from the smallest to the "
                 "largest: watch it go from too slow, to good, to oscillating, to diverging. "
                 "The right panel places that learning rate on the final-loss curve.",
    "lr_curve": f"{CURVE_LRS} runs with log-spaced learning rates. Top: the loss after the "
                "last step (×: the run diverged). Bottom: how many steps it took to get "
                f"within {TOLERANCE:g} of the minimum.",
    "heatmap": "Every cell is one run. Darker is lower final loss; × marks a run that "
               "diverged. Click a cell to load its two settings into the race.",
    "basins": "Every pixel is a start: its colour says which minimum the run from there "
              "ends in (letters mark the minima), black where it diverged and light grey "
              "where it got nowhere. The panels differ only in the learning rate.",
    "seeds": "The same run repeated with different seeds of the gradient noise: the spread "
             "of the cloud is what noise does to the path; the dashed line is their mean.",
}


def _on_heatmap_click() -> None:
    """A click on a heatmap cell loads its (learning rate, second hyperparameter) into the
    study optimizer and switches back to the race."""
    ss = st.session_state
    event = ss.get("study.heatmap") or {}
    points = (event.get("selection") or {}).get("points") or []
    if not points:
        return
    setup = from_state(ss).setup
    slug, param = setup.study.slug, setup.sweep_param
    if not param:
        return
    hparams = OPTIMIZERS[slug].hparams
    for name, value in (("learning_rate", points[0]["x"]), (param, points[0]["y"])):
        spec = hparams[name]
        value = float(f"{float(value):.4g}")  # the grid's float32 value, as typed
        ss[racer_key(0, name)] = min(max(value, spec.low), spec.high)  # the first racer
    ss["mode"] = "race"
    ss["frame"] = 0


def _keep_lr_order(changed: str) -> None:
    """Keep the sweep's lowest learning rate below its highest (move the other one)."""
    ss = st.session_state
    low, high = float(ss["sweep.lr_low"]), float(ss["sweep.lr_high"])
    if low < high:
        return
    if changed == "sweep.lr_low":
        ss["sweep.lr_high"] = min(low * 100, SWEEP_LR_HIGH.high)
        if ss["sweep.lr_high"] <= low:
            ss["sweep.lr_low"] = high / 100
    else:
        ss["sweep.lr_low"] = max(high / 100, SWEEP_LR_LOW.low)
        if ss["sweep.lr_low"] >= high:
            ss["sweep.lr_high"] = low * 100


def _lr_sliders() -> None:
    for key, spec in (("sweep.lr_low", SWEEP_LR_LOW), ("sweep.lr_high", SWEEP_LR_HIGH)):
        st.select_slider(spec.label.capitalize(), options=spec.ladder(st.session_state[key]),
                         key=key, format_func=lambda v: f"{v:g}", on_change=_keep_lr_order,
                         args=(key,))


def _second_param(slug: str) -> None:
    ss = st.session_state
    seconds = second_params(slug)
    if not seconds:
        return
    if ss.get("sweep.param") not in seconds:
        ss["sweep.param"] = seconds[0]
    spec = OPTIMIZERS[slug]
    st.selectbox(BY_KEY["sweep.param"].label, seconds, key="sweep.param",
                 format_func=lambda n: spec.hparams[n].label or n)
    st.caption(f"A grid of {HEAT_LRS} learning rates × {HEAT_SECOND} values.")


def study_sidebar(mode: str) -> None:
    """The "Study" section of the sidebar (only in a study mode): the settings of the
    mode shown, under their URL keys."""
    slug = (st.session_state.get("racers") or list(Scene().setup.slugs))[0]
    with st.sidebar:
        st.header("Study")
        st.caption(f"Runs **{OPTIMIZERS[slug].name}**, the first optimizer of the race, with "
                   "its hyperparameters and the start, steps, schedule, clipping and noise "
                   "below.")
        for key in ("sweep.lr_low", "sweep.count", "sweep.param", "basins.n", "seeds.count"):
            if mode not in BY_KEY[key].modes:
                continue
            if key == "sweep.lr_low":
                _lr_sliders()
            elif key == "sweep.param":
                _second_param(slug)
            else:
                number_slider(BY_KEY[key])
        if mode == "lr_curve":
            st.caption(f"{CURVE_LRS} log-spaced learning rates.")
        if mode == "basins":
            st.caption("Four learning rates: 1, 1.5, 2 and 3 times the optimizer's own.")


def _notes(scene: Scene, name: str) -> None:
    setup, mode = scene.setup, scene.display.mode
    if mode == "heatmap" and not setup.sweep_param:
        st.info(f"{name} has no hyperparameter besides the learning rate, so there is no "
                "second axis to sweep: here is the final loss against the learning rate "
                "instead. Put an optimizer with momentum (or Adam's β₁) first in the race "
                "for the stability map.")
    if mode == "seeds" and setup.noise == 0:
        st.info(f"The gradient noise σ is 0, so every seed would follow the same path: this "
                f"study uses σ = {SEED_NOISE:g}. Set “Gradient noise σ” in the sidebar to "
                "choose another.")


def render(scene: Scene) -> None:
    """The main area of a study mode: title, explanation, the chart, a summary."""
    setup, mode = scene.setup, scene.display.mode
    name = OPTIMIZERS[setup.study.slug].name
    st.markdown(f"### {MODE_LABELS[mode]}: {name} on {setup.landscape().name}")
    st.caption(EXPLAIN[mode])
    _notes(scene, name)
    computation = study_computation(mode, setup)
    key = cache_key(setup, computation)
    study = cached_study(computation, key)
    figure = cached_study_figure(mode, computation, key, study_figure_key(setup),
                                 page_theme())
    if mode == "heatmap" and setup.sweep_param:
        show_figure(figure, "study.heatmap", on_select=_on_heatmap_click,
                    selection_mode="points")
    else:
        show_figure(figure, f"study.{mode}")
    summary = study_summary(study)
    if summary:
        st.markdown(summary)
