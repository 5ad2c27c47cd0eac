"""Load test through the real server: concurrent sessions on Streamlit's own protocol.

Run (each scenario starts its own `streamlit run app.py` on a free loopback port, warms
it with one session, and always stops it):

    python bench/load.py --scenario same-link      # 3 rounds of 100 sessions on one link
    python bench/load.py --scenario distinct       # 30 sessions, 30 different scenes
    python bench/load.py --scenario memory         # 1000 distinct scenes, RSS sampled
    python bench/load.py --scenario same-link distinct memory

Against a server that is already running (an nginx front, a deployment):

    python bench/load.py --scenario same-link --url http://127.0.0.1:8080 \
        --replica http://127.0.0.1:8601 --replica http://127.0.0.1:8602

(``--replica``: where to warm up and read /_stcore/metrics; ``--pid``: a server process
whose RSS the memory scenario samples.) Server options for the started server:
``--server-arg runner.postScriptGC=false`` (Streamlit's gc.collect() after every run
is most of the per-session CPU here), ``--server-arg server.enableWebsocketCompression=true``.
Computations are counted from Streamlit's /_stcore/metrics (cache misses computed).

Targets (issues "Lecture-scale reliability" and "A hundred students at once", 2-core
machine): same-link, 100 sessions: 0 errors, p95 time-to-chart ≤ 3 s (≤ 5 s through
replicas), one computation, server CPU per session ≤ 25 ms (the median of ``--rounds``
crowds, 3 by default: one crowd's figure moves by ±3 ms with whatever else the machine
does in those seconds), printed beside the CPU per session of a trivial Streamlit app
(bench/baseline_app.py) opened by as many sessions, as many times, in the same run
(``--no-baseline`` skips it); distinct, 30 scenes: 0 errors; memory, 1000
scenes: RSS levels off below 1 GB. Time-to-chart runs from the session's
first HTTP request (index.html, health, host-config, as a browser) to the websocket
message that carries the chart. Every session, the run and the server are bounded in
time; the run stops by itself (--hard-timeout) and kills the server it started.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import concurrent.futures
import contextlib
import math
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

from loadclient import SessionResult, http_get, open_link  # noqa: E402

RSS_LIMIT_MB = 1024.0
#: Server CPU time per session of an already computed link (issue "A hundred students").
CPU_PER_SESSION_MS = 25.0
#: p95 time to the chart, same link: one server (100 sessions), replicas (300 sessions).
P95_ONE_SERVER_S, P95_REPLICAS_S = 3.0, 5.0
#: The trivial app whose sessions, in the same run, are the CPU figure's baseline.
BASELINE_APP = "bench/baseline_app.py"
#: "Levels off": at the last half's slope, 1000 more distinct scenes would add < 100 MB.
SLOPE_LIMIT_MB_PER_100 = 10.0


# -- links ---------------------------------------------------------------------------
def base_query() -> dict[str, str]:
    """The default scene's full share link (schema v=2), as the app writes it."""
    from scene import Scene, to_query

    return to_query(Scene())


def link(seed: int, *, adam_lr: float = 0.1, sgd_lr: float = 0.001,
         momentum_lr: float = 0.001, start: tuple[float, float] | None = None) -> str:
    """A share link on the default surface and optimizers: the same compiled programs
    as the default scene, a different cache entry."""
    query = base_query()
    # the default racers by position: r1 SGD, r2 momentum, r3 Adam
    query.update({"seed": str(seed), "r3.learning_rate": f"{adam_lr:.4g}",
                  "r1.learning_rate": f"{sgd_lr:.4g}",
                  "r2.learning_rate": f"{momentum_lr:.4g}"})
    if start is not None:
        query["start"] = f"{start[0]:.3f},{start[1]:.3f}"
    return urlencode(query)


def distinct_links(n: int, first_seed: int) -> list[str]:
    """``n`` different scenes: learning rates (log-uniform), starts and seeds vary."""
    rng = random.Random(first_seed)
    return [link(first_seed + i, adam_lr=10 ** rng.uniform(-3, 0),
                 sgd_lr=10 ** rng.uniform(-4, -2.5), momentum_lr=10 ** rng.uniform(-4, -2.5),
                 start=(rng.uniform(-1.9, 1.9), rng.uniform(-0.9, 2.9)))
            for i in range(n)]


