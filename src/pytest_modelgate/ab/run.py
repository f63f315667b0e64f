"""One pass of an A/B run: both sides' pytest runs, started together, in lock-step.

Each side is an ordinary ``pytest --run-model-tests --update-baselines`` run into a scratch
store of its own (never ``baselines/``), in its side's folder and environment, with its threads
capped to its share of the CPUs. With ``jobs`` > 1 the tests are split into that many groups by
pytest-split (the same durations file for both sides, so both get the same groups) and each
group runs as a pair of its own; each pair meets before every measurement (``duet``). When a
side's process ends, its done marker releases the other side from the meetings.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_modelgate import hardware
from pytest_modelgate.ab import duet
from pytest_modelgate.ab.sides import Side
from pytest_modelgate.settings import SELECT_ENV

POLL_S = 0.2


@dataclass(frozen=True)
class SideRun:
    """What one side's pytest processes of a pass left: its store, exit codes and logs."""

    side: Side
    store: Path
    exit_codes: tuple[int, ...]
    logs: tuple[Path, ...]

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
) -> dict[str, str]:
    """A side's environment: its import paths, its half of the duet, its thread cap."""
    env = side.environ(environ)
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


def run_pass(
    sides: Sequence[Side],
    number: int,
    pytest_args: Sequence[str],
    scratch: Path,
    *,
    jobs: int,
    select: Path | None = None,
    durations: Path | None = None,
) -> dict[str, SideRun]:
    """Run both sides of pass ``number`` side by side; what each left, by side name."""
    threads = hardware.thread_share(hardware.cpu_count(), len(sides) * jobs)
    running: list[tuple[Side, subprocess.Popen[bytes], Path]] = []
    logs: dict[str, list[Path]] = {s.name: [] for s in sides}
    for group in range(jobs):
        meeting = scratch / f"duet-{number}-{group}"
        meeting.mkdir(parents=True)
        for side in sides:
            store = scratch / f"{side.name}-{number}"
            log = scratch / f"{side.name}-{number}-{group}.log"
            command = pytest_command(
                store, pytest_args, group=group, groups=jobs, durations=durations
            )
            cpus = sampling_cpus(group, threads)
            env = side_environ(side, meeting, threads, cpus, select, os.environ)
            with log.open("wb") as out:
                process = subprocess.Popen(
                    command, cwd=side.root, env=env, stdout=out, stderr=subprocess.STDOUT
                )
            running.append((side, process, meeting))
            logs[side.name].append(log)
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
            time.sleep(POLL_S)
    finally:
        for _, process, _ in running:  # interrupted: leave no side running
            process.terminate()
            process.wait()
    return {
        s.name: SideRun(
            s, scratch / f"{s.name}-{number}", tuple(codes[s.name]), tuple(logs[s.name])
        )
        for s in sides
    }


def summary_line(log: Path) -> str:
    """The last line of a pytest log (its "N passed in T s" line), without the equals signs."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return lines[-1].strip("= ") if lines else "(empty log)"
