"""The studies (compute/studies.py): each is the batched engine call it stands for, with
the defaults it promises."""

from __future__ import annotations

import numpy as np

from optimizers.sweeps import DIVERGED, NOT_CONVERGED, basin_map
from tests.helpers import STUDY_SCENES, study_of
from views.studies import study_figure


def test_basin_maps_panel_equals_a_single_basin_map():
    scene = STUDY_SCENES["basins"]
    maps = study_of(scene).basins
    one = basin_map(scene.setup.landscape(), "sgd", {"learning_rate": float(maps.lrs[1])},
                    scene.setup.basins_n, scene.setup.steps)
    assert (maps.labels[1] == one.labels).mean() > 0.99  # float32: a boundary start may flip
    assert set(np.unique(one.labels).tolist()) <= {*range(4), NOT_CONVERGED, DIVERGED}


def test_seed_cloud_without_noise_uses_the_default_sigma():
    scene = STUDY_SCENES["seeds_without_noise"]
    study = study_of(scene)
    assert study.noise == 0.5
    count = scene.setup.seeds_count
    assert len({p.tobytes() for p in study.paths.path}) == count
    fig = study_figure(scene.setup, scene.display.mode, study)
    assert "σ = 0.5" in fig["layout"]["title"]["text"]
