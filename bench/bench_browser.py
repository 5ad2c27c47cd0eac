"""Browser benchmark: what a person waits for, in Debian's chromium (headless, this
machine's software rendering), against a trivial Streamlit app measured in the same run.

Run: python bench/bench_browser.py            (about two minutes)

Targets (the browser-stage issue), each printed with its ratio:
- warm time-to-chart ≤ 1.3× the trivial app's (one select_slider and a 200-point line);
- a committed slider move → repainted chart ≤ 1.5× the trivial app's;
- scrubbing in the figure: input → painted paths ≤ 50 ms (median of 20 moves), and no
  message to the server until release;
- dragging the start: ≥ 20 painted preview updates per second;
- 2D playback at 30 fps nominal: median frame interval ≤ 1.15 × 33.3 ms;
- 3D playback: per update ≤ 1.5× plotly's own gl3d floor measured in the same browser
  (a 2 × 2 surface and three scatter3d markers moved by Plotly.animate);
- the server's figure payload per scene change ≤ 1/3 of the old figure's (the race figure
  st.plotly_chart received on every rerun, built in this process).
It also lists the JavaScript each page pulls.

Timings are taken inside the page (performance.now, requestAnimationFrame, a
MutationObserver on the plots' SVG): a paint is the first animation frame after the
change reached the DOM.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from _common import row

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
TRIVIAL_APP = """
import numpy as np
import plotly.graph_objects as go
import streamlit as st

k = st.select_slider("k", options=list(range(1, 21)), value=5)
x = np.linspace(0, 10, 200)
st.plotly_chart(go.Figure(go.Scatter(x=x, y=np.sin(k * x / 5))), key="chart")
"""
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
TRIVIAL_LINE = "[data-testid='stPlotlyChart'] .scatterlayer path.js-line"
STAGE_LINE = ".stage[data-ready] .stage-map .scatterlayer path.js-line"
#: The links measured: two racers, so the sidebar shows their sliders.
LINK = "?opt=sgd,adam"
LINK_3D = "?opt=sgd,adam&view=3d"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(script: str, cwd: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(240):
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=1) as r:
                if r.read() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise SystemExit(f"{script} did not start")


# In-page helpers: wait for a change of the lines' "d" and time it to the next paint.
WATCH = """
(selector) => {
  const read = () => [...document.querySelectorAll(selector)]
    .map((p) => p.getAttribute("d")).join("|");
  window.__before = read();
  window.__changedAt = null;
  const poll = () => {
    if (read() !== window.__before) {
      const seen = performance.now();
      requestAnimationFrame(() => { window.__changedAt = seen; });
      return;
    }
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
  return performance.now();
}
"""


def time_to_chart(browser, url: str, selector: str) -> float:
    """Seconds from a new page's navigation until ``selector`` (the chart's line) is there."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(selector, state="attached", timeout=120_000)
    elapsed = time.perf_counter() - t0
    page.close()
    return elapsed


def times_to_chart(browser, trivial_url: str, app_url: str, n: int = 5) -> tuple[float, float]:
    """Median warm time-to-chart of each app, the two loaded in turn (so that the
    machine's load drifts alike for both)."""
    trivial, app = [], []
    for _ in range(n):
        trivial.append(time_to_chart(browser, trivial_url, TRIVIAL_LINE))
        app.append(time_to_chart(browser, app_url, STAGE_LINE))
    return statistics.median(trivial), statistics.median(app)


def slider_repaint(page, slider, line: str, n: int = 7) -> list[float]:
    """Press → on a select slider; seconds until the chart's lines repaint."""
    out = []
    for i in range(n):
        page.wait_for_selector(READY)
        page.wait_for_timeout(400)  # a person's pace: the page has settled before the next notch
        slider.focus()
        t0 = page.evaluate(WATCH, line)
        page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function("() => window.__changedAt !== null", timeout=60_000)
        out.append((page.evaluate("() => window.__changedAt") - t0) / 1000)
        page.wait_for_selector(READY)
    return out


