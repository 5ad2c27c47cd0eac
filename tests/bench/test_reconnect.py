"""A student's page through two faults, in Debian's chromium, against a real
`streamlit run app.py` (bench/reconnect.py's checks, which print what they see):

- the page's connection dropped for 10 s (a TCP proxy on the loopback closes every
  connection and refuses new ones) and back: the page reconnects by itself and shows
  the same view, with what was typed before the drop;
- the server killed and started again on the same port with the same JAX cache: the
  open page reconnects by itself and runs again, drawing its view from its link.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from load import link, start_server  # noqa: E402
from reconnect import DroppingProxy, drawn_within, dropped_fault, restart_fault  # noqa: E402

from tests.e2e.conftest import APP_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # 10 s offline and a restart

OFFLINE_S = 10.0


def test_a_page_comes_back_by_itself_after_a_dropped_connection_and_a_restart(tmp_path):
    from playwright.sync_api import sync_playwright

    cache = os.environ.get("OPTPLAY_JAX_CACHE") or str(tmp_path)
    server = start_server(cache, [])
    proxy = DroppingProxy(int(server.url.rsplit(":", 1)[1]))
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.goto(f"http://127.0.0.1:{proxy.port}/?{link(3, adam_lr=0.05)}")
                assert drawn_within(page, APP_TIMEOUT_MS / 1000) is not None
                assert dropped_fault(page, proxy, OFFLINE_S)
                address = page.evaluate("window.location.href")
                server, came_back = restart_fault(page, server, cache, address)
                assert came_back
            finally:
                browser.close()
    finally:
        proxy.close()
        server.stop()
