"""The controller side of the baselines: gather, judge, write and summarise, once per run.

Registered only on the process that reports the run (the xdist controller, or the only process
of a run without xdist). It gathers the records that came on the test reports and the later
rounds of every worker, gives the final verdicts (``judge.judge_run``), and then, once: writes
the baselines with ``--update-baselines`` (one locked save per device file), records the models
this machine has no baseline of in its local store, writes the JSON report and the HTML page
beside it, appends the step summary, warns of regressions and prints the summary.
"""

from __future__ import annotations

import dataclasses
import math
import os
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate.baselines import compare, fresh, html, judge, machines, render, store
from pytest_modelgate.baselines.worker import REPORT_ATTR, WORKEROUTPUT_ROUNDS, Worker
from pytest_modelgate.settings import Settings

PLUGIN_NAME = "modelgate-baselines-controller"


def least_disturbed(entry: store.Entry, rounds: Sequence[store.Entry]) -> store.Entry:
    """Of a recording and its later rounds, the one to store: the one whose reference ran
    fastest, as a disturbance only slows it (the first when none has reference runs)."""

    def reference(candidate: store.Entry) -> float:
        runs = candidate.get("reference_samples")
        return statistics.median(runs) if runs else math.inf

    best = min([entry, *rounds], key=reference)
    return {k: v for k, v in best.items() if k != "measured_at"}


