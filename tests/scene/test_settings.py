"""Every setting read from a hostile link (scene/settings.py, through scene/reader.py):
a bad value gives one warning, naming its key in a code span, and the setting's default;
nothing echoed can inject Markdown or HTML. Also a formula's plotting domain and the
`lesson`, `present` and `overlay` keys. Pure and fast: no JAX runs."""

from __future__ import annotations

import math
import re
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from optimizers import OPTIMIZERS
from scene import (
    MAX_OPTIMIZERS,
    MAX_SEED,
    MAX_VALUE_LENGTH,
    Racer,
    Scene,
    from_query,
    query_string,
    to_query,
)
from scene.settings import markdown_table

SCRIPT = "<script>alert(1)</script>"
LINK = "[click me](https://evil.example/login)"
IMAGE = "![x](https://evil.example/pixel.png)"
UNICODE = "λ∇ü😀\u202e"
HUGE = "9" * 5000

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
    ("tune-unknown", "tune", {"tune": "banana"}),
    ("tune-script", "tune", {"tune": SCRIPT}),
    ("tune-5kb", "tune", {"tune": "x" * 5000}),
    ("tune-tol-without-reach", "tune.tol", {"tune.tol": "0.01"}),
]
HOSTILE_QUAD = [
    ("surface-param-too-small", "quadratic.kappa", {"quadratic.kappa": "0.5"}),
    ("surface-param-abc", "quadratic.kappa", {"quadratic.kappa": "abc"}),
    ("surface-param-inf", "quadratic.theta", {"quadratic.theta": "inf"}),
]


REACH = Scene.of(tune="reach", tune_tol=0.01)
HOSTILE_REACH = [
    ("tune-tol-zero", "tune.tol", {"tune.tol": "0"}),
    ("tune-tol-negative", "tune.tol", {"tune.tol": "-1"}),
    ("tune-tol-above-one", "tune.tol", {"tune.tol": "2"}),
    ("tune-tol-nan", "tune.tol", {"tune.tol": "nan"}),
    ("tune-tol-abc", "tune.tol", {"tune.tol": "abc"}),
    ("tune-tol-script", "tune.tol", {"tune.tol": SCRIPT}),
]


def _echo(key: str) -> str:
    """How a warning names ``key``: in a code span, cleaned, at most 40 characters."""
    safe = "".join(c if c.isascii() and c.isprintable() else "?" for c in key)
    return f"`{safe}`" if len(safe) <= 40 else f"`{safe[:39]}…`"


def _check_hostile(base: Scene, key: str, overrides: dict) -> Scene:
    query = {**to_query(base), **overrides}
    scene, warnings = from_query(query)  # never raises
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(_echo(key)), warnings
    assert_safe(warnings[0])
    return scene


def v1_query(scene: Scene) -> dict[str, str]:
    """``scene``'s link as version 1 wrote it (``opt`` and ``<slug>.<hparam>``)."""
    query = {k: v for k, v in to_query(scene).items()
             if k != "racers" and not re.fullmatch(r"r\d+\..*", k)}
    query.update(v="1", opt=",".join(scene.setup.slugs))
    for racer in scene.setup.racers:
        query.update({f"{racer.slug}.{n}": str(v) for n, v in racer.hparams})
    return query


#: The hostile cases that are version 1 racer keys: they go into a v=1 link.
V1_RACER_KEYS = re.compile(r"opt|(" + "|".join(OPTIMIZERS) + r")\..*")


@pytest.mark.parametrize(("key", "overrides"), [c[1:] for c in HOSTILE],
                         ids=[c[0] for c in HOSTILE])
def test_hostile_value_gives_one_warning_and_the_default(key, overrides):
    # the default stands in for the bad value (an unknown optimizer is skipped)
    if V1_RACER_KEYS.fullmatch(key):
        assert from_query(v1_query(D)) == (D, [])
        scene, warnings = from_query({**v1_query(D), **overrides})
        assert len(warnings) == 1 and warnings[0].startswith(_echo(key)), warnings
        assert_safe(warnings[0])
        assert scene == D
    else:
        assert _check_hostile(D, key, overrides) == D


