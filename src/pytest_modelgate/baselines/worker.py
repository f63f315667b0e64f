"""The worker side of the baselines: measuring in a test, on every process that runs tests.

A test (on an xdist worker or not) measures, reads the baseline file (reading is safe anywhere)
and gets a provisional verdict at once, judged within what this process has measured so far.
The measurement travels on the test report (``report.modelgate_baselines``, serialised by xdist
with the report) to the controller (``controller``). A model that looked slower is a suspect:
the ``model_benchmark`` fixture keeps it and measures it ``ROUNDS`` more times when its process
has run every test, away from whatever disturbed the first round; the gating guide's helpers,
whose test asserts on the verdict it is given, measure it again at once. The later rounds reach
the controller through ``workeroutput`` (or directly, in a run without xdist). Nothing is
written here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import statistics
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_modelgate import hardware
from pytest_modelgate.baselines import compare, fresh, judge, store
from pytest_modelgate.baselines.measure import (
    REAL_CLOCK,
    Clock,
    Stats,
    Turn,
    check_stats,
    measure,
)
from pytest_modelgate.settings import SettingError, Settings, finite_number, parse_tolerance

REPORT_ATTR = "modelgate_baselines"
WORKEROUTPUT_ROUNDS = "modelgate_rounds"
MARKER = "baseline"
MARKER_HELP = (
    "baseline(tolerance=None, memory_tolerance=None, time_floor_s=None, memory_floor_mb=None): "
    "per-test override of the baseline regression rule"
)
PLUGIN_NAME = "modelgate-baselines-worker"
RECORDER_NAME = "modelgate-baselines-recorder"
RECORDS_KEY = pytest.StashKey[list[judge.Record]]()
#: what the guide's ``measure_inference_time`` measured in the running test, with how to
#: measure it again (for its check; dropped when the test ends, so that no model is kept alive)
MEASURED_KEY = pytest.StashKey[list[tuple[Mapping[str, Any], Callable[[], Stats]]]]()
#: the clock of this run's measurements (``measure.Clock``): the real one unless a plugin or a
#: conftest puts another here, as the plugin's own tests do to judge verdicts on given samples
CLOCK_KEY = pytest.StashKey[Clock]()
#: what this run's measurements take their samples inside: a side of ``modelgate ab`` takes
#: turns with the other side (set by the plugin); elsewhere nothing
TURN_KEY = pytest.StashKey[Turn]()
#: a model this much of the tolerance slower than its baseline is measured again
SUSPECT_FRACTION = 0.5
#: suspects kept for later rounds per process; past that, one is measured again at once
MAX_SUSPECTS = 200
#: later rounds of a suspect: every one must agree for a regression
ROUNDS = 2
#: a recording whose reference ran this much slower than this process's usual is measured
#: again before it is stored (a disturbance that slows model and reference alike, as the
#: start of a busy neighbour does, leaves a baseline whose clock no later run agrees with)
DISTURBED_REFERENCE = 0.15
#: the first recordings of a process have no usual reference to be judged by: measured again
FIRST_RECORDINGS = 3

#: the test being run in this thread, so that the static helpers find their session
CURRENT_ITEM: ContextVar[pytest.Item | None] = ContextVar("modelgate_current_item", default=None)

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
        try:
            for key, value in marker.kwargs.items():
                if key in _FLOORS:
                    values[key] = _floor(value, f"{where} {key}")
                else:
                    values[key] = parse_tolerance(str(value), f"{where} {key}")
        except SettingError as error:
            raise pytest.UsageError(str(error)) from None
    return compare.Rule(**values)


def _floor(value: object, source: str) -> float:
    number = finite_number(value)
    if number is None or number < 0:
        raise SettingError(f"{source}: expected a finite number >= 0, got {value!r}")
    return number


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
    """A model that looked slower, with how to measure it again."""

    key: str
    remeasure: Callable[[], Stats]
    device: str
    test: str | None


class Worker:
    """Registered on every process: checks the measurements of the tests it runs, and measures
    its suspects again; its later rounds are the controller's to judge."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.settings = settings
        self.config = config
        workerinput = getattr(config, "workerinput", None)
        self.workers = int(workerinput["workercount"]) if workerinput else 1
        if workerinput is not None:
            share = hardware.thread_share(hardware.cpu_count(), self.workers)
            hardware.cap_threads(share, os.environ)
        self.store = store.Reader(settings.baselines_dir)
        self.ratios: list[float] = []  # this process's, for its provisional verdicts
        self.suspects: list[Suspect] = []
        self.rounds: dict[str, list[store.Entry]] = {}
        #: the median reference run of each measurement of this process
        self.references: list[float] = []
        #: the recordings (``--update-baselines``) to measure again before they are stored
        self.disturbed: set[str] = set()
        #: a fresh process (``fresh``) measures each model once: the run that started it judges
        self.fresh = fresh.OUT_ENV in os.environ

    @property
    def clock(self) -> Clock:
        """The clock measurements read (read when measuring: a conftest may set it late)."""
        return self.config.stash.get(CLOCK_KEY, REAL_CLOCK)

    def measuring(
        self,
        model: Callable[..., Any],
        inputs: Any,
        *,
        warmup_runs: int,
        test_runs: int,
        device: str,
    ) -> Callable[[], Stats]:
        """How to measure ``model`` on ``inputs`` in this run, as often as asked: with the run's
        clock and, in an A/B run, taking turns with the other side."""
        return functools.partial(
            measure,
            model,
            inputs,
            warmup_runs=warmup_runs,
            test_runs=test_runs,
            device=device,
            clock=self.clock,
            turn=self.turn,
        )

    @property
    def turn(self) -> Turn:
        """What measurements take their samples inside (see ``TURN_KEY``)."""
        return self.config.stash.get(TURN_KEY, contextlib.nullcontext)

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
        """The provisional verdict, within what this process measured so far; the record goes
        on the test's report."""
        outcome = judge.check(
            self.store.lookup,
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
        if update and self._looks_disturbed(stats):
            self.disturbed.add(outcome.record.key)
        if item is not None:
            path, line, _ = item.location
            record = dataclasses.replace(outcome.record, location=(path, (line or 0) + 1))
            item.stash.setdefault(RECORDS_KEY, []).append(record)
            if not self.config.pluginmanager.has_plugin(RECORDER_NAME):
                self.config.pluginmanager.register(Recorder(), RECORDER_NAME)
        return outcome.result

    def _looks_disturbed(self, stats: Mapping[str, Any]) -> bool:
        """Whether a measurement's reference ran unusually slowly for this process (or there is
        no usual yet); every measurement's reference counts towards the usual."""
        references = stats.get("reference_samples") or ()
        if not references:
            return False
        reference = statistics.median(references)
        usual = statistics.median(self.references) if self.references else None
        self.references.append(reference)
        if len(self.references) <= FIRST_RECORDINGS or usual is None:
            return True
        return bool(reference > usual * (1 + DISTURBED_REFERENCE))

    def measure_again_later(self, result: compare.Result, remeasure: Callable[[], Stats]) -> None:
        """Keep a model that looked slower (or larger), or a recording that looks disturbed,
        for ``ROUNDS`` more rounds at the end of this process."""
        key = f"{result.test}::{result.model}"
        if self.fresh or (not is_suspect(result) and key not in self.disturbed):
            return
        suspect = Suspect(key, remeasure, result.device, result.test)
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
        on the same measurements. A recording that looks disturbed is measured again at the
        end of this process, as ``model_benchmark``'s are."""
        key = f"{result.test}::{result.model}"
        if key in self.disturbed:
            self.measure_again_later(result, remeasure)
        if not is_suspect(result):
            return result
        for _ in range(ROUNDS):
            self._remeasure([Suspect(key, remeasure, result.device, result.test)])
        record = item.stash[RECORDS_KEY][-1]
        baseline, problem = self.store.lookup(record.device, record.model)
        drift = compare.drift_of(self.ratios[-compare.DRIFT_WINDOW :])
        rounds = self.rounds[key]
        return judge.judge_record(record, baseline, problem, drift, rounds, [drift] * len(rounds))

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

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Measure the suspects again (each pass over all of them: the rounds spread out in
        time); on an xdist worker, the later rounds go to the controller."""
        for _ in range(ROUNDS):
            self._remeasure(self.suspects)
        self.suspects.clear()
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WORKEROUTPUT_ROUNDS] = self.rounds


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
        if records:  # plain values: xdist sends them with the report
            setattr(rep, REPORT_ATTR, [record.as_dict() for record in records])
            records.clear()
        return rep


def of(config: pytest.Config) -> Worker:
    """This process's worker (the fixtures and the guide's helpers measure through it)."""
    worker = config.pluginmanager.get_plugin(PLUGIN_NAME)
    if not isinstance(worker, Worker):
        raise RuntimeError("the modelgate baselines are not registered in this run")
    return worker
