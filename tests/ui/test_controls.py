"""The sidebar's racers (ui/controls.py), in-process through AppTest: add, duplicate,
rename and remove a racer, and the link follows; one optimizer raced twice with different
settings draws two different runs; a refused label says why and changes nothing; the
picker groups the catalogue by family."""

from __future__ import annotations

import numpy as np
import pytest

from optimizers import OPTIMIZERS, catalog
from scene import MAX_OPTIMIZERS, from_query, from_state
from tests.helpers import (
    assert_clean,
    open_racer_box,
    open_run_settings,
    run_app,
    staged,
    summary_table,
)
from ui.controls import MORE_RUN, MORE_RUN_OPEN, family_groups

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")

#: A short race: few steps compile and run fast.
SHORT = {"v": "2", "racers": "adam", "steps": "30"}


def assert_link_is_the_view(at) -> None:
    """The address bar reproduces what the widgets show, with no warning."""
    query = {key: at.query_params[key] for key in at.query_params}
    assert from_query(query) == (from_state(at.session_state), [])


def test_add_duplicate_rename_and_remove_racers_and_the_link_follows():
    at = run_app(SHORT)
    assert_clean(at)
    at.button(key="duplicate.0").click().run()
    assert_clean(at)
    assert at.query_params["racers"] == "adam,adam"
    assert staged(at).names == ["Adam #1", "Adam #2"]

    # Adam with β₁ = 0.9 against Adam with β₁ = 0: two runs, named by what differs
    at.select_slider(key="r2.b1").set_value(0.0).run()
    assert_clean(at)
    race = staged(at)
    assert race.names == ["Adam (β₁=0.9)", "Adam (β₁=0)"]
    assert at.query_params["r1.b1"] == "0.9" and at.query_params["r2.b1"] == "0"
    first, second = race.path("Adam (β₁=0.9)"), race.path("Adam (β₁=0)")
    assert first.shape == second.shape and not np.allclose(first, second)

    at.text_input(key="r2.label").input("Adam, no momentum").run()
    assert_clean(at)
    assert at.query_params["r2.label"] == "Adam, no momentum"
    assert staged(at).names == ["Adam (β₁=0.9)", "Adam, no momentum"]
    assert [row["optimizer"] for row in summary_table(at)] == ["Adam (β₁=0.9)",
                                                               "Adam, no momentum"]

    at.selectbox(key="racer.pick").set_value("sgd").run()  # picking adds it
    assert_clean(at)
    assert at.query_params["racers"] == "adam,adam,sgd"
    assert at.selectbox(key="racer.pick").value is None  # ready for the next
    assert at.query_params["r3.learning_rate"] == "0.001"
    # a derived label sets the instances of an optimizer apart, labelled or not
    assert staged(at).names == ["Adam (β₁=0.9)", "Adam, no momentum", "SGD"]

    at.button(key="remove.0").click().run()
    assert_clean(at)
    assert at.query_params["racers"] == "adam,sgd"
    # the second racer moved up, its settings and label with it
    assert at.query_params["r1.b1"] == "0" and at.query_params["r1.label"] == "Adam, no momentum"
    assert not any(key.startswith("r3.") for key in at.query_params)
    assert staged(at).names == ["Adam, no momentum", "SGD"]
    assert_link_is_the_view(at)
    assert not at.warning


def test_a_refused_label_says_why_and_the_race_keeps_its_labels():
    at = run_app({**SHORT, "racers": "adam,sgd"})
    at.text_input(key="r2.label").input("Adam").run()  # racer 1's label
    assert_clean(at)
    assert any("repeats another racer's label" in c.value for c in at.caption)
    assert "r2.label" not in at.query_params
    assert staged(at).names == ["Adam", "SGD"]
    at.text_input(key="r2.label").input("tab\there").run()
    assert any("control characters" in c.value for c in at.caption)
    assert "r2.label" not in at.query_params
    # markup is a label like any other: kept in the link, shown as text in the table
    markup = "<b>[x](https://evil.example)</b>"
    at.text_input(key="r2.label").input(markup).run()
    assert_clean(at)
    assert at.query_params["r2.label"] == markup
    assert staged(at).names == ["Adam", markup]
    table = next(m.value for m in at.markdown if m.value.startswith("| optimizer"))
    assert "<b>" not in table and "](" not in table and "\\<b\\>" in table
    assert_link_is_the_view(at)


