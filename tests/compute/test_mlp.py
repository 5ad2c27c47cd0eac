"""The MLP's training seen on a plane (compute/mlp.py)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import mlp_result


@pytest.mark.slow  # trains the MLP twice (tests.helpers.mlp_result)
def test_pca_plane_holds_the_paths_better_than_a_random_one():
    pca, rnd = mlp_result("pca"), mlp_result("random")
    assert sum(pca.explained) > 0.5
    for a, b in zip(pca.runs, rnd.runs, strict=True):
        np.testing.assert_array_equal(a.loss, b.loss)  # same training, another plane
        assert a.off_plane.mean() <= b.off_plane.mean() + 1e-6