def check_links(links: list[str]) -> None:
    """Every generated link decodes without a warning (else the scenario is not clean)."""
    from urllib.parse import parse_qs

    from scene import from_query

    for query in links:
        warnings = from_query(parse_qs(query, keep_blank_values=True))[1]
        if warnings:
            raise SystemExit(f"generated link is not clean: {warnings}")


# -- the server ----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen | None = None
    log: str = ""

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def stop(self) -> None:
        """Stop the server's whole process group; its log is removed."""
        if self.proc is not None and self.proc.poll() is None:
            self._kill()
        if self.log:
            with contextlib.suppress(OSError):
                os.remove(self.log)

    def _kill(self) -> None:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def start_server(jax_cache: str, server_args: list[str], timeout: float = 90,
                 app: str = "app.py", port: int | None = None) -> Server:
    """`streamlit run app.py` (or ``app``, a path from the repository's root) headless on
    ``port`` (default: a free one) of the loopback, in its own process group."""
    port = port or free_port()
    fd, log_path = tempfile.mkstemp(prefix="optplay-load-", suffix=".log")
    cmd = [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false"]
    for arg in server_args:
        name, _, value = arg.partition("=")
        cmd += [f"--{name.removeprefix('--')}", value]
    env = {**os.environ, "OPTPLAY_JAX_CACHE": jax_cache}
    # A preexec_fn forks a process that may have threads: fine for this harness, which
    # imports no JAX; not inside a test run, where JAX (multithreaded) is loaded and
    # warns at the fork. There the fixture's teardown stops the server.
    guard = None if "jax" in sys.modules else _die_with_parent()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fd, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=guard)
    os.close(fd)
    server = Server(f"http://127.0.0.1:{port}", proc, log_path)
    _STARTED.append(server)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            status, _, body = run_async(http_get(server.url, "/_stcore/health",
                                                 SimpleCookie(), 2))
            if status == 200 and body.strip() == b"ok":
                return server
        except (OSError, TimeoutError):
            pass
        time.sleep(0.2)
    with open(log_path) as f:
        tail = f.read()[-3000:]
    server.stop()
    raise SystemExit(f"the server did not become healthy in {timeout:g} s:\n{tail}")


def run_async(coro):
    """``asyncio.run``, also from a thread that already runs an event loop (a test
    process after Playwright's sync API): then on a fresh thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


_STARTED: list[Server] = []
_TEMP_DIRS: list[str] = []  # removed even by the hard timeout's os._exit


def _die_with_parent():
    """A preexec_fn: the server gets SIGKILL when this process dies, however it dies
    (a killed test run must not leave a server behind). Linux prctl(PR_SET_PDEATHSIG)."""
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before the fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def child() -> None:
        prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return child


def stop_all() -> None:
    while _STARTED:
        _STARTED.pop().stop()


def watchdog(seconds: float) -> None:
    """A hard stop for the whole run: kill the servers, exit non-zero."""
    def fire() -> None:
        for server in list(_STARTED):  # no grace period: SIGKILL the whole group now
            if server.proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.proc.pid, signal.SIGKILL)
        print(f"\nHARD TIMEOUT after {seconds:g} s: server(s) killed, exiting", flush=True)
        stop_all()  # reaps them and removes their logs
        for path in _TEMP_DIRS:
            shutil.rmtree(path, ignore_errors=True)
        os._exit(3)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()


# -- measurements --------------------------------------------------------------------
def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                children[int(fields[1])].append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children, MB (VmRSS from /proc/<pid>/status)."""
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and its children, seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / ticks


_METRIC = re.compile(r'^(\w+)\{([^}]*)\}\s+(\S+)$')


async def metrics(urls: list[str]) -> dict[tuple[str, str, str], float]:
    """Streamlit's /_stcore/metrics, summed over servers: (name, cache, result|trigger)."""
    out: dict[tuple[str, str, str], float] = collections.defaultdict(float)
    for url in urls:
        try:
            status, _, body = await http_get(url, "/_stcore/metrics", SimpleCookie(), 10)
        except (OSError, TimeoutError):
            continue
        if status != 200:
            continue
        for line in body.decode().splitlines():
            m = _METRIC.match(line)
            if not m:
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
            key = (m.group(1), labels.get("cache", ""),
                   labels.get("result", labels.get("trigger", "")))
            out[key] += float(m.group(3))
    return out


