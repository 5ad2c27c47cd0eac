"""The sidebar's racers (ui/controls.py), in-process through AppTest: add, duplicate,
rename and remove a racer, and the link follows; one optimizer raced twice with different
settings draws two different runs; a refused label says why and changes nothing; the
picker groups the catalogue by family."""

from __future__ import annotations

import numpy as np
import pytest

from optimizers import OPTIMIZERS, catalog
from scene import MAX_OPTIMIZERS, from_query, from_state
from tests.helpers import assert_clean, run_app, staged, summary_table
from ui.controls import family_groups

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

    at.selectbox(key="racer.pick").set_value("sgd")
    at.button(key="racer.add").click().run()
    assert_clean(at)
    assert at.query_params["racers"] == "adam,adam,sgd"
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
    assert at.button(key="racer.add").disabled
    assert at.button(key="duplicate.0").disabled
    at.button(key="remove.7").click().run()
    assert at.query_params["racers"] == ",".join(["adam"] * (MAX_OPTIMIZERS - 1))
    assert not at.button(key="racer.add").disabled


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
