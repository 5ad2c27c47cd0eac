"""The load harness (bench/load.py), run as its command line: a few sessions on a real
`streamlit run app.py` server that it starts on a free loopback port and stops, and a
refused connection, which must be reported as an error, not raised.

The harness's own cold server (an empty JAX cache) is most of the time this takes.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "bench" / "load.py"

pytestmark = pytest.mark.slow  # a real server: ~10 s (not skipped anywhere)


def run_harness(*args: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(HARNESS), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
            return True
    except (OSError, urllib.error.URLError):
        return False


def test_three_concurrent_sessions_on_one_link_all_get_the_chart():
    # --ramp 0: all three connect at once and stay connected until every one has its chart
    done = run_harness("--scenario", "same-link", "--sessions", "3", "--rounds", "2",
                       "--ramp", "0", "--timeout", "45", "--hard-timeout", "300",
                       timeout=360)
    out = done.stdout
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    # two rounds of three sessions, pooled
    assert re.search(r"sessions with a chart and no error\s+6/6$", out, re.M), out
    assert re.search(r"^\s+PASS\s+0 errors \(0 of 6 sessions failed\)$", out, re.M), out
    assert re.search(r"^\s+time to chart p50 / p95 / max\s+[\d.]+ / [\d.]+ / [\d.]+ s$", out,
                     re.M), out
    # the figure itself travelled: far more than the page's other messages
    per_session = re.search(r"received over websockets \(uncompressed\)\s+[\d.]+ MB "
                            r"\(([\d.]+) MB per session", out)
    assert per_session and float(per_session.group(1)) >= 0.01, out
    assert "saw a warning" not in out
    # The three sessions shared one computation of the link (st.cache_data).
    assert re.search(r"computations of the link \(cached_result misses\)\s+1\s", out), out
    assert re.search(r"^\s+PASS\s+1 computation\(s\) for 6 sessions on one link", out,
                     re.M), out
    # the server's CPU per session: each round's, and their median (the verdict's),
    # beside a trivial app's measured as many times in the same run
    each = re.search(r"^\s+server CPU per session, each round\s+([\d.]+), ([\d.]+) ms$",
                     out, re.M)
    own = re.search(r"server CPU per session \(median\)\s+([\d.]+) ms$", out, re.M)
    assert each and own, out
    assert float(own.group(1)) == pytest.approx(
        (float(each.group(1)) + float(each.group(2))) / 2, abs=0.051)
    assert re.search(r"baseline server CPU per session, each round\s+[\d.]+, [\d.]+ ms$",
                     out, re.M), out
    base = re.search(r"baseline server CPU per session \(trivial app\)\s+([\d.]+) ms$",
                     out, re.M)
    ratio = re.search(r"ratio to the baseline\s+([\d.]+)$", out, re.M)
    assert own and base and ratio, out
    assert float(base.group(1)) > 0 and float(own.group(1)) > 0
    assert float(ratio.group(1)) == pytest.approx(
        float(own.group(1)) / float(base.group(1)), rel=0.05, abs=0.02)
    # only the latency and CPU targets depend on how busy this machine is
    missed = [line for line in out.splitlines() if line.strip().startswith("MISS")]
    assert all("p95 time-to-chart" in line or "server CPU per session" in line
               for line in missed), missed
    assert done.returncode == (1 if missed else 0), (done.returncode, out, done.stderr)
    assert ("SOME TARGETS MISSED" if missed else "ALL PASS") in out
    # and the server it started is gone
    (url,) = re.findall(r"— (http://127\.0\.0\.1:\d+),", out)
    assert not answers(url), "the server outlived the harness"


def test_a_refused_connection_is_an_error_not_an_exception():
    url = f"http://127.0.0.1:{free_port()}"
    done = run_harness("--url", url, "--scenario", "same-link", "--sessions", "1",
                       "--timeout", "5", "--hard-timeout", "60", timeout=120)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert re.search(rf"warm-up session on {re.escape(url)} failed: \[.connection failed",
                     done.stderr), done.stderr
