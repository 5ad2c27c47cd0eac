"""A student's page through two faults, in Debian's chromium (a bench command: ~1 min).

    python bench/reconnect.py [--offline 10] [--jax-cache DIR]

Starts `streamlit run app.py` on a free loopback port (bench/load.py), opens a share
link in chromium (Playwright, never `playwright install`), waits for the race, then:

1. the browser goes offline for ``--offline`` seconds (Playwright's
   ``context.set_offline``) and comes back: the page must reconnect and show the same
   view (same address, the race drawn);
2. the server is killed and started again on the same port with the same JAX compilation
   cache: the open page must reconnect by itself and redraw the same view from its link.

Prints what it saw and how long each took; exits non-zero if a page did not come back.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

from load import link, row, start_server, stop_all, verdict, watchdog  # noqa: E402

from tests.e2e.conftest import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    JS_APP_DRAWN,
    JS_WATCH_SCRIPT_STATE,
)

#: A run of the page started since JS_WATCH_SCRIPT_STATE (after a reconnect: its rerun).
JS_RERAN = "() => window._scriptStates.includes('running')"


def drawn_within(page, timeout_s: float) -> float | None:
    """Seconds until the race is drawn (None: not within ``timeout_s``)."""
    t0 = time.perf_counter()
    try:
        page.wait_for_function(JS_APP_DRAWN, timeout=timeout_s * 1000)
    except Exception:  # playwright's TimeoutError: reported, not raised
        return None
    return time.perf_counter() - t0


def rerun_within(page, timeout_s: float) -> float | None:
    """Seconds until a run of the page started and the race is drawn again (None: not
    within ``timeout_s``); JS_WATCH_SCRIPT_STATE must have been evaluated before."""
    t0 = time.perf_counter()
    try:
        page.wait_for_function(JS_RERAN, timeout=timeout_s * 1000)
    except Exception:  # playwright's TimeoutError: reported, not raised
        return None
    drawn = drawn_within(page, max(timeout_s - (time.perf_counter() - t0), 1))
    return None if drawn is None else time.perf_counter() - t0


def offline_fault(context, page, seconds: float, address: str) -> bool:
    page.evaluate(JS_WATCH_SCRIPT_STATE)
    context.set_offline(True)
    time.sleep(seconds)
    context.set_offline(False)
    took = drawn_within(page, 60)
    reran = rerun_within(page, 5) is not None
    same = page.evaluate("window.location.href") == address
    row(f"offline {seconds:g} s, back online: the race drawn",
        "never" if took is None else f"after {took:.2f} s")
    row("a new run of the page after coming back (a reconnect)", "yes" if reran else "no")
    ok = verdict(took is not None, "the page shows the race again")
    return verdict(same, "the same address (the same view)") and ok


def restart_fault(page, server, cache: str, address: str):
    port = int(server.url.rsplit(":", 1)[1])
    page.evaluate(JS_WATCH_SCRIPT_STATE)
    server.stop()
    t0 = time.perf_counter()
    server = start_server(cache, [], port=port)
    healthy = time.perf_counter() - t0
    redrawn = rerun_within(page, 90)
    row("server killed and started again: healthy after", f"{healthy:.2f} s")
    row("the open page's race redrawn after", "never" if redrawn is None
        else f"{healthy + redrawn:.2f} s from the restart")
    ok = verdict(redrawn is not None, "the open page reconnected and redrew its view")
    same = page.evaluate("window.location.href") == address
    return server, verdict(same, "the same address (the same view)") and ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offline", type=float, default=10.0, help="seconds offline")
    parser.add_argument("--jax-cache", default=os.environ.get("OPTPLAY_JAX_CACHE"),
                        help="JAX compilation cache (default: $OPTPLAY_JAX_CACHE, else new)")
    args = parser.parse_args(argv)
    watchdog(400)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="optplay-jax-") as fresh:
        cache = args.jax_cache or fresh
        server = start_server(cache, [])
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_ARGS)
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto(f"{server.url}/?{link(3, adam_lr=0.05)}")
                took = drawn_within(page, 90)
                if took is None:
                    raise SystemExit("the first page load never drew the race")
                row("first page load: the race drawn after", f"{took:.2f} s")
                address = page.evaluate("window.location.href")
                ok = offline_fault(context, page, args.offline, address)
                server, restarted = restart_fault(page, server, cache, address)
                ok &= restarted
                browser.close()
        finally:
            server.stop()
            stop_all()
    print("ALL PASS" if ok else "SOME CHECKS FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
