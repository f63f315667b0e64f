"""One pass of an A/B run: both sides' pytest runs, started together, in lock-step.

Each side is an ordinary ``pytest --run-model-tests --update-baselines`` run into a scratch
store of its own (never ``baselines/``), in its side's folder and environment, with its threads
capped to its share of the CPUs. With ``jobs`` > 1 the tests are split into that many groups by
pytest-split (the same durations file for both sides, so both get the same groups) and each
group runs as a pair of its own; each pair meets before every measurement (``duet``). When a
side's process ends, its done marker releases the other side from the meetings.

Each side's pytest also loads a small reporter of this module's (``REPORTER_SOURCE``, written
into the scratch folder and loaded with ``-p``, so that it is the same whichever revision of
this plugin a side imports): it streams one JSON line per event into a file of its run, flushed
as it happens: how many tests the run collected, each report of a test with pytest's own
category for it, and each test's end. The pass reads the streams as they grow, for its progress
lines (``due``), and the first pass's, afterwards, for each test's outcome
(``judge.outcomes_of``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_modelgate import hardware
from pytest_modelgate.ab import duet, judge
from pytest_modelgate.ab.sides import Side
from pytest_modelgate.settings import SELECT_ENV

POLL_S = 0.2
#: a progress line of a side comes at most this often, and at most once a tenth of its tests
PROGRESS_S = 30.0
PROGRESS_STEPS = 10
#: the file a side's reporter streams into, named in the side's environment
STREAM_ENV = "MODELGATE_AB_STREAM"
#: the reporter's module name (a name no project uses), and its code
REPORTER = "_modelgate_ab_reporter"
REPORTER_SOURCE = '''"""modelgate ab's reporter: loaded into a side's pytest with -p, it streams
one JSON line per event, flushed at once, into the file that $MODELGATE_AB_STREAM names."""

import json
import os

_state = {}


def _write(record):
    out = _state.get("out")
    if out is not None:
        out.write(json.dumps(record) + "\\n")
        out.flush()


def _first_line(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    lines = text.strip().splitlines()
    return lines[0][:200] if lines else ""


def pytest_configure(config):
    path = os.environ.get("MODELGATE_AB_STREAM")
    if path and not hasattr(config, "workerinput"):  # an xdist worker's reports reach its main
        _state["out"] = open(path, "a", encoding="utf-8")
        _state["config"] = config


def pytest_unconfigure(config):
    out = _state.pop("out", None)
    if out is not None:
        out.close()


def pytest_collection_finish(session):
    _write({"collected": len(session.items)})


def pytest_collectreport(report):
    if report.failed:
        _write({"test": report.nodeid, "when": "collect", "category": "error",
                "message": _first_line(report)})


def pytest_runtest_logreport(report):
    config = _state.get("config")
    if config is None:
        return
    status = config.hook.pytest_report_teststatus(report=report, config=config)
    category = status[0] if status else report.outcome
    text = report.longrepr if isinstance(report.longrepr, str) else ""
    _write({"test": report.nodeid, "when": report.when, "category": str(category),
            "strict_xpass": text.startswith("[XPASS(strict)]"),
            "message": _first_line(report) if report.failed else ""})


def pytest_runtest_logfinish(nodeid):
    _write({"finished": nodeid})
'''


@dataclass(frozen=True)
class SideRun:
    """What one side's pytest processes of a pass left: its store, exit codes and logs."""

    side: Side
    store: Path
    exit_codes: tuple[int, ...]
    logs: tuple[Path, ...]
    streams: tuple[Path, ...] = ()

    @property
    def broken(self) -> bool:
        """A run that stopped short: not only passed or failed tests (codes 0 and 1)."""
        return any(code not in (0, 1) for code in self.exit_codes)