# -- hostile v=2 racers -------------------------------------------------------------------

ADAM, SGD = Racer.default("adam"), Racer.default("sgd")


def _adam(**values) -> Racer:
    return Racer("adam", tuple(sorted({**ADAM.values, **values}.items())))


#: (id, the key the one warning must name, the link, the racers it races)
HOSTILE_V2 = [
    ("unknown-slug", "racers", {"racers": "adam,nope,sgd", "r2.b1": "0.5",
                                "r3.learning_rate": "0.01"},
     (ADAM, Racer("sgd", (("learning_rate", 0.01),)))),
    ("only-unknown-slugs", "racers", {"racers": "nope,zzz", "r1.learning_rate": "0.1"},
     (Racer("sgd", (("learning_rate", 0.1),)), *Scene().setup.racers[1:])),
    ("script-slug", "racers", {"racers": f"adam,{SCRIPT}"}, (ADAM,)),
    ("empty", "racers", {"racers": ""}, Scene().setup.racers),
    ("a-hundred-instances", "racers", {"racers": ",".join(["adam"] * 100),
                                       "r50.b1": "0.5"}, (ADAM,) * MAX_OPTIMIZERS),
    ("duplicate-labels", "r2.label", {"racers": "adam,sgd", "r1.label": "Same",
                                      "r2.label": "Same"},
     (Racer("adam", ADAM.hparams, "Same"), SGD)),
    ("label-of-another-racer", "r1.label", {"racers": "adam,sgd", "r1.label": "SGD"},
     (ADAM, SGD)),
    ("label-5kb", "r1.label", {"racers": "adam", "r1.label": "x" * 5000}, (ADAM,)),
    ("label-41-characters", "r1.label", {"racers": "adam", "r1.label": "é" * 41}, (ADAM,)),
    ("label-blank", "r1.label", {"racers": "adam", "r1.label": "   "}, (ADAM,)),
    ("label-control-characters", "r1.label", {"racers": "adam", "r1.label": "a\x00b"},
     (ADAM,)),
    ("label-newline", "r1.label", {"racers": "adam", "r1.label": "a\nb"}, (ADAM,)),
    ("label-right-to-left-override", "r1.label", {"racers": "adam",
                                                  "r1.label": "abc\u202edef"}, (ADAM,)),
    ("key-of-a-racer-not-there", "r2.b1", {"racers": "adam", "r2.b1": "0.5"}, (ADAM,)),
    ("index-0", "r0.b1", {"racers": "adam", "r0.b1": "0.5"}, (ADAM,)),
    ("index-minus-1", "r-1.b1", {"racers": "adam", "r-1.b1": "0.5"}, (ADAM,)),
    ("index-1e3", "r1e3.b1", {"racers": "adam", "r1e3.b1": "0.5"}, (ADAM,)),
    ("index-leading-zero", "r01.b1", {"racers": "adam", "r01.b1": "0.5"}, (ADAM,)),
    ("index-huge", "r" + "9" * 30 + ".b1", {"racers": "adam", "r" + "9" * 30 + ".b1": "0"},
     (ADAM,)),
    ("index-5000-digits", "r" + HUGE + ".b1", {"racers": "adam", "r" + HUGE + ".b1": "0"},
     (ADAM,)),
    ("hparam-unknown", "r1.momentum", {"racers": "adam", "r1.momentum": "0.5"}, (ADAM,)),
    ("hparam-out-of-range", "r1.b1", {"racers": "adam", "r1.b1": "1.5"}, (ADAM,)),
    ("hparam-script", "r1.b1", {"racers": "adam", "r1.b1": SCRIPT}, (ADAM,)),
    ("v1-key-in-a-v2-link", "adam.b1", {"racers": "adam", "adam.b1": "0.5"}, (ADAM,)),
    ("opt-in-a-v2-link", "opt", {"racers": "adam", "opt": "sgd"}, (ADAM,)),
]


