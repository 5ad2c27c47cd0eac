"""Plotly figures (as plain dicts) from numpy results. No JAX, no Streamlit here."""

from views.race import CURVES, frame_steps, race_figure
from views.summary import summary_rows

__all__ = ["CURVES", "frame_steps", "race_figure", "summary_rows"]
