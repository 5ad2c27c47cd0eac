"""The studies of the page's "mode" switch: what to compute for a Scene, cached across
sessions, and how to show it.

Each study runs the first optimizer of the race (``Scene.study``) with its
hyperparameters and the scene's start, steps, schedule, clipping, noise and seed, as ONE
batched engine call (optimizers.sweeps). ``run_study`` is pure (no Streamlit); the page
calls it through ``cached_study``, keyed by a canonical link that keeps only what the
study depends on, so a hundred students opening one link cost one computation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import streamlit as st

from compute import GRID, run_options, surface_grid
from hparam import HParam
from optimizers import OPTIMIZERS, Outcome, Trajectory
from optimizers.sweeps import (
    TOLERANCE,
    BasinMaps,
    StabilityGrid,
    basin_maps,
    lr_grid,
    lr_outcomes,
    lr_paths,
    quadratic_theory,
    seed_cloud,
    stability_grid,
)
from scene import (
    BASINS_N,
    MODES,
    SEEDS_COUNT,
    SWEEP_COUNT,
    SWEEP_LR_HIGH,
    SWEEP_LR_LOW,
    Racer,
    Scene,
    _pairs,
    second_params,
)
from ui.chart import SpecFigure
from ui.controls import ladder, number_slider
from ui.state import STUDY_FIELDS, scene_from_key, state_to_scene
from views.studies import (
    Backdrop,
    basins_figure,
    heatmap_figure,
    lr_curve_figure,
    lr_fan_figure,
    lr_frames_figure,
    reference_lines,
    seed_cloud_figure,
)

MODE_LABELS = {"race": "Race", "lr_fan": "LR fan", "lr_frames": "LR animation",
               "lr_curve": "Loss vs LR", "heatmap": "Stability map", "basins": "Basins",
               "seeds": "Seed cloud"}
assert tuple(MODE_LABELS) == MODES
#: The final-loss curve always sweeps this many learning rates.
CURVE_LRS = 200
#: The stability heatmap's grid: learning rates × values of the second hyperparameter.
HEAT_LRS, HEAT_SECOND = 64, 48
#: The basin maps' learning rates, as multiples of the study optimizer's own.
BASIN_FACTORS = (1.0, 1.5, 2.0, 3.0)
BASIN_CAPTIONS = ("", "1.5 ×", "2 ×", "3 ×")
#: The seed cloud needs noise: with σ = 0 in the scene every seed follows the same path,
#: so the study uses this σ instead (and says so on the page).
SEED_NOISE = 0.5
#: Which settings each study depends on (the others are reset in its cache key).
USES = {
    "lr_fan": ("lr_low", "lr_high", "sweep_count"),
    "lr_curve": ("lr_low", "lr_high"),
    "heatmap": ("lr_low", "lr_high", "sweep_param"),
    "basins": ("basins_n",),
    "seeds": ("seeds_count",),
}
#: Studies that set the learning rate themselves (the racer's own does not matter).
SWEEPS_LR = ("lr_fan", "lr_curve", "heatmap")


@dataclass(frozen=True)
class Study:
    """A study's numbers (numpy only: cheap to cache and pickle)."""

    mode: str
    backdrop: Backdrop
    lrs: np.ndarray | None = None
    paths: Trajectory | None = None  # lr_fan, lr_frames, seeds
    ends: Outcome | None = None  # lr_curve
    grid: StabilityGrid | None = None  # heatmap
    basins: BasinMaps | None = None  # basins
    noise: float = 0.0  # seeds: the σ used


# -- computing -----------------------------------------------------------------------------


def compute_mode(scene: Scene) -> str:
    """The computation a mode needs (the fan and the LR animation share theirs; a heatmap
    without a second hyperparameter falls back to the final-loss curve)."""
    if scene.mode == "lr_frames":
        return "lr_fan"
    if scene.mode == "heatmap" and not scene.sweep_param:
        return "lr_curve"
    return scene.mode


