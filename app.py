"""Optimizer playground: optax optimizers racing on 2-D loss surfaces.

Run: streamlit run app.py
"""

import streamlit as st

# Presenter mode (`present=1`, or its toggle) starts with the controls tucked away.
_present = st.session_state.get("present", st.query_params.get("present") in ("1", "true"))
st.set_page_config(page_title="Optimizer playground", page_icon="⛰️", layout="wide",
                   initial_sidebar_state="collapsed" if _present else "auto")

from ui import page  # noqa: E402  (set_page_config must come first)

try:
    page.main()
except Exception:  # the one error boundary: no raw traceback ever reaches a student
    import logging

    logging.getLogger("optimizer_playground").exception("unexpected error")
    st.error("Something went wrong while drawing this view. Nothing you did is lost: "
             "the link in your address bar still holds your settings.")
    st.button("Back to the default view", on_click=page.reset_to_defaults)
