"""Fair races on the page: the note on each racer's learning-rate slider while tuning is
on, and under the stage the rule, each racer's rate and its sweep's small curves (the
switch itself is in the sidebar, ui/controls.py). The numbers come from
compute/tuning.py, the words and the figure from views/tuning.py; here is only Streamlit.
"""

from __future__ import annotations

import streamlit as st

from compute import Result, cache_key
from scene import Scene
from scene.settings import RACE
from ui.caches import cached_tuning, cached_tuning_figure
from ui.chart import page_theme, show_figure
from views.summary import markdown_table
from views.tuning import criterion_words, slider_note, tuning_rows


def slider_notes(scene: Scene) -> dict[int, tuple[str, bool]]:
    """While tuning is on, what each racer's learning-rate slider says (by position in the
    race), and whether it rests (the race uses the tuned rate, not the slider's)."""
    if scene.setup.tune == "off":
        return {}
    tuning = cached_tuning(cache_key(scene.setup, RACE))
    return {s.racer: (slider_note(s, tuning), s.chosen is not None) for s in tuning.sweeps}


def panel(scene: Scene, result: Result) -> None:
    """Under the stage, with tuning on: the rule, each racer's rate, the small curves."""
    if scene.setup.tune == "off":
        return
    key = cache_key(scene.setup, RACE)
    tuning = cached_tuning(key)
    names = tuple(run.name for run in result.runs)
    st.markdown(criterion_words(tuning))
    st.markdown(markdown_table(tuning_rows(tuning, names)))
    show_figure(cached_tuning_figure(key, names, page_theme()), "tuning.curves", wide=False)
