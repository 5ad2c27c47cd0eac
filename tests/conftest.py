"""Fixtures shared by the in-process app tests, and how the tests are shared out between
the workers the suite runs on (pytest-xdist, `-n auto --dist loadgroup`, see
pyproject.toml and ``pytest_xdist_auto_num_workers``).

Most of the suite's time is JAX compiling programs, and a compiled program only serves
the process that compiled it (and, through the on-disk cache, the browser tests'
servers that process starts). So tests that compute the same things run in one worker:
each module is one unit of work, modules that share scenes are one unit together, and
the divergence matrix is one unit per group of optimizers (one program each).
"""

from __future__ import annotations

import os

import pytest

# The shared checks assert; rewriting makes their failures readable.
pytest.register_assert_rewrite("tests.helpers")


def _compile_cache_per_worker() -> None:
    """Turn JAX's on-disk cache on, in a folder of each worker's own.

    JAX writes a cache entry in place, without a lock, so two workers compiling one
    program at once could interleave their writes of one file. The browser tests' server
    inherits its worker's folder, where that worker's page tests left their programs.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    # the app's default folder (ui/page.py) when the variable is unset; "" keeps it off
    folder = os.environ.get("OPTPLAY_JAX_CACHE",
                            os.path.join(os.path.expanduser("~"), ".cache",
                                         "optimizer-playground"))
    if worker and folder:
        folder = os.environ["OPTPLAY_JAX_CACHE"] = os.path.join(folder, worker)
    from optimizers.engine import use_compilation_cache  # JAX: where tests run, only

    use_compilation_cache(folder)


def pytest_configure(config: pytest.Config) -> None:
    # The workers' controller runs no test: it never imports JAX (two seconds saved).
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return
    _compile_cache_per_worker()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """A worker per core, and one more when browser tests run: they spend much of their
    time waiting on chromium and their servers, and a third worker compiles meanwhile
    (measured on two cores: the whole suite 12 min 19 s with three, 13 min 47 s with
    two; the fast layer 1 min 34 s with two, 1 min 40 s with three)."""
    cores = len(os.sched_getaffinity(0))
    browsers = "not browser" not in (config.option.markexpr or "")
    return cores + 1 if browsers else cores

#: Modules that compute the same scenes, each set one unit of work (its key is the name).
#: The page's set ends with the browser tests, whose server then finds the programs
#: of those scenes in the worker's cache instead of compiling them itself.
SHARED = {
    "page": ("ui/test_page.py", "ui/test_controls.py", "ui/test_teaching.py",
             "lessons/test_lessons.py", "views/test_overlays.py", "views/test_race.py",
             "views/test_summary.py",
             "e2e/test_browser.py", "e2e/test_teaching_browser.py"),
    "studies": ("compute/test_studies.py", "compute/test_keys.py", "views/test_studies.py",
                "ui/test_studies.py"),
    "tuning": ("compute/test_tuning.py", "views/test_tuning.py", "ui/test_tuning.py"),
    # the load harness and the lecture's faults: real servers of their own, one unit
    "lecture": ("bench/",),
    "network": ("landscapes/test_network.py", "landscapes/test_mlp.py",
                "optimizers/test_training.py", "compute/test_mlp.py", "views/test_network.py",
                "ui/test_network.py"),
}
#: The screens matrix: two long units, the stage's views (and the presenter, touch and
#: theme checks) and the studies' (with the MLP), so two workers share it.
SCREENS = "e2e/test_screens.py"
STAGE_VIEWS = ("race", "race-3d", "network", "network-3d")
#: Every optimizer's anatomy on the overlay scene: one look-inside program per optimizer,
#: a unit of its own beside the page's.
ANATOMY = "views/test_overlays.py::test_every_anatomy_reads_its_optimizer_s_state"
#: Golden links: each its own unit, except those of the default scene and the lessons
#: (the page's scenes) and of the MLP (the network's).
GOLDEN = "test_golden_links.py"
#: The divergence matrix: one compiled program per group of optimizers (the module's
#: ``GROUP_OF``), each group one unit.
MATRIX = "optimizers/test_divergence_matrix.py"
#: The longest units after those (measured, in the fast layer as in the whole suite): a
#: worker that takes one late is the suite's tail (the export scripts' 72 s, taken last,
#: ended the whole suite 70 s after the other workers had finished).
LONG_UNITS = ("network", "studies", "optimizers/test_rules.py", "tuning",
              "views/test_export.py")
#: Single tests of other modules that draw the network's default race: they join the
#: network's unit, whose worker has compiled that race.
NETWORK_RACES = ("views/test_stage.py::test_every_plot_is_valid_plotly_and_its_roles_name_"
                 "its_traces[network-3d]",)
#: Tests split by their surface, each surface one unit with the others of that surface.
BY_SURFACE = "views/test_race.py::test_a_race_of_diverging_optimizers_still_draws"


def _group_of(item: pytest.Item) -> str | None:
    where = item.nodeid.removeprefix("tests/")
    if where.startswith(MATRIX):
        return f"matrix:{item.module.GROUP_OF[item.callspec.params['slug']]}"
    if where.startswith(BY_SURFACE):
        return f"surface:{item.callspec.params['surface']}"
    if where.startswith(ANATOMY):
        return "anatomy"
    if where.startswith(NETWORK_RACES):
        return "network"
    if where.startswith(SCREENS):
        params = getattr(item, "callspec", None)
        view = params.params.get("view", "race") if params else "race"
        return "screens:stage" if view in STAGE_VIEWS else "screens:studies"
    for name, prefixes in SHARED.items():
        if where.startswith(prefixes):
            return name
    if where.startswith(GOLDEN):
        link = item.callspec.params["entry"]["link"]
        if link == "v=1" or link.startswith("lesson="):
            return "page"
        return "network" if "mode=mlp" in link else None
    return where.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its unit of work and put the long units first (with
    `--no-loadscope-reorder` the workers take them in this order): the page's set with
    the browser tests at its end, the screens, the other long units, then the optimizers
    and surfaces, then the rest as collected."""
    groups = {}
    for item in items:
        group = _group_of(item)
        groups[item.nodeid] = group
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))

    def rank(indexed: tuple[int, pytest.Item]) -> tuple[tuple[int, int], int]:
        index, item = indexed
        group = groups[item.nodeid] or ""
        if group == "page":
            return (0, 1 if item.get_closest_marker("browser") else 0), index
        if group.startswith("screens:"):  # the other long units: the other worker's
            return (0, 2), index
        if group in ("anatomy", "optimizers/test_x64.py"):
            return (0, 3), index
        if group in LONG_UNITS:
            return (0, 4), index
        return (1 if group.startswith(("matrix:", "surface:")) else 2, 0), index

    items[:] = [item for _, item in sorted(enumerate(items), key=rank)]


@pytest.fixture
def fresh_streamlit_caches():
    """Empty Streamlit's result caches around a test, so every page computes anew.

    JAX's compiled programs stay: later tests reuse them.
    """
    import streamlit as st

    from ui.caches import clear_held

    def clear() -> None:
        st.cache_data.clear()
        st.cache_resource.clear()
        clear_held()

    clear()
    yield
    clear()