def test_a_full_race_offers_no_more_racers():
    at = run_app({**SHORT, "racers": ",".join(["adam"] * MAX_OPTIMIZERS)})
    assert_clean(at)
    assert len(staged(at).names) == MAX_OPTIMIZERS
    assert at.selectbox(key="racer.pick").disabled
    open_racer_box(at, 0)
    open_racer_box(at, 7)
    assert at.button(key="duplicate.0").disabled
    at.button(key="remove.7").click().run()
    assert at.query_params["racers"] == ",".join(["adam"] * (MAX_OPTIMIZERS - 1))
    assert not at.selectbox(key="racer.pick").disabled


def racer_widgets(at, i: int) -> list[str]:
    """The keys of the widgets racer ``i``'s box draws (0-based ``i``)."""
    prefix = f"r{i + 1}."
    return [w.key for w in at.select_slider if (w.key or "").startswith(prefix)] + [
        w.key for w in at.text_input if (w.key or "").startswith(prefix)]


def test_a_folded_racer_box_draws_nothing_and_keeps_its_racer_s_settings():
    at = run_app({**SHORT, "racers": "sgd,momentum,adam", "r3.learning_rate": "0.2"})
    assert_clean(at)
    # three racers start folded: their widgets are not drawn, the race is
    assert [racer_widgets(at, i) for i in range(3)] == [[], [], []]
    assert staged(at).names == ["SGD", "Momentum", "Adam"]
    open_racer_box(at, 2)
    assert at.select_slider(key="r3.learning_rate").value == 0.2
    at.select_slider(key="r3.learning_rate").set_value(0.05).run()
    at.session_state["racer.3.open"] = False  # folded again
    at.run()
    assert racer_widgets(at, 2) == []
    at.select_slider(key="steps").set_value(40).run()  # runs while it is folded
    at.run()
    assert_clean(at)
    assert at.query_params["r3.learning_rate"] == "0.05"
    assert_link_is_the_view(at)
    open_racer_box(at, 2)
    assert at.select_slider(key="r3.learning_rate").value == 0.05


def test_a_racer_box_stays_open_when_its_title_changes():
    at = run_app({**SHORT, "racers": "adam,sgd"})
    assert racer_widgets(at, 0)  # two racers start open
    at.text_input(key="r1.label").input("mine").run()  # the box's title changes
    assert_clean(at)
    assert "r1.label" in racer_widgets(at, 0)
    assert at.session_state["racer.1.open"]


def test_an_added_racer_s_box_opens_and_a_removed_one_leaves_nothing_behind():
    at = run_app({**SHORT, "racers": "adam,adam,sgd"})
    at.selectbox(key="racer.pick").set_value("momentum").run()
    assert_clean(at)
    assert at.session_state["racer.4.open"] and not at.session_state["racer.1.open"]
    at.select_slider(key="r4.learning_rate").set_value(0.2).run()
    at.button(key="remove.3").click().run()
    assert at.query_params["racers"] == "adam,adam,sgd"
    at.selectbox(key="racer.pick").set_value("momentum").run()  # again, from its defaults
    assert at.query_params["racers"] == "adam,adam,sgd,momentum"
    default = OPTIMIZERS["momentum"].hparams["learning_rate"].default
    assert default != 0.2
    assert at.query_params["r4.learning_rate"] == f"{default:g}"
    assert at.select_slider(key="r4.learning_rate").value == default
    assert_link_is_the_view(at)