def computations(before: dict, after: dict, cache: str = "ui.caches.cached_result") -> int:
    key = ("cache_compute_duration_seconds_count", cache, "miss")
    return int(after.get(key, 0) - before.get(key, 0))


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def row(label: str, value: str) -> None:
    print(f"  {label:<50} {value}", flush=True)


def verdict(ok: bool, text: str) -> bool:
    print(f"  {'PASS' if ok else 'MISS'}  {text}", flush=True)
    return ok


def error_summary(results: list[SessionResult]) -> None:
    counts = collections.Counter(r.errors[0][:120] for r in results if r.errors)
    for text, n in counts.most_common(5):
        row(f"error ×{n}", text)


# -- scenarios -----------------------------------------------------------------------
@dataclass
class Target:
    url: str
    replicas: list[str]
    pid: int | None
    timeout: float


async def warm_up(target: Target, note: str) -> None:
    """One session on the default link per server: imports and JAX compiles happen here,
    not inside the measured sessions (which use other links: other cache entries)."""
    default = urlencode(base_query())
    for url in target.replicas:
        result = await open_link(url, default, timeout=target.timeout)
        if not result.ok:
            raise SystemExit(f"warm-up session on {url} failed: {result.errors}")
        row(f"warm-up: first session on {url.split('//')[1]}",
            f"chart in {result.time_to_chart:.2f} s ({note})")


async def crowd(target: Target, links: list[str], ramp: float
                ) -> tuple[list[SessionResult], float, float | None]:
    """All sessions connect spread over ``ramp`` seconds and stay open until every one has
    its chart (or failed). Returns the results, the wall time until the last chart, and
    the server's RSS (MB) while all sessions are open."""
    hold = asyncio.Event()
    served = 0
    all_served = asyncio.Event()

    def done(_: SessionResult) -> None:
        nonlocal served
        served += 1
        if served == len(links):
            all_served.set()

    async def one(i: int, query: str) -> SessionResult:
        await asyncio.sleep(i * ramp / len(links))
        return await open_link(target.url, query, timeout=target.timeout, hold=hold,
                               on_done=done)

    t0, cpu0 = time.perf_counter(), time.process_time()
    tasks = [asyncio.ensure_future(one(i, q)) for i, q in enumerate(links)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_served.wait(), target.timeout + ramp + 5)
    wall = time.perf_counter() - t0
    rss = rss_mb(target.pid) if target.pid else None
    row("load client's own CPU time (same machine)", f"{time.process_time() - cpu0:.1f} s")
    hold.set()
    return list(await asyncio.gather(*tasks)), wall, rss


def report_crowd(results: list[SessionResult], wall: float, rss: float | None) -> list[float]:
    times = [r.time_to_chart for r in results if r.ok]
    n = len(results)
    row("sessions with a chart and no error", f"{len(times)}/{n}")
    if times:
        row("time to chart p50 / p95 / max",
            f"{pct(times, 50):.2f} / {pct(times, 95):.2f} / {max(times):.2f} s")
        sockets = [r.time_to_socket for r in results if r.time_to_socket is not None]
        row("time to open the websocket p95", f"{pct(sockets, 95):.3f} s")
    row("wall time, first connect to last chart", f"{wall:.2f} s")
    mb = sum(r.bytes_received for r in results) / 1e6
    compressed = sum(r.compressed for r in results)
    row("received over websockets (uncompressed)",
        f"{mb:.1f} MB ({mb / max(n, 1):.2f} MB per session; permessage-deflate on "
        f"{compressed}/{n})")
    if rss is not None:
        row("server RSS with all sessions open", f"{rss:.0f} MB")
    upstreams = collections.Counter(r.upstream for r in results if r.upstream)
    if upstreams:
        row("sessions per upstream (X-Upstream)",
            ", ".join(f"{u}: {k}" for u, k in sorted(upstreams.items())))
    warned = sum(1 for r in results if r.warnings)
    if warned:
        row("sessions that saw a warning", str(warned))
    error_summary(results)
    return times


