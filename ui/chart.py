"""Handing prebuilt figure dicts to st.plotly_chart without re-validating them.

st.plotly_chart validates a dict by building a go.Figure from it (~0.5 s for the race
figure, every rerun). A go.Figure, on the other hand, counts as validated and is only
asked for ``to_dict()``. ``SpecFigure`` is an empty go.Figure that answers with the
dict the views built: the views own correctness, tests/views/test_race.py validates every
figure they make through plotly once.
"""

from __future__ import annotations

import plotly.graph_objects as go


class SpecFigure(go.Figure):
    """A go.Figure whose ``to_dict`` is the given, already well-formed, figure dict."""

    def __init__(self, spec: dict):
        super().__init__()
        self._prebuilt_spec = spec

    def to_dict(self) -> dict:
        return self._prebuilt_spec