def pytest_command(
    store: Path, pytest_args: Sequence[str], *, group: int, groups: int, durations: Path | None
) -> list[str]:
    """The command line of one side's run of one group."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--run-model-tests",
        "--update-baselines",
        f"--baselines-dir={store}",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        "-p",
        REPORTER,
        "-q",
    ]
    if importlib.util.find_spec("xdist") is not None:
        command += ["-n", "0"]  # one process per side and group: the pairs meet in order
    if groups > 1:
        command += ["--splits", str(groups), "--group", str(group + 1)]
        if durations is not None:
            command += ["--durations-path", str(durations)]
    return [*command, *pytest_args]


def sampling_cpus(group: int, threads: int) -> list[int]:
    """The CPUs the sides of pair ``group`` sample on: ``threads`` of them, one set per pair."""
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return []
    return [allowed[(group * threads + i) % len(allowed)] for i in range(threads)]


def side_environ(
    side: Side,
    folder: Path,
    threads: int,
    cpus: Sequence[int],
    select: Path | None,
    environ: Mapping[str, str],
    *,
    stream: Path | None = None,
    reporter: Path | None = None,
) -> dict[str, str]:
    """A side's environment: its import paths (the reporter's folder first), its half of the
    duet, its thread cap, the file its reporter streams into."""
    env = side.environ(environ)
    if reporter is not None:
        paths = [str(reporter), env.get("PYTHONPATH", "")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    if stream is not None:
        env[STREAM_ENV] = str(stream)
    env.pop("GITHUB_STEP_SUMMARY", None)  # the A/B's table goes there, not each side's
    env[duet.FOLDER_ENV] = str(folder)
    env[duet.SIDE_ENV] = side.name
    env[duet.CPUS_ENV] = ",".join(map(str, cpus))
    for name in hardware.THREAD_VARIABLES:
        env[name] = str(threads)
    if select is not None:
        env[SELECT_ENV] = str(select)
    else:
        env.pop(SELECT_ENV, None)
    return env


def write_reporter(scratch: Path) -> Path:
    """The folder holding the reporter's module (``REPORTER_SOURCE``), written once."""
    folder = scratch / "reporter"
    folder.mkdir(exist_ok=True)
    module = folder / f"{REPORTER}.py"
    if not module.exists():
        module.write_text(REPORTER_SOURCE, encoding="utf-8")
    return folder


def _silent(line: str) -> None:
    """Where the lines of a pass go when nobody reads them."""


