"""The baseline engine inside a pytest run: check in the test, collect and write on the controller.

A test (on an xdist worker or not) measures, reads the baseline file (reading is safe anywhere),
gets its verdict at once and records the measurement on its item. The record travels on the test
report (``report.modelgate_baselines``, serialised by xdist with the report) to the controller,
which alone reports and, with ``--update-baselines``, writes each device's file once at the end.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Generator, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate import hardware
from pytest_modelgate.baselines import compare, report, store
from pytest_modelgate.baselines.measure import check_stats
from pytest_modelgate.settings import Settings, parse_tolerance

REPORT_ATTR = "modelgate_baselines"
MARKER = "baseline"
MARKER_HELP = (
    "baseline(tolerance=None, memory_tolerance=None, time_floor_s=None, memory_floor_mb=None): "
    "per-test override of the baseline regression rule"
)

PLUGIN_NAME = "modelgate-baselines"
RECORDER_NAME = "modelgate-baselines-recorder"
RECORDS_KEY = pytest.StashKey[list[dict[str, Any]]]()

#: the test being run in this thread, so that the seed's static helpers find their session
CURRENT_ITEM: ContextVar[pytest.Item | None] = ContextVar("modelgate_current_item", default=None)


class PerformanceRegressionWarning(UserWarning):
    """A measured model is slower (or larger) than its baseline beyond the tolerance."""


_FLOORS = ("time_floor_s", "memory_floor_mb")


def rule_for(item: pytest.Item | None, tolerance: float) -> compare.Rule:
    """The regression rule for ``item``: ``tolerance`` unless its ``baseline`` marker says."""
    values: dict[str, float] = {"tolerance": tolerance}
    marker = item.get_closest_marker(MARKER) if item is not None else None
    if item is not None and marker is not None:
        unknown = set(marker.kwargs) - {"tolerance", "memory_tolerance", *_FLOORS}
        where = f"@pytest.mark.{MARKER} on {item.nodeid}"
        if marker.args or unknown:
            raise pytest.UsageError(
                f"{where}: takes keyword arguments tolerance, memory_tolerance, "
                f"time_floor_s, memory_floor_mb; got {marker.args!r} {sorted(unknown)}"
            )
        for key, value in marker.kwargs.items():
            if key in _FLOORS:
                values[key] = _floor(value, f"{where} {key}")
            else:
                values[key] = parse_tolerance(str(value), f"{where} {key}")
    return compare.Rule(**values)


def _floor(value: object, source: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = -1.0
    if not number >= 0 or number == float("inf"):
        raise pytest.UsageError(f"{source}: expected a finite number >= 0, got {value!r}")
    return number


@dataclass
class Store:
    """Baseline files read by this process, one per device family, each read at most once."""

    folder: Path
    loaded: dict[str, tuple[dict[str, store.Entry], str | None]] = field(default_factory=dict)

    def lookup(self, device: str, model: str) -> tuple[store.Entry | None, str | None]:
        """The baseline of ``model`` on ``device`` and the file's problem (None when usable)."""
        family = store.device_family(device)
        if family not in self.loaded:
            try:
                path = store.file_for(self.folder, family)
                self.loaded[family] = (store.load(path), None)
            except store.BaselineFileError as trouble:
                self.loaded[family] = ({}, str(trouble))
        entries, problem = self.loaded[family]
        return entries.get(model), problem


@dataclass(frozen=True)
class Outcome:
    """A checked measurement: its verdict and the record sent to the controller."""

    result: compare.Result
    record: dict[str, Any]


def check(
    files: Store,
    model: str,
    stats: Mapping[str, Any],
    *,
    device: str,
    rule: compare.Rule,
    update: bool,
    workers: int,
    test: str | None,
) -> Outcome:
    """Compare ``stats`` with the stored baseline; refuses bad stats before anything else."""
    check_stats(stats)
    threads = int(stats.get("threads") or hardware.current_threads(None))
    fingerprint = store.fingerprint(device, threads, workers)
    baseline, load_error = files.lookup(device, model)
    result = compare.compare(
        model,
        device,
        stats,
        baseline,
        rule,
        fingerprint=fingerprint,
        fingerprint_fields=store.COMPARED_FIELDS,
        load_error=load_error,
        test=test,
    )
    if update:
        result = dataclasses.replace(result, updated=True)
    entry = store.make_entry(
        stats, device=device, test=test, fingerprint=fingerprint, when=store.timestamp()
    )
    record = {
        "model": model,
        "device": store.device_family(device),
        "entry": entry,
        "result": result.as_dict(),
        "update": update,
        "load_error": load_error,
    }
    return Outcome(result, record)


def warn_if_regressed(result: compare.Result, update: bool, stacklevel: int) -> None:
    """Warn about a regression; ``stacklevel`` 1 is the caller of this function."""
    if result.verdict == compare.REGRESSION and not update:
        warnings.warn(PerformanceRegressionWarning(result.message), stacklevel=stacklevel + 1)


