"""The URL codec (scene/codec.py, schema v=2; v=1 read): round trips, the documented
keys, a golden v=1 link that must keep its meaning forever, racers as instances (one
optimizer raced several times, labels), and links to formula and network surfaces.
Pure and fast: no JAX runs. (Hostile values, each setting's fallback and warning, are
tests/scene/test_settings.py's.)"""

from __future__ import annotations

from urllib.parse import parse_qs

from hypothesis import HealthCheck, given, settings

import landscapes
from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS, SCHEDULE_PARAMS
from scene import (
    MAX_OPTIMIZERS,
    Racer,
    Scene,
    from_query,
    from_state,
    query_string,
    to_query,
    to_state,
)
from tests.helpers import racer_lists, scenes


def decode(query):
    return from_query(query)


def decode_url(text: str):
    return from_query(parse_qs(text, keep_blank_values=True))


# -- round trips -------------------------------------------------------------------


def test_default_scene_round_trips():
    scene = Scene()
    back, warnings = decode(to_query(scene))
    assert warnings == []
    assert back == scene
    assert hash(back) == hash(scene)


def test_default_scene_round_trips_through_the_url_string():
    scene = Scene()
    back, warnings = decode_url(query_string(scene))
    assert warnings == []
    assert back == scene


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_random_scenes_round_trip_exactly(scene):
    back, warnings = decode(to_query(scene))
    assert warnings == []
    assert back == scene
    assert hash(back) == hash(scene)
    via_url, warnings = decode_url(query_string(scene))
    assert warnings == []
    assert via_url == scene
    assert via_url.setup.slugs == scene.setup.slugs  # order is kept
    assert via_url.setup.labels == scene.setup.labels


@settings(max_examples=150, deadline=None)
@given(racer_lists())
def test_random_races_round_trip_with_their_labels(racers):
    """Up to eight racers, duplicates, labels in any script: the link keeps them all, and
    every shown label is unique."""
    scene = Scene.of(racers=racers)
    back, warnings = decode_url(query_string(scene))
    assert warnings == []
    assert back == scene
    assert back.setup.labels == scene.setup.labels
    assert len(set(back.setup.labels)) == len(racers)
    assert to_state(back) == to_state(scene) and from_state(to_state(back)) == back


def test_tune_settings_round_trip_and_are_written_only_while_on():
    """A link with `tune` reproduces its tuning; without it (every link written before
    tuning existed) the race runs at its own rates; the tolerance travels with `reach`
    alone, the one tuning it changes."""
    assert "tune" not in to_query(Scene()) and "tune.tol" not in to_query(Scene())
    for scene in (Scene.of(tune="final"), Scene.of(tune="reach", tune_tol=2e-5),
                  Scene.of(tune="reach", surface="himmelblau", steps=90)):
        query = to_query(scene)
        assert query["tune"] == scene.setup.tune
        assert ("tune.tol" in query) == (scene.setup.tune == "reach")
        assert decode(query) == (scene, [])
        assert decode_url(query_string(scene)) == (scene, [])
    assert to_query(Scene.of(tune="reach", tune_tol=2e-5))["tune.tol"] == "2e-05"
    # a tolerance means nothing under `final`: the Setup holds one value (one cache entry)
    assert Scene.of(tune="final", tune_tol=0.5) == Scene.of(tune="final")


def test_every_documented_key_is_emitted():
    scene = Scene.of(surface="quadratic",
                  racers=(Racer.default("sgd"), Racer.default("adam")), clip_norm=2.0)
    query = to_query(scene)
    documented = {"v", "surface", "racers", "start", "steps", "seed", "schedule", "clip",
                  "noise", "frame", "view", "curve", "quadratic.kappa", "quadratic.theta",
                  "r1.learning_rate", "r2.learning_rate", "r2.b1", "r2.b2", "r2.eps"}
    documented |= {f"schedule.{name}" for name in SCHEDULE_PARAMS}
    assert documented <= set(query)
    assert "opt" not in query and not any(k.startswith(("sgd.", "adam.")) for k in query)
    assert not any(k.endswith(".label") for k in query)  # default labels are not written
    assert query["v"] == "2"
    assert query["racers"] == "sgd,adam"
    assert query["clip"] == "2"
    assert query["quadratic.kappa"] == "10"
    assert query["start"] == "-1.8,1.2"
    assert to_query(Scene())["clip"] == "off"


