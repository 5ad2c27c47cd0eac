"""App benchmark: figure payload, warm reruns, and the cold first page.

Run: python bench/bench_app.py

Targets (issue: the app): contour-view figure JSON ≤ 0.6 MB, with the 3D view ≤ 1.5 MB;
server-side time of a warm rerun after a slider move ≤ 150 ms (AppTest, in process);
cold first page in a fresh process ≤ 5 s, measured without and with JAX's persistent
compilation cache. Baselines in the same run: the same rerun validating the figure the
way st.plotly_chart does for a dict, and a rerun that changes nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from _common import row

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)

COLD_SCRIPT = """
import time
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=300)
at.run()
assert not at.exception, at.exception
assert at.get("plotly_chart"), "no chart"
print(time.perf_counter() - t0)
"""


def payload() -> None:
    import plotly.io as pio

    from compute import compute_race
    from scene import Scene
    from views import race_figure

    result = compute_race(Scene().setup)
    for view, target in (("contour", 0.6), ("3d", 1.5)):
        size = len(pio.to_json(race_figure(result, view=view), validate=False)) / 1e6
        row(f"figure JSON, default scene, {view} view (≤ {target} MB)", f"{size:.3f} MB",
            "PASS" if size <= target else "MISS")


def warm_rerun() -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=300)
    at.run()
    values = [0.02, 0.05, 0.1, 0.2]
    for v in values:  # compile and cache everything these values need
        at.select_slider(key="r3.learning_rate").set_value(v).run()  # Adam
    import streamlit as st

    times, same = [], []
    for _ in range(3):
        for v in values:
            # empty the result caches: every timed rerun computes its scene anew
            # (JAX's compiled programs stay: that is what "warm" means)
            st.cache_data.clear()
            st.cache_resource.clear()
            t = time.perf_counter()
            at.select_slider(key="r3.learning_rate").set_value(v).run()  # Adam
            times.append(time.perf_counter() - t)
            t = time.perf_counter()
            at.run()
            same.append(time.perf_counter() - t)
    assert not at.exception
    times.sort()
    same.sort()
    med = times[len(times) // 2]
    row("warm rerun after a slider move, median (≤ 150 ms)", f"{med * 1e3:.0f} ms",
        "PASS" if med <= 0.150 else "MISS")
    row("warm rerun after a slider move, best", f"{times[0] * 1e3:.0f} ms")
    row("baseline: rerun with nothing changed, median", f"{same[len(same) // 2] * 1e3:.0f} ms")

    import plotly.tools

    from compute import compute_race
    from scene import Scene
    from views import race_figure

    fig = race_figure(compute_race(Scene().setup))
    t = time.perf_counter()
    plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True)
    elapsed = time.perf_counter() - t
    row("baseline: st.plotly_chart's validation of a dict figure", f"{elapsed * 1e3:.0f} ms",
        "(what ui/chart.py's SpecFigure avoids)")


def cold_page() -> None:
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        for label, env in (
            ("no persistent cache", {"OPTPLAY_JAX_CACHE": ""}),
            ("persistent cache, 1st process (fills it)", {"OPTPLAY_JAX_CACHE": cache}),
            ("persistent cache, 2nd process", {"OPTPLAY_JAX_CACHE": cache}),
        ):
            out = subprocess.run([sys.executable, "-c", COLD_SCRIPT], capture_output=True,
                                 text=True, env={**os.environ, **env}, cwd=ROOT, check=True)
            results[label] = float(out.stdout.strip().splitlines()[-1])
            ok = "PASS" if results[label] <= 5 else "MISS"
            row(f"cold first page, fresh process: {label} (≤ 5 s)", f"{results[label]:.2f} s", ok)


def main() -> None:
    print("App benchmark (wall clock; this machine: 2 cores, shared)")
    payload()
    warm_rerun()
    cold_page()


if __name__ == "__main__":
    main()
