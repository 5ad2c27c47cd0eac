"""The Scene itself (scene/model.py): frozen, canonical, and hashed by value."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings

from landscapes import LANDSCAPES
from optimizers import SCHEDULE_PARAMS
from scene import Scene
from tests.helpers import scenes


def test_scene_is_frozen_and_canonical():
    scene = Scene()
    with pytest.raises(AttributeError):
        scene.setup.steps = 3  # type: ignore[misc]
    # start=None is filled with the landscape's default start, schedule params with defaults
    assert scene.setup.start == LANDSCAPES[scene.setup.surface].start
    assert dict(scene.setup.schedule_params) == {k: v.default for k, v in SCHEDULE_PARAMS.items()}
    assert Scene.of(surface="himmelblau") == Scene.of(surface="himmelblau",
                                               start=LANDSCAPES["himmelblau"].start)


@settings(max_examples=50, deadline=None)
@given(scenes())
def test_equal_scenes_hash_equal(scene):
    twin = replace(scene)
    assert twin == scene and twin is not scene
    assert hash(twin) == hash(scene)
    assert len({scene, twin}) == 1


