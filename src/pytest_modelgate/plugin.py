"""pytest hooks: options, markers and wiring. Decisions live in the modules they call."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_modelgate import gating, hardware, paths
from pytest_modelgate.ab import duet
from pytest_modelgate.affected import record
from pytest_modelgate.affected.depmap import MAP_NAME
from pytest_modelgate.affected.selector import Selector
from pytest_modelgate.baselines import controller, worker
from pytest_modelgate.baselines.fixtures import config_fixture, model_benchmark
from pytest_modelgate.baselines.measure import Turn
from pytest_modelgate.settings import (
    DEFAULT_BASELINES_DIR,
    DEFAULT_FRESH_ROUNDS,
    DEFAULT_MODEL_TEST_TIMEOUT,
    DEFAULT_TOLERANCE,
    SELECT_ENV,
    SettingError,
    Settings,
    output_problem,
    resolve_settings,
    spaced_path_option,
)

SETTINGS_KEY = pytest.StashKey[Settings]()
DEVICE_REASONS_KEY = pytest.StashKey[dict[str, "str | None"]]()
GATE_KEY = pytest.StashKey["Gate"]()
FIXTURES = (model_benchmark, config_fixture)  # fixtures of the plugin, found in this module
WORKEROUTPUT_GATED = "modelgate_gated"
MODEL_SOURCES = ("tiny", "pretrained")

MARKERS = {
    "model_test": "a model test: skipped unless --run-model-tests is given",
    "model": "a test that builds and runs an ML model",
    "text": "a model test of a text model",
    "vision": "a model test of a vision model",
    "audio": "a model test of an audio model",
    "multimodal": "a model test of a multimodal model",
    "benchmark": "a test that measures time and memory against the baselines",
    "slow": "one of the slowest model tests; deselect with -m 'not slow'",
    "cpu": "a test that runs on the CPU",
    "cuda": "a test that needs a CUDA device; skipped when none is usable",
    "mps": "a test that needs an Apple MPS device; skipped when none is usable",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelgate", "modelgate: model test gating and performance baselines")
    group.addoption(
        "--run-model-tests",
        action="store_true",
        default=False,
        help="Run the model tests (without it they are not collected or are skipped)",
    )
    group.addoption(
        "--update-baselines",
        action="store_true",
        default=False,
        help="Write the measured time and memory of this run into the baselines",
    )
    group.addoption(
        "--baseline-tolerance",
        metavar="FLOAT",
        default=None,
        help=f"Relative slowdown tolerated before a regression is reported, in (0, 10] "
        f"(default: ini baseline_tolerance or {DEFAULT_TOLERANCE})",
    )
    group.addoption(
        "--baselines-dir",
        metavar="PATH",
        default=None,
        help=f"Folder of the baseline files (default: ini baselines_dir or "
        f"{DEFAULT_BASELINES_DIR}/ under the rootdir)",
    )
    group.addoption(
        "--fail-on-regression",
        action="store_true",
        default=False,
        help="Make the run fail when a model's performance regressed, instead of only warning",
    )
    group.addoption(
        "--gpu-per-worker",
        action="store_true",
        default=False,
        help="Give each xdist worker its own GPU through CUDA_VISIBLE_DEVICES (respects an "
        "outer CUDA_VISIBLE_DEVICES)",
    )
    group.addoption(
        "--baseline-report",
        metavar="PATH",
        default=None,
        help="Write the baseline comparison results as JSON to PATH",
    )
    group.addoption(
        "--model-source",
        choices=MODEL_SOURCES,
        default=MODEL_SOURCES[0],
        help="Where model tests get their models: tiny random ones built from configs (default), "
        "or the real checkpoints in the local Hugging Face cache (skipped when absent)",
    )
    group.addoption(
        "--fresh-rounds",
        metavar="N",
        default=None,
        help=f"Measure the models this run left undecided (a regression, a slowdown too noisy "
        f"to tell, an ok near the tolerance) again in N fresh pytest processes and judge them on "
        f"those, 0 to 10 (default: ini fresh_rounds or {DEFAULT_FRESH_ROUNDS}; 0: none)",
    )
    group.addoption(
        "--affected-since",
        metavar="REV",
        default=None,
        help="Run only the tests that the changes since the git revision REV (committed, staged, "
        "unstaged, untracked) can affect, by the map --record-deps wrote; everything when there "
        "is no map or the configuration changed (the summary says why)",
    )
    group.addoption(
        "--affected-first",
        action="store_true",
        default=False,
        help="With --affected-since: run the affected tests first, then the rest",
    )
    group.addoption(
        "--record-deps",
        action="store_true",
        default=False,
        help=f"Record what each test runs (the project's functions and data files) into "
        f"{MAP_NAME} in the baselines folder, for --affected-since",
    )
    parser.addini(
        "model_test_paths",
        type="paths",
        default=[],
        help="Paths (relative to the ini file) whose tests are model tests",
    )
    parser.addini(
        "baseline_tolerance",
        default=str(DEFAULT_TOLERANCE),
        help="Relative slowdown tolerated before a regression is reported",
    )
    parser.addini(
        "model_test_timeout",
        default=f"{DEFAULT_MODEL_TEST_TIMEOUT:g}",
        help="Seconds a model test may run before it fails as hung, with the stack where it "
        "hung (pytest-timeout's timeout mark; 0: no limit; --timeout on the command line wins)",
    )
    parser.addini(
        "fresh_rounds",
        default=str(DEFAULT_FRESH_ROUNDS),
        help="Fresh pytest processes that measure again the models a run left undecided",
    )
    parser.addini(
        "baselines_dir",
        default=DEFAULT_BASELINES_DIR,
        help="Folder of the baseline files, relative to the ini file",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    """Refuse a path option in its space form before any conftest loads; pin a worker to its
    GPU before any conftest or test can import torch."""
    spaced = spaced_path_option(early_config.invocation_params.args)
    if spaced is not None:
        raise pytest.UsageError(
            f"{spaced} PATH: write {spaced}=PATH. pytest chooses its rootdir and ini file before "
            "it knows this option, so in the space form it takes PATH for a test path: the "
            "rootdir would move and the gate could open"
        )
    if not early_config.known_args_namespace.gpu_per_worker:
        return
    index = hardware.worker_index(os.environ.get("PYTEST_XDIST_WORKER"))
    if index is not None:
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        os.environ["CUDA_VISIBLE_DEVICES"] = hardware.gpu_for_worker(index, visible)


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    try:
        settings = resolve_settings(config)
    except SettingError as error:
        raise pytest.UsageError(str(error)) from None
    if not hasattr(config, "workerinput"):  # the controller writes; it checks where, first
        problem = output_problem(settings)
        if problem is not None:
            raise pytest.UsageError(problem)
    config.stash[SETTINGS_KEY] = settings
    config.stash[DEVICE_REASONS_KEY] = {}
    # pytest-timeout enforces the model tests' limit; its own --timeout, when given, wins
    timed = config.pluginmanager.hasplugin("timeout") and config.getoption("timeout") is None
    gate = Gate(settings, timed)
    config.stash[GATE_KEY] = gate
    config.pluginmanager.register(gate, "modelgate-gate")
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(gate), "modelgate-xdist")
    recorder = register_affected(config, settings)
    register_baselines(config, settings)
    if recorder is not None:  # the timed samples of a measurement run untraced
        turn: Turn = config.stash.get(worker.TURN_KEY, contextlib.nullcontext)
        paused: Turn = functools.partial(_both, turn, recorder.paused)
        config.stash[worker.TURN_KEY] = paused


@contextlib.contextmanager
def _both(first: Turn, second: Turn) -> Iterator[None]:
    with first(), second():
        yield


def register_affected(config: pytest.Config, settings: Settings) -> record.Recorder | None:
    """The selection of ``--affected-since``, and the recording of ``--record-deps``: a
    recorder on each process that runs tests, a writer on the one that reports the run."""
    map_path = settings.baselines_dir / MAP_NAME
    since = config.getoption("affected_since")
    if config.getoption("affected_first") and since is None:
        raise pytest.UsageError("--affected-first needs --affected-since REV")
    if since is not None:
        selector = Selector(config.rootpath, since, map_path, config.getoption("affected_first"))
        config.pluginmanager.register(selector, "modelgate-affected")
    if not config.getoption("record_deps"):
        return None
    problem = (
        None if hasattr(config, "workerinput") else paths.file_problem(map_path, "--record-deps")
    )
    if problem is not None:
        raise pytest.UsageError(f"{problem} (it writes {map_path})")
    if getattr(config.option, "cov_source", None):
        raise pytest.UsageError(
            "--record-deps and --cov both trace the run with coverage.py: record the map in a "
            "run without --cov"
        )
    controller_only = not hasattr(config, "workerinput") and config.getoption("dist", "no") != "no"
    recorder = None
    if not controller_only:
        recorder = record.Recorder(config.rootpath, skip=[settings.baselines_dir])
        config.pluginmanager.register(recorder, "modelgate-record")
        recorder.start()
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(record.Writer(map_path, recorder), "modelgate-record-writer")
    return recorder


def register_baselines(config: pytest.Config, settings: Settings) -> None:
    """A worker on every process (it measures in the tests), and a controller on the one that
    reports the run (it judges, writes and summarises)."""
    config.addinivalue_line("markers", worker.MARKER_HELP)
    try:
        side = duet.from_environ(os.environ)  # a side of ``modelgate ab``
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    if side is not None:
        config.stash[worker.TURN_KEY] = side.turn
    local = worker.Worker(config, settings)
    config.pluginmanager.register(local, worker.PLUGIN_NAME)
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(
            controller.Controller(config, settings, local), controller.PLUGIN_NAME
        )


class Gate:
    """Keeps model tests out of a run unless the gate is open, and says so at the end."""

    def __init__(self, settings: Settings, timed: bool = False) -> None:
        self.settings = settings
        #: whether model tests get ``model_test_timeout`` as their time limit
        self.timed = timed
        self.gated: set[Path] = set()

    @pytest.hookimpl
    def pytest_ignore_collect(self, collection_path: Path) -> bool | None:
        if self.settings.run_model_tests or not self.settings.model_test_paths:
            return None
        if gating.is_under(collection_path.resolve(), self.settings.model_test_paths):
            self.gated.add(collection_path.resolve())
            return True
        return None

    @pytest.hookimpl
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        paths = self.settings.model_test_paths
        gated_file: dict[Path, bool] = {}  # items share files: resolve each file once
        for item in items:
            if paths:
                inside = gated_file.get(item.path)
                if inside is None:
                    inside = gated_file[item.path] = gating.is_under(item.path.resolve(), paths)
                if inside:
                    item.add_marker(gating.MARKER)
            skip = gating.decide(item, self.settings.run_model_tests)
            if skip is not None:
                item.add_marker(pytest.mark.skip(reason=skip.reason))
            elif self.timed:
                limit = gating.time_limit(item, self.settings.model_test_timeout)
                if limit is not None:
                    item.add_marker(limit)

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WORKEROUTPUT_GATED] = sorted(str(p) for p in self.gated)

    @pytest.hookimpl
    def pytest_terminal_summary(
        self, terminalreporter: pytest.TerminalReporter, config: pytest.Config
    ) -> None:
        line = gating.summary_line(self.gated, config.rootpath)
        if line is not None:
            terminalreporter.write_sep("-", "modelgate")
            terminalreporter.write_line(line)


class XdistHooks:
    """Collects on the controller what the gate saw on the workers (only with pytest-xdist)."""

    def __init__(self, gate: Gate) -> None:
        self.gate = gate

    @pytest.hookimpl
    def pytest_testnodedown(self, node: object, error: object) -> None:
        workeroutput = getattr(node, "workeroutput", {})
        self.gate.gated.update(Path(p) for p in workeroutput.get(WORKEROUTPUT_GATED, ()))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only the tests listed in the file named by ``MODELGATE_SELECT``, when it is set."""
    listed = os.environ.get(SELECT_ENV)
    if not listed:
        return
    wanted = set(Path(listed).read_text(encoding="utf-8").splitlines())
    dropped = [item for item in items if item.nodeid not in wanted]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item.nodeid in wanted]


@pytest.fixture
def model_source(request: pytest.FixtureRequest) -> str:
    """``tiny`` or ``pretrained``: where model tests get their models (``--model-source``)."""
    return str(request.config.getoption("model_source"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    # one walk over the markers per test (this runs for every test of every run)
    devices = {mark.name for mark in item.iter_markers()} & hardware.PROBED_DEVICES
    if not devices:
        return
    reasons = item.config.stash[DEVICE_REASONS_KEY]
    for device in sorted(devices):
        if device not in reasons:
            reasons[device] = hardware.probe(device)
        reason = reasons[device]
        if reason is not None:
            pytest.skip(reason)
