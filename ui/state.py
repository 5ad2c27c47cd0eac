"""Widget values <-> Scene <-> URL. Widget keys are the URL keys (DESIGN.md), except the
start point, whose two number boxes are ``start.x`` and ``start.y`` (URL: ``start=x,y``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from optimizers import OPTIMIZERS, SCHEDULE_PARAMS
from scene import Racer, Scene, _pairs

#: Keys that change how a result is shown, not what is computed.
VIEW_KEYS = ("frame", "view", "curve")


def scene_to_state(scene: Scene) -> dict[str, Any]:
    """The widget values that show ``scene``."""
    state: dict[str, Any] = {
        "surface": scene.surface, "formula": scene.formula,
        "opt": list(scene.slugs), "steps": scene.steps, "seed": scene.seed,
        "start.x": float(scene.start[0]), "start.y": float(scene.start[1]),
        "schedule": scene.schedule, "clip": "off" if scene.clip_norm is None else scene.clip_norm,
        "noise": scene.noise, "frame": scene.frame, "view": scene.view, "curve": scene.curve,
    }
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
    return Scene(
        surface=surface, surface_params=surface_params,
        formula=state.get("formula", "") if surface == "formula" else "",
        racers=racers, start=(float(state["start.x"]), float(state["start.y"])),
        steps=int(state["steps"]), seed=int(state["seed"]), schedule=state["schedule"],
        schedule_params=_pairs({name: state.get(f"schedule.{name}", spec.default)
                                for name, spec in SCHEDULE_PARAMS.items()}),
        clip_norm=None if clip == "off" else float(clip), noise=float(state["noise"]),
        frame=int(state.get("frame", 0)), view=state.get("view", "contour"),
        curve=state.get("curve", "loss"),
    )


def compute_key(scene: Scene) -> str:
    """The cache key of a scene's computation: its link without the view-only keys."""
    neutral = replace(scene, frame=0, view="contour", curve="loss")
    return neutral.query_string()