async def measured_crowd(target: Target, links: list[str], ramp: float
                         ) -> tuple[list[SessionResult], float, float | None, float | None]:
    """``crowd``, and the server's CPU time over it (s; None without a server pid)."""
    cpu0 = cpu_seconds(target.pid) if target.pid else None
    results, wall, rss = await crowd(target, links, ramp)
    cpu = cpu_seconds(target.pid) - cpu0 if cpu0 is not None else None
    return results, wall, rss, cpu


async def baseline_cpu(sessions: int, ramp: float, timeout: float, rounds: int
                       ) -> list[float]:
    """Server CPU ms per session of ``sessions`` sessions on the trivial app
    (BASELINE_APP), connecting over the same ramp, in each of ``rounds`` crowds: the
    framework's cost on this machine, now."""
    server = start_server("", [], app=BASELINE_APP)
    per_session = []
    try:
        target = Target(server.url, [server.url], server.pid, timeout)
        warm = await open_link(server.url, "", timeout=timeout)
        if not warm.ok:
            raise SystemExit(f"baseline app's warm-up failed: {warm.errors}")
        print("  -- baseline: the trivial app, same sessions, same ramp", flush=True)
        for _ in range(rounds):
            results, _, _, cpu = await measured_crowd(target, [""] * sessions, ramp)
            failed = sum(1 for r in results if not r.ok)
            if failed or cpu is None:
                raise SystemExit(f"baseline app: {failed} of {sessions} sessions failed")
            per_session.append(cpu / sessions * 1000)
    finally:
        server.stop()
        if server in _STARTED:
            _STARTED.remove(server)
    return per_session


def _each(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values) + " ms"


async def report_cpu(per_session: list[float], sessions: int,
                     args: argparse.Namespace) -> bool:
    """Server CPU ms per session, each round's and their median (the verdict's: one
    crowd's figure moves with whatever else the machine does in those seconds), against
    the baseline's median measured now (unless --no-baseline)."""
    own = statistics.median(per_session)
    if len(per_session) > 1:
        row("server CPU per session, each round", _each(per_session))
    row("server CPU per session" + (" (median)" if len(per_session) > 1 else ""),
        f"{own:.1f} ms")
    if args.baseline:
        rounds = await baseline_cpu(sessions, args.ramp, args.timeout, len(per_session))
        if len(rounds) > 1:
            row("baseline server CPU per session, each round", _each(rounds))
        base = statistics.median(rounds)
        row("baseline server CPU per session (trivial app)", f"{base:.1f} ms")
        row("ratio to the baseline", f"{own / max(base, 0.1):.2f}")
    return verdict(own <= CPU_PER_SESSION_MS,
                   f"server CPU per session {own:.1f} ms ≤ {CPU_PER_SESSION_MS:g} ms")


async def same_link(target: Target, args: argparse.Namespace) -> bool:
    """``args.rounds`` crowds of ``args.sessions`` sessions on one link, one after the
    other; the sessions of all rounds pooled for errors and times to chart."""
    query = link(1, adam_lr=0.05)
    check_links([query])
    before = await metrics(target.replicas)
    results, walls, peaks, cpus = [], [], [], []
    for k in range(args.rounds):
        if args.rounds > 1:
            print(f"  -- round {k + 1} of {args.rounds}", flush=True)
        crowd_results, wall, rss, cpu = await measured_crowd(
            target, [query] * args.sessions, args.ramp)
        results += crowd_results
        walls.append(wall)
        peaks.append(rss)
        if cpu is not None:
            cpus.append(cpu / len(crowd_results) * 1000)
    after = await metrics(target.replicas)
    times = report_crowd(results, max(walls), max(peaks, key=lambda v: v or 0))
    row("computations of the link (cached_result misses)",
        f"{computations(before, after)}  (stage message builds: "
        f"{computations(before, after, 'ui.caches.cached_race_message')})")
    errors = sum(1 for r in results if not r.ok)
    ok = verdict(errors == 0, f"0 errors ({errors} of {len(results)} sessions failed)")
    if cpus:
        ok &= await report_cpu(cpus, args.sessions, args)
    p95 = pct(times, 95) if times else math.inf
    limit = P95_ONE_SERVER_S if len(target.replicas) == 1 else P95_REPLICAS_S
    ok &= verdict(p95 <= limit, f"p95 time-to-chart {p95:.2f} s ≤ {limit:g} s")
    n_comp = computations(before, after)
    if any(before.values()) or any(after.values()):
        ok &= verdict(n_comp <= len(target.replicas),
                      f"{n_comp} computation(s) for {len(results)} sessions on one link "
                      f"(≤ 1 per server)")
    return ok


