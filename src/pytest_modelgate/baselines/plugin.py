"""The baseline engine inside a pytest run: measure in the test, judge and write on the controller.

A test (on an xdist worker or not) measures, reads the baseline file (reading is safe anywhere)
and gets a provisional verdict at once, judged within what this process has measured so far.
The measurement travels on the test report (``report.modelgate_baselines``, serialised by xdist
with the report) to the controller. A model that looked slower is a suspect: the
``model_benchmark`` fixture keeps it and measures it ``ROUNDS`` more times when its process has
run every test, away from whatever disturbed the first round; the later rounds reach the
controller through ``workeroutput``. Once every test has run, the controller alone gives the
final verdicts, with the common shift of each moment taken out (``judge_run``), warns and
reports, and with ``--update-baselines`` writes each device's file once.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate import hardware
from pytest_modelgate.baselines import compare, machines, report, store
from pytest_modelgate.baselines.measure import REAL_CLOCK, Clock, Stats, check_stats
from pytest_modelgate.settings import Settings, parse_tolerance

REPORT_ATTR = "modelgate_baselines"
WORKEROUTPUT_ROUNDS = "modelgate_rounds"
MARKER = "baseline"
MARKER_HELP = (
    "baseline(tolerance=None, memory_tolerance=None, time_floor_s=None, memory_floor_mb=None): "
    "per-test override of the baseline regression rule"
)

PLUGIN_NAME = "modelgate-baselines"
RECORDER_NAME = "modelgate-baselines-recorder"
RECORDS_KEY = pytest.StashKey[list[dict[str, Any]]]()
#: what the guide's ``measure_inference_time`` measured in the running test, with how to
#: measure it again (for its check; dropped when the test ends, so that no model is kept alive)
MEASURED_KEY = pytest.StashKey[list[tuple[Mapping[str, Any], Callable[[], Stats]]]]()
#: the clock of this run's measurements (``measure.Clock``): the real one unless a plugin or a
#: conftest puts another here, as the plugin's own tests do to judge verdicts on given samples
CLOCK_KEY = pytest.StashKey[Clock]()
#: a model this much of the tolerance slower than its baseline is measured again at the end
SUSPECT_FRACTION = 0.5
#: suspects kept for later rounds per process; past that, one is measured again at once
MAX_SUSPECTS = 200
#: later rounds of a suspect: every one must agree for a regression
ROUNDS = 2

#: the test being run in this thread, so that the static helpers find their session
CURRENT_ITEM: ContextVar[pytest.Item | None] = ContextVar("modelgate_current_item", default=None)


class PerformanceRegressionWarning(UserWarning):
    """A measured model is slower (or larger) than its baseline beyond the tolerance."""


_FLOORS = ("time_floor_s", "memory_floor_mb")


def rule_for(item: pytest.Item | None, tolerance: float) -> compare.Rule:
    """The regression rule for ``item``: ``tolerance`` unless its ``baseline`` marker says."""
    values: dict[str, Any] = {"tolerance": tolerance}
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
    """The baseline files this process reads (each at most once): for each model, the first
    entry measured on this machine in the store's main file, its ``machines/`` folder or its
    local store (see ``machines``)."""

    folder: Path
    machine: str = field(default_factory=store.this_machine)
    loaded: dict[Path, tuple[dict[str, store.Entry], str | None]] = field(default_factory=dict)

    def entries(self, path: Path) -> tuple[dict[str, store.Entry], str | None]:
        """The entries of one file, and its problem (None when usable)."""
        if path not in self.loaded:
            try:
                self.loaded[path] = (store.load(path), None)
            except store.BaselineFileError as trouble:
                self.loaded[path] = ({}, str(trouble))
        return self.loaded[path]

    def lookup(self, device: str, model: str) -> tuple[store.Entry | None, str | None]:
        """This machine's baseline of ``model`` on ``device`` and the problem of a file that
        could not be read on the way (None when all were usable)."""
        for folder in machines.search_order(self.folder, self.machine):
            entries, problem = self.entries(store.file_for(folder, device))
            if problem is not None:
                return None, problem
            entry = entries.get(model)
            if entry is not None and machines.measured_here(entry, self.machine):
                return entry, None
        return None, None

    def home(self, device: str) -> Path:
        """The folder ``--update-baselines`` writes this machine's ``device`` baselines to."""
        main, _ = self.entries(store.file_for(self.folder, device))
        return machines.home(self.folder, main, self.machine)


