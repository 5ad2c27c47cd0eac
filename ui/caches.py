"""Every cache of the page, in one place. Each is keyed by a canonical link
(compute/keys.py: a computation's setup with what it does not depend on reset) and
shared by every session: a hundred students opening one link cost one computation.

Results (numpy) and messages (bytes) live in ``st.cache_data``; figure dicts, which are
large and only read, in ``st.cache_resource``. The stage's messages, read by every
session, are also ``held``: a dictionary in front of Streamlit's cache answers a repeated
lookup without hashing its arguments again. docs/ARCHITECTURE.md lists them all.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable

import streamlit as st

from compute import (
    Insides,
    MlpResult,
    Result,
    Study,
    Tuning,
    cache_key,
    compute_inside,
    compute_mlp,
    compute_race,
    frame_steps,
    run_study,
    setup_of,
    surface,
    tune,
    tuned_setup,
)
from compute.neighbourhood import Ladder, ladders, scrubs, start_grid
from scene import Setup
from scene.settings import RACE
from views.network import mlp_figure
from views.overlays import overlay_layout
from views.race import race_figure
from views.stage import grid_message, ladders_message, race_message, surface_message
from views.studies import study_figure
from views.style import themed
from views.tuning import tuning_figure

_HELD: list[OrderedDict] = []


def held(max_entries: int) -> Callable:
    """Keep the last ``max_entries`` values of a cached function of strings and numbers
    that returns ``bytes`` (immutable: one object serves every session), keyed by its
    arguments as given. A repeated lookup through ``st.cache_data`` costs 0.2–0.4 ms of
    hashing its arguments, for every student who opens a link; through this dictionary,
    microseconds. A miss goes through to the cache below, which computes once however
    many sessions ask at the same moment, and shows its spinner."""
    def decorate(cached: Callable[..., bytes]) -> Callable[..., bytes]:
        table: OrderedDict[tuple, bytes] = OrderedDict()
        lock = threading.Lock()
        _HELD.append(table)

        @functools.wraps(cached)
        def lookup(*args) -> bytes:
            value = table.get(args)
            if value is None:
                value = cached(*args)
                with lock:
                    table[args] = value
                    while len(table) > max_entries:
                        table.popitem(last=False)
            return value

        return lookup

    return decorate


def clear_held() -> None:
    """Forget every ``held`` value (with ``st.cache_data.clear()``: computed anew)."""
    for table in _HELD:
        table.clear()


@st.cache_data(max_entries=128, show_spinner="Computing trajectories…")
def cached_result(key: str) -> Result:
    """The race of the setup whose race key is ``key``."""
    return compute_race(setup_of(key))


@st.cache_data(max_entries=64, show_spinner="Tuning the learning rates: 64 runs per "
               "optimizer, in one batched call each…")
def cached_tuning(key: str) -> Tuning:
    """Every racer's learning-rate sweep of a tuned race (race key, tuning on)."""
    return tune(setup_of(key))


def raced_setup(setup: Setup) -> Setup:
    """The setup the race runs: ``setup``, or with tuning on, its racers at their tuned
    rates (tuning off). Everything the race view computes is keyed by this setup's race
    key, shared with a race whose rates were set by hand."""
    if setup.tune == "off":
        return setup
    return tuned_setup(setup, cached_tuning(cache_key(setup, RACE)))


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_tuning_figure(key: str, names: tuple[str, ...], theme: str) -> dict:
    """The tuned race's small curves (race key, tuning on), named by position and drawn
    for ``theme``; shared read-only."""
    return themed(tuning_figure(cached_tuning(key), names), theme)


@st.cache_data(max_entries=32, show_spinner="Looking inside the optimizers…")
def cached_inside(key: str) -> Insides:
    """What is inside the race's optimizers (race key)."""
    return compute_inside(setup_of(key))


@st.cache_data(max_entries=128, show_spinner=False)
def cached_ladders(key: str) -> tuple[Ladder, ...]:
    """Every racer's runs over its scrubbed sliders' ladders (race key)."""
    return ladders(setup_of(key))


@held(max_entries=32)
@st.cache_data(max_entries=32, show_spinner=False)
def cached_surface_message(key: str, message_id: str) -> bytes:
    """The stage's surface message (surface key)."""
    return surface_message(surface(setup_of(key).landscape()), message_id)


@held(max_entries=32)
@st.cache_data(max_entries=32, show_spinner="Computing runs from a grid of starts…")
def cached_grid_message(key: str, message_id: str) -> bytes:
    """The stage's drag grid (drag key)."""
    return grid_message(start_grid(setup_of(key)), message_id)


@held(max_entries=64)
@st.cache_data(max_entries=64, show_spinner=False)
def cached_ladders_message(key: str, message_id: str, view: str, curve: str) -> bytes:
    """The runs of the stage's scrubs (race key), charted as ``view`` and ``curve``."""
    return ladders_message(cached_result(key), cached_ladders(key), message_id, view, curve)


@held(max_entries=128)
@st.cache_data(max_entries=128, show_spinner=False)
def cached_race_message(key: str, ids: tuple[str, str, str, str], frame: int, view: str,
                        curve: str, font_scale: float, overlay: bool, plotly_src: str) -> bytes:
    """The stage's race message (race key; ``ids``: its own, the surface's, the grid's
    and the ladders' message ids). With ``overlay``, the map carries what is inside the
    optimizers at ``frame``."""
    result = cached_result(key)
    extra = None
    if overlay:
        steps_at = frame_steps(result.steps, view == "3d")
        at = int(steps_at[min(max(frame, 0), len(steps_at) - 1)])
        extra = overlay_layout(cached_inside(key), result.surface.domain, at, font_scale)
    own, surface_id, grid_id, ladders_id = ids
    return race_message(result, scrubs(setup_of(key)), key=own, surface_key=surface_id,
                        grid_key=grid_id, ladders_key=ladders_id, frame=frame, view=view,
                        curve=curve, font_scale=font_scale, overlay=extra,
                        plotly_src=plotly_src)


@st.cache_resource(max_entries=16, show_spinner=False)
def cached_figure(key: str, frame: int, view: str, curve: str, font_scale: float) -> dict:
    """The race as one self-contained plotly figure (the HTML export); read-only."""
    return race_figure(cached_result(key), frame=frame, view=view, curve=curve,
                       font_scale=font_scale)


@st.cache_data(max_entries=64, show_spinner="Running the study (one batched JAX call)…")
def cached_study(computation: str, key: str) -> Study:
    """``run_study`` of the setup whose cache key is ``key``."""
    return run_study(setup_of(key), computation)


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_study_figure(mode: str, computation: str, key: str, figure_key: str,
                        theme: str) -> dict:
    """A study's figure dict drawn for ``theme``; shared read-only (st.plotly_chart does
    not mutate it)."""
    return themed(study_figure(setup_of(figure_key), mode, cached_study(computation, key)),
                  theme)


@st.cache_data(max_entries=32, show_spinner="Training the MLP and slicing its loss…")
def cached_mlp(key: str) -> MlpResult:
    """The MLP mode's training and plane (mlp key)."""
    return compute_mlp(setup_of(key))


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_mlp_figure(key: str, theme: str) -> dict:
    """The MLP figure dict drawn for ``theme``; shared read-only."""
    return themed(mlp_figure(cached_mlp(key)), theme)
