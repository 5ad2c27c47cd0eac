"""A student's page through two faults, in Debian's chromium, against a real
`streamlit run app.py`: `python bench/reconnect.py`, whose checks print what they see.

- the page's connection dropped for 10 s (a TCP proxy on the loopback closes every
  connection and refuses new ones) and back: the page reconnects by itself and shows
  the same view, with what was typed before the drop;
- the server killed and started again on the same port with the same JAX cache: the
  open page reconnects by itself and runs again, drawing its view from its link.

The command runs in a process of its own: Playwright's sync API cannot start inside a
worker whose browser tests already hold it open.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # 10 s offline and a restart

OFFLINE_S = 10


def test_a_page_comes_back_by_itself_after_a_dropped_connection_and_a_restart(tmp_path):
    cache = os.environ.get("OPTPLAY_JAX_CACHE") or str(tmp_path)
    done = subprocess.run(
        [sys.executable, "bench/reconnect.py", "--offline", str(OFFLINE_S),
         "--jax-cache", cache],
        cwd=ROOT, capture_output=True, text=True, timeout=450)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "ALL PASS" in done.stdout
