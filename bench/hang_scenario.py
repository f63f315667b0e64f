"""A run that survives a hang and a crash: 20 model tests, one deadlocks, one kills its process.

``python bench/hang_scenario.py`` writes the project in a temporary folder and runs
``pytest --run-model-tests -n 2 --update-baselines`` on it with ``model_test_timeout = 20``,
printing the wall time, the tests named as failed and how many baselines were kept
(goal: both named, 18 kept, well within two minutes).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_S = 20

INI = f"""
[pytest]
model_test_paths = tests
model_test_timeout = {LIMIT_S}
"""

MODELS = """
import os
import signal
import threading

import pytest


def forward(x):
    return sum((i * x) % 7 for i in range(20_000))


@pytest.mark.parametrize("index", range(20))
def test_model(model_benchmark, index):
    if index == 7:
        threading.Event().wait()  # a deadlock: nobody ever sets it
    if index == 13:
        os.kill(os.getpid(), signal.SIGKILL)  # a crash that takes the worker with it
    model_benchmark(f"m{index:02}", forward, 3)
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        project = Path(temp)
        (project / "pytest.ini").write_text(INI)
        (project / "tests").mkdir()
        (project / "tests" / "test_models.py").write_text(MODELS)
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--run-model-tests"]
        started = time.monotonic()
        done = subprocess.run(
            [*command, "-n", "2", "--update-baselines", "-q"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=600,
        )
        wall = time.monotonic() - started
        failed = sorted(set(re.findall(r"^FAILED (\S+)", done.stdout, re.M)))
        stored = project / "baselines" / "cpu.json"
        kept = len(json.loads(stored.read_text())["entries"]) if stored.exists() else 0
        print(
            f"hang scenario: 20 model tests, limit {LIMIT_S} s, -n 2: exit {done.returncode} "
            f"in {wall:.0f} s; failed {failed}; {kept} baselines kept (goal: 2 named, 18 kept)"
        )


if __name__ == "__main__":
    main()
