"""Plotly figures (as plain dicts) and tables from the computed numpy results. No JAX,
no Streamlit here."""

from views.race import CURVES, race_figure
from views.summary import summary_rows

__all__ = ["CURVES", "race_figure", "summary_rows"]
