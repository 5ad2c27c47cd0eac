"""The Scene and its URL codec (schema v=1): round trips, the documented keys, hostile
links, and a golden link that must keep its meaning forever. Pure and fast: no JAX runs."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from urllib.parse import parse_qs

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import landscapes
from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS, SCHEDULE_PARAMS, SCHEDULES
from scene import (
    BASINS_N,
    CLIP,
    CURVES,
    MAX_OPTIMIZERS,
    MAX_SEED,
    MAX_VALUE_LENGTH,
    MODES,
    NOISE,
    SEEDS_COUNT,
    STEPS,
    SWEEP_COUNT,
    SWEEP_LR_HIGH,
    SWEEP_LR_LOW,
    VIEWS,
    Racer,
    Scene,
    from_query,
    query_string,
    second_params,
    to_query,
)

SCRIPT = "<script>alert(1)</script>"
LINK = "[click me](https://evil.example/login)"
IMAGE = "![x](https://evil.example/pixel.png)"
UNICODE = "λ∇ü😀\u202e"
HUGE = "9" * 5000


def decode(query):
    return from_query(query)


def decode_url(text: str):
    return from_query(parse_qs(text, keep_blank_values=True))


def outside_code(warning: str) -> str:
    """The warning's text outside Markdown code spans (what st.warning would interpret)."""
    return re.sub(r"`[^`]*`", "", warning)


def assert_safe(warning: str) -> None:
    """An echoed value can't inject Markdown/HTML: it's quoted in a code span, truncated,
    printable ASCII."""
    assert warning.count("`") % 2 == 0, warning
    rest = outside_code(warning).lower()
    for token in ("<", ">", "script", "](", "http", "evil", "$"):
        assert token not in rest, (token, warning)
    for span in re.findall(r"`([^`]*)`", warning):
        assert len(span) <= 40, warning
        assert all((c.isascii() and c.isprintable()) or c == "…" for c in span), warning
    assert len(warning) < 400, warning


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


def test_scene_is_frozen_and_canonical():
    scene = Scene()
    with pytest.raises(AttributeError):
        scene.setup.steps = 3  # type: ignore[misc]
    # start=None is filled with the landscape's default start, schedule params with defaults
    assert scene.setup.start == LANDSCAPES[scene.setup.surface].start
    assert dict(scene.setup.schedule_params) == {k: v.default for k, v in SCHEDULE_PARAMS.items()}
    assert Scene.of(surface="himmelblau") == Scene.of(surface="himmelblau",
                                               start=LANDSCAPES["himmelblau"].start)


def _value(draw, spec):
    if spec.integer:
        return float(draw(st.integers(int(spec.low), int(spec.high))))
    return draw(st.floats(spec.low, spec.high, allow_nan=False, allow_infinity=False))


@st.composite
def scenes(draw) -> Scene:
    surface = draw(st.sampled_from(sorted(LANDSCAPES)))
    ls = LANDSCAPES[surface]
    surface_params = tuple((name, _value(draw, spec)) for name, spec in ls.params.items())
    slugs = draw(st.lists(st.sampled_from(sorted(OPTIMIZERS)), min_size=1,
                          max_size=MAX_OPTIMIZERS, unique=True))
    racers = tuple(
        Racer(slug, tuple(sorted((name, _value(draw, spec))
                                 for name, spec in OPTIMIZERS[slug].hparams.items())))
        for slug in slugs)
    (x0, x1), (y0, y1) = ls.domain
    start = (draw(st.floats(x0, x1)), draw(st.floats(y0, y1)))
    schedule_params = tuple((name, _value(draw, spec)) for name, spec in SCHEDULE_PARAMS.items())
    clip = draw(st.none() | st.floats(CLIP.low, CLIP.high))
    lr_low = draw(st.floats(SWEEP_LR_LOW.low, SWEEP_LR_HIGH.high, exclude_max=True))
    lr_high = draw(st.floats(lr_low, SWEEP_LR_HIGH.high, exclude_min=True))
    seconds = second_params(slugs[0])
    return Scene.of(
        surface=surface, surface_params=surface_params, racers=racers, start=start,
        steps=draw(st.integers(int(STEPS.low), int(STEPS.high))),
        seed=draw(st.integers(0, MAX_SEED)), schedule=draw(st.sampled_from(SCHEDULES)),
        schedule_params=schedule_params, clip_norm=clip,
        noise=draw(st.floats(NOISE.low, NOISE.high)),
        frame=draw(st.integers(0, 149)), view=draw(st.sampled_from(VIEWS)),
        curve=draw(st.sampled_from(CURVES)), mode=draw(st.sampled_from(MODES)),
        lr_low=lr_low, lr_high=lr_high, sweep_count=int(_value(draw, SWEEP_COUNT)),
        sweep_param=draw(st.sampled_from(seconds)) if seconds else "",
        basins_n=int(_value(draw, BASINS_N)), seeds_count=int(_value(draw, SEEDS_COUNT)),
    )


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