def test_the_last_racer_cannot_be_removed():
    at = run_app(SHORT)
    assert at.button(key="remove.0").disabled


def test_the_picker_groups_the_catalogue_by_family():
    groups = family_groups()
    assert sorted(s for slugs in groups.values() for s in slugs) == sorted(OPTIMIZERS)
    for family, slugs in groups.items():
        assert all(OPTIMIZERS[s].family == family for s in slugs)
    # in the catalogue's order of families
    order = [family.name for family in catalog.FAMILIES]
    assert list(groups) == [name for name in order if name in groups]


def test_a_setting_changed_in_a_study_survives_a_visit_to_the_race():
    """A study's setting is not drawn in the race: its value must not fall back to the
    link's while it is hidden."""
    at = run_app({**SHORT, "basins.n": "100"})
    at.segmented_control(key="mode").set_value("basins").run()
    at.select_slider(key="basins.n").set_value(50).run()
    at.segmented_control(key="mode").set_value("race").run()
    at.run()
    assert at.query_params["basins.n"] == "50"
    at.segmented_control(key="mode").set_value("basins").run()
    assert at.select_slider(key="basins.n").value == 50
    assert_clean(at)


def test_the_run_s_settings_are_folded_and_kept_until_opened_and_a_link_setting_them_opens_them():
    at = run_app(SHORT)
    assert not any(w.key in MORE_RUN for w in (*at.selectbox, *at.select_slider,
                                               *at.number_input))
    open_run_settings(at)
    noise = float(at.select_slider(key="noise").options[1])
    at.select_slider(key="noise").set_value(noise).run()
    at.selectbox(key="schedule").set_value("cosine").run()
    at.session_state[MORE_RUN_OPEN] = False  # folded again
    at.run()
    assert not any(w.key == "noise" for w in at.select_slider)
    at.select_slider(key="steps").set_value(40).run()  # runs while they are folded
    at.run()
    assert_clean(at)
    assert float(at.query_params["noise"]) == noise > 0
    assert at.query_params["schedule"] == "cosine"
    assert_link_is_the_view(at)
    open_run_settings(at)
    assert at.select_slider(key="noise").value == noise
    # a link or a lesson that sets one of them shows them
    linked = run_app({**SHORT, "seed": "3"})
    assert linked.number_input(key="seed").value == 3
    lesson = run_app(SHORT)
    lesson.selectbox(key="lesson").set_value("noise-saddle").run()
    assert_clean(lesson)
    assert lesson.select_slider(key="noise").value == 1.0


def test_a_schedule_s_setting_survives_a_visit_to_another_schedule():
    at = open_run_settings(run_app(SHORT))
    at.selectbox(key="schedule").set_value("cosine").run()
    slider = at.select_slider(key="schedule.alpha")
    value = next(float(v) for v in slider.options if float(v) != slider.value)
    slider.set_value(value).run()
    at.selectbox(key="schedule").set_value("constant").run()
    at.run()
    at.selectbox(key="schedule").set_value("cosine").run()
    assert at.select_slider(key="schedule.alpha").value == value
    assert_clean(at)


def test_a_typed_formula_and_its_domain_survive_a_visit_to_another_surface():
    at = run_app(SHORT)
    at.selectbox(key="surface").set_value("formula").run()
    at.text_input(key="formula").input("x**2 + 3*y**2").run()
    at.text_input(key="domain").input("-2, 2, -1, 1").run()
    at.selectbox(key="surface").set_value("rosenbrock").run()
    at.run()
    at.selectbox(key="surface").set_value("formula").run()
    assert at.text_input(key="formula").value == "x**2 + 3*y**2"
    assert at.text_input(key="domain").value == "-2, 2, -1, 1"
    assert at.query_params["formula"] == "x**2 + 3*y**2"
    assert_clean(at)
