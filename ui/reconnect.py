"""Fragments that make a reconnected page run again.

Streamlit's front end asks for a run on reconnecting (a dropped connection, a restarted
server) only if the page was running, its last run was a fragment's, or a fragment has a
timer (``App.handleConnectionStateChanged``); otherwise a page that reconnects to a
restarted server keeps the old server's elements and is not drawn again. So every page
holds one fragment with a timer: one that draws something anyway where the page has one
(the stage's helpers), an empty one otherwise.
"""

from __future__ import annotations

import streamlit as st

#: How often such a fragment runs by itself: rarely, since only its timer is wanted.
RECONNECT_TIMER_S = 24 * 3600

#: The decorator of that fragment.
rerun_on_reconnect = st.fragment(run_every=RECONNECT_TIMER_S)