def test_every_hyperparameter_of_every_racer_is_emitted():
    scene = Scene.of(racers=tuple(Racer.default(s) for s in list(OPTIMIZERS)[:MAX_OPTIMIZERS]))
    query = to_query(scene)
    for i, racer in enumerate(scene.setup.racers):
        for name in OPTIMIZERS[racer.slug].hparams:
            assert f"r{i + 1}.{name}" in query


# -- racers as instances (v=2) -------------------------------------------------------


def test_an_optimizer_races_twice_with_its_own_settings_and_labels():
    scene, warnings = decode_url("v=2&racers=adam,adam,sgd&r1.b1=0&r3.learning_rate=0.01"
                                 "&r2.label=Adam%20fast")
    assert warnings == []
    assert scene.setup.slugs == ("adam", "adam", "sgd")
    assert scene.setup.racers[0].values["b1"] == 0.0
    assert scene.setup.racers[1].values["b1"] == 0.9
    assert scene.setup.racers[2].values == {"learning_rate": 0.01}
    assert scene.setup.labels == ("Adam (β₁=0)", "Adam fast", "SGD")
    query = to_query(scene)
    assert query["racers"] == "adam,adam,sgd" and query["r2.label"] == "Adam fast"
    assert "r1.label" not in query and "r3.label" not in query


def test_derived_labels_name_what_differs_and_number_twins():
    twins = Scene.of(racers=(Racer.default("adam"), Racer.default("adam"))).setup
    assert twins.labels == ("Adam #1", "Adam #2")
    lrs = [Racer("sgd", (("learning_rate", lr),)) for lr in (0.1, 0.01, 0.001)]
    assert Scene.of(racers=(*lrs, Racer.default("adam"))).setup.labels == (
        "SGD (η=0.1)", "SGD (η=0.01)", "SGD (η=0.001)", "Adam")
    two = Racer("adam", (("b1", 0.0), ("b2", 0.99), ("eps", 1e-08), ("learning_rate", 0.1)))
    assert Scene.of(racers=(Racer.default("adam"), two)).setup.labels == (
        "Adam (β₁=0.9, β₂=0.999)", "Adam (β₁=0, β₂=0.99)")


def test_a_label_equal_to_the_derived_one_is_not_stored():
    racers = (Racer.default("adam"), Racer(Racer.default("sgd").slug,
                                           Racer.default("sgd").hparams, "SGD"))
    scene = Scene.of(racers=racers)
    assert scene.setup.racers[1].label == ""
    assert scene == Scene.of(racers=(Racer.default("adam"), Racer.default("sgd")))


def test_markup_in_a_label_is_kept_as_text():
    label = "<b>x</b> [a](http://e) $y$ %{x}"
    scene, warnings = decode({"racers": "adam", "r1.label": label})
    assert warnings == [] and scene.setup.labels == (label,)
    assert decode_url(query_string(scene)) == (scene, [])


#: A link written by version 1 of the app. It must decode to this scene forever.
GOLDEN_V1 = (
    "v=1&surface=quadratic&quadratic.kappa=50&quadratic.theta=30&opt=adam,sgd,momentum"
    "&adam.b1=0.8&adam.b2=0.99&adam.eps=1e-06&adam.learning_rate=0.02"
    "&sgd.learning_rate=0.01&momentum.learning_rate=0.005&momentum.momentum=0.95"
    "&start=-1.5,1&steps=300&seed=7&schedule=warmup_cosine&schedule.alpha=0.1"
    "&schedule.decay_rate=0.5&schedule.transition_steps=100&schedule.warmup_steps=20"
    "&clip=5&noise=0.25&frame=12&view=3d&curve=distance"
)


