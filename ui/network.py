"""The ``mlp`` mode: the race's optimizers train a small MLP; its loss is shown on a plane.

Widget keys are URL keys (``mlp.plane``). The computation is cached across sessions by
its key (compute/keys.py: everything the mode does not use is reset), so a link opened
by many costs one training.
"""

from __future__ import annotations

import streamlit as st

from compute import cache_key
from landscapes import mlp
from scene import MLP_PLANES, Scene
from scene.settings import BY_KEY, MLP
from ui.caches import cached_mlp, cached_mlp_figure
from ui.chart import page_theme, show_figure
from views.network import mlp_summary_rows
from views.summary import markdown_table, plain_markdown

MODE_LABELS = {"mlp": "MLP landscape"}
PLANE_LABELS = {"pca": "PCA of the paths", "random": "random (filter-normalized)"}
assert tuple(PLANE_LABELS) == MLP_PLANES
ARCHITECTURE = "–".join(str(n) for n in mlp.LAYERS)


def mlp_sidebar() -> None:
    """The mode's own setting, in the sidebar above the race's."""
    with st.sidebar:
        st.header("MLP landscape")
        st.radio(BY_KEY["mlp.plane"].label, MLP_PLANES, key="mlp.plane",
                 format_func=PLANE_LABELS.get,
                 help="PCA: the plane through θ* that holds most of the paths (Li et al. "
                 "2018, §7). Random: two random filter-normalized directions (§4).")
        st.caption("Uses the optimizers, hyperparameters, steps, schedule, clipping, noise "
                   "and seed below; the surface and start do not apply here.")


def render_mlp(scene: Scene) -> None:
    """The main area of the ``mlp`` mode: what is shown, the figure, a table."""
    st.markdown(f"### MLP landscape: a {ARCHITECTURE} tanh network on two moons")
    st.caption(f"Every optimizer of the race trains the same network ({mlp.SIZE} "
               f"parameters, initial weights and {mlp.MOON_POINTS} data points drawn from "
               "seed "
               f"{scene.setup.seed}) on the full batch, in its full parameter space. The "
               "picture is a 2-D slice of that space.")
    key = cache_key(scene.setup, MLP)
    result = cached_mlp(key)
    # the description names a racer by its label: typed text, shown as typed
    st.markdown(f"{plain_markdown(result.description)} The map shows the loss on that "
                "plane; each path "
                "is the trajectory's *projection* onto it, so it need not follow the "
                "contours: away from θ* the network is off the plane, where the loss "
                "differs (the table gives the distance).")
    show_figure(cached_mlp_figure(key, page_theme()), "mlp")
    st.markdown(markdown_table(mlp_summary_rows(result)))
