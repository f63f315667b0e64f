"""Figures of the baselines' verdicts on real timing, measured side by side in one run.

40 pure-Python "models" of 0.4-2 ms, measured through the ``model_benchmark`` fixture with its
defaults, under ``-n 2``; baselines recorded once.

B1: false regressions on unchanged code over 3 reruns (goal 0 of 120).
B2: 4 of the models made 1.3x slower, caught (goal 4 of 4), and false among the other 36.
B4: false regressions on unchanged code with two busy processes beside the run (goal 0 of 40).
B3: updating 10 000 entries of one baseline file: lock, re-read and validate, merge, write
    atomically (goal <= 1 s; the median of a few rounds).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_modelgate.baselines import store as baselines
from pytest_modelgate.baselines.measure import Stats

TESTS = 40
SLOWED = ("model_03", "model_14", "model_25", "model_36")
SLOWDOWN = 1.3
BUSY = 2

# From about 0.4 ms (6 000 iterations) to about 2 ms (30 000) on a current CPU.
PROJECT_TEST = """
import os

import pytest

SLOW = set(os.environ.get("SLOW_MODELS", "").split(","))
FACTOR = float(os.environ.get("SLOWDOWN", "1"))


def make_model(index, name):
    loops = int((6_000 + 24_000 * index / ({tests} - 1)) * (FACTOR if name in SLOW else 1))

    def forward(x):
        total = 0
        for i in range(loops):
            total += (i * x) % 7
        return total

    return forward


@pytest.mark.parametrize("index", range({tests}))
def test_model_performance(model_benchmark, index):
    name = f"model_{index:02}"
    model_benchmark(name, make_model(index, name), 3)
"""


def run_pytest(folder: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run the project's tests; the JSON report of the run."""
    report = folder / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2",
         f"--baseline-report={report}", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    if done.returncode not in (0, 1):
        raise SystemExit(f"pytest {' '.join(args)} failed to run:\n{done.stdout[-3000:]}")
    data: dict[str, Any] = json.loads(report.read_text())
    return data


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {r["model"]: r["verdict"] for r in report["results"]}


def raw_above(report: dict[str, Any], percent: float) -> int:
    """Checks whose raw (wall-clock) median moved above ``percent``: what raw times would flag."""
    return sum(
        1
        for r in report["results"]
        for m in r["metrics"]
        if m["metric"] == "inference_time" and m["raw_change_percent"] > percent
    )


def project(folder: Path) -> None:
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "test_models.py").write_text(PROJECT_TEST.replace("{tests}", str(TESTS)))


@dataclass
class Figures:
    false: int = 0
    checks: int = 0
    inconclusive: int = 0
    raw: int = 0
    caught: int = 0
    false_in_slowed: int = 0
    false_busy: int = 0
    checks_busy: int = 0


def count(report: dict[str, Any], verdict: str) -> int:
    return sum(1 for v in verdicts(report).values() if v == verdict)


def false_and_caught(reruns: int) -> Figures:
    """Record once, rerun unchanged, rerun beside busy processes, rerun with 4 slowed."""
    figures = Figures()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project(folder)
        recorded = run_pytest(folder, "--update-baselines")
        kept = len(baselines.load(baselines.file_for(folder / "baselines", "cpu")))
        if len(recorded["results"]) != TESTS or kept != TESTS:
            raise SystemExit(f"expected {TESTS} results and entries, got {recorded} and {kept}")
        for _ in range(reruns):
            rerun = run_pytest(folder)
            figures.raw += raw_above(rerun, 20.0)
            figures.checks += len(verdicts(rerun))
            figures.false += count(rerun, "regression")
            figures.inconclusive += count(rerun, "inconclusive")
        busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(BUSY)]
        try:
            loaded = run_pytest(folder)
        finally:
            for process in busy:
                process.kill()
                process.wait()
        figures.false_busy = count(loaded, "regression")
        figures.checks_busy = len(verdicts(loaded))
        env = {"SLOW_MODELS": ",".join(SLOWED), "SLOWDOWN": str(SLOWDOWN)}
        slowed = verdicts(run_pytest(folder, env=env))
        figures.caught = sum(1 for m in SLOWED if slowed.get(m) == "regression")
        figures.false_in_slowed = sum(
            1 for m, v in slowed.items() if v == "regression" and m not in SLOWED
        )
    return figures


def entry(rng: random.Random) -> dict[str, Any]:
    """An entry shaped like a real measurement: 10 runs and 11 reference runs."""
    samples = [rng.uniform(0.010, 0.012) for _ in range(10)]
    refs = [rng.uniform(0.0007, 0.0008) for _ in range(11)]
    stats = Stats(
        samples=tuple(samples),
        reference_samples=tuple(refs),
        cpu_samples=tuple(samples),
        clock="cpu",
        memory_peak_mb=rng.uniform(100, 200),
        memory_source="linux-vmhwm",
        device="cpu",
        threads=1,
    ).as_dict()
    fingerprint = baselines.fingerprint("cpu", threads=1, workers=2)
    return baselines.make_entry(
        stats, device="cpu", test="test_x.py::test_m", fingerprint=fingerprint, when="2026"
    )


def update_time(entries: int, rounds: int) -> tuple[float, float]:
    """Median seconds to update ``entries`` entries of a file holding as many; its size in MB."""
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        baselines.save(folder, "cpu", {f"model_{i:05}": entry(rng) for i in range(entries)})
        times = []
        for _ in range(rounds):
            updates = {f"model_{i:05}": entry(rng) for i in range(entries)}
            start = time.perf_counter()
            result = baselines.save(folder, "cpu", updates)
            times.append(time.perf_counter() - start)
            assert result.written and len(result.replaced) == entries
        size = (folder / "cpu.json").stat().st_size / 1e6
    return statistics.median(times), size


def status(ok: bool) -> str:
    return "ok" if ok else "MISSED GOAL"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reruns", type=int, default=3)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    f = false_and_caught(args.reruns)
    seconds, size = update_time(args.entries, args.rounds)
    print(
        f"B1 false regressions, {TESTS} unchanged models of 0.4-2 ms x {args.reruns} reruns "
        f"under -n 2: {f.false} of {f.checks} checks (goal 0) {status(f.false == 0)}; "
        f"inconclusive {f.inconclusive}; raw wall-clock medians more than 20% slower, for "
        f"comparison: {f.raw} of {f.checks}"
    )
    print(
        f"B2 {SLOWDOWN}x slowdown of {len(SLOWED)} models caught: {f.caught} of {len(SLOWED)} "
        f"(goal {len(SLOWED)} of {len(SLOWED)}) {status(f.caught == len(SLOWED))}; false "
        f"regressions among the other {TESTS - len(SLOWED)}: {f.false_in_slowed}"
    )
    print(
        f"B4 false regressions with {BUSY} busy processes beside the run: {f.false_busy} of "
        f"{f.checks_busy} (goal 0) {status(f.false_busy == 0)}"
    )
    print(
        f"B3 updating {args.entries} entries ({size:.1f} MB file): {seconds:.3f} s "
        f"(goal <= 1 s) {status(seconds <= 1.0)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
