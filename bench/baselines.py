"""Figures of the baseline engine, measured side by side in one run.

B1: false regressions on unchanged code: 40 CPU-bound tests using the seed API, baselines
    recorded once, then 3 reruns, all under ``-n 2`` (goal 0).
B2: an injected 1.6x slowdown in 2 of those tests, caught (goal 2 of 2).
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
from pathlib import Path
from typing import Any

from pytest_modelgate.baselines import store as baselines
from pytest_modelgate.baselines.measure import Stats

TESTS = 40
SLOWED = ("model_07", "model_23")
SLOWDOWN = 1.6

PROJECT_TEST = """
import os

import pytest

from pytest_modelgate import ModelTestUtils, PerformanceTestUtils

SLOW = set(os.environ.get("SLOW_MODELS", "").split(","))
FACTOR = float(os.environ.get("SLOWDOWN", "1"))


def make_model(name):
    loops = int(60_000 * (FACTOR if name in SLOW else 1))

    def forward(x):
        total = 0
        for i in range(loops):
            total += (i * x) % 7
        return total

    return forward


@pytest.mark.parametrize("name", [f"model_{i:02}" for i in range({tests})])
def test_model_performance(pytest_config, name):
    timing_stats = ModelTestUtils.measure_inference_time(make_model(name), 3)
    result = PerformanceTestUtils.check_performance_regression(
        name,
        timing_stats,
        device="cpu",
        tolerance=pytest_config.baseline_tolerance,
        update_baseline=pytest_config.update_baselines,
    )
    assert not result["regressions"], result["message"]
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


def false_and_caught(reruns: int) -> tuple[int, int, int, int, int, int]:
    """(false regressions, checks, inconclusive, raw above +20 %, slowed caught, false in the
    slowed run)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project(folder)
        recorded = run_pytest(folder, "--update-baselines")
        kept = len(baselines.load(baselines.file_for(folder / "baselines", "cpu")))
        if len(recorded["results"]) != TESTS or kept != TESTS:
            raise SystemExit(f"expected {TESTS} results and entries, got {recorded} and {kept}")
        false = checks = inconclusive = raw = 0
        for _ in range(reruns):
            rerun = run_pytest(folder)
            raw += raw_above(rerun, 20.0)
            seen = verdicts(rerun)
            checks += len(seen)
            false += sum(1 for v in seen.values() if v == "regression")
            inconclusive += sum(1 for v in seen.values() if v == "inconclusive")
        env = {"SLOW_MODELS": ",".join(SLOWED), "SLOWDOWN": str(SLOWDOWN)}
        slowed = verdicts(run_pytest(folder, env=env))
        caught = sum(1 for m in SLOWED if slowed.get(m) == "regression")
        false_in_slowed = sum(1 for m, v in slowed.items() if v == "regression" and m not in SLOWED)
        return false, checks, inconclusive, raw, caught, false_in_slowed


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

    false, checks, inconclusive, raw, caught, false_slowed = false_and_caught(args.reruns)
    seconds, size = update_time(args.entries, args.rounds)
    print(
        f"B1 false regressions, {TESTS} unchanged CPU-bound tests x {args.reruns} reruns "
        f"under -n 2: {false} of {checks} checks (goal 0) {status(false == 0)}; "
        f"inconclusive {inconclusive}; {TESTS} of {TESTS} baselines kept; raw wall-clock "
        f"medians more than 20% slower, for comparison: {raw} of {checks}"
    )
    print(
        f"B2 injected {SLOWDOWN}x slowdown caught: {caught} of {len(SLOWED)} (goal "
        f"{len(SLOWED)} of {len(SLOWED)}) {status(caught == len(SLOWED))}; false regressions "
        f"among the other {TESTS - len(SLOWED)}: {false_slowed}"
    )
    print(
        f"B3 updating {args.entries} entries ({size:.1f} MB file): {seconds:.3f} s "
        f"(goal <= 1 s) {status(seconds <= 1.0)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