class Controller:
    """The run's records and later rounds, their verdicts, and what was written of them."""

    def __init__(self, config: pytest.Config, settings: Settings, local: Worker) -> None:
        self.config = config
        self.settings = settings
        #: the worker of this process: its later rounds, in a run without xdist
        self.local = local
        self.records: list[judge.Record] = []
        self.rounds: dict[str, list[store.Entry]] = {}
        self.results: list[compare.Result] = []
        self.drifts: dict[str, compare.Drift] = {}
        self.messages: list[str] = []
        self.saved: list[store.SaveResult] = []
        self.recorded: list[store.SaveResult] = []  # this machine's local store
        self.page: Path | None = None
        #: the tests of the run, in the order their reports came (for the fresh processes)
        self.ran: dict[str, None] = {}
        #: what the fresh processes did, for the summary (None: none ran)
        self.fresh_line: str | None = None

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.ran.setdefault(report.nodeid)
        self.records.extend(judge.Record.from_dict(r) for r in getattr(report, REPORT_ATTR, ()))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """A worker's later rounds (pytest-xdist only)."""
        for key, entries in getattr(node, "workeroutput", {}).get(WORKEROUTPUT_ROUNDS, {}).items():
            self.rounds.setdefault(key, []).extend(entries)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for key, entries in self.local.rounds.items():
            self.rounds.setdefault(key, []).extend(entries)
        if fresh.OUT_ENV in os.environ:  # a fresh process: the run that started it judges
            fresh.write(Path(os.environ[fresh.OUT_ENV]), self.records)
            return
        lookup = self.local.store.lookup
        self.results, self.drifts = judge.judge_run(self.records, lookup, self.rounds)
        self._measure_in_fresh_processes()
        failed = self._write_updates()
        if self.settings.baseline_report is not None:
            failed = self._write_report(self.settings.baseline_report) or failed
        if self.results:
            render.append_step_summary(self.results, os.environ)
        locations = {str(r.test): r.location for r in self.records if r.location is not None}
        judge.warn_regressions(self.results, locations)
        regressed = any(r.verdict == compare.REGRESSION and not r.updated for r in self.results)
        failed = failed or (regressed and self.settings.fail_on_regression)
        if failed and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _measure_in_fresh_processes(self) -> None:
        """Measure the models this run left undecided again in fresh processes, and judge them
        on those (``fresh``); a recording is not judged, so it measures none again."""
        rounds = self.settings.fresh_rounds
        if not rounds or self.settings.update_baselines:
            return
        doubtful = fresh.undecided(self.results)
        if not doubtful:
            return
        beside = fresh.controls(self.results, doubtful)
        tests = fresh.tests_of(list(self.ran), [*doubtful, *beside])
        workers = max(
            int((r.entry.get("fingerprint") or {}).get("workers") or 1) for r in self.records
        )
        launch = fresh.Launch(
            rootdir=self.config.rootpath,
            options=self._carried_options(),
            workers=workers,
            xdist=self.config.pluginmanager.hasplugin("xdist"),
        )
        measured = fresh.measure_again(launch, tests, rounds)
        self.messages.extend(measured.problems)

        def of(results: Sequence[compare.Result]) -> dict[str, list[store.Entry]]:
            keys = {f"{r.test}::{r.model}" for r in results}
            return {k: entries for k, entries in measured.entries.items() if k in keys}

        again = judge.Fresh(of(doubtful), of(beside))
        lookup = self.local.store.lookup
        self.results, _ = judge.judge_run(self.records, lookup, self.rounds, fresh=again)
        self.fresh_line = (
            f"measured again in {rounds} fresh process(es), {measured.seconds:.0f} s: "
            f"{len(again.undecided)} of the {len(doubtful)} model(s) this run left undecided "
            "(a regression, a slowdown too noisy to tell, an ok near the tolerance), beside "
            f"{len(again.controls)} decided one(s) for those processes' own shift; their rows "
            "are judged on those"
        )

    def _carried_options(self) -> tuple[str, ...]:
        """The options of this run that a fresh process needs to measure as it did."""
        config, settings = self.config, self.settings
        options = [
            f"--rootdir={config.rootpath}",
            f"--baselines-dir={settings.baselines_dir}",
            f"--baseline-tolerance={settings.baseline_tolerance}",
            f"--model-source={config.getoption('model_source')}",
        ]
        if config.inipath is not None:
            options.append(f"--config-file={config.inipath}")
        if settings.run_model_tests:
            options.append("--run-model-tests")
        if config.getoption("gpu_per_worker"):
            options.append("--gpu-per-worker")
        for plugin in config.option.plugins or ():
            options += ["-p", plugin]
        for override in config.option.override_ini or ():
            options += ["-o", override]
        return tuple(options)

    def _write_report(self, path: Path) -> bool:
        """The JSON report, and the HTML page beside a ``.json`` one; True when it failed."""
        written = [str(s.path) for s in self.saved if s.written]
        drift = {d: v.as_dict() for d, v in sorted(self.drifts.items())}
        doc = render.document(
            self.results, errors=self.messages, updated_files=written, drift=drift
        )
        try:
            render.write_json(path, doc)
        except OSError as error:  # checked at the start; the disk may still fill up
            self.messages.append(f"baseline report not written: {error}")
            return True
        if path.suffix == ".json":
            try:
                self.page = html.write_beside(path, doc, self.settings.baselines_dir)
            except OSError as error:
                self.messages.append(f"HTML report not written: {error}")
        return False

    def _write_updates(self) -> bool:
        """Write this run's updates, one locked save per device file, and record the models
        this machine has no baseline of in its local store; True when an update failed."""
        updates: dict[str, dict[str, store.Entry]] = {}
        unknown: dict[str, dict[str, store.Entry]] = {}
        tests: dict[tuple[str, str], set[str]] = {}
        for record, result in zip(self.records, self.results, strict=True):
            if record.load_error:
                self.messages.append(f"baseline file unusable: {record.load_error}")
            tests.setdefault((record.model, record.device), set()).add(str(record.test))
            if record.update:
                entry = least_disturbed(record.entry, self.rounds.get(record.key, ()))
                updates.setdefault(record.device, {})[record.model] = entry
            elif result.verdict == compare.NEW:
                unknown.setdefault(record.device, {})[record.model] = record.entry
        for (model, device), names in sorted(tests.items()):
            if len(names) > 1:
                self.messages.append(
                    f"{model} ({device}) was measured by {len(names)} tests; a baseline keeps "
                    f"one: give each test its own model name ({', '.join(sorted(names))})"
                )
        failed = False
        for device, entries in sorted(updates.items()):
            try:
                self.saved.append(store.save(self.local.store.home(device), device, entries))
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
        machine = self.local.store.machine
        folder = machines.local_folder(self.settings.baselines_dir, machine)
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
                f"({machine}) yet; recorded in {store.file_for(folder, r.device)}, "
                "the next run compares against it",
            )
            if (r.model, r.device) in recorded and r.verdict == compare.NEW
            else r
            for r in self.results
        ]

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not (self.results or self.messages):
            return
        terminalreporter.write_sep("-", "modelgate baselines")
        if self.results:
            lines = render.terminal_lines(
                self.results,
                self.drifts,
                verbose=self.config.get_verbosity() > 0,
                report_path=self.settings.baseline_report,
                fail_on_regression=self.settings.fail_on_regression,
            )
            for line in lines:
                terminalreporter.write_line(line)
        if self.fresh_line is not None:
            terminalreporter.write_line(self.fresh_line)
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
                f"no baseline of this machine ({self.local.store.machine}) for "
                f"{len(saved.added)} model(s): recorded in {saved.path} (not committed); the "
                "next run compares against them"
            )
        for message in self.messages:
            terminalreporter.write_line(message, red=True)