class BaselinePlugin:
    """Registered on every process: checks run in tests; the controller reports and writes."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.settings = settings
        self.pluginmanager = config.pluginmanager
        workerinput = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        self.workers = int(workerinput["workercount"]) if workerinput else 1
        self.threads: int | None = None
        if workerinput is not None:
            share = hardware.thread_share(hardware.cpu_count(), self.workers)
            self.threads = hardware.cap_threads(share, os.environ)
        self.store = Store(settings.baselines_dir)
        self.records: list[dict[str, Any]] = []
        self.messages: list[str] = []
        self.saved: list[store.SaveResult] = []

    # -- in the test ---------------------------------------------------------------------------

    def check(
        self,
        item: pytest.Item | None,
        model: str,
        stats: Mapping[str, Any],
        *,
        device: str,
        rule: compare.Rule,
        update: bool,
    ) -> compare.Result:
        outcome = check(
            self.store,
            model,
            stats,
            device=device,
            rule=rule,
            update=update,
            workers=self.workers,
            test=item.nodeid if item is not None else None,
        )
        if item is not None:
            item.stash.setdefault(RECORDS_KEY, []).append(outcome.record)
            if not self.pluginmanager.has_plugin(RECORDER_NAME):
                recorder = Recorder(self.settings.fail_on_regression)
                self.pluginmanager.register(recorder, RECORDER_NAME)
        # the user's test called the seed helper or the fixture, which called this method
        warn_if_regressed(outcome.result, update, stacklevel=3)
        return outcome.result

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        token = CURRENT_ITEM.set(item)
        try:
            return (yield)
        finally:
            CURRENT_ITEM.reset(token)

    # -- on the controller ---------------------------------------------------------------------

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.is_worker:
            self.records.extend(getattr(report, REPORT_ATTR, ()))

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.is_worker:
            return
        failed = self._write_updates()
        results = [compare.Result.from_dict(r["result"]) for r in self.records]
        if self.settings.baseline_report is not None:
            written = [str(s.path) for s in self.saved if s.written]
            doc = report.document(results, errors=self.messages, updated_files=written)
            report.write_json(self.settings.baseline_report, doc)
        if results:
            report.append_step_summary(results, os.environ)
        if failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _write_updates(self) -> bool:
        """Write this run's updates, one locked save per device file; True when one failed."""
        updates: dict[str, dict[str, store.Entry]] = {}
        tests: dict[tuple[str, str], set[str]] = {}
        for record in self.records:
            if record["load_error"]:
                self.messages.append(f"baseline file unusable: {record['load_error']}")
            key = (record["model"], record["device"])
            tests.setdefault(key, set()).add(str(record["result"]["test"]))
            if record["update"]:
                updates.setdefault(record["device"], {})[record["model"]] = record["entry"]
        for (model, device), names in sorted(tests.items()):
            if len(names) > 1:
                self.messages.append(
                    f"{model} ({device}) was measured by {len(names)} tests; a baseline keeps "
                    f"one: give each test its own model name ({', '.join(sorted(names))})"
                )
        failed = False
        for device, entries in sorted(updates.items()):
            try:
                self.saved.append(store.save(self.settings.baselines_dir, device, entries))
            except store.BaselineFileError as error:
                self.messages.append(f"baselines not updated: {error}")
                failed = True
        self.messages = list(dict.fromkeys(self.messages))
        return failed

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.is_worker or not (self.records or self.messages):
            return
        terminalreporter.write_sep("-", "modelgate baselines")
        results = [compare.Result.from_dict(r["result"]) for r in self.records]
        if results:
            for line in report.terminal_lines(results):
                terminalreporter.write_line(line)
        for saved in self.saved:
            if saved.written:
                terminalreporter.write_line(
                    f"updated {saved.path}: {len(saved.added)} added, "
                    f"{len(saved.replaced)} replaced"
                )
            else:
                terminalreporter.write_line(f"unchanged {saved.path}")
        for message in self.messages:
            terminalreporter.write_line(message, red=True)


class Recorder:
    """Puts a test's records on its reports, and fails them with ``--fail-on-regression``.

    Registered by the first check in a process, so that runs without measurements pay nothing.
    """

    def __init__(self, fail_on_regression: bool) -> None:
        self.fail_on_regression = fail_on_regression

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        rep = yield
        records = item.stash.get(RECORDS_KEY, [])
        if records:
            setattr(rep, REPORT_ATTR, list(records))
            regressed = [
                r["result"]["message"]
                for r in records
                if r["result"]["verdict"] == compare.REGRESSION and not r["update"]
            ]
            records.clear()
            if regressed and self.fail_on_regression and rep.passed:
                rep.outcome = "failed"
                rep.longrepr = "performance regression (--fail-on-regression):\n" + "\n".join(
                    regressed
                )
        return rep


def active_plugin(config: pytest.Config) -> BaselinePlugin:
    plugin = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if not isinstance(plugin, BaselinePlugin):
        raise RuntimeError("the modelgate baseline plugin is not registered in this run")
    return plugin


def register(config: pytest.Config, settings: Settings) -> None:
    """Register the engine for this run (called from ``pytest_configure``)."""
    config.addinivalue_line("markers", MARKER_HELP)
    config.pluginmanager.register(BaselinePlugin(config, settings), PLUGIN_NAME)