def run_pass(
    sides: Sequence[Side],
    number: int,
    pytest_args: Sequence[str],
    scratch: Path,
    *,
    jobs: int,
    select: Path | None = None,
    durations: Path | None = None,
    say: Callable[[str], None] = _silent,
    what: str = "every test",
) -> dict[str, SideRun]:
    """Run both sides of pass ``number`` side by side; what each left, by side name. Its
    progress goes to ``say`` as it runs: a line when it starts (with ``what`` it runs), a
    line per side now and then (``due``), a line when a side ends and one when the pass ends."""
    title = pass_title(number)
    started = time.monotonic()
    pairs = f"{jobs} pairs" if jobs > 1 else "1 pair"
    say(f"{title}: started: {what}, {pairs} of pytest runs side by side")
    threads = hardware.thread_share(hardware.cpu_count(), len(sides) * jobs)
    reporter = write_reporter(scratch)
    running: list[tuple[Side, subprocess.Popen[bytes], Path]] = []
    logs: dict[str, list[Path]] = {s.name: [] for s in sides}
    watches = {s.name: Watch(started) for s in sides}
    for group in range(jobs):
        meeting = scratch / f"duet-{number}-{group}"
        meeting.mkdir(parents=True)
        for side in sides:
            store = scratch / f"{side.name}-{number}"
            log = scratch / f"{side.name}-{number}-{group}.log"
            stream = scratch / f"{side.name}-{number}-{group}.jsonl"
            stream.touch()
            command = pytest_command(
                store, pytest_args, group=group, groups=jobs, durations=durations
            )
            cpus = sampling_cpus(group, threads)
            env = side_environ(
                side, meeting, threads, cpus, select, os.environ, stream=stream, reporter=reporter
            )
            with log.open("wb") as out:
                process = subprocess.Popen(
                    command, cwd=side.root, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            running.append((side, process, meeting))
            logs[side.name].append(log)
            watches[side.name].streams.append(Stream(stream))
    codes: dict[str, list[int]] = {s.name: [] for s in sides}
    try:
        while running:
            for entry in list(running):
                side, process, meeting = entry
                code = process.poll()
                if code is None:
                    continue
                duet.done_marker(meeting, side.name).touch()
                codes[side.name].append(code)
                running.remove(entry)
                if len(codes[side.name]) == jobs:
                    ended = "; ".join(summary_line(log) for log in logs[side.name])
                    say(f"{title}, {side.name}: ended, {ended}")
            now = time.monotonic()
            for side in sides:
                if len(codes[side.name]) < jobs and (line := watches[side.name].line(now)):
                    say(f"{title}, {side.name}: {line}")
            time.sleep(POLL_S)
    finally:
        for _, process, _ in running:  # interrupted: leave no side running
            process.terminate()
            process.wait()
    say(f"{title}: done in {time.monotonic() - started:.0f} s")
    return {
        s.name: SideRun(
            s,
            scratch / f"{s.name}-{number}",
            tuple(codes[s.name]),
            tuple(logs[s.name]),
            tuple(stream.path for stream in watches[s.name].streams),
        )
        for s in sides
    }


def pass_title(number: int) -> str:
    """How the lines of a pass name it: the first pass, then the passes that confirm."""
    return "pass 1 (first pass)" if number == 1 else f"pass {number} (confirming pass {number - 1})"


# -- the reporter's streams --------------------------------------------------------------------


def records(text: str) -> Iterator[dict[str, Any]]:
    """The JSON objects of a stream's complete lines (a line cut short, or not JSON, is none)."""
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record


def phase_of(record: Mapping[str, Any]) -> tuple[str, judge.Phase] | None:
    """A test's report from a stream's record: (test id, report); None for another record."""
    if not isinstance(record.get("test"), str) or not isinstance(record.get("category"), str):
        return None
    phase = judge.Phase(
        str(record.get("when", "")),
        record["category"],
        bool(record.get("strict_xpass")),
        str(record.get("message") or ""),
    )
    return record["test"], phase


@dataclass
class Stream:
    """One pytest run's reporter stream, read as it grows: what its complete lines said."""

    path: Path
    offset: int = 0
    collected: int | None = None
    finished: int = 0
    failing: set[str] = field(default_factory=set)
    phases: list[tuple[str, judge.Phase]] = field(default_factory=list)

    def read(self) -> None:
        """Take in the lines written since the last read (up to the last whole line)."""
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except OSError:
            return
        whole = data[: data.rfind(b"\n") + 1]
        self.offset += len(whole)
        for record in records(whole.decode("utf-8", errors="replace")):
            if isinstance(record.get("collected"), int):
                self.collected = record["collected"]
            if "finished" in record:
                self.finished += 1
            found = phase_of(record)
            if found is not None:
                self.phases.append(found)
                if found[1].category in judge.FAILING:
                    self.failing.add(found[0])


@dataclass(frozen=True)
class Tally:
    """How far a side is: its tests collected (None until each of its runs has collected),
    finished, and failing so far."""

    collected: int | None
    finished: int
    failing: int


def tally_of(streams: Sequence[Stream]) -> Tally:
    """A side's progress over the streams of its runs (one per group)."""
    counts = [s.collected for s in streams]
    collected = None if None in counts else sum(c or 0 for c in counts)
    return Tally(collected, sum(s.finished for s in streams), sum(len(s.failing) for s in streams))


@dataclass(frozen=True)
class Shown:
    """A side's last progress line: its tests finished then, the tenth that was, and when."""

    finished: int
    step: int
    at: float


def due(tally: Tally, last: Shown, now: float, every_s: float = PROGRESS_S) -> Shown | None:
    """The progress line due now, if one is: a side shows one when it has done a further
    tenth of its tests (any further test while its total is not known) and ``every_s`` have
    passed since its last, whichever comes later, so that a long run says where it is and a
    quick one does not fill a CI log. None for a side that has done every test: its end has a
    line of its own."""
    if now - last.at < every_s or tally.finished <= last.finished:
        return None
    if tally.collected is None:
        return Shown(tally.finished, last.step, now)
    if tally.finished >= tally.collected:
        return None
    step = tally.finished * PROGRESS_STEPS // tally.collected
    return Shown(tally.finished, step, now) if step > last.step else None


def progress_line(tally: Tally, elapsed: float) -> str:
    """A side's progress in words: ``12/20 tests done (60%), 1 failing, 41 s``."""
    if tally.collected:
        done = f"{tally.finished}/{tally.collected} tests done"
        done += f" ({100 * tally.finished // tally.collected}%)"
    else:
        done = f"{tally.finished} tests done"
    failing = f", {tally.failing} failing" if tally.failing else ""
    return f"{done}{failing}, {elapsed:.0f} s"


@dataclass
class Watch:
    """One side's progress in a pass: the streams of its runs and its last line."""

    started: float
    streams: list[Stream] = field(default_factory=list)
    shown: Shown | None = None

    def read(self) -> Tally:
        for stream in self.streams:
            stream.read()
        return tally_of(self.streams)

    def line(self, now: float) -> str | None:
        """The side's progress line when one is due now (``due``), else None."""
        tally = self.read()
        shown = due(tally, self.shown or Shown(0, 0, self.started), now, PROGRESS_S)
        if shown is None:
            return None
        self.shown = shown
        return progress_line(tally, now - self.started)


def outcomes_of(run: SideRun) -> dict[str, judge.SideOutcome]:
    """How each test of a side's pass ended, by test id, from its runs' streams."""
    streams = [Stream(path) for path in run.streams]
    for stream in streams:
        stream.read()
    return judge.outcomes_of(phase for stream in streams for phase in stream.phases)


def summary_line(log: Path) -> str:
    """The last line of a pytest log (its "N passed in T s" line), without the equals signs."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return lines[-1].strip("= ") if lines else "(empty log)"