async def distinct(target: Target, args: argparse.Namespace) -> bool:
    links = distinct_links(args.sessions, 100)
    check_links(links)
    before = await metrics(target.replicas)
    results, wall, rss, cpu = await measured_crowd(target, links, args.ramp)
    after = await metrics(target.replicas)
    times = report_crowd(results, wall, rss)
    row("computations (cached_result misses)", str(computations(before, after)))
    if cpu is not None:
        row("server CPU time during the scenario", f"{cpu:.1f} s")
    errors = sum(1 for r in results if not r.ok)
    ok = verdict(errors == 0, f"0 errors ({errors} of {len(results)} sessions failed)")
    if times:
        row("p95 time-to-chart (reported; no target)", f"{pct(times, 95):.2f} s")
    return ok


async def memory(target: Target, args: argparse.Namespace) -> bool:
    """``--scenes`` distinct scenes, ``--concurrency`` at a time, each session closing
    after its chart; the server's RSS sampled every ``--sample-every`` scenes."""
    links = distinct_links(args.scenes, 10_000)
    check_links(links[:50])
    queue: asyncio.Queue[str] = asyncio.Queue()
    for q in links:
        queue.put_nowait(q)
    results: list[SessionResult] = []
    series: list[tuple[int, float, float]] = []  # (scenes done, RSS MB, cache_data MB)
    t0 = time.perf_counter()
    stop_at = t0 + args.max_seconds
    next_sample = 0

    async def sample() -> None:
        m = await metrics(target.replicas)
        cache_mb = sum(v for k, v in m.items() if k[0] == "cache_memory_bytes"
                       and k[1] == "ui.caches.cached_result") / 1e6
        rss = rss_mb(target.pid) if target.pid else float("nan")
        series.append((len(results), rss, cache_mb))
        row(f"after {len(results):>5} scenes ({time.perf_counter() - t0:5.0f} s)",
            f"RSS {rss:7.1f} MB   cached results {cache_mb:6.1f} MB   load {loadavg()}")

    async def worker() -> None:
        nonlocal next_sample
        while not queue.empty() and time.perf_counter() < stop_at:
            query = queue.get_nowait()
            results.append(await open_link(target.url, query, timeout=target.timeout))
            if len(results) >= next_sample:
                next_sample += args.sample_every
                await sample()

    await sample()
    next_sample = args.sample_every
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    if series[-1][0] != len(results):
        await sample()
    elapsed = time.perf_counter() - t0
    row("scenes opened", f"{len(results)} in {elapsed:.0f} s "
        f"({len(results) / elapsed:.1f} per second, {args.concurrency} at a time)")
    times = [r.time_to_chart for r in results if r.ok]
    if times:
        row("time to chart p50 / p95 / max",
            f"{pct(times, 50):.2f} / {pct(times, 95):.2f} / {max(times):.2f} s")
    error_summary(results)
    errors = sum(1 for r in results if not r.ok)
    ok = verdict(errors == 0, f"0 errors ({errors} of {len(results)} sessions failed)")
    if len(results) < args.scenes:
        ok &= verdict(False, f"all {args.scenes} scenes within {args.max_seconds:g} s "
                      f"(stopped after {len(results)})")
    if not target.pid:
        print("  (no server pid: RSS not sampled; pass --pid)")
        return ok
    return _memory_levels_off(series) and ok