@settings(max_examples=50, deadline=None)
@given(scenes())
def test_equal_scenes_hash_equal(scene):
    twin = replace(scene)
    assert twin == scene and twin is not scene
    assert hash(twin) == hash(scene)
    assert len({scene, twin}) == 1


def test_every_documented_key_is_emitted():
    scene = Scene.of(surface="quadratic",
                  racers=(Racer.default("sgd"), Racer.default("adam")), clip_norm=2.0)
    query = to_query(scene)
    documented = {"v", "surface", "opt", "start", "steps", "seed", "schedule", "clip",
                  "noise", "frame", "view", "curve", "quadratic.kappa", "quadratic.theta",
                  "sgd.learning_rate", "adam.learning_rate", "adam.b1", "adam.b2",
                  "adam.eps"}
    documented |= {f"schedule.{name}" for name in SCHEDULE_PARAMS}
    assert documented <= set(query)
    assert query["v"] == "1"
    assert query["opt"] == "sgd,adam"
    assert query["clip"] == "2"
    assert query["quadratic.kappa"] == "10"
    assert query["start"] == "-1.8,1.2"
    assert to_query(Scene())["clip"] == "off"


def test_every_hyperparameter_of_every_racer_is_emitted():
    scene = Scene.of(racers=tuple(Racer.default(s) for s in list(OPTIMIZERS)[:MAX_OPTIMIZERS]))
    query = to_query(scene)
    for racer in scene.setup.racers:
        for name in OPTIMIZERS[racer.slug].hparams:
            assert f"{racer.slug}.{name}" in query


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
    # and it is still what this version writes for that scene
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


# -- hostile links -------------------------------------------------------------------

KNOWN = list(OPTIMIZERS)[:10]
MANY = [KNOWN[i % 10] if i < 30 else ("sgd" if i % 2 else f"u{i % 7}") for i in range(100)]
MANY_OPT = ",".join(MANY)
assert len(MANY_OPT) < MAX_VALUE_LENGTH


def _racers(*slugs):
    return tuple(Racer.default(s) for s in slugs)


