"""Folded panels whose content is built only while they are open.

A collapsed ``st.expander`` still sends everything inside it to the browser on every run:
for a hundred students opening one link, the update rules and the export buttons they
have not asked for were a fifth of the page's messages. A lazy panel tracks its open
state (opening it reruns the page) and draws its content only while it is open.
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator


def lazy_panel(label: str, key: str) -> DeltaGenerator | None:
    """A collapsed expander titled ``label``; returns its container while it is open, or
    None while it is closed (then draw nothing into it). Opening it reruns the page."""
    box = st.expander(label, expanded=False, key=key, on_change="rerun")
    return box if box.open else None