@dataclass(frozen=True)
class Outcome:
    """A checked measurement: its verdict, the record sent to the controller, and its time
    ratio to a comparable baseline (None when there is none to compare with)."""

    result: compare.Result
    record: dict[str, Any]
    ratio: float | None = None


def comparable_ratio(
    entry: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    load_error: str | None,
    fields: Sequence[str] = store.COMPARED_FIELDS,
) -> float | None:
    """The time ratio of a measurement to its baseline, when they can be compared at all."""
    if baseline is None or load_error is not None:
        return None
    if compare.fingerprint_difference(
        baseline.get("fingerprint"), entry.get("fingerprint"), fields
    ):
        return None
    return compare.time_ratio(baseline, entry)


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
    drift: compare.Drift = compare.NO_DRIFT,
    measured_at: float | None = None,
) -> Outcome:
    """Compare ``stats`` with the stored baseline; refuses bad stats before anything else."""
    check_stats(stats)
    threads = int(stats.get("threads") or hardware.current_threads(None))
    fingerprint = store.fingerprint(device, threads, workers)
    entry = store.make_entry(
        stats, device=device, test=test, fingerprint=fingerprint, when=store.timestamp()
    )
    baseline, load_error = files.lookup(device, model)
    result = compare.compare(
        model,
        device,
        entry,
        baseline,
        rule,
        fingerprint=fingerprint,
        fingerprint_fields=store.COMPARED_FIELDS,
        load_error=load_error,
        test=test,
        drift=drift,
    )
    if update:
        result = dataclasses.replace(result, updated=True)
    record = {
        "model": model,
        "device": store.device_family(device),
        "entry": entry,
        "result": result.as_dict(),
        "rule": dataclasses.asdict(rule),
        "update": update,
        "load_error": load_error,
        "measured_at": time.time() if measured_at is None else measured_at,
    }
    return Outcome(result, record, comparable_ratio(entry, baseline, load_error))


def record_key(record: Mapping[str, Any]) -> str:
    """What names a record across processes: its test and its model."""
    return f"{record['result']['test']}::{record['model']}"


def judge_run(
    records: Sequence[Mapping[str, Any]],
    lookup: Callable[[str, str], tuple[store.Entry | None, str | None]],
    rounds: Mapping[str, Sequence[store.Entry]],
    fields: Sequence[str] = store.COMPARED_FIELDS,
) -> tuple[list[compare.Result], dict[str, compare.Drift]]:
    """The final verdicts of a run: each device's common shift over time first, from every
    comparable model's first round (``measured_at``), then each record judged within the shift
    of its moment, its later rounds within theirs. A difference in one of the fingerprint's
    ``fields`` makes a comparison inconclusive."""
    found = [(r, *lookup(r["device"], r["model"])) for r in records]
    points: dict[str, list[tuple[float | None, float]]] = {}
    clocks: dict[str, list[float]] = {}
    for record, baseline, problem in found:
        ratio = comparable_ratio(record["entry"], baseline, problem, fields)
        if ratio is not None and baseline is not None:
            points.setdefault(record["device"], []).append((record.get("measured_at"), ratio))
            clocks.setdefault(record["device"], []).append(
                compare.clock_ratio(baseline, record["entry"])
            )
    timelines = {
        device: compare.timeline(values, clock=compare.drift_of(clocks[device]).ratio)
        for device, values in points.items()
    }
    results = []
    for record, baseline, problem in found:
        entry = record["entry"]
        shift = timelines.get(record["device"], compare.timeline(()))
        later = rounds.get(record_key(record), ())
        result = compare.compare(
            record["model"],
            record["device"],
            entry,
            baseline,
            compare.Rule(**record["rule"]),
            fingerprint=entry.get("fingerprint"),
            fingerprint_fields=fields,
            load_error=problem,
            test=record["result"]["test"],
            drift=shift.at(record.get("measured_at")),
            rounds=later,
            round_drifts=[shift.at(r.get("measured_at")) for r in later],
        )
        results.append(dataclasses.replace(result, updated=bool(record["update"])))
    return results, {device: line.overall for device, line in timelines.items()}


