"""Verdicts for tests written as the upstream gating guide writes them, on real timing.

``python bench/guide_scenario.py [--repeat N] [--busy K]`` writes a project of 40 identical
pure-Python callables (about 1.3 ms each) whose tests call
``ModelTestUtils.measure_inference_time`` and then
``PerformanceTestUtils.check_performance_regression``; it records their baselines under
``-n 2``, compares 4 runs of unchanged code and 3 runs with two callables made 1.6x slower,
and prints per repetition the false regressions (of 280 verdicts on unchanged callables) and
the slowdowns caught (of 6). ``--busy K`` runs K busy processes beside it.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CALLABLES = 40
SLOWED = {"model_07", "model_23"}
FACTOR = 1.6

TEST = """
import os

import pytest

from pytest_modelgate import ModelTestUtils, PerformanceTestUtils

SLOW = set(os.environ.get("SLOW_MODELS", "").split(","))
MODELS = [f"model_{i:02d}" for i in range(40)]


def make(name):
    loops = int(12_000 * (FACTOR if name in SLOW else 1.0))

    def forward(x):
        total = 0
        for i in range(loops):
            total += (i * x) % 7
        return total

    return forward


@pytest.mark.parametrize("name", MODELS)
def test_model_performance(pytest_config, name):
    stats = ModelTestUtils.measure_inference_time(make(name), 3)
    result = PerformanceTestUtils.check_performance_regression(
        name,
        stats,
        device="cpu",
        tolerance=pytest_config.baseline_tolerance,
        update_baseline=pytest_config.update_baselines,
    )
    assert not result["regressions"], result["message"]
""".replace("FACTOR", repr(FACTOR))


def run(project: Path, *args: str, slow: bool = False) -> dict[str, str]:
    """One pytest run of the project: each model's final verdict (a slowed model that is not
    named is printed with its figures and why)."""
    env = {"SLOW_MODELS": ",".join(sorted(SLOWED)) if slow else ""}
    report = project / "report.json"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"]
    subprocess.run(
        [*command, *args, f"--baseline-report={report}"],
        cwd=project,
        capture_output=True,
        env={**os.environ, **env},
        check=False,
    )
    results = json.loads(report.read_text())["results"]
    for result in results:
        if slow and result["model"] in SLOWED and result["verdict"] != "regression":
            time = result["metrics"][0] if result["metrics"] else {}
            print(
                f"  missed {result['model']}: {result['verdict']}, "
                f"{time.get('change_percent')}% ({time.get('reason')}: {time.get('note')})"
            )
    return {r["model"]: r["verdict"] for r in results}


def repetition(folder: Path) -> tuple[int, int, int, int]:
    """(false regressions, unchanged verdicts, slowdowns caught, slowdowns) of one round:
    record, 4 unchanged runs, 3 slowed runs."""
    folder.mkdir()
    (folder / "test_guide.py").write_text(TEST)
    run(folder, "--update-baselines")
    false = unchanged = caught = slowed = 0
    for slow in (False,) * 4 + (True,) * 3:
        verdicts = run(folder, slow=slow)
        for model, verdict in verdicts.items():
            if slow and model in SLOWED:
                slowed += 1
                caught += verdict == "regression"
            else:
                unchanged += 1
                false += verdict == "regression"
    return false, unchanged, caught, slowed


def _spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--busy", type=int, default=0)
    args = parser.parse_args()
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for spinner in spinners:
        spinner.start()
    try:
        with tempfile.TemporaryDirectory() as temp:
            for number in range(1, args.repeat + 1):
                started = time.monotonic()
                false, unchanged, caught, slowed = repetition(Path(temp) / f"r{number}")
                print(
                    f"guide scenario {number} ({args.busy} busy): {false} false regression(s) "
                    f"of {unchanged}, {caught} of {slowed} slowdowns of {FACTOR}x caught "
                    f"({time.monotonic() - started:.0f} s)",
                    flush=True,
                )
    finally:
        for spinner in spinners:
            spinner.terminate()


if __name__ == "__main__":
    main()