QUAD = Scene.of(surface="quadratic")
D = Scene()
#: (id, the key the one warning must name, the hostile query values)
HOSTILE = [
    ("steps-nan", "steps", {"steps": "nan"}),
    ("steps-inf", "steps", {"steps": "inf"}),
    ("steps-minus-inf", "steps", {"steps": "-inf"}),
    ("steps-1e309", "steps", {"steps": "1e309"}),
    ("steps-negative", "steps", {"steps": "-5"}),
    ("steps-huge", "steps", {"steps": str(10**9)}),
    ("steps-abc", "steps", {"steps": "abc"}),
    ("steps-empty", "steps", {"steps": ""}),
    ("steps-fraction", "steps", {"steps": "12.5"}),
    ("steps-5kb", "steps", {"steps": HUGE}),
    ("steps-repeated-bad-first", "steps", {"steps": ["abc", "300"]}),
    ("seed-negative", "seed", {"seed": "-1"}),
    ("seed-too-big", "seed", {"seed": str(MAX_SEED + 1)}),
    ("noise-nan", "noise", {"noise": "nan"}),
    ("noise-minus-inf", "noise", {"noise": "-inf"}),
    ("clip-abc", "clip", {"clip": "abc"}),
    ("clip-zero", "clip", {"clip": "0"}),
    ("lr-zero", "adam.learning_rate", {"adam.learning_rate": "0"}),
    ("lr-1e309", "adam.learning_rate", {"adam.learning_rate": "1e309"}),
    ("momentum-too-big", "momentum.momentum", {"momentum.momentum": "1.5"}),
    ("lr-script", "sgd.learning_rate", {"sgd.learning_rate": SCRIPT}),
    ("surface-unknown", "surface", {"surface": "nope"}),
    ("surface-empty", "surface", {"surface": ""}),
    ("surface-script", "surface", {"surface": SCRIPT}),
    ("surface-markdown-link", "surface", {"surface": LINK}),
    ("surface-unicode", "surface", {"surface": UNICODE}),
    ("opt-unknown", "opt", {"opt": "nope"}),
    ("opt-empty", "opt", {"opt": ""}),
    ("opt-unknown-repeated", "opt", {"opt": "zzz,zzz,zzz,,zzz"}),
    ("opt-script", "opt", {"opt": f"sgd,{SCRIPT},momentum,adam"}),
    ("view-script", "view", {"view": SCRIPT}),
    ("view-5kb", "view", {"view": "x" * 5000}),
    ("curve-unicode", "curve", {"curve": UNICODE}),
    ("schedule-unknown", "schedule", {"schedule": "abc"}),
    ("schedule-param-nan", "schedule.decay_rate", {"schedule.decay_rate": "nan"}),
    ("frame-negative", "frame", {"frame": "-1"}),
    ("start-one-number", "start", {"start": "1"}),
    ("start-three-numbers", "start", {"start": "1,2,3"}),
    ("start-nan", "start", {"start": "nan,nan"}),
    ("start-inf", "start", {"start": "0,1e309"}),
    ("start-outside-domain", "start", {"start": "9,9"}),
    ("start-abc", "start", {"start": "abc,def"}),
    ("start-5kb", "start", {"start": "1," + HUGE}),
    ("start-image", "start", {"start": IMAGE}),
    ("unknown-key", "foo", {"foo": "1"}),
    ("unknown-key-empty-value", "bar", {"bar": ""}),
    ("unknown-key-script", SCRIPT, {SCRIPT: "1"}),
    ("unknown-key-image", IMAGE, {IMAGE: "1"}),
    ("unknown-key-unicode", UNICODE, {UNICODE: "x"}),
    ("unknown-key-5kb", "k" * 5000, {"k" * 5000: "1"}),
    ("hparam-not-raced", "lion.learning_rate", {"lion.learning_rate": "0.1"}),
    ("formula-without-surface", "formula", {"formula": "x**2"}),
    ("mode-unknown", "mode", {"mode": "nope"}),
    ("mode-script", "mode", {"mode": SCRIPT}),
    ("sweep-lr-low-zero", "sweep.lr_low", {"sweep.lr_low": "0"}),
    ("sweep-lr-low-nan", "sweep.lr_low", {"sweep.lr_low": "nan"}),
    ("sweep-lr-high-abc", "sweep.lr_high", {"sweep.lr_high": "abc"}),
    ("sweep-lr-high-1e309", "sweep.lr_high", {"sweep.lr_high": "1e309"}),
    ("sweep-lr-high-below-low", "sweep.lr_high", {"sweep.lr_high": "1e-05"}),
    ("sweep-lr-low-above-high", "sweep.lr_low", {"sweep.lr_low": "5"}),
    ("sweep-count-one", "sweep.count", {"sweep.count": "1"}),
    ("sweep-count-fraction", "sweep.count", {"sweep.count": "2.5"}),
    ("sweep-count-huge", "sweep.count", {"sweep.count": "100000"}),
    ("sweep-param-of-sgd", "sweep.param", {"sweep.param": "momentum"}),
    ("sweep-param-script", "sweep.param", {"sweep.param": SCRIPT}),
    ("basins-n-too-big", "basins.n", {"basins.n": "201"}),
    ("basins-n-negative", "basins.n", {"basins.n": "-3"}),
    ("seeds-count-too-big", "seeds.count", {"seeds.count": "129"}),
    ("seeds-count-inf", "seeds.count", {"seeds.count": "inf"}),
]
HOSTILE_QUAD = [
    ("surface-param-too-small", "quadratic.kappa", {"quadratic.kappa": "0.5"}),
    ("surface-param-abc", "quadratic.kappa", {"quadratic.kappa": "abc"}),
    ("surface-param-inf", "quadratic.theta", {"quadratic.theta": "inf"}),
]


