"""Fair races on the page (AppTest): turning tuning on races each optimizer at the rate the
page shows it chose (the argmin of the small curves it draws), the link carries the
tuning and reproduces it, each tuned learning-rate slider rests with a note, scrubbing a
tuned rate turns tuning off keeping every raced rate, and hostile tune values fall back
with one warning naming the key.

The scene is the compute and views tests' (SGD and momentum on the quadratic, 60 steps):
one compiled sweep per optimizer serves them all in one process.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from scene import Racer, Scene, from_state, racer_key, to_query
from tests.helpers import (
    array,
    assert_clean,
    run_app,
    share_link,
    stage_event,
    staged,
    summary_table,
    tables,
)

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")

SCENE = Scene.of(surface="quadratic", steps=60,
                 racers=(Racer.default("sgd"), Racer.default("momentum")))
OWN = [r.values["learning_rate"] for r in SCENE.setup.racers]


def raced_rates(at: AppTest) -> list[float]:
    """The learning rate each racer raced at: its scrub slider's current notch."""
    race = staged(at)
    return [float(race.array(s["values"])[s["current"]]) for s in race["scrubs"]
            if s["name"] == "learning_rate"]


def tuning_table(at: AppTest) -> list[dict[str, str]]:
    (table,) = [t for t in tables(at) if t and "η in the race" in t[0]]
    return table


def curves(at: AppTest) -> dict:
    (chart,) = at.get("plotly_chart")
    return json.loads(chart.proto.spec)


def ringed(fig: dict, k: int) -> tuple[float, float]:
    """Panel ``k``'s chosen rate, and the argmin of the finite final f − f* it draws."""
    axis = "x" if k == 0 else f"x{k + 1}"
    traces = [t for t in fig["data"] if t["xaxis"] == axis]
    (curve,) = [t for t in traces if t["name"].startswith("final")]
    (ring,) = [t for t in traces if t["name"] == "chosen η"]
    x, y = array(curve["x"]), array(curve["y"])
    return ring["x"][0], float(x[np.argmin(y)])


def test_turning_tuning_on_races_the_rates_it_shows():
    at = run_app(to_query(SCENE))
    assert_clean(at)
    assert raced_rates(at) == pytest.approx(OWN)
    assert not at.get("plotly_chart") and "tune" not in at.query_params

    at.radio(key="tune").set_value("final").run()
    assert_clean(at)
    assert at.query_params["tune"] == "final"
    assert "tune=final" in share_link(at)
    rates = raced_rates(at)
    assert rates != pytest.approx(OWN)
    fig = curves(at)
    for k, (rate, row, summary) in enumerate(zip(rates, tuning_table(at), summary_table(at),
                                                 strict=True)):
        ring, argmin = ringed(fig, k)
        assert np.float32(ring) == np.float32(argmin) == np.float32(rate)
        assert row["η in the race"] == f"{rate:.3g}"
        assert f"learning_rate={rate:.3g}" in summary["hyperparameters"]
    # the sliders keep their own values, rest, and say what the race uses
    assert from_state(at.session_state) == SCENE.replace(tune="final")
    for i, rate in enumerate(rates):
        assert at.select_slider(key=racer_key(i, "learning_rate")).disabled
        assert any(f"tuned η = {rate:.3g}" in c.value for c in at.caption)

    at.radio(key="tune").set_value("off").run()
    assert_clean(at)
    assert raced_rates(at) == pytest.approx(OWN)
    assert not at.get("plotly_chart") and "tune" not in at.query_params
    assert not at.select_slider(key=racer_key(0, "learning_rate")).disabled


def test_a_tuned_link_reproduces_the_choice_and_the_runs():
    first = run_app({**to_query(SCENE), "tune": "reach", "tune.tol": "0.0001"})
    assert_clean(first)
    assert not first.warning
    query = {k: v[0] for k, v in parse_qs(urlsplit(share_link(first)).query).items()}
    assert query["tune"] == "reach" and query["tune.tol"] == "0.0001"
    again = run_app(query)
    assert_clean(again)
    assert raced_rates(again) == raced_rates(first)
    np.testing.assert_array_equal(staged(again).path("SGD"), staged(first).path("SGD"))
    assert tuning_table(again) == tuning_table(first)
    assert again.select_slider(key="tune.tol").value == 1e-4


def test_scrubbing_a_tuned_rate_turns_tuning_off_and_keeps_the_raced_rates():
    at = run_app({**to_query(SCENE), "tune": "final"})
    tuned = raced_rates(at)
    race = staged(at)
    (scrub,) = [s for s in race["scrubs"] if s["racer"] == 0 and s["name"] == "learning_rate"]
    index = scrub["current"] - 2
    picked = float(race.array(scrub["values"])[index])
    stage_event(at, "commit", {"racer": 0, "name": "learning_rate", "index": index})
    assert_clean(at)
    assert at.session_state["tune"] == "off" and "tune" not in at.query_params
    assert at.session_state[racer_key(0, "learning_rate")] == pytest.approx(picked, rel=1e-6)
    assert at.session_state[racer_key(1, "learning_rate")] == pytest.approx(tuned[1], rel=1e-6)
    assert raced_rates(at) == pytest.approx([picked, tuned[1]], rel=1e-6)
    assert [t.value for t in at.toast] and "Tuning is off" in at.toast[0].value


@pytest.mark.parametrize(("query", "key"), [
    ({"tune": "banana"}, "tune"),
    ({"tune": "<script>alert(1)</script>"}, "tune"),
    ({"tune": "final", "tune.tol": "0.01"}, "tune.tol"),
    ({"tune": "reach", "tune.tol": "-3"}, "tune.tol"),
    ({"tune": "reach", "tune.tol": "nan"}, "tune.tol"),
])
def test_a_hostile_tune_value_falls_back_with_one_warning(query, key):
    at = run_app({**to_query(SCENE), **query})
    assert_clean(at)
    (warning,) = at.warning
    assert warning.value.count(f"`{key}`") == 1 and "script" not in warning.value.split("`")[0]
    scene = from_state(at.session_state)
    want = query["tune"] if query["tune"] in ("final", "reach") else "off"
    assert scene.setup.tune == want and scene.setup.tune_tol == 1e-3
