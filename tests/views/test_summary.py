"""The summary table (views/summary.py): one row per racer, every cell a word or a number."""

from __future__ import annotations

from scene import Scene
from tests.helpers import race_result
from views import summary_rows

SCENES = {"default": Scene(), "saddle": Scene.of(surface="saddle"), "7-steps": Scene.of(steps=7)}


def test_summary_rows_for_each_kind_of_outcome():
    for name in ("default", "saddle", "7-steps"):
        rows = summary_rows(race_result(SCENES[name]))
        assert [r["optimizer"] for r in rows] == [r.name for r in race_result(SCENES[name]).runs]
        for row in rows:
            assert set(row) == {"optimizer", "hyperparameters", "final f",
                                "distance to minimum", "status"}
            assert all(isinstance(v, str) and v for v in row.values())
    saddle = summary_rows(race_result(SCENES["saddle"]))
    assert all(r["distance to minimum"] == "—" for r in saddle)
