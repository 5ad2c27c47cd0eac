"""Widget values <-> Scene <-> URL. Widget keys are the URL keys (DESIGN.md), except the
start point, whose two number boxes are ``start.x`` and ``start.y`` (URL: ``start=x,y``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

from optimizers import OPTIMIZERS, SCHEDULE_PARAMS
from scene import Racer, Scene, _num, _pairs, parse_domain

#: Keys that change how a result is shown, not what is computed.
VIEW_KEYS = ("frame", "view", "curve", "overlay")
#: The studies' settings: widget key (= URL key) -> Scene field.
STUDY_FIELDS = {"sweep.lr_low": "lr_low", "sweep.lr_high": "lr_high",
                "sweep.count": "sweep_count", "sweep.param": "sweep_param",
                "basins.n": "basins_n", "seeds.count": "seeds_count",
                "mlp.plane": "mlp_plane"}


def scene_to_state(scene: Scene) -> dict[str, Any]:
    """The widget values that show ``scene``."""
    state: dict[str, Any] = {
        "surface": scene.surface,
        "opt": list(scene.slugs), "steps": scene.steps, "seed": scene.seed,
        "start.x": float(scene.start[0]), "start.y": float(scene.start[1]),
        "schedule": scene.schedule, "clip": "off" if scene.clip_norm is None else scene.clip_norm,
        "noise": scene.noise, "frame": scene.frame, "view": scene.view, "curve": scene.curve,
        "mode": scene.mode,
        "present": scene.present, "overlay": scene.overlay, "lesson": scene.lesson,
    }
    for key, name in STUDY_FIELDS.items():
        state[key] = getattr(scene, name)
    if scene.surface == "formula":
        state["formula"] = scene.formula
        state["domain"] = ", ".join(_num(v) for v in scene.domain)
    for name, value in scene.surface_params:
        state[f"{scene.surface}.{name}"] = value
    for racer in scene.racers:
        for name, value in racer.hparams:
            state[f"{racer.slug}.{name}"] = value
    for name, value in scene.schedule_params:
        state[f"schedule.{name}"] = value
    return state


def state_to_scene(state: Mapping[str, Any]) -> Scene:
    """The Scene the widgets show (values were range-checked by the widgets)."""
    surface = state["surface"]
    racers = tuple(
        Racer(slug, _pairs({name: state.get(f"{slug}.{name}", spec.default)
                            for name, spec in OPTIMIZERS[slug].hparams.items()}))
        for slug in state["opt"]
    ) or Scene().racers
    base = Scene() if surface != "formula" else None
    surface_params = ()
    if base is not None:
        from landscapes import LANDSCAPES

        surface_params = _pairs({name: state.get(f"{surface}.{name}", spec.default)
                                 for name, spec in LANDSCAPES[surface].params.items()})
    clip = state.get("clip", "off")
    defaults = Scene()
    low = float(state.get("sweep.lr_low", defaults.lr_low))
    high = float(state.get("sweep.lr_high", defaults.lr_high))
    if high < low:  # the sliders keep them apart; never hand a study an empty range
        low, high = high, low
    if high == low:
        high = low * 10
    return Scene(
        surface=surface, surface_params=surface_params,
        formula=state.get("formula", "") if surface == "formula" else "",
        domain=parse_domain(state["domain"])
        if surface == "formula" and state.get("domain", "").strip() else (),
        racers=racers, start=(float(state["start.x"]), float(state["start.y"])),
        steps=int(state["steps"]), seed=int(state["seed"]), schedule=state["schedule"],
        schedule_params=_pairs({name: state.get(f"schedule.{name}", spec.default)
                                for name, spec in SCHEDULE_PARAMS.items()}),
        clip_norm=None if clip == "off" else float(clip), noise=float(state["noise"]),
        frame=int(state.get("frame", 0)), view=state.get("view", "contour"),
        curve=state.get("curve", "loss"), mode=state.get("mode") or "race",
        lr_low=low, lr_high=high,
        sweep_count=int(state.get("sweep.count", defaults.sweep_count)),
        sweep_param=state.get("sweep.param") or "",
        basins_n=int(state.get("basins.n", defaults.basins_n)),
        seeds_count=int(state.get("seeds.count", defaults.seeds_count)),
        mlp_plane=state.get("mlp.plane") or defaults.mlp_plane,
        present=bool(state.get("present", False)), overlay=bool(state.get("overlay", False)),
        lesson=state.get("lesson") or "",
    )


def scene_from_key(key: str) -> Scene:
    """The scene of a canonical link (a cache key made by ``compute_key`` and its kin)."""
    return Scene.from_query(parse_qs(key, keep_blank_values=True))[0]


def compute_key(scene: Scene) -> str:
    """The cache key of a scene's race: its link without the view-only keys and the
    studies' settings (which change nothing in the race)."""
    base = Scene()
    neutral = replace(scene, frame=0, view="contour", curve="loss", mode="race",
                      present=False, overlay=False, lesson="",
                      **{name: getattr(base, name) for name in STUDY_FIELDS.values()})
    return neutral.query_string()
