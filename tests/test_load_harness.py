"""The load harness's protocol client against a real `streamlit run app.py` server.

Starts the server on a free loopback port (as bench/load.py does) and stops it; a few
sessions only, so it stays well under a minute (most of it is the cold server).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest

from bench import load
from bench.loadclient import open_link

pytestmark = pytest.mark.slow  # a real server: ~10 s (not skipped anywhere)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    started = load.start_server(str(tmp_path_factory.mktemp("jax-cache")), [])
    try:
        yield started
    finally:
        started.stop()
    assert started.proc.poll() is not None, "the server outlived the test"


def run(coro):
    return load.run_async(coro)


def test_three_concurrent_sessions_on_one_link_all_get_the_chart(server):
    query = load.link(7, adam_lr=0.03)

    async def three():
        # All three connect at once and stay connected until every one has its chart.
        hold, served = asyncio.Event(), []

        def done(result):
            served.append(result)
            if len(served) == 3:
                hold.set()

        return await asyncio.gather(*(open_link(server.url, query, timeout=45, hold=hold,
                                                on_done=done) for _ in range(3)))

    before = run(load.metrics([server.url]))
    results = run(three())
    after = run(load.metrics([server.url]))
    for result in results:
        assert result.errors == []
        assert result.ok and result.time_to_chart is not None
        assert result.chart_bytes > 10_000  # the figure itself travelled
        assert result.warnings == []
    # The three sessions shared one computation of the link (st.cache_data).
    assert load.computations(before, after) == 1


def test_a_hostile_link_still_gets_a_chart_and_one_warning(server):
    hostile = urlencode({"v": "9", "surface": "nope<script>", "adam.learning_rate": "abc",
                         "opt": "sgd,evil", "start": "1e999,0", "zzz": "[x](javascript:1)"})
    result = run(open_link(server.url, hostile, timeout=45))
    assert result.errors == []
    assert result.ok
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    for key in ("`v`", "`surface`", "`opt`", "`start`", "`zzz`"):
        assert key in warning
    assert "`nope<script>`" in warning  # echoed only inside a code span: nothing renders


def test_a_refused_connection_is_an_error_not_an_exception():
    result = run(open_link(f"http://127.0.0.1:{load.free_port()}", "v=1", timeout=5))
    assert not result.ok
    assert result.errors and result.errors[0].startswith("connection failed")