def measure_trivial(browser, url: str) -> dict:
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(url)
    page.wait_for_selector(TRIVIAL_LINE)
    slider = page.locator("[data-testid='stSlider'] input[type='range']").first
    repaint = slider_repaint(page, slider, TRIVIAL_LINE)
    chunks = js_chunks(page)
    page.close()
    return {"repaint": repaint, "chunks": chunks}


def js_chunks(page) -> list[tuple[str, int]]:
    entries = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter((e) => e.name.endsWith('.js'))
        .map((e) => [e.name.split('/').pop(), e.encodedBodySize || e.transferSize || 0])""")
    return sorted(entries, key=lambda e: -e[1])


SCRUB = """
async () => {
  const input = document.querySelector(".stage-scrub input");
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  const out = [];
  const max = Number(input.max);
  for (let i = 0; i < 20; i++) {
    const k = (Number(input.value) + 1) % (max + 1);
    await frame();
    const t0 = performance.now();
    input.value = String(k);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    await frame();
    out.push(performance.now() - t0);
  }
  return out;
}
"""

PAINT_LOG = """
(selector) => {
  if (window.__observer) window.__observer.disconnect();
  window.__paints = [];
  const target = document.querySelector(selector);
  let last = -1;
  window.__observer = new MutationObserver(() => {
    requestAnimationFrame((t) => { if (t !== last) { last = t; window.__paints.push(t); } });
  });
  window.__observer.observe(target, { attributes: true, subtree: true,
                                      attributeFilter: ["d", "transform"] });
}
"""


def stage_point(page, x: float, y: float) -> tuple[float, float]:
    return tuple(page.evaluate("""([x, y]) => { const gd = document.querySelector('.stage-map');
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
        return [r.left + xa._offset + xa.l2p(x), r.top + ya._offset + ya.l2p(y)]; }""", [x, y]))


def measure_drag(page) -> tuple[float, bool]:
    """Preview updates per second over a 2 s drag, and whether the link changed after."""
    sx, sy = stage_point(page, -1.5, 2.5)
    ex, ey = stage_point(page, 0.5, -0.5)
    page.mouse.move(sx - 3, sy)
    page.mouse.move(sx, sy)  # nearing the start asks for the grid
    page.wait_for_selector(".stage[data-grid='ready']", timeout=60_000)
    before = page.evaluate("() => window.location.href")
    page.evaluate(PAINT_LOG, ".stage-map")
    page.mouse.down()
    t0 = time.perf_counter()
    # A pointer reports at 60 Hz or more; one call of the driver takes ~30 ms here, so each
    # call sends a few moves (the stage draws at most one preview a display frame).
    calls = 60
    for k in range(1, calls + 1):
        page.mouse.move(sx + (ex - sx) * k / calls, sy + (ey - sy) * k / calls, steps=3)
    elapsed = time.perf_counter() - t0
    paints = page.evaluate("() => window.__paints.length")
    page.mouse.up()
    page.wait_for_function(f"() => window.location.href !== {json.dumps(before)}",
                           timeout=60_000)
    return paints / elapsed, True


def measure_playback(page, selector: str) -> list[float]:
    page.evaluate(PAINT_LOG, selector)
    page.click(".stage-play")
    page.wait_for_function(PAUSED, timeout=120_000)
    paints = page.evaluate("() => window.__paints")
    return [b - a for a, b in itertools.pairwise(paints)]


PAUSED = "() => document.querySelector('.stage-play').textContent.includes('Play')"

FLOOR_3D = """
async (src) => {
  await new Promise((res) => {
    const s = document.createElement('script');
    s.src = src; s.onload = res; document.head.append(s);
  });
  const div = document.createElement('div');
  div.style.width = '700px'; div.style.height = '700px';
  document.body.append(div);
  const traces = [{type: 'surface', z: [[0, 1], [1, 0]], showscale: false}];
  for (let r = 0; r < 3; r++) {
    traces.push({type: 'scatter3d', x: [0], y: [0], z: [0], mode: 'markers'});
  }
  await Plotly.newPlot(div, traces, {scene: {aspectmode: 'cube'}});
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  const out = [];
  for (let k = 0; k < 12; k++) {
    const t0 = performance.now();
    const data = [0, 1, 2].map((r) => ({x: [k % 2], y: [r / 3], z: [0.5]}));
    await Plotly.animate(div, {data, traces: [1, 2, 3]},
                         {frame: {duration: 0, redraw: true}, transition: {duration: 0}});
    await frame();
    out.push(performance.now() - t0);
  }
  return out;
}
"""


def measure_3d(browser, url: str) -> tuple[list[float], list[float]]:
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.goto(url + LINK_3D)
    page.wait_for_selector(STAGE_LINE, state="attached", timeout=120_000)
    page.wait_for_selector(READY)
    page.evaluate("() => performance.clearMarks('stage-3d')")
    page.click(".stage-play")
    page.wait_for_function(PAUSED, timeout=120_000)
    marks = page.evaluate("() => performance.getEntriesByName('stage-3d').map((m) => m.detail)")
    floor = page.evaluate(FLOOR_3D, url + "app/static/" + plotly_file())
    page.close()
    return marks, floor


def plotly_file() -> str:
    import plotly.offline

    return f"plotly-{plotly.offline.get_plotlyjs_version()}.min.js"


def old_payload() -> tuple[int, int]:
    """Bytes of the old race figure (st.plotly_chart's spec, every rerun) and of the
    stage's race message for the same link, built in this process."""
    import plotly.io as pio

    sys.path.insert(0, ROOT)
    from urllib.parse import parse_qs

    from compute import compute_race
    from compute.neighbourhood import scrubs
    from scene import from_query
    from views import race_figure
    from views.stage import race_message

    setup = from_query(parse_qs(LINK[1:]))[0].setup
    result = compute_race(setup)
    old = len(pio.to_json(race_figure(result), validate=False).encode())
    new = len(race_message(result, scrubs(setup), key="k", surface_key="s", grid_key="g",
                           ladders_key="l", plotly_src="p"))
    return old, new


def measure_app(browser, url: str) -> dict:
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    received: list[int] = []
    sent: list[int] = []

    def on_ws(ws):
        ws.on("framereceived", lambda payload: received.append(len(payload)))
        ws.on("framesent", lambda payload: sent.append(len(payload)))

    page.on("websocket", on_ws)
    page.goto(url + LINK)
    page.wait_for_selector(STAGE_LINE, state="attached", timeout=120_000)
    page.wait_for_selector(READY)
    chunks = js_chunks(page)
    slider = page.locator("[data-testid='stSlider'] input[type='range']").nth(1)  # SGD's η
    received.clear()
    repaint = slider_repaint(page, slider, STAGE_LINE)
    per_change = sum(received) / len(repaint)
    page.wait_for_selector(READY)
    page.wait_for_selector(".stage[data-ladders='ready']", timeout=60_000)
    scrub = page.evaluate(SCRUB)
    sent_before = len(sent)
    box = page.locator(".stage-scrub input").first.bounding_box()
    page.mouse.move(box["x"] + 4, box["y"] + box["height"] / 2)
    page.mouse.down()
    for k in range(20):
        page.mouse.move(box["x"] + 4 + k * box["width"] / 25, box["y"] + box["height"] / 2)
        time.sleep(0.03)
    sent_during = len(sent) - sent_before
    shown = page.evaluate("() => document.querySelector('.stage').dataset.ready")
    page.mouse.up()
    page.wait_for_function(f"() => document.querySelector('.stage').dataset.ready !== '{shown}'",
                           timeout=60_000)  # the release committed a value: a new race
    page.wait_for_selector(READY)
    drag_rate, _ = measure_drag(page)
    page.wait_for_selector(STAGE_LINE, state="attached")
    page.wait_for_selector(READY)
    intervals = measure_playback(page, ".stage-map")
    page.close()
    return {"repaint": repaint,
            "per_change": per_change, "scrub": scrub, "sent_during_scrub": sent_during,
            "drag_rate": drag_rate, "intervals": intervals, "chunks": chunks}


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(trivial: dict, app: dict, marks: list[float], floor: list[float]) -> None:
    med = statistics.median
    print("\nBrowser benchmark (headless chromium, this machine)")
    ratio = app["ttc"] / trivial["ttc"]
    row("warm time-to-chart: this app / trivial app", f"{app['ttc']:.2f} / {trivial['ttc']:.2f} s",
        f"{ratio:.2f}× (≤ 1.3×) {verdict(ratio <= 1.3)}")
    a, t = med(app["repaint"]), med(trivial["repaint"])
    row("slider notch → repaint (median of 7)", f"{a * 1e3:.0f} / {t * 1e3:.0f} ms",
        f"{a / t:.2f}× (≤ 1.5×) {verdict(a / t <= 1.5)}")
    row("  each notch, this app", " ".join(f"{v * 1e3:.0f}" for v in app["repaint"]))
    row("  each notch, trivial app", " ".join(f"{v * 1e3:.0f}" for v in trivial["repaint"]))
    s = med(app["scrub"])
    row("scrub in the figure: input → painted paths, median of 20", f"{s:.1f} ms",
        f"(≤ 50 ms) {verdict(s <= 50)}")
    row("  messages to the server while scrubbing (until release)", str(app["sent_during_scrub"]),
        f"(0) {verdict(app['sent_during_scrub'] == 0)}")
    row("drag the start: painted preview updates per second", f"{app['drag_rate']:.1f}/s",
        f"(≥ 20/s) {verdict(app['drag_rate'] >= 20)}")
    iv = med(app["intervals"])
    row("2D playback, median frame interval (30 fps nominal)", f"{iv:.1f} ms",
        f"{iv / (1000 / 30):.2f}× nominal (≤ 1.15×) {verdict(iv <= 1.15 * 1000 / 30)}")
    if marks and floor:
        m, f = med(marks), med(floor)
        row("3D playback, per update: this app / gl3d floor", f"{m:.0f} / {f:.0f} ms",
            f"{m / f:.2f}× (≤ 1.5×) {verdict(m / f <= 1.5)}")
    old, new = old_payload()
    row("figure payload per scene change: old figure JSON", f"{old / 1e3:.0f} kB")
    row("  the stage's race message for the same link", f"{new / 1e3:.0f} kB",
        f"{new / old:.2f}× (≤ 0.33×) {verdict(new <= old / 3)}")
    row("  websocket bytes received per slider move (all elements)",
        f"{app['per_change'] / 1e3:.0f} kB", f"{app['per_change'] / old:.2f}× the old figure")
    for name, chunks in (("this app", app["chunks"]), ("trivial app", trivial["chunks"])):
        total = sum(size for _, size in chunks)
        print(f"\n  JavaScript {name} pulls: {total / 1e6:.2f} MB in {len(chunks)} files; largest:")
        for file, size in chunks[:6]:
            print(f"    {file:<48} {size / 1e3:8.0f} kB")


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        trivial_script = os.path.join(tmp, "trivial_app.py")
        with open(trivial_script, "w") as f:
            f.write(TRIVIAL_APP)
        trivial_proc, trivial_url = serve(trivial_script, tmp)
        app_proc, app_url = serve("app.py", ROOT)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for url, selector in ((trivial_url, TRIVIAL_LINE), (app_url + LINK, STAGE_LINE),
                                      (app_url + LINK_3D, STAGE_LINE)):
                    time_to_chart(browser, url, selector)  # warm the servers
                ttc = times_to_chart(browser, trivial_url, app_url + LINK)
                trivial = {**measure_trivial(browser, trivial_url), "ttc": ttc[0]}
                app = {**measure_app(browser, app_url), "ttc": ttc[1]}
                marks, floor = measure_3d(browser, app_url)
                browser.close()
        finally:
            for proc in (trivial_proc, app_proc):
                proc.terminate()
                proc.wait(timeout=20)
    report(trivial, app, marks, floor)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