@pytest.mark.parametrize(("key", "query", "racers"), [c[1:] for c in HOSTILE_V2],
                         ids=[c[0] for c in HOSTILE_V2])
def test_hostile_v2_racers_give_one_warning_and_fall_back(key, query, racers):
    scene, warnings = from_query({"v": "2", **query})  # never raises
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(_echo(key)), warnings
    assert_safe(warnings[0])
    assert scene.setup.racers == racers
    assert len(set(scene.setup.labels)) == len(racers)
    assert from_query(to_query(scene)) == (scene, [])  # what it falls back to is a link


def test_markup_in_a_v2_label_is_a_label_not_a_warning():
    label = f"{SCRIPT[:30]}$x$"
    scene, warnings = from_query({"v": "2", "racers": "adam,adam", "r1.label": label})
    assert warnings == [] and scene.setup.labels == (label, "Adam #2")


def test_a_v1_link_races_each_optimizer_once_as_it_always_did():
    scene, warnings = from_query({"v": "1", "opt": "adam,adam,sgd", "adam.b1": "0.5"})
    assert warnings == []
    assert scene.setup.racers == (_adam(b1=0.5), SGD)
    assert scene.setup.labels == ("Adam", "SGD")


@pytest.mark.parametrize(("key", "overrides"), [c[1:] for c in HOSTILE_QUAD],
                         ids=[c[0] for c in HOSTILE_QUAD])
def test_hostile_surface_parameter_falls_back_to_its_default(key, overrides):
    assert _check_hostile(QUAD, key, overrides) == QUAD


@pytest.mark.parametrize(("key", "overrides"), [c[1:] for c in HOSTILE_REACH],
                         ids=[c[0] for c in HOSTILE_REACH])
def test_hostile_tolerance_falls_back_to_the_default_and_keeps_reach(key, overrides):
    assert _check_hostile(REACH, key, overrides) == REACH.replace(tune_tol=1e-3)


def test_a_hostile_tuning_does_not_also_blame_its_tolerance():
    """`tune=reac&tune.tol=0.01`: one warning, on the word that is wrong."""
    scene, warnings = from_query({"tune": "reac", "tune.tol": "0.01"})
    (warning,) = warnings
    assert warning.startswith("`tune`") and "reac" in warning
    assert scene == D
    final = Scene.of(tune="final")
    assert _check_hostile(final, "tune.tol", {"tune.tol": "0.01"}) == final


def test_hostile_values_without_a_base_link():
    for _, _key, overrides in HOSTILE:
        scene, warnings = from_query(overrides)
        assert len(warnings) == 1, (overrides, warnings)
        assert_safe(warnings[0])
        assert scene == D


def test_opt_with_a_hundred_entries():
    scene, warnings = from_query({**v1_query(D), "opt": MANY_OPT})
    assert len(warnings) == 1 and warnings[0].startswith("`opt`")
    assert scene.setup.slugs == tuple(KNOWN[:MAX_OPTIMIZERS])
    assert scene.setup.racers == _racers(*KNOWN[:MAX_OPTIMIZERS])


def test_repeated_key_uses_the_first_value_with_one_warning():
    scene = _check_hostile(D, "steps", {"steps": ["300", "400"]})
    assert scene == D.replace(steps=300)
    scene, warnings = from_query({"opt": ["adam", "sgd"]})
    assert len(warnings) == 1 and warnings[0].startswith("`opt`")
    assert scene.setup.slugs == ("adam",)


def test_newer_version_warns_but_still_decodes():
    target = D.replace(steps=321)
    scene = _check_hostile(D, "v", {"v": "3", "steps": "321"})
    assert scene == target
    assert "3" in from_query({"v": "3"})[1][0]
    assert from_query({"v": "1"}) == (D, []) and from_query({"v": "2"}) == (D, [])