def study_key(scene: Scene) -> str:
    """The canonical cache key of ``scene``'s study: its link with everything the study
    does not depend on reset (other racers, view settings, other studies' settings, and
    the hyperparameters the study sweeps itself)."""
    mode = compute_mode(scene)
    base = Scene()
    study = scene.study
    values = study.values
    spec = OPTIMIZERS[study.slug]
    if mode in SWEEPS_LR:
        values["learning_rate"] = spec.hparams["learning_rate"].default
    if mode == "heatmap":
        values[scene.sweep_param] = spec.hparams[scene.sweep_param].default
    keep = USES.get(mode, ())
    fields = {name: getattr(base, name) for name in STUDY_FIELDS.values() if name not in keep}
    neutral = replace(scene, racers=(Racer(study.slug, _pairs(values)),), frame=0,
                      view="contour", curve="loss", mode=mode, **fields)
    if mode == "basins":  # every start of the grid is run: the scene's start is irrelevant
        neutral = replace(neutral, start=scene.landscape().start)
    return neutral.query_string()


def figure_key(scene: Scene) -> str:
    """The cache key of a study's figure: everything of the study optimizer and the mode."""
    return replace(scene, racers=scene.racers[:1], frame=0, view="contour",
                   curve="loss").query_string()



def second_grid(spec: HParam, n: int) -> tuple[np.ndarray, bool]:
    """The heatmap's values of a second hyperparameter, and whether they are log-spaced:
    β-like settings in [0, 0.99]; log-scale ones over eight decades around the default;
    others over their whole range."""
    if spec.log:
        lo, hi = max(spec.low, spec.default / 1e4), min(spec.high, spec.default * 1e4)
        return np.geomspace(lo, hi, n).astype(np.float32), True
    if spec.low == 0.0 and spec.high == 0.9999:
        return np.linspace(0.0, 0.99, n).astype(np.float32), False
    return np.linspace(spec.low, spec.high, n).astype(np.float32), False


def backdrop_of(scene: Scene) -> Backdrop:
    ls = scene.landscape()
    xs, ys, zs = surface_grid(ls, GRID)
    return Backdrop(title=ls.name, domain=ls.domain, minima=ls.minima,
                    min_value=ls.min_value, log_scale=ls.log_scale, start=scene.start,
                    xs=xs, ys=ys, zs=zs)


def run_study(scene: Scene) -> Study:
    """Compute ``scene``'s study (one batched engine call). Pure; no Streamlit."""
    mode = compute_mode(scene)
    ls = scene.landscape()
    racer = scene.study
    hp = racer.values
    opts = run_options(scene)
    backdrop = backdrop_of(scene)
    if mode == "lr_fan":
        lrs = lr_grid(scene.lr_low, scene.lr_high, scene.sweep_count)
        traj = lr_paths(ls, racer.slug, hp, lrs, scene.start, scene.steps, **opts)
        return Study(mode, backdrop, lrs=lrs, paths=traj)
    if mode == "lr_curve":
        lrs = lr_grid(scene.lr_low, scene.lr_high, CURVE_LRS)
        ends = lr_outcomes(ls, racer.slug, hp, lrs, scene.start, scene.steps, **opts)
        return Study(mode, backdrop, lrs=lrs, ends=ends)
    if mode == "heatmap":
        lrs = lr_grid(scene.lr_low, scene.lr_high, HEAT_LRS)
        second, _ = second_grid(OPTIMIZERS[racer.slug].hparams[scene.sweep_param], HEAT_SECOND)
        grid = stability_grid(ls, racer.slug, hp, lrs, scene.sweep_param, second,
                              scene.start, scene.steps, **opts)
        return Study(mode, backdrop, lrs=lrs, grid=grid)
    if mode == "basins":
        lrs = np.asarray(BASIN_FACTORS, dtype=np.float32) * np.float32(hp["learning_rate"])
        maps = basin_maps(ls, racer.slug, hp, lrs, scene.basins_n, scene.steps, **opts)
        return Study(mode, backdrop, lrs=lrs, basins=maps)
    if mode == "seeds":
        noise = scene.noise if scene.noise > 0 else SEED_NOISE
        seeds = (scene.seed + np.arange(scene.seeds_count, dtype=np.int64)) % 2**32
        opts.pop("seed")
        opts.pop("noise")
        cloud = seed_cloud(ls, racer.slug, hp, scene.start, scene.steps, seeds, noise, **opts)
        return Study(mode, backdrop, paths=cloud, noise=noise)
    raise ValueError(f"no study for mode {scene.mode!r}")


