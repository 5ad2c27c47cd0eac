"""The deployment (deploy/run_replicas.sh, deploy/nginx.conf) in small: two replicas of
`streamlit run app.py` behind Debian's nginx (nginx-light), 20 sessions on one link
through nginx with bench/load.py. Every session gets its chart, the page and its
websocket reach the same replica (the affinity cookie), and the sessions are split
between both. The 300-session run is a bench command (README, "Hosting a lecture").
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "run_replicas.sh"
NGINX = Path("/usr/sbin/nginx")

pytestmark = pytest.mark.slow  # two replicas and nginx: ~15 s


def _two_free_ports() -> int:
    """A port p with p and p + 1 both free (the script numbers replicas upwards)."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with socket.socket() as other:
            if port < 65535 and other.connect_ex(("127.0.0.1", port + 1)) != 0:
                return port
    raise RuntimeError("no two consecutive free ports")


def _wait_ready(proc: subprocess.Popen, timeout: float) -> str:
    """The script's output up to its "ready" line (or its end, if it failed)."""
    out, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        out.append(line)
        if line.strip() == "ready":
            break
    return "".join(out)


def test_two_replicas_behind_nginx_split_twenty_sessions_with_affinity(tmp_path):
    assert NGINX.exists(), "nginx-light is not installed (.ci/run installs it)"
    nginx_port, first = _two_free_ports(), _two_free_ports()
    env = {**os.environ, "JAX_CACHE": os.environ.get("OPTPLAY_JAX_CACHE") or str(tmp_path),
           "PYTHON": sys.executable}
    proc = subprocess.Popen(["bash", str(SCRIPT), "2", str(nginx_port), str(first)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        started = _wait_ready(proc, 120)
        assert started.rstrip().endswith("ready"), started
        replicas = [f"http://127.0.0.1:{first + i}" for i in range(2)]
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "load.py"), "--scenario", "same-link",
             "--url", f"http://127.0.0.1:{nginx_port}", "--replica", replicas[0],
             "--replica", replicas[1], "--sessions", "20", "--rounds", "1", "--timeout", "45",
             "--hard-timeout", "150"], cwd=ROOT, capture_output=True, text=True,
            timeout=180)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the script stops nginx and the replicas
        proc.wait(30)
        proc.stdout.close()
    out = done.stdout
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert re.search(r"sessions with a chart and no error\s+20/20$", out, re.M), out
    assert re.search(r"^\s+PASS\s+0 errors \(0 of 20 sessions failed\)$", out, re.M), out
    split = re.search(r"sessions per upstream \(X-Upstream\)\s+(.+)$", out, re.M)
    assert split, out
    counts = dict(re.findall(r"127\.0\.0\.1:(\d+): (\d+)", split.group(1)))
    assert sorted(counts) == [str(first), str(first + 1)], split.group(1)
    assert sum(map(int, counts.values())) == 20 and all(int(n) > 0
                                                        for n in counts.values())
    assert "no affinity" not in out
    # one computation per replica at most: the link's cache entry serves its sessions
    assert re.search(r"PASS\s+\d computation\(s\) for 20 sessions", out), out
    # the script's cleanup: nothing answers any more
    for port in (nginx_port, first, first + 1):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, port