def _memory_levels_off(series: list[tuple[int, float, float]]) -> bool:
    """The verdicts on a series of (scenes done, RSS MB, cached MB) samples: a peak under
    the limit, and a flat second half."""
    print("  RSS series (MB): " + " ".join(f"{mb:.0f}" for _, mb, _ in series))
    peak = max(mb for _, mb, _ in series)
    half = [(n, mb) for n, mb, _ in series if n >= series[-1][0] / 2]
    slope = _slope(half) * 100
    row("RSS slope over the last half", f"{slope:+.1f} MB per 100 scenes")
    ok = verdict(peak < RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB < {RSS_LIMIT_MB:.0f} MB")
    ok &= verdict(slope <= SLOPE_LIMIT_MB_PER_100,
                  f"levels off: last-half slope {slope:+.1f} MB/100 scenes ≤ "
                  f"{SLOPE_LIMIT_MB_PER_100:g} (1000 more scenes: "
                  f"{max(slope, 0) * 10:+.0f} MB)")
    return ok


def _slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of MB against scenes."""
    if len(points) < 2:
        return 0.0
    xs, ys = zip(*points, strict=True)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


SCENARIOS = {
    "same-link": (same_link, "sessions on one link"),
    "distinct": (distinct, "sessions on different scenes"),
    "memory": (memory, "distinct scenes in sequence"),
}
DEFAULT_SESSIONS = {"same-link": 100, "distinct": 30}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", nargs="+", choices=sorted(SCENARIOS),
                        default=["same-link"])
    parser.add_argument("--url", help="an existing server or proxy (no server started)")
    parser.add_argument("--replica", action="append", default=[],
                        help="with --url: a replica to warm up and read metrics from")
    parser.add_argument("--pid", type=int, help="with --url: the server process for RSS")
    parser.add_argument("--sessions", type=int, help="sessions (100 same-link, 30 distinct)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="same-link: crowds in a row (CPU: their median; default 3)")
    parser.add_argument("--ramp", type=float, default=1.0,
                        help="seconds over which the sessions connect (default 1)")
    parser.add_argument("--scenes", type=int, default=1000, help="memory: scenes")
    parser.add_argument("--concurrency", type=int, default=4, help="memory: at a time")
    parser.add_argument("--sample-every", type=int, default=50, help="memory: RSS sampling")
    parser.add_argument("--max-seconds", type=float, default=600,
                        help="memory: stop opening scenes after this long")
    parser.add_argument("--timeout", type=float, default=60, help="per session, seconds")
    parser.add_argument("--hard-timeout", type=float, default=1800,
                        help="the whole run, seconds; then everything is killed")
    parser.add_argument("--jax-cache", default=None,
                        help="started server: JAX compilation cache dir (default: a new "
                             "empty one, i.e. a cold server; '' turns it off)")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false",
                        help="same-link: skip the trivial app's sessions (the CPU "
                             "figure's baseline, measured in the same run)")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="started server: extra option, e.g. "
                             "server.enableWebsocketCompression=true")
    args = parser.parse_args(argv)
    watchdog(args.hard_timeout)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ok = True
    try:
        for name in args.scenario:
            fn, what = SCENARIOS[name]
            ns = argparse.Namespace(**vars(args))
            ns.sessions = args.sessions or DEFAULT_SESSIONS.get(name, 0)
            ok &= run_scenario(name, fn, what, ns)
    finally:
        stop_all()
    print("ALL PASS" if ok else "SOME TARGETS MISSED", flush=True)
    return 0 if ok else 1


def run_scenario(name: str, fn, what: str, args: argparse.Namespace) -> bool:
    """One scenario on its own fresh server (or on --url), warmed up first."""
    count = args.scenes if name == "memory" else args.sessions
    with tempfile.TemporaryDirectory(prefix="optplay-jax-") as fresh:
        _TEMP_DIRS.append(fresh)
        if args.url:
            target = Target(args.url.rstrip("/"), [u.rstrip("/") for u in args.replica]
                            or [args.url.rstrip("/")], args.pid, args.timeout)
            note = "existing server"
        else:
            cache = fresh if args.jax_cache is None else args.jax_cache
            server = start_server(cache, args.server_arg)
            target = Target(server.url, [server.url], server.pid, args.timeout)
            note = ("cold server, empty JAX cache" if args.jax_cache is None else
                    f"cold server, JAX cache {args.jax_cache or 'off'}")
        print(f"== {name}: {count} {what} — {target.url}, {os.cpu_count()} cores, "
              f"load avg {loadavg()}", flush=True)
        if args.server_arg:
            row("server options", " ".join(args.server_arg))
        try:
            run_async(warm_up(target, note))
            ok = run_async(fn(target, args))
        finally:
            if not args.url:
                server.stop()
                if server in _STARTED:
                    _STARTED.remove(server)
        print(f"  load avg at the end: {loadavg()}", flush=True)
        return ok


if __name__ == "__main__":
    sys.exit(main())
