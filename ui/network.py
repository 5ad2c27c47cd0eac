"""The ``mlp`` mode: the race's optimizers train a small MLP; its loss is shown on a plane.

Widget keys are URL keys (``mlp.plane``). The computation is cached across sessions by
the scene's canonical key with everything the mode does not use reset (surface, start,
the race's view settings, the studies' settings), so a link opened by many costs one
training.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from compute_mlp import MlpResult, compute_mlp
from landscapes import mlp
from scene import MLP_PLANES, Scene
from ui.chart import SpecFigure
from ui.state import STUDY_FIELDS, scene_from_key
from views.network import mlp_figure

MODE_LABELS = {"mlp": "MLP landscape"}
PLANE_LABELS = {"pca": "PCA of the paths", "random": "random (filter-normalized)"}
assert tuple(PLANE_LABELS) == MLP_PLANES
ARCHITECTURE = "–".join(str(n) for n in mlp.LAYERS)


def mlp_key(scene: Scene) -> str:
    """The cache key of the mode: the link with what the MLP does not use reset."""
    base = Scene()
    unused = {name: getattr(base, name) for name in STUDY_FIELDS.values()
              if name != "mlp_plane"}
    neutral = replace(base, racers=scene.racers, steps=scene.steps, seed=scene.seed,
                      schedule=scene.schedule, schedule_params=scene.schedule_params,
                      clip_norm=scene.clip_norm, noise=scene.noise, mode="mlp",
                      mlp_plane=scene.mlp_plane, **unused)
    return neutral.query_string()



@st.cache_data(max_entries=32, show_spinner="Training the MLP and slicing its loss…")
def cached_mlp(key: str) -> MlpResult:
    """compute_mlp() of the scene whose canonical link is ``key``, shared by every session."""
    return compute_mlp(scene_from_key(key))


@st.cache_resource(max_entries=32, show_spinner=False)
def cached_mlp_figure(key: str) -> dict:
    """The figure dict; shared read-only (st.plotly_chart does not mutate it)."""
    return mlp_figure(cached_mlp(key))


def mlp_sidebar() -> None:
    """The mode's own setting, in the sidebar above the race's."""
    with st.sidebar:
        st.header("MLP landscape")
        st.radio("Plane", MLP_PLANES, key="mlp.plane", format_func=PLANE_LABELS.get,
                 help="PCA: the plane through θ* that holds most of the paths (Li et al. "
                 "2018, §7). Random: two random filter-normalized directions (§4).")
        st.caption("Uses the optimizers, hyperparameters, steps, schedule, clipping, noise "
                   "and seed below; the surface and start do not apply here.")


def summary_rows(result: MlpResult) -> list[dict[str, str]]:
    rows = []
    for i, run in enumerate(result.runs):
        status = ("diverged at step " + str(run.diverged_at) if run.diverged_at is not None
                  else "θ* (the plane passes through it)" if i == result.center
                  else "")
        rows.append({
            "optimizer": run.name,
            "hyperparameters": ", ".join(f"{k}={v:.3g}" for k, v in run.hparams.items()),
            "final training loss": f"{run.loss[-1]:.4g}",
            "accuracy": f"{run.accuracy:.0%}",
            "final distance from the plane": f"{run.off_plane[-1]:.3g}",
            "note": status,
        })
    return rows


def render_mlp(scene: Scene) -> None:
    """The main area of the ``mlp`` mode: what is shown, the figure, a table."""
    st.markdown(f"### MLP landscape: a {ARCHITECTURE} tanh network on two moons")
    st.caption(f"Every optimizer of the race trains the same network ({mlp.SIZE} "
               f"parameters, initial weights and {mlp.N_POINTS} data points drawn from "
               "seed "
               f"{scene.seed}) on the full batch, in its full parameter space. The "
               "picture is a 2-D slice of that space.")
    key = mlp_key(scene)
    result = cached_mlp(key)
    st.markdown(f"{result.description} The map shows the loss on that plane; each path "
                "is the trajectory's *projection* onto it, so it need not follow the "
                "contours: away from θ* the network is off the plane, where the loss "
                "differs (the table gives the distance).")
    st.plotly_chart(SpecFigure(cached_mlp_figure(key)), key="mlp", theme=None,
                    width="stretch", config={"displaylogo": False, "scrollZoom": True})
    st.dataframe(summary_rows(result), hide_index=True, width="stretch")
