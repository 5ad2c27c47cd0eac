"""Cache keys: each computation's key is its setup with everything it does not depend on
reset to the defaults, written as a canonical link.

What a computation depends on is read from the table of settings (each row's
``affects``, scene/settings.py), plus two facts about the studies: they run the first
racer alone, and they set some of its hyperparameters themselves (``studies.swept``);
and one about labels: only the race and the MLP name their runs with them.
So a hundred students opening one link share one entry, and moving a slider that a
computation ignores (the frame, the view, another study's setting) keeps its entry.
"""

from __future__ import annotations

import functools
from dataclasses import fields, replace

from compute.studies import swept
from optimizers import OPTIMIZERS
from scene import Racer, Scene, Setup, from_query_string, pairs, query_string
from scene.settings import COMPUTATIONS, MLP, RACE, STUDIES, affecting

_DEFAULT = Setup()
#: The computations whose results carry the racers' labels (their runs' names).
_NAMES_ITS_RUNS = frozenset({RACE, MLP})


def project(setup: Setup, computation: str) -> Setup:
    """``setup`` with every field ``computation`` does not depend on reset."""
    if computation not in COMPUTATIONS:
        raise ValueError(f"unknown computation {computation!r}")
    keep = affecting(computation)
    values = {f.name: getattr(setup if f.name in keep else _DEFAULT, f.name)
              for f in fields(Setup)}
    if "start" not in keep:
        values["start"] = None  # the surface's own default start
    if computation not in _NAMES_ITS_RUNS:  # a label changes no number
        values["racers"] = tuple(replace(r, label="") for r in values["racers"])
    if computation in STUDIES:
        racer = setup.study
        spec = OPTIMIZERS[racer.slug]
        own = racer.values
        own.update({name: spec.hparams[name].default for name in swept(computation, setup)})
        values["racers"] = (Racer(racer.slug, pairs(own)),)
    return Setup(**values)


@functools.lru_cache(maxsize=1024)
def cache_key(setup: Setup, computation: str) -> str:
    """The canonical link of ``project(setup, computation)``. Memoised: a page run asks
    for the same few keys several times, and a lecture's sessions for the same ones
    (a Setup is frozen and hashable; a key is a short string)."""
    return query_string(Scene(project(setup, computation)))


def setup_of(key: str) -> Setup:
    """The setup a cache key stands for."""
    return from_query_string(key).setup


def study_figure_key(setup: Setup) -> str:
    """The key of what a study's figure shows besides the study itself: ``setup`` with
    its first racer as it is set (the figure marks its own values)."""
    return query_string(Scene(replace(setup, racers=setup.racers[:1])))
