"""Faults in the middle of a lecture, through a real `streamlit run app.py` server on the
loopback, spoken to in Streamlit's own protocol (bench/loadclient.py, no browser):

- a client that sends garbage on the websocket, and 200 connections that never read,
  leave the others served and /_stcore/health answering;
- a burst of 50 different links at once: no error (the compile semaphore and the caches
  hold), p95 printed;
- the server killed and started again (same port, same JAX compilation cache): a page
  that asks again for its link gets the same view.

One server for the module (the restart test, last, replaces it). Bounded in time: each
session has a timeout, the server dies with the test process (bench/load.py).
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
import sys
import time
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import websockets

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from load import (  # noqa: E402
    Server,
    Target,
    base_query,
    crowd,
    distinct_links,
    link,
    pct,
    rss_mb,
    run_async,
    start_server,
)
from loadclient import PLACEHOLDER_TOKEN, http_get, open_link, rerun_message  # noqa: E402
from restart import probe  # noqa: E402

pytestmark = pytest.mark.slow  # a real server: ~15 s for the module

SESSION_TIMEOUT_S = 45.0
IDLE_CONNECTIONS = 200
#: Of the idle connections, how many first ask for a page (then never read its messages).
IDLE_WITH_A_RUN = 20
BURST = 50


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[dict]:
    """The module's server (``"server"``: the restart test swaps it) and its JAX cache
    (``"cache"``: the test process's, where the default surface's programs are found),
    warmed up with the default link."""
    cache = os.environ.get("OPTPLAY_JAX_CACHE") or str(tmp_path_factory.mktemp("jax"))
    holder = {"server": start_server(cache, []), "cache": cache}
    warm = run_async(open_link(holder["server"].url, _query(), timeout=90))
    assert warm.ok, warm.errors
    yield holder
    holder["server"].stop()


def _query(**change) -> str:
    from urllib.parse import urlencode

    return urlencode(base_query()) if not change else link(**change)


def _health(url: str) -> tuple[int, float]:
    """The health check's status and how long it took."""
    t0 = time.perf_counter()
    status, _, body = run_async(http_get(url, "/_stcore/health", SimpleCookie(), 5))
    return (status if body.strip() == b"ok" else -1), time.perf_counter() - t0


# -- bad clients -------------------------------------------------------------------------
def _client_frame(payload: bytes, opcode: int = 0x2) -> bytes:
    """One masked websocket frame, as a client must send it (RFC 6455 §5.2)."""
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 2**16:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _never_reading(url: str, run: bool) -> socket.socket:
    """A websocket that, once open (with ``run``: after asking for a page), never reads a
    byte: the server's messages pile up in the socket buffers."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Protocol: streamlit, {PLACEHOLDER_TOKEN}\r\n\r\n").encode())
    if run:
        sock.sendall(_client_frame(rerun_message(_query(seed=7), url + "/")))
    return sock


async def _send_garbage(url: str) -> list[str]:
    """Garbage on the websocket: not a BackMsg, a text frame, 1 MB of noise. Returns how
    the server answered each (it may close the socket: that is its right)."""
    answers = []
    for junk in (b"\x00\xff not a protobuf \xff", "a text frame", os.urandom(2**20)):
        try:
            async with websockets.connect(
                    url.replace("http", "ws") + "/_stcore/stream", max_size=2**24,
                    subprotocols=["streamlit", PLACEHOLDER_TOKEN], open_timeout=5,
                    close_timeout=2) as ws:
                await ws.send(junk)
                answers.append(repr(await asyncio.wait_for(ws.recv(), 3))[:60])
        except (websockets.ConnectionClosed, TimeoutError, OSError) as err:
            answers.append(type(err).__name__)
    return answers


def test_garbage_and_connections_that_never_read_leave_the_others_served(served):
    url, pid = served["server"].url, served["server"].pid
    rss_before = rss_mb(pid)
    idle = [_never_reading(url, run=i < IDLE_WITH_A_RUN) for i in range(IDLE_CONNECTIONS)]
    try:
        print("garbage answered:", run_async(_send_garbage(url)))
        time.sleep(1.0)  # the asked-for runs happen; their output waits, unread
        status, took = _health(url)
        assert status == 200 and took < 2.0, (status, took)
        student = run_async(open_link(url, _query(seed=8), timeout=SESSION_TIMEOUT_S))
        assert student.ok, student.errors
        grown = rss_mb(pid) - rss_before
        print(f"{IDLE_CONNECTIONS} idle connections: RSS +{grown:.0f} MB; a student's "
              f"chart in {student.time_to_chart:.2f} s")
        # bounded per-session memory: a never-reading session holds one page's messages
        assert grown < 0.5 * IDLE_CONNECTIONS, grown
    finally:
        for sock in idle:
            sock.close()
    assert _health(url)[0] == 200


def test_a_burst_of_fifty_different_links_gets_no_error(served):
    links = distinct_links(BURST, 500)

    url = served["server"].url
    results, wall, _ = run_async(crowd(Target(url, [url], None, SESSION_TIMEOUT_S),
                                       links, 0.0))
    failed = [r.errors for r in results if not r.ok]
    assert not failed, failed[:3]
    times = [r.time_to_chart for r in results]
    print(f"burst of {BURST} links: p50 {pct(times, 50):.2f} s, p95 {pct(times, 95):.2f} s,"
          f" all in {wall:.1f} s")


def test_a_restarted_server_serves_the_same_view_again(served):
    old: Server = served["server"]
    query = _query(seed=11, adam_lr=0.02)
    warm = run_async(open_link(old.url, query, timeout=SESSION_TIMEOUT_S))
    assert warm.ok, warm.errors
    # a warm server computing a view it has not seen: the reference for the restart
    fresh_on_warm = run_async(open_link(old.url, _query(seed=12, adam_lr=0.03),
                                        timeout=SESSION_TIMEOUT_S))
    assert fresh_on_warm.ok, fresh_on_warm.errors
    port = int(old.url.rsplit(":", 1)[1])
    old.stop()  # SIGTERM to the group; SIGKILL if it lingers
    assert _refused(port)
    served["server"] = start_server(served["cache"], [], port=port)
    # the readiness probe a deployment runs (deploy/run_replicas.sh): the page runs once
    answered, _ = probe(served["server"])
    assert answered
    again = run_async(open_link(served["server"].url, query, timeout=SESSION_TIMEOUT_S))
    assert again.ok, again.errors
    # the same view: the same stage message, byte for byte
    assert again.chart_digest == warm.chart_digest != ""
    ratio = again.time_to_chart / fresh_on_warm.time_to_chart
    print(f"first view after a restart and its readiness probe {again.time_to_chart:.2f} s; "
          f"a new view on the warm "
          f"server {fresh_on_warm.time_to_chart:.2f} s (×{ratio:.1f})")


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0
