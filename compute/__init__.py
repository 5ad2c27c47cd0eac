"""The only stage that runs computations: Setup -> numpy results, through the engine.

- ``race``: every racer from one start (``compute_race`` -> ``Result``);
- ``inside``: what each racer's optimizer saw and kept, and the curvature (``Insides``);
- ``studies``: the first racer's learning-rate, stability, basin and seed studies;
- ``mlp``: the racers training an MLP, seen on a plane (``MlpResult``);
- ``surface``: a landscape on a grid; ``frames``: the steps the animation frames show;
- ``tuning``: fair races, each racer's learning rate chosen by a sweep (``Tuning``);
- ``keys``: each computation's cache key, derived from the table of settings.

Everything returned is numpy: cheap to cache, share and pickle. Views draw it; nothing
here knows about figures or Streamlit.
"""

from compute.frames import MAX_FRAMES, MAX_FRAMES_3D, frame_steps
from compute.inside import Insides, RunInside, compute_inside
from compute.keys import cache_key, project, setup_of
from compute.mlp import MlpResult, MlpRun, compute_mlp
from compute.race import Result, Run, compute_race, run_options
from compute.studies import Study, run_study, study_computation
from compute.surface import GRID, Surface, surface
from compute.tuning import Sweep, Tuning, tune, tuned_setup

__all__ = [
    "GRID", "MAX_FRAMES", "MAX_FRAMES_3D", "Insides", "MlpResult", "MlpRun", "Result", "Run",
    "RunInside", "Study", "Surface", "Sweep", "Tuning", "cache_key", "compute_inside",
    "compute_mlp", "compute_race", "frame_steps", "project", "run_options", "run_study", "setup_of",
    "study_computation", "surface", "tune", "tuned_setup",
]
