"""Cache keys (compute/keys.py): a computation's key holds only the settings it depends
on, so views that share a computation share one cache entry."""

from __future__ import annotations

from compute import cache_key, study_computation
from scene import Racer, Scene
from tests.helpers import STUDY_SCENES


def study_key(scene: Scene) -> tuple[str, str]:
    """The computation a scene's study needs, and its cache key."""
    computation = study_computation(scene.display.mode, scene.setup)
    return computation, cache_key(scene.setup, computation)


def test_study_keys_keep_only_what_the_study_depends_on():
    fan = STUDY_SCENES["lr_fan"]
    key = study_key(fan)
    # the LR animation shares the fan's computation; other racers, the view settings and
    # other studies' settings don't matter; the racer's own learning rate is swept over
    assert study_key(fan.replace(mode="lr_frames")) == key
    assert study_key(fan.replace(racers=fan.setup.racers[:1], frame=9, view="3d")) == key
    assert study_key(fan.replace(basins_n=50, seeds_count=7)) == key
    other_lr = Racer("momentum", (("learning_rate", 0.3), ("momentum", 0.9)))
    assert study_key(fan.replace(racers=(other_lr,))) == key
    assert study_key(fan.replace(sweep_count=9)) != key
    assert study_key(fan.replace(racers=(Racer("momentum", (("learning_rate", 0.05),
                                                             ("momentum", 0.5))),))) != key
    heat = STUDY_SCENES["heatmap"]
    assert study_key(heat.replace(sweep_count=30)) == study_key(heat)
    assert study_key(heat.replace(racers=(other_lr,))) == study_key(heat)
    basins = STUDY_SCENES["basins"]
    assert study_key(basins.with_start(1.0, 1.0)) == study_key(basins)


def test_a_label_keys_only_the_computations_that_name_their_runs():
    twins = (Racer.default("adam"), Racer.default("adam"))
    plain = Scene.of(racers=twins).setup
    named = Scene.of(racers=(Racer("adam", twins[0].hparams, "fast"), twins[1])).setup
    assert named.labels == ("fast", "Adam #2") and plain.labels == ("Adam #1", "Adam #2")
    for computation in ("race", "mlp"):  # their runs carry the labels as names
        assert cache_key(plain, computation) != cache_key(named, computation)
    for computation in ("drag", "surface", "lr_fan", "lr_curve", "heatmap", "basins",
                        "seeds"):
        assert cache_key(plain, computation) == cache_key(named, computation), computation