def test_golden_v1_link_keeps_its_meaning():
    scene, warnings = decode_url(GOLDEN_V1)
    assert warnings == []
    assert scene.setup.surface == "quadratic"
    assert dict(scene.setup.surface_params) == {"kappa": 50.0, "theta": 30.0}
    assert scene.setup.formula == ""
    assert scene.setup.slugs == ("adam", "sgd", "momentum")
    assert scene.setup.racers[0].values == {"b1": 0.8, "b2": 0.99, "eps": 1e-06,
                                      "learning_rate": 0.02}
    assert scene.setup.racers[1].values == {"learning_rate": 0.01}
    assert scene.setup.racers[2].values == {"learning_rate": 0.005, "momentum": 0.95}
    assert scene.setup.start == (-1.5, 1.0)
    assert scene.setup.steps == 300
    assert scene.setup.seed == 7
    assert scene.setup.schedule == "warmup_cosine"
    assert dict(scene.setup.schedule_params) == {"alpha": 0.1, "decay_rate": 0.5,
                                           "transition_steps": 100.0, "warmup_steps": 20.0}
    assert scene.setup.clip_norm == 5.0
    assert scene.setup.noise == 0.25
    assert scene.display.frame == 12
    assert scene.display.view == "3d"
    assert scene.display.curve == "distance"
    # and what this version writes for that scene (v=2) is the same scene
    assert to_query(scene)["v"] == "2"
    assert decode(to_query(scene)) == (scene, [])


def test_missing_keys_take_defaults_and_short_links_work():
    assert decode({}) == (Scene(), [])
    scene, warnings = decode({"surface": "himmelblau", "opt": "adam"})
    assert warnings == []
    assert scene == Scene.of(surface="himmelblau", racers=(Racer.default("adam"),))
    assert scene.setup.start == LANDSCAPES["himmelblau"].start


def test_hyperparameter_of_a_default_racer_is_read_without_opt():
    """`?sgd.learning_rate=0.1` tunes the default race's SGD (it was silently dropped)."""
    scene, warnings = decode({"sgd.learning_rate": "0.1"})
    assert warnings == []
    assert scene.setup.slugs == Scene().setup.slugs
    assert scene.setup.racers[0].values == {"learning_rate": 0.1}


def test_decoding_never_raises_on_odd_mappings():
    for query in ({"opt": []}, {"steps": ()}, {"start": ["", ""]}, {"": ""},
                  {"v": "1", "surface": "formula"}, {"frame": str(10**7)}):
        scene, warnings = decode(query)
        assert isinstance(scene, Scene)
        assert all(isinstance(w, str) for w in warnings)


# -- formula surfaces ------------------------------------------------------------------


def test_formula_link_keeps_its_plus_sign():
    assert hasattr(landscapes, "from_formula")
    scene, warnings = decode_url("v=1&surface=formula&formula=x**2%2By**2")
    assert warnings == []
    assert scene.setup.surface == "formula"
    assert scene.setup.formula == "x**2+y**2"
    assert scene.setup.surface_params == ()
    assert scene.setup.start == landscapes.from_formula("x**2+y**2").start


def test_formula_scene_round_trips():
    scene = Scene.of(surface="formula", formula="sin(x)*cos(y) + 0.1*(x^2 + y^2)",
                  racers=(Racer.default("adam"),), steps=50)
    query = to_query(scene)
    assert query["formula"] == scene.setup.formula
    encoded = query_string(scene).split("formula=")[1].split("&")[0]
    assert "%2B" in encoded  # '+' is escaped; a bare '+' would decode as a space
    assert decode(query) == (scene, [])
    assert decode_url(query_string(scene)) == (scene, [])


# -- network surfaces and the MLP plane ----------------------------------------------


def test_network_parameters_and_the_plane_travel_in_the_url():
    scene = Scene.of(surface="tanh_unit", surface_params=(("batch_size", 8.0), ("seed", 5.0)),
                     mode="mlp", mlp_plane="random")
    query = to_query(scene)
    assert query["tanh_unit.seed"] == "5" and query["tanh_unit.batch_size"] == "8"
    assert query["mode"] == "mlp" and query["mlp.plane"] == "random"
    back, warnings = from_query(query)
    assert back == scene and not warnings
    bad, warnings = from_query({"surface": "tanh_unit", "tanh_unit.batch_size": "65",
                                      "tanh_unit.seed": "2.5", "mlp.plane": "sideways"})
    assert dict(bad.setup.surface_params) == {"batch_size": 64.0, "seed": 0.0}
    assert bad.setup.mlp_plane == "pca"
    assert len(warnings) == 3
    for key in ("tanh_unit.batch_size", "tanh_unit.seed", "mlp.plane"):
        assert sum(f"`{key}`" in w for w in warnings) == 1