def study_figure(scene: Scene, study: Study) -> dict:
    """The figure of ``scene``'s mode from its computed ``study``."""
    racer = scene.study
    name = OPTIMIZERS[racer.slug].name
    bd = study.backdrop
    if study.mode == "lr_fan":
        p = study.paths
        make = lr_frames_figure if scene.mode == "lr_frames" else lr_fan_figure
        return make(bd, study.lrs, p.path, p.loss, p.diverged_at, optimizer=name)
    if study.mode == "lr_curve":
        e = study.ends
        refs = reference_lines(quadratic_theory(scene.landscape()), racer.slug, racer.values)
        return lr_curve_figure(study.lrs, e.loss, e.diverged_at, e.reached_at,
                               min_value=bd.min_value, optimizer=name, surface=bd.title,
                               steps=scene.steps, references=refs,
                               current_lr=racer.values["learning_rate"], tolerance=TOLERANCE)
    if study.mode == "heatmap":
        g = study.grid
        spec = OPTIMIZERS[racer.slug].hparams[g.second_name]
        _, log_second = second_grid(spec, 2)
        current = (racer.values["learning_rate"], racer.values[g.second_name])
        inside = (g.lrs[0] <= current[0] <= g.lrs[-1]
                  and g.second[0] <= current[1] <= g.second[-1])
        limit = optimum = None
        theory = quadratic_theory(scene.landscape())
        if theory is not None and racer.slug == "momentum" and g.second_name == "momentum":
            lx = np.array([theory.momentum_limit(float(b)) for b in g.second])
            keep = (lx >= g.lrs[0]) & (lx <= g.lrs[-1])
            if keep.sum() >= 2:
                limit = (lx[keep], g.second[keep], "stability limit η = 2(1+β)/L")
            lr_opt, beta_opt = theory.heavy_ball_optimal
            if g.lrs[0] <= lr_opt <= g.lrs[-1] and g.second[0] <= beta_opt <= g.second[-1]:
                optimum = (lr_opt, beta_opt, "heavy ball's optimum (Polyak)")
        return heatmap_figure(g.lrs, g.second_name, g.second, g.final_loss, g.reached_at,
                              g.diverged_at, min_value=bd.min_value, optimizer=name,
                              surface=bd.title, steps=scene.steps,
                              second_label=spec.label or g.second_name, log_second=log_second,
                              current=current if inside else None, limit_curve=limit,
                              optimum=optimum)
    if study.mode == "basins":
        b = study.basins
        captions = [f"η = {lr:.3g}" + (f" ({c} yours)" if c else " (yours)")
                    for lr, c in zip(b.lrs.tolist(), BASIN_CAPTIONS, strict=True)]
        return basins_figure(bd.domain, bd.minima, b.xs, b.ys, b.lrs, b.labels,
                             optimizer=name, surface=bd.title, steps=scene.steps,
                             captions=captions)
    p = study.paths
    return seed_cloud_figure(bd, p.path, p.loss, p.diverged_at, noise=study.noise,
                             optimizer=name)


@st.cache_data(max_entries=64, show_spinner="Running the study (one batched JAX call)…")
def cached_study(key: str) -> Study:
    """``run_study`` of the scene whose canonical study link is ``key``, for every session."""
    return run_study(scene_from_key(key))


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_study_figure(fig_key: str, key: str) -> dict:
    """The study's figure dict; shared read-only (st.plotly_chart does not mutate it)."""
    return study_figure(scene_from_key(fig_key), cached_study(key))


# -- the page ---------------------------------------------------------------------------------

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
    scene = state_to_scene(ss)
    slug, param = scene.study.slug, scene.sweep_param
    if not param:
        return
    hparams = OPTIMIZERS[slug].hparams
    for name, value in (("learning_rate", points[0]["x"]), (param, points[0]["y"])):
        spec = hparams[name]
        value = float(f"{float(value):.4g}")  # the grid's float32 value, as typed
        ss[f"{slug}.{name}"] = min(max(value, spec.low), spec.high)
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


def _lr_slider(key: str, spec: HParam, label: str) -> None:
    st.select_slider(label, options=ladder(spec, st.session_state[key]), key=key,
                     format_func=lambda v: f"{v:g}", on_change=_keep_lr_order, args=(key,))


