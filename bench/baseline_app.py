"""The load harness's baseline: a trivial Streamlit app (one select_slider, one 200-point
plotly line), served with the app's own .streamlit/config.toml. bench/load.py opens it
with as many sessions as the app, in the same run, and divides: the framework's floor
on this machine at this moment, against which the app's server CPU per session is read.
"""

import plotly.graph_objects as go
import streamlit as st

st.select_slider("Frame", options=list(range(10)), key="frame")
st.plotly_chart(go.Figure(go.Scatter(y=[(i % 20) ** 2 for i in range(200)])), key="chart")
