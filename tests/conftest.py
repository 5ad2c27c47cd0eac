"""Fixtures shared by the in-process app tests."""

from __future__ import annotations

import pytest
import streamlit as st

# The shared checks assert; rewriting makes their failures readable.
pytest.register_assert_rewrite("tests.helpers")


@pytest.fixture
def fresh_streamlit_caches():
    """Empty Streamlit's result caches around a test, so every page computes anew.

    JAX's compiled programs stay: later tests reuse them.
    """
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
