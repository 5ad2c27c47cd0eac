"""The studies in the page (streamlit.testing.v1.AppTest): every mode renders from a link,
the study settings round-trip through widgets and URL (also while hidden in the race),
and a click on a stability-map cell loads that cell into the race.

The scenes are those of the views' tests (tests.helpers.STUDY_SCENES, 60 steps), so
the two share their compiled programs when they run in one process.
"""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from scene import Racer, from_state, query_string, to_query
from tests.helpers import (
    APP,
    STUDY_SCENES,
    TIMEOUT,
    array,
    assert_clean,
    click_chart,
    figure,
    run_app,
    share_link,
    staged,
    summary_table,
)

assert APP.exists() and TIMEOUT >= 60


pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def headers(at: AppTest) -> list[str]:
    return [h.value for h in at.sidebar.header]


@pytest.mark.parametrize("name", ["lr_fan", "lr_frames", "lr_curve", "heatmap", "basins",
                                  "seeds"])
def test_each_mode_renders_from_its_link(name):
    scene = STUDY_SCENES[name]
    at = run_app(to_query(scene))
    assert_clean(at)
    assert not at.warning
    assert at.segmented_control(key="mode").value == scene.display.mode
    assert from_state(at.session_state) == scene
    assert at.query_params == to_query(scene)  # nothing was rewritten
    fig = figure(at)
    assert fig["data"] and len(fig.get("frames", [])) <= 150
    assert len(fig["layout"]["title"]["text"]) > 20
    # the study settings are in the sidebar, the race's view settings are not
    assert headers(at)[0] == "Study" and "View" not in headers(at)
    assert share_link(at).endswith("?" + query_string(scene))


def test_the_race_is_unchanged_and_has_no_study_settings():
    at = run_app()
    assert_clean(at)
    assert at.segmented_control(key="mode").value == "race"
    assert "Study" not in headers(at) and "View" in headers(at)
    assert staged(at).names == ["SGD", "Momentum", "Adam"]
    assert at.query_params["mode"] == "race"
    assert at.query_params["sweep.count"] == "12"


def test_seed_cloud_without_noise_says_which_sigma_it_uses():
    at = run_app(to_query(STUDY_SCENES["seeds_without_noise"]))
    assert_clean(at)
    assert any("σ = 0.5" in i.value for i in at.info)
    assert "σ = 0.5" in figure(at)["layout"]["title"]["text"]


def test_a_heatmap_of_sgd_falls_back_to_the_loss_curve():
    scene = STUDY_SCENES["lr_curve"].replace(mode="heatmap")
    assert scene.setup.sweep_param == ""  # SGD has nothing to sweep against η
    at = run_app(to_query(scene))
    assert_clean(at)
    assert any("no hyperparameter besides the learning rate" in i.value for i in at.info)
    assert "final loss against the learning rate" in figure(at)["layout"]["title"]["text"]
    assert at.query_params["sweep.param"] == ""


def test_study_settings_round_trip_through_widgets_url_and_the_race():
    scene = STUDY_SCENES["lr_fan"].replace(sweep_count=5, lr_low=0.002, lr_high=0.5, basins_n=37,
                    seeds_count=9, sweep_param="momentum")
    at = run_app(to_query(scene))
    assert_clean(at)
    assert from_state(at.session_state) == scene
    assert at.query_params["sweep.count"] == "5"
    assert at.query_params["sweep.lr_low"] == "0.002"
    assert at.query_params["basins.n"] == "37"

    at.select_slider(key="sweep.count").set_value(7.0).run()
    assert_clean(at)
    assert at.query_params["sweep.count"] == "7"
    paths = [t for t in figure(at)["data"] if str(t.get("name", "")).startswith("η = ")
             and t.get("xaxis") == "x"]
    assert len(paths) == 7

    # a lowest learning rate above the highest pushes the highest up
    at.select_slider(key="sweep.lr_low").set_value(1.0).run()
    assert_clean(at)
    now = from_state(at.session_state)
    assert now.setup.lr_low == 1.0 and now.setup.lr_high > 1.0

    # to the race and back: the hidden study settings stay in the URL and come back
    at.segmented_control(key="mode").set_value("race").run()
    assert_clean(at)
    assert staged(at).names == ["Momentum", "Adam"]
    for _ in range(2):  # Streamlit forgets an undrawn widget's value after one run
        at.run()
        assert_clean(at)
        assert at.query_params["mode"] == "race"
        assert at.query_params["sweep.count"] == "7"
        assert at.query_params["basins.n"] == "37"
    at.segmented_control(key="mode").set_value("lr_frames").run()
    assert_clean(at)
    assert at.select_slider(key="sweep.count").value == 7
    assert len(figure(at)["frames"]) == 7
    assert from_state(at.session_state) == now.replace(mode="lr_frames")
    assert at.query_params == to_query(now.replace(mode="lr_frames"))


def test_clicking_a_heatmap_cell_loads_it_into_the_race():
    scene = STUDY_SCENES["heatmap"]
    assert scene.setup.slugs == ("momentum", "adam") and scene.setup.sweep_param == "momentum"
    at = run_app(to_query(scene))
    assert_clean(at)
    fig = figure(at)
    curve = next(i for i, t in enumerate(fig["data"]) if t.get("name") == "click a cell to load it")
    click = fig["data"][curve]
    index = 40 * 64 + 37  # a cell: row 40 of the second hyperparameter, column 37 of η
    x, y = float(array(click["x"])[index]), float(array(click["y"])[index])
    click_chart(at, x, y, curve_number=curve, point_index=index)
    assert_clean(at)
    lr, beta = float(f"{x:.4g}"), float(f"{y:.4g}")
    assert lr == pytest.approx(x, rel=1e-3) and beta == pytest.approx(y, rel=1e-3)
    ss = at.session_state
    assert ss["mode"] == "race"
    assert ss["r1.learning_rate"] == lr and ss["r1.momentum"] == beta  # the first racer's
    assert ss["r2.learning_rate"] == Racer.default("adam").values["learning_rate"]
    expected = scene.replace(mode="race",
                       racers=(Racer("momentum", (("learning_rate", lr), ("momentum", beta))),
                               Racer.default("adam")))
    # (the session state has already dropped the hidden study widgets' values, which the
    # next run restores from their shadow copies: the URL holds the whole scene)
    assert at.query_params == to_query(expected)
    assert at.query_params["r1.learning_rate"] == repr(lr)
    at.run()
    assert from_state(at.session_state) == expected
    # the race is drawn, with the loaded settings
    assert staged(at).names == ["Momentum", "Adam"]
    assert at.segmented_control(key="mode").value == "race"
    assert f"learning_rate={lr:.3g}" in summary_table(at)[0]["hyperparameters"]
    assert np.isfinite(lr) and lr != 0.05