def study_sidebar(mode: str) -> None:
    """The "Study" section of the sidebar (only in a study mode): the settings of the
    mode shown, under their URL keys."""
    ss = st.session_state
    slugs = ss.get("opt") or list(Scene().slugs)
    slug = slugs[0]
    spec = OPTIMIZERS[slug]
    with st.sidebar:
        st.header("Study")
        st.caption(f"Runs **{spec.name}**, the first optimizer of the race, with its "
                   "hyperparameters and the start, steps, schedule, clipping and noise below.")
        if mode in ("lr_fan", "lr_frames", "lr_curve", "heatmap"):
            _lr_slider("sweep.lr_low", SWEEP_LR_LOW, "Lowest learning rate")
            _lr_slider("sweep.lr_high", SWEEP_LR_HIGH, "Highest learning rate")
        if mode in ("lr_fan", "lr_frames"):
            number_slider("sweep.count", SWEEP_COUNT, "Learning rates (log-spaced)")
        if mode == "lr_curve":
            st.caption(f"{CURVE_LRS} log-spaced learning rates.")
        if mode == "heatmap":
            seconds = second_params(slug)
            if seconds:
                if ss.get("sweep.param") not in seconds:
                    ss["sweep.param"] = seconds[0]
                st.selectbox("Second hyperparameter", seconds, key="sweep.param",
                             format_func=lambda n: spec.hparams[n].label or n)
                st.caption(f"A grid of {HEAT_LRS} learning rates × {HEAT_SECOND} values.")
        if mode == "basins":
            number_slider("basins.n", BASINS_N, "Starts per side of the grid")
            st.caption("Four learning rates: 1, 1.5, 2 and 3 times the optimizer's own.")
        if mode == "seeds":
            number_slider("seeds.count", SEEDS_COUNT, "Seeded runs")


def _summary(scene: Scene, study: Study) -> str | None:
    """One sentence of what the study found, in words."""
    if study.mode == "lr_curve" and study.ends is not None:
        e, lrs = study.ends, study.lrs
        div = e.diverged_at >= 0
        parts = []
        ok = ~div
        if ok.any():
            best = int(np.flatnonzero(ok)[np.argmin(e.loss[ok])])
            parts.append(f"lowest final loss at η ≈ {lrs[best]:.3g}")
        if div.any():
            parts.append(f"diverges from η ≈ {lrs[int(np.argmax(div))]:.3g} "
                         f"({int(div.sum())} of {lrs.size} learning rates diverge)")
        else:
            parts.append("no learning rate in the range diverges")
        return "; ".join(parts).capitalize() + "."
    if study.mode == "heatmap" and study.grid is not None:
        g = study.grid
        div = g.diverged_at >= 0
        return f"{int(div.sum())} of {div.size} runs diverged."
    if study.mode == "seeds" and study.paths is not None:
        d = study.paths.diverged_at
        return f"{int((d >= 0).sum())} of {d.size} seeded runs diverged."
    return None


def render(scene: Scene) -> None:
    """The main area of a study mode: title, explanation, the chart, a summary."""
    racer = scene.study
    name = OPTIMIZERS[racer.slug].name
    st.markdown(f"### {MODE_LABELS[scene.mode]}: {name} on {scene.landscape().name}")
    st.caption(EXPLAIN[scene.mode])
    if scene.mode == "heatmap" and not scene.sweep_param:
        st.info(f"{name} has no hyperparameter besides the learning rate, so there is no "
                "second axis to sweep: here is the final loss against the learning rate "
                "instead. Put an optimizer with momentum (or Adam's β₁) first in the race "
                "for the stability map.")
    if scene.mode == "seeds" and scene.noise == 0:
        st.info(f"The gradient noise σ is 0, so every seed would follow the same path: this "
                f"study uses σ = {SEED_NOISE:g}. Set “Gradient noise σ” in the sidebar to "
                "choose another.")
    key = study_key(scene)
    study = cached_study(key)
    figure = cached_study_figure(figure_key(scene), key)
    config = {"displaylogo": False, "scrollZoom": True}
    if scene.mode == "heatmap" and scene.sweep_param:
        st.plotly_chart(SpecFigure(figure), key="study.heatmap", on_select=_on_heatmap_click,
                        selection_mode="points", theme=None, width="stretch", config=config)
    else:
        st.plotly_chart(SpecFigure(figure), key=f"study.{scene.mode}", theme=None,
                        width="stretch", config=config)
    summary = _summary(scene, study)
    if summary:
        st.markdown(summary)