def _echo(key: str) -> str:
    """How a warning names ``key``: in a code span, cleaned, at most 40 characters."""
    safe = "".join(c if c.isascii() and c.isprintable() else "?" for c in key)
    return f"`{safe}`" if len(safe) <= 40 else f"`{safe[:39]}…`"


def _check_hostile(base: Scene, key: str, overrides: dict) -> Scene:
    query = {**to_query(base), **overrides}
    scene, warnings = decode(query)  # never raises
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(_echo(key)), warnings
    assert_safe(warnings[0])
    return scene


@pytest.mark.parametrize(("key", "overrides"), [c[1:] for c in HOSTILE],
                         ids=[c[0] for c in HOSTILE])
def test_hostile_value_gives_one_warning_and_the_default(key, overrides):
    # the default stands in for the bad value (an unknown optimizer is skipped)
    assert _check_hostile(D, key, overrides) == D


@pytest.mark.parametrize(("key", "overrides"), [c[1:] for c in HOSTILE_QUAD],
                         ids=[c[0] for c in HOSTILE_QUAD])
def test_hostile_surface_parameter_falls_back_to_its_default(key, overrides):
    assert _check_hostile(QUAD, key, overrides) == QUAD


def test_hostile_values_without_a_base_link():
    for _, _key, overrides in HOSTILE:
        scene, warnings = decode(overrides)
        assert len(warnings) == 1, (overrides, warnings)
        assert_safe(warnings[0])
        assert scene == D


def test_opt_with_a_hundred_entries():
    scene = _check_hostile(D, "opt", {"opt": MANY_OPT})
    assert scene.setup.slugs == tuple(KNOWN[:MAX_OPTIMIZERS])
    assert scene.setup.racers == _racers(*KNOWN[:MAX_OPTIMIZERS])


def test_repeated_key_uses_the_first_value_with_one_warning():
    scene = _check_hostile(D, "steps", {"steps": ["300", "400"]})
    assert scene == D.replace(steps=300)
    scene, warnings = decode({"opt": ["adam", "sgd"]})
    assert len(warnings) == 1 and warnings[0].startswith("`opt`")
    assert scene.setup.slugs == ("adam",)


def test_newer_version_warns_but_still_decodes():
    target = D.replace(steps=321)
    scene = _check_hostile(D, "v", {"v": "2", "steps": "321"})
    assert scene == target
    assert "2" in decode({"v": "2"})[1][0]


def test_clip_warning_names_the_real_default():
    _, warnings = decode({"clip": "abc"})
    assert "nan" not in warnings[0]
    assert "off" in warnings[0]


def test_warnings_name_each_bad_key_once():
    query = {**to_query(D), "steps": "nan", "seed": "abc", "surface": "nope", "foo": "1",
             "view": SCRIPT, "lion.b1": "0.5"}
    scene, warnings = decode(query)
    assert scene == D
    named = sorted(w.split("`")[1] for w in warnings)
    assert named == sorted(["steps", "seed", "surface", "foo", "view", "lion.b1"])
    for w in warnings:
        assert_safe(w)