def warn_regressions(
    results: Sequence[compare.Result], locations: Mapping[str, tuple[str, int]]
) -> None:
    """One ``PerformanceRegressionWarning`` per regression, at its test's file and line (from
    ``locations``, by test id). Whether a regression fails the run is ``--fail-on-regression``'s
    to say, not a warning filter's: where warnings are errors, these still only warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", PerformanceRegressionWarning)
        for result in results:
            if result.verdict != compare.REGRESSION or result.updated:
                continue
            path, line = locations.get(str(result.test), (result.test or result.model, 0))
            warnings.warn_explicit(PerformanceRegressionWarning(result.message), None, path, line)


def is_suspect(result: compare.Result) -> bool:
    """Whether a provisional verdict is worth measuring again: its model looked slower (or
    larger) than its baseline by more than ``SUSPECT_FRACTION`` of the tolerance."""
    if result.updated or result.verdict == compare.NEW:
        return False
    return any(
        m.change_percent > m.threshold_percent * SUSPECT_FRACTION
        for m in result.metrics
        if m.metric in (compare.TIME, compare.MEMORY)
    )


@dataclass(frozen=True)
class Suspect:
    """A model that looked slower: measured again once its process has run every test."""

    key: str
    remeasure: Callable[[], Stats]
    device: str
    test: str | None


class BaselinePlugin:
    """Registered on every process: checks run in tests; the controller judges and writes."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.settings = settings
        self.config = config
        self.pluginmanager = config.pluginmanager
        workerinput = getattr(config, "workerinput", None)
        self.is_worker = workerinput is not None
        self.workers = int(workerinput["workercount"]) if workerinput else 1
        self.threads: int | None = None
        if workerinput is not None:
            share = hardware.thread_share(hardware.cpu_count(), self.workers)
            self.threads = hardware.cap_threads(share, os.environ)
        self.store = Store(settings.baselines_dir)
        self.ratios: list[float] = []  # this process's, for its provisional verdicts
        self.suspects: list[Suspect] = []
        self.rounds: dict[str, list[store.Entry]] = {}
        self.records: list[dict[str, Any]] = []
        self.results: list[compare.Result] = []
        self.drifts: dict[str, compare.Drift] = {}
        self.messages: list[str] = []
        self.saved: list[store.SaveResult] = []
        self.recorded: list[store.SaveResult] = []  # this machine's local store
        self.page: Path | None = None

    @property
    def clock(self) -> Clock:
        """The clock measurements read (read when measuring: a conftest may set it late)."""
        return self.config.stash.get(CLOCK_KEY, REAL_CLOCK)

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
        """The provisional verdict, within what this process measured so far."""
        outcome = check(
            self.store,
            model,
            stats,
            device=device,
            rule=rule,
            update=update,
            workers=self.workers,
            test=item.nodeid if item is not None else None,
            drift=compare.drift_of(self.ratios[-compare.DRIFT_WINDOW :]),
            measured_at=self.clock.timestamp(),
        )
        if outcome.ratio is not None:
            self.ratios.append(outcome.ratio)
        if item is not None:
            path, line, _ = item.location
            outcome.record["location"] = [path, (line or 0) + 1]
            item.stash.setdefault(RECORDS_KEY, []).append(outcome.record)
            if not self.pluginmanager.has_plugin(RECORDER_NAME):
                self.pluginmanager.register(Recorder(), RECORDER_NAME)
        return outcome.result

    def measure_again_later(self, result: compare.Result, remeasure: Callable[[], Stats]) -> None:
        """Keep a model that looked slower (or larger) for ``ROUNDS`` more rounds at the end of
        this process."""
        if not is_suspect(result):
            return
        suspect = Suspect(f"{result.test}::{result.model}", remeasure, result.device, result.test)
        if len(self.suspects) < MAX_SUSPECTS:
            self.suspects.append(suspect)
        else:
            self._remeasure([suspect])

    def measure_again_now(
        self, item: pytest.Item, result: compare.Result, remeasure: Callable[[], Stats]
    ) -> compare.Result:
        """For a test that asserts on the verdict it is given (the gating guide's helpers): a
        model that looked slower is measured ``ROUNDS`` more times at once, and the verdict
        returned is judged with those rounds, which must all agree for a regression. The rounds
        reach the controller as this model's later rounds, so the run's final verdict is judged
        on the same measurements."""
        if not is_suspect(result):
            return result
        key = f"{result.test}::{result.model}"
        for _ in range(ROUNDS):
            self._remeasure([Suspect(key, remeasure, result.device, result.test)])
        record = item.stash[RECORDS_KEY][-1]
        entry = record["entry"]
        baseline, problem = self.store.lookup(record["device"], record["model"])
        drift = compare.drift_of(self.ratios[-compare.DRIFT_WINDOW :])
        rounds = self.rounds[key]
        judged = compare.compare(
            record["model"],
            record["device"],
            entry,
            baseline,
            compare.Rule(**record["rule"]),
            fingerprint=entry.get("fingerprint"),
            fingerprint_fields=store.COMPARED_FIELDS,
            load_error=problem,
            test=result.test,
            drift=drift,
            rounds=rounds,
            round_drifts=[drift] * len(rounds),
        )
        return dataclasses.replace(judged, updated=result.updated)

    def _remeasure(self, suspects: Sequence[Suspect]) -> None:
        for suspect in suspects:
            stats = suspect.remeasure().as_dict()
            check_stats(stats)
            fingerprint = store.fingerprint(suspect.device, int(stats["threads"]), self.workers)
            entry = store.make_entry(
                stats,
                device=suspect.device,
                test=suspect.test,
                fingerprint=fingerprint,
                when=store.timestamp(),
            )
            # not stored: when it was measured, for the shift of its moment
            measured_at = self.clock.timestamp()
            self.rounds.setdefault(suspect.key, []).append({**entry, "measured_at": measured_at})

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        token = CURRENT_ITEM.set(item)
        try:
            return (yield)
        finally:
            CURRENT_ITEM.reset(token)
            if MEASURED_KEY in item.stash:
                del item.stash[MEASURED_KEY]

    # -- on the controller ---------------------------------------------------------------------

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.is_worker:
            self.records.extend(getattr(report, REPORT_ATTR, ()))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """A worker's later rounds (pytest-xdist only)."""
        for key, entries in getattr(node, "workeroutput", {}).get(WORKEROUTPUT_ROUNDS, {}).items():
            self.rounds.setdefault(key, []).extend(entries)

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for _ in range(ROUNDS):  # each pass over every suspect: the rounds spread out in time
            self._remeasure(self.suspects)
        self.suspects.clear()
        if self.is_worker:
            session.config.workeroutput[WORKEROUTPUT_ROUNDS] = self.rounds  # type: ignore[attr-defined]
            return
        self.results, self.drifts = judge_run(self.records, self.store.lookup, self.rounds)
        failed = self._write_updates()
        if self.settings.baseline_report is not None:
            written = [str(s.path) for s in self.saved if s.written]
            drift = {d: v.as_dict() for d, v in sorted(self.drifts.items())}
            doc = report.document(
                self.results, errors=self.messages, updated_files=written, drift=drift
            )
            try:
                report.write_json(self.settings.baseline_report, doc)
            except OSError as error:  # checked at the start; the disk may still fill up
                self.messages.append(f"baseline report not written: {error}")
                failed = True
            else:
                self._write_html(doc)
        if self.results:
            report.append_step_summary(self.results, os.environ)
        locations = {
            str(r["result"]["test"]): (str(r["location"][0]), int(r["location"][1]))
            for r in self.records
            if "location" in r
        }
        warn_regressions(self.results, locations)
        regressed = any(r.verdict == compare.REGRESSION and not r.updated for r in self.results)
        failed = failed or (regressed and self.settings.fail_on_regression)
        if failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _write_html(self, doc: Mapping[str, Any]) -> None:
        """The HTML page beside a ``.json`` report (``modelgate report`` builds it too)."""
        path = self.settings.baseline_report
        if path is None or path.suffix != ".json":
            return
        from pytest_modelgate.baselines import report_cli

        try:
            self.page = report_cli.write_beside(path, doc, self.settings.baselines_dir)
        except OSError as error:
            self.messages.append(f"HTML report not written: {error}")

    def _write_updates(self) -> bool:
        """Write this run's updates, one locked save per device file, and record the models
        this machine has no baseline of in its local store; True when an update failed."""
        updates: dict[str, dict[str, store.Entry]] = {}
        unknown: dict[str, dict[str, store.Entry]] = {}
        tests: dict[tuple[str, str], set[str]] = {}
        for record, result in zip(self.records, self.results, strict=True):
            if record["load_error"]:
                self.messages.append(f"baseline file unusable: {record['load_error']}")
            key = (record["model"], record["device"])
            tests.setdefault(key, set()).add(str(record["result"]["test"]))
            if record["update"]:
                updates.setdefault(record["device"], {})[record["model"]] = record["entry"]
            elif result.verdict == compare.NEW:
                unknown.setdefault(record["device"], {})[record["model"]] = record["entry"]
        for (model, device), names in sorted(tests.items()):
            if len(names) > 1:
                self.messages.append(
                    f"{model} ({device}) was measured by {len(names)} tests; a baseline keeps "
                    f"one: give each test its own model name ({', '.join(sorted(names))})"
                )
        failed = False
        for device, entries in sorted(updates.items()):
            try:
                self.saved.append(store.save(self.store.home(device), device, entries))
            except store.BaselineFileError as error:
                self.messages.append(f"baselines not updated: {error}")
                failed = True
        self._record_locally(unknown)
        self.messages = list(dict.fromkeys(self.messages))
        return failed

    def _record_locally(self, unknown: Mapping[str, Mapping[str, store.Entry]]) -> None:
        """Keep the measurements of models without a baseline of this machine in its local
        store: the next run compares against them (see ``machines``)."""
        if not unknown:
            return
        folder = machines.local_folder(self.settings.baselines_dir, self.store.machine)
        recorded: set[tuple[str, str]] = set()
        for device, entries in sorted(unknown.items()):
            try:
                machines.ensure_local(self.settings.baselines_dir)
                self.recorded.append(store.save(folder, device, entries))
            except (OSError, store.BaselineFileError) as error:
                self.messages.append(f"this machine's baselines not recorded: {error}")
                continue
            recorded.update((model, device) for model in entries)
        self.results = [
            dataclasses.replace(
                r,
                message=f"{r.model} ({r.device}): new: no baseline of this machine "
                f"({self.store.machine}) yet; recorded in {store.file_for(folder, r.device)}, "
                "the next run compares against it",
            )
            if (r.model, r.device) in recorded and r.verdict == compare.NEW
            else r
            for r in self.results
        ]

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.is_worker or not (self.results or self.messages):
            return
        terminalreporter.write_sep("-", "modelgate baselines")
        if self.results:
            lines = report.terminal_lines(
                self.results,
                self.drifts,
                verbose=self.config.get_verbosity() > 0,
                report_path=self.settings.baseline_report,
                fail_on_regression=self.settings.fail_on_regression,
            )
            for line in lines:
                terminalreporter.write_line(line)
        if self.page is not None:
            terminalreporter.write_line(f"performance page: {self.page}")
        for saved in self.saved:
            if saved.written:
                terminalreporter.write_line(
                    f"updated {saved.path}: {len(saved.added)} added, "
                    f"{len(saved.replaced)} replaced"
                )
            else:
                terminalreporter.write_line(f"unchanged {saved.path}")
        for saved in self.recorded:
            terminalreporter.write_line(
                f"no baseline of this machine ({self.store.machine}) for {len(saved.added)} "
                f"model(s): recorded in {saved.path} (not committed); the next run compares "
                "against them"
            )
        for message in self.messages:
            terminalreporter.write_line(message, red=True)


class Recorder:
    """Puts a test's records on its reports, for the controller.

    Registered by the first check in a process, so that runs without measurements pay nothing.
    """

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        rep = yield
        records = item.stash.get(RECORDS_KEY, [])
        if records:
            setattr(rep, REPORT_ATTR, list(records))
            records.clear()
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
