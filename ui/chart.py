"""Handing prebuilt figure dicts to st.plotly_chart without re-validating them.

st.plotly_chart validates a dict by building a go.Figure from it (~0.5 s for the race
figure, every rerun). A go.Figure, on the other hand, counts as validated and is only
asked for ``to_dict()``. ``SpecFigure`` is an empty go.Figure that answers with the
dict the views built: the views own correctness, tests/views/test_race.py validates every
figure they make through plotly once.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from views.style import THEMES


class SpecFigure(go.Figure):
    """A go.Figure whose ``to_dict`` is the given, already well-formed, figure dict."""

    def __init__(self, spec: dict):
        super().__init__()
        self._prebuilt_spec = spec

    def to_dict(self) -> dict:
        return self._prebuilt_spec


def page_theme() -> str:
    """``"light"`` or ``"dark"``: the theme the browser reports for this page (Streamlit
    infers it from the background; light until it knows)."""
    kind = getattr(st.context.theme, "type", None)
    return kind if kind in THEMES else "light"


def show_figure(figure: dict, key: str, wide: bool = True, **options) -> None:
    """A figure drawn for the page's theme (views.style.themed) by ``st.plotly_chart``,
    whose Streamlit theme supplies the text and grid colours of that theme. A ``wide``
    figure, on a screen narrower than its layout needs, keeps that width in a box that
    scrolls sideways (ui/page.py's CSS) rather than squeezing its panels into each other;
    a narrow one (small curves) takes the width there is, down to 640 px."""
    name = key.replace(".", "-")
    box = f"wide-{name}" if wide else f"fits-{name}"
    with st.container(key=f"scrolls-{name}"), st.container(key=box):
        st.plotly_chart(SpecFigure(figure), key=key, theme="streamlit", width="stretch",
                        config={"displaylogo": False, "scrollZoom": True}, **options)
