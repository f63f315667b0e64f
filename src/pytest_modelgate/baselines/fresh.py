"""The models a run left undecided, measured again in fresh processes once it is over.

A model's time strays from one process to the next by a few percent (each process builds and
lays out its model anew), and measuring again in the same process meets the same stray: so a
run's verdicts cannot be finer than how far unchanged models scatter from run to run. Once a run
(not a recording) has judged every model, the ones it left undecided (``undecided``: a
regression, a slowdown too noisy to tell, an ``ok`` whose band straddles the tolerance) have
their tests run again in ``--fresh-rounds`` new pytest processes, one after the other, each with
the options of the run that shape a measurement (``command``). Such a process judges and writes
nothing: it writes what it measured into the file ``OUT_ENV`` names (``write``), and the run
judges those models on the fresh processes' measurements pooled (``judge.judge_fresh``). Beside
them the processes measure ``CONTROLS`` decided models (``controls``), whose median change is
the fresh processes' own shift: without them, a process that ran only doubtful models 5 %
faster than the run's end would have cleared a real slowdown, or named an unchanged model.
Each test runs with its family (the tests of the run with its file and parameter id), in the
run's order (``tests_of``); and a metric the run found within the tolerance is no regression on
the fresh processes' word alone (``compare.fresh_only``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_modelgate.baselines import compare, judge, store

#: the file a fresh process writes its measurements into (set: this process is a fresh one)
OUT_ENV = "MODELGATE_FRESH_OUT"
#: at most this many models are measured again, the most doubtful first
MAX_MODELS = 60
#: decided models measured beside them, for the fresh processes' own shift
CONTROLS = 20
#: variables a fresh process does not inherit: coverage's, whose data it would leave behind
DROPPED_PREFIXES = ("COV_CORE_",)


def undecided(results: Sequence[compare.Result]) -> list[compare.Result]:
    """The results worth measuring again, at most ``MAX_MODELS``: those of a test, not being
    recorded, that are a regression, a slowdown too noisy to tell, or an ``ok`` whose band
    straddles the tolerance; regressions first, then the slowest."""
    doubtful = [
        r
        for r in results
        if r.test
        and not r.updated
        and (r.verdict == compare.REGRESSION or compare.noisy_slowdown(r) or compare.straddles(r))
    ]

    def slowdown(result: compare.Result) -> float:
        return max(
            (m.change_percent for m in result.metrics if m.metric == compare.TIME), default=0
        )

    doubtful.sort(key=lambda r: (r.verdict != compare.REGRESSION, -slowdown(r)))
    return doubtful[:MAX_MODELS]


def controls(
    results: Sequence[compare.Result], undecided: Sequence[compare.Result], count: int = CONTROLS
) -> list[compare.Result]:
    """``count`` decided ``ok`` results of tests, spread evenly over the run: measured beside
    the undecided ones, they tell how fast the fresh processes ran (``judge.fresh_shift``)."""
    taken = {(r.model, r.device) for r in undecided}
    decided = [
        r
        for r in results
        if r.test and not r.updated and r.verdict == compare.OK and (r.model, r.device) not in taken
    ]
    if len(decided) <= count:
        return decided
    return [decided[i * len(decided) // count] for i in range(count)]


def family(test: str) -> tuple[str, str]:
    """What a test shares with the tests that ran beside it over the same parameters: its file
    and its parameter id (``test_text.py``, ``bert-fill-mask-cpu``); its whole id when it has
    no parameters."""
    path = test.split("::", 1)[0]
    if test.endswith("]") and "[" in test:
        return path, test[test.index("[") + 1 : -1]
    return path, test


def tests_of(ran: Sequence[str], chosen: Iterable[compare.Result]) -> list[str]:
    """The tests a fresh process runs for the ``chosen`` results: each one's test and the tests
    of its family (``family``) that the run ran, each once, in the order the run ran them
    (``ran``: its tests, in order). The model suite runs a pair's forward, determinism and
    save-and-load tests before its benchmark, and a model measured without them is measured
    cold: on the whole suite, two unchanged models came out +89 % and +107 % slower and used
    4 and 22 times the memory when their benchmark ran alone. And a process warms up as it
    goes: the doubtful ones first and the controls after would judge cold figures within a warm
    shift."""
    families = {family(r.test) for r in chosen if r.test}
    return list(dict.fromkeys(test for test in ran if family(test) in families))


@dataclass(frozen=True)
class Launch:
    """What a fresh process needs of the run: where it ran, the options that shape a
    measurement, and how many xdist workers measured (a fingerprint names them)."""

    rootdir: Path
    options: tuple[str, ...]
    workers: int
    xdist: bool


def command(launch: Launch, tests: Sequence[str]) -> list[str]:
    """The command line of one fresh process measuring ``tests`` again."""
    line = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *launch.options]
    if launch.xdist:
        line += ["-n", str(launch.workers) if launch.workers > 1 else "0"]
    return [*line, "--", *tests]


def environ(environ: Mapping[str, str], out: Path) -> dict[str, str]:
    """A fresh process's environment: the run's, its output file named, coverage's left out."""
    kept = {k: v for k, v in environ.items() if not k.startswith(DROPPED_PREFIXES)}
    kept.pop("PYTEST_XDIST_WORKER", None)
    return {**kept, OUT_ENV: str(out)}


def write(path: Path, records: Iterable[judge.Record]) -> None:
    """A fresh process's measurements, one JSON line per record (key and entry, with when)."""
    with path.open("a", encoding="utf-8") as out:
        for record in records:
            entry = {**record.entry, "measured_at": record.measured_at}
            out.write(json.dumps({"key": record.key, "entry": entry}) + "\n")


def read(path: Path) -> dict[str, store.Entry]:
    """What a fresh process wrote (``write``), by record key; a line cut short is none."""
    found: dict[str, store.Entry] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return found
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("entry"), dict):
            found[str(data.get("key"))] = data["entry"]
    return found


@dataclass
class Rounds:
    """What the fresh processes of a run measured, by record key, and what went wrong."""

    entries: dict[str, list[store.Entry]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def measure_again(launch: Launch, tests: Sequence[str], rounds: int) -> Rounds:
    """Run ``tests`` in ``rounds`` fresh pytest processes, one after the other."""
    out = Rounds()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="modelgate-fresh-") as scratch:
        for number in range(1, rounds + 1):
            path = Path(scratch, f"round-{number}.jsonl")
            log = Path(scratch, f"round-{number}.log")
            with log.open("wb") as sink:
                code = subprocess.call(
                    command(launch, tests),
                    cwd=launch.rootdir,
                    env=environ(os.environ, path),
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                )
            measured = read(path)
            if code not in (0, 1) or not measured:
                tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
                last = tail[-1] if tail else "(no output)"
                out.problems.append(
                    f"fresh process {number} of {rounds} (pytest exit code {code}) measured "
                    f"{len(measured)} of {len(tests)} test(s): {last}"
                )
            for key, entry in measured.items():
                out.entries.setdefault(key, []).append(entry)
    out.seconds = time.monotonic() - started
    return out
