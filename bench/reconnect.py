"""A student's page through two faults, in Debian's chromium (a bench command: ~1 min).

    python bench/reconnect.py [--offline 10] [--jax-cache DIR]

Starts `streamlit run app.py` on a free loopback port (bench/load.py), opens a share
link in chromium (Playwright, never `playwright install`), waits for the race, then:

1. a start typed in the sidebar, then the page's connection dropped for ``--offline``
   seconds (a TCP proxy of this script's own on the loopback closes every connection
   and refuses new ones) and back: the page must reconnect and show the same view (same
   address, the race drawn) with what was typed;
2. the server is killed and started again on the same port with the same JAX compilation
   cache: the open page must reconnect by itself and redraw the same view from its link.

Prints what it saw and how long each took; exits non-zero if a page did not come back.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

from load import (  # noqa: E402
    free_port,
    link,
    row,
    start_server,
    stop_all,
    verdict,
    watchdog,
)

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, JS_APP_DRAWN  # noqa: E402

#: From now on, note whether the page runs (polled: after a lost connection Streamlit may
#: draw a new app element, which an observer of the old one would not see).
JS_WATCH_RUNS = """() => {
  window._ran = false;
  clearInterval(window._runWatch);
  window._runWatch = setInterval(() => {
    const app = document.querySelector("[data-testid='stApp']");
    if (app && app.getAttribute('data-test-script-state') === 'running') window._ran = true;
  }, 20);
}"""
#: A run of the page started since JS_WATCH_RUNS (after a reconnect: its rerun).
JS_RERAN = "() => window._ran === true"


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
    within ``timeout_s``); JS_WATCH_RUNS must have been evaluated before."""
    t0 = time.perf_counter()
    try:
        page.wait_for_function(JS_RERAN, timeout=timeout_s * 1000)
    except Exception:  # playwright's TimeoutError: reported, not raised
        return None
    drawn = drawn_within(page, max(timeout_s - (time.perf_counter() - t0), 1))
    return None if drawn is None else time.perf_counter() - t0


class DroppingProxy:
    """A TCP proxy on the loopback in front of the server, which can drop every
    connection through it and refuse new ones for a while: a student's Wi-Fi gone.
    (Playwright's ``context.set_offline`` leaves an open websocket alone.)"""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.refusing = False
        self._links: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self.port = free_port()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", self.port))
        ready.set()
        with contextlib.suppress(RuntimeError):
            self._loop.run_until_complete(server.serve_forever())

    async def _client(self, reader, writer) -> None:
        if self.refusing:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1",
                                                                 self.upstream_port)
        except OSError:
            writer.close()
            return
        self._links |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._links.discard(writer)
            writer.close()

    def drop(self) -> None:
        """Close every connection through the proxy and refuse new ones."""
        def close_all() -> None:
            self.refusing = True
            for writer in list(self._links):
                writer.transport.abort()
        self._loop.call_soon_threadsafe(close_all)

    def resume(self) -> None:
        self.refusing = False


def type_start_x(page, value: str) -> None:
    """Type a start abscissa in the sidebar and let the page run with it."""
    field = page.locator("[data-testid='stNumberInput'] input").first
    page.evaluate(JS_WATCH_RUNS)
    field.fill(value)
    field.press("Enter")
    if rerun_within(page, 60) is None:
        raise SystemExit("typing a start did not run the page")


def dropped_fault(page, proxy: DroppingProxy, seconds: float) -> bool:
    """The connection dropped for ``seconds``: the page reconnects, shows the same view,
    and what was typed before is still there."""
    type_start_x(page, "0.5")
    address = page.evaluate("window.location.href")
    page.evaluate(JS_WATCH_RUNS)
    proxy.drop()
    time.sleep(seconds)
    proxy.resume()
    took = rerun_within(page, 60)
    row(f"connection dropped {seconds:g} s, then back: the race redrawn",
        "never" if took is None else f"{took:.2f} s after")
    ok = verdict(took is not None, "the page reconnected and drew the race again")
    ok &= verdict(page.evaluate("window.location.href") == address,
                  "the same address (the same view)")
    typed = page.locator("[data-testid='stNumberInput'] input").first.input_value()
    return verdict(float(typed) == 0.5, f"what was typed is kept (start x {typed})") and ok


def restart_fault(page, server, cache: str, address: str):
    port = int(server.url.rsplit(":", 1)[1])
    page.evaluate(JS_WATCH_RUNS)
    server.stop()
    t0 = time.perf_counter()
    server = start_server(cache, [], port=port)
    healthy = time.perf_counter() - t0
    redrawn = rerun_within(page, 90)
    row("server killed and started again: healthy after", f"{healthy:.2f} s")
    row("the open page's race redrawn after", "never" if redrawn is None
        else f"{healthy + redrawn:.2f} s from the restart")
    ok = verdict(redrawn is not None, "the open page reconnected and redrew its view")
    if redrawn is None:
        shot = os.path.join(tempfile.gettempdir(), "optplay-reconnect-restart.png")
        page.screenshot(path=shot)
        row("what the page showed then", shot)
    same = page.evaluate("window.location.href") == address
    return server, verdict(same, "the same address (the same view)") and ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offline", type=float, default=10.0,
                        help="seconds the connection stays dropped")
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
                proxy = DroppingProxy(int(server.url.rsplit(":", 1)[1]))
                page.goto(f"http://127.0.0.1:{proxy.port}/?{link(3, adam_lr=0.05)}")
                took = drawn_within(page, 90)
                if took is None:
                    raise SystemExit("the first page load never drew the race")
                row("first page load: the race drawn after", f"{took:.2f} s")
                ok = dropped_fault(page, proxy, args.offline)
                address = page.evaluate("window.location.href")
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
