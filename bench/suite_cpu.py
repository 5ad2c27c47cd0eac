"""Where the test suite's time goes: its wall time cold, and the CPU time of every process
it starts, by kind (the pytest workers, chromium, the browser tests' servers, ...).

Run: python bench/suite_cpu.py [pytest arguments]   (default: the whole suite)

The suite runs with an empty JAX compile cache (a new temporary folder), as on a fresh
machine. Every second, the CPU time of each process descended from pytest is read from
/proc; a process that ends between two readings loses at most its last second. The
baseline is the machine itself: the CPU time the run used, divided by the cores it may
use, is the shortest wall time any sharing of the work between workers could reach.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import tempfile
import time

TICK = os.sysconf("SC_CLK_TCK")
#: A process's kind by words of its command line, in this order (first match wins).
KINDS = (("chromium", ("chrom",)), ("streamlit servers", ("streamlit run", "-m streamlit")),
         ("playwright drivers", ("playwright",)),
         ("pytest workers", ("import sys;exec(eval(sys.stdin.readline()))",)),
         ("exported scripts", ("reproduce.py", "pytest-of-")),
         ("pytest", ("pytest",)))


def kind_of(command: str) -> str:
    for kind, words in KINDS:
        if any(word in command for word in words):
            return kind
    return "other subprocesses"


def processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds so far) of every process now running."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
    return found


def command_of(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None


def descendants(now: dict[int, tuple[int, float]], root: int) -> set[int]:
    """``root`` and every process below it, of those in ``now``."""
    family = {root}
    grew = True  # a child's pid may be lower than its parent's: grow until it stops
    while grew:
        grew = False
        for pid, (parent, _) in now.items():
            if parent in family and pid not in family:
                family.add(pid)
                grew = True
    return family & now.keys()


def sample(suite: subprocess.Popen) -> dict[int, list]:
    """pid -> [kind, CPU seconds] of every process below ``suite``, read each second
    until it ends."""
    seen: dict[int, list] = {}
    while suite.poll() is None:
        now = processes()
        for pid in descendants(now, suite.pid):
            if pid not in seen:
                command = command_of(pid)
                if command is None:
                    continue
                seen[pid] = [kind_of(command), 0.0]
            seen[pid][1] = now[pid][1]
        time.sleep(1.0)
    return seen


def main(args: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="jax-cold-") as cache:  # removed afterwards
        started = time.perf_counter()
        suite = subprocess.Popen([sys.executable, "-m", "pytest", "-q", *args],
                                 env=dict(os.environ, OPTPLAY_JAX_CACHE=cache))
        seen = sample(suite)
        wall = time.perf_counter() - started
    by_kind: collections.Counter = collections.Counter()
    for kind, cpu in seen.values():
        by_kind[kind] += cpu
    total = sum(by_kind.values())
    cores = len(os.sched_getaffinity(0))
    print(f"\nsuite: exit status {suite.returncode}, {wall:.1f} s wall, cold")
    # not getrusage(RUSAGE_CHILDREN): chromium's and the servers' processes are not all
    # waited for by their parents, and it counted 1112 of 1391 CPU-s in one run
    print(f"CPU of every process it started: {total:.1f} CPU-s (a process's last second "
          "before it ends is missed), by kind:")
    for kind, cpu in by_kind.most_common():
        print(f"  {kind:<22} {cpu:8.1f} CPU-s  {cpu / total:5.1%}")
    print(f"floor on {cores} cores: {total / cores:.1f} s; wall / floor = "
          f"{wall / (total / cores):.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