def test_script_and_markdown_are_echoed_inert():
    for value in (SCRIPT, LINK, IMAGE, "`x` [a](b) $e^x$", "a\nb\tc\x00"):
        _, warnings = decode({"surface": value})
        assert len(warnings) == 1
        assert_safe(warnings[0])
        assert "\n" not in warnings[0] and "\x00" not in warnings[0]
    long = decode({"surface": "A" * 500})[1][0]
    assert "A" * 40 not in long and "…" in long


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
                  racers=_racers("adam"), steps=50)
    query = to_query(scene)
    assert query["formula"] == scene.setup.formula
    encoded = query_string(scene).split("formula=")[1].split("&")[0]
    assert "%2B" in encoded  # '+' is escaped; a bare '+' would decode as a space
    assert decode(query) == (scene, [])
    assert decode_url(query_string(scene)) == (scene, [])


@pytest.mark.parametrize("formula", ["__import__('os')", "x+", "", "x" * 700, SCRIPT, LINK],
                         ids=["import", "dangling", "empty", "too-long", "script", "link"])
def test_refused_formula_falls_back_to_the_default_surface(formula):
    query = {"v": "1", "surface": "formula", "formula": formula}
    scene, warnings = decode(query)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("`formula`")
    # the compiler's reason quotes at most the first refused character
    rest = outside_code(warnings[0]).lower()
    assert "script" not in rest and "evil" not in rest and "](" not in rest
    assert len(warnings[0]) < 400
    assert scene.setup.surface == D.setup.surface
    assert scene.setup.formula == ""
    assert scene == D


def test_values_are_finite_after_decoding():
    scene, _ = decode({"noise": "1e-320", "steps": "1", "start": "-2,-1"})
    assert scene.setup.steps == 1 and scene.setup.start == (-2.0, -1.0)
    assert math.isfinite(scene.setup.noise)


# -- a formula's plotting domain --------------------------------------------------------------


def test_a_formula_domain_round_trips_and_bounds_the_start():
    scene = Scene.of(surface="formula", formula="x^2 + y^2", domain=(-1.0, 4.0, -2.0, 0.5))
    assert scene.setup.landscape().domain == ((-1.0, 4.0), (-2.0, 0.5))
    (x0, x1), (y0, y1) = scene.setup.landscape().domain
    assert x0 <= scene.setup.start[0] <= x1 and y0 <= scene.setup.start[1] <= y1
    query = to_query(scene)
    assert query["domain"] == "-1,4,-2,0.5"
    decoded, warnings = from_query(query)
    assert warnings == [] and decoded == scene
    # the default domain is explicit in the link too, and a classic surface has none
    assert to_query(Scene.of(surface="formula", formula="x*y"))["domain"] == "-3,3,-3,3"
    assert "domain" not in to_query(Scene()) and Scene().setup.domain == ()


@pytest.mark.parametrize("bad", ["1,2,3", "0,0,-1,1", "5,1,-1,1", "a,b,c,d", "-1e9,1e9,0,1",
                                 "nan,1,0,1", "0,1,0,1,2"])
def test_a_bad_formula_domain_warns_once_and_keeps_the_formula(bad):
    scene, warnings = from_query({"surface": "formula", "formula": "x^2+y^2",
                                        "domain": bad})
    assert scene.setup.surface == "formula" and scene.setup.domain == (-3.0, 3.0, -3.0, 3.0)
    assert len(warnings) == 1 and warnings[0].startswith("`domain`")


def test_a_domain_without_a_formula_is_named_and_ignored():
    scene, warnings = from_query({"surface": "booth", "domain": "0,1,0,1"})
    assert scene.setup.surface == "booth" and scene.setup.domain == ()
    assert len(warnings) == 1 and warnings[0].startswith("`domain`")
