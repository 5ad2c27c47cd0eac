"""The network modes in the page (ui/network.py, in-process with AppTest): a network race
sends its data panel to the stage, and the MLP mode shows its plane and switches it."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import APP, assert_clean, figure, staged

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


@pytest.mark.slow
def test_the_page_shows_a_network_race_and_the_mlp_mode():
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update({"surface": "tanh_unit", "opt": "adam"})
    at.run()
    assert_clean(at)
    race = staged(at)
    panel = race.plot("panel")  # the network's data, with the decision boundary
    assert panel["traces"] and panel["layout"]["xaxis"]["title"]["text"]
    at.query_params.clear()

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update({"mode": "mlp", "opt": "sgd,adam", "sgd.learning_rate": "0.2",
                            "steps": "100"})
    at.run()
    assert_clean(at)
    assert not at.warning
    assert at.query_params["mode"] == "mlp" and at.query_params["mlp.plane"] == "pca"
    fig = figure(at)
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("α")
    assert any("projection" in md.value for md in at.markdown)
    at.radio(key="mlp.plane").set_value("random").run()
    assert_clean(at)
    assert at.query_params["mlp.plane"] == "random"
    fig2 = figure(at)
    assert "random" in " ".join(a["text"] for a in fig2["layout"]["annotations"])


def test_the_mlp_mode_shows_twins_and_their_labels_as_text():
    label = "**bold** [x](https://evil.example)"
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update({"v": "2", "mode": "mlp", "racers": "adam,adam", "r2.b1": "0",
                            "r1.label": label, "steps": "30"})
    at.run()
    assert_clean(at)
    assert not at.warning
    names = [t["name"] for t in figure(at)["data"]
             if t.get("name") and t.get("legendgroup") in ("r1", "r2")]
    assert {"Adam (β₁=0)", label} <= set(names)  # plotly draws no Markdown
    escaped = "\\*\\*bold\\*\\* \\[x\\]\\(https://evil\\.example\\)"
    assert label not in " ".join(md.value for md in at.markdown)  # no Markdown renders it
    # the labelled racer ends lowest: the plane's description names it, escaped
    (described,) = [md.value for md in at.markdown if "final weights" in md.value]
    assert f"through {escaped}" in described