def test_clip_warning_names_the_real_default():
    _, warnings = from_query({"clip": "abc"})
    assert "nan" not in warnings[0]
    assert "off" in warnings[0]


def test_warnings_name_each_bad_key_once():
    query = {**to_query(D), "steps": "nan", "seed": "abc", "surface": "nope", "foo": "1",
             "view": SCRIPT, "lion.b1": "0.5"}
    scene, warnings = from_query(query)
    assert scene == D
    named = sorted(w.split("`")[1] for w in warnings)
    assert named == sorted(["steps", "seed", "surface", "foo", "view", "lion.b1"])
    for w in warnings:
        assert_safe(w)


def test_script_and_markdown_are_echoed_inert():
    for value in (SCRIPT, LINK, IMAGE, "`x` [a](b) $e^x$", "a\nb\tc\x00"):
        _, warnings = from_query({"surface": value})
        assert len(warnings) == 1
        assert_safe(warnings[0])
        assert "\n" not in warnings[0] and "\x00" not in warnings[0]
    long = from_query({"surface": "A" * 500})[1][0]
    assert "A" * 40 not in long and "…" in long


@pytest.mark.parametrize("formula", ["__import__('os')", "x+", "", "x" * 700, SCRIPT, LINK],
                         ids=["import", "dangling", "empty", "too-long", "script", "link"])
def test_refused_formula_falls_back_to_the_default_surface(formula):
    query = {"v": "1", "surface": "formula", "formula": formula}
    scene, warnings = from_query(query)
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
    scene, _ = from_query({"noise": "1e-320", "steps": "1", "start": "-2,-1"})
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


# -- lessons and on/off view options --------------------------------------------------


def test_url_keys_win_over_the_lesson_and_unknown_lessons_warn():
    scene, warnings = from_query({"lesson": "momentum-overshoots", "opt": "adam",
                                        "steps": "50"})
    assert warnings == []  # momentum.* and sgd.* of the lesson are dropped, not warned
    assert scene.setup.slugs == ("adam",) and scene.setup.steps == 50
    assert scene.setup.surface == "quadratic" and scene.display.lesson == "momentum-overshoots"
    scene, warnings = from_query({"lesson": "momentum-overshoots", "surface": "saddle"})
    assert warnings == [] and scene.setup.surface == "saddle"
    # a v=2 link's own racers replace the lesson's, with no warning about its keys
    scene, warnings = from_query({"v": "2", "lesson": "momentum-overshoots",
                                  "racers": "adam,adam", "r2.b1": "0"})
    assert warnings == [] and scene.setup.slugs == ("adam", "adam")
    assert scene.setup.racers[1].values["b1"] == 0.0 and scene.display.curve == "distance"
    assert from_query(to_query(scene)) == (scene, [])
    scene, warnings = from_query({"lesson": "no-such-lesson", "steps": "40"})
    (warning,) = warnings
    assert warning.startswith("`lesson`") and "no-such-lesson" in warning
    assert scene == Scene.of(steps=40)


@pytest.mark.parametrize("key", ["present", "overlay"])
def test_on_off_options_decode_round_trip_and_warn_by_name(key):
    for text, value in (("1", True), ("0", False), ("true", True), ("False", False)):
        scene, warnings = from_query({key: text})
        assert warnings == [] and getattr(scene.display, key) is value
        assert to_query(scene)[key] == str(int(value))
        assert from_query(parse_qs(query_string(scene))) == (scene, [])
    scene, warnings = from_query({key: "yes please", "steps": "9"})
    assert scene == Scene.of(steps=9)
    (warning,) = warnings
    assert warning.startswith(f"`{key}`") and "1 (on) or 0 (off)" in warning
    assert to_query(Scene())[key] == "0" and "lesson" not in to_query(Scene())


def test_readme_link_table_is_the_settings_table():
    """The README documents the URL schema; its table is pasted from ``markdown_table()``,
    so a setting added, renamed or re-documented must be pasted again."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert markdown_table() in readme
