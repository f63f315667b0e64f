"""The A/B scenario: a small git project whose last commit makes 2 of 20 callables slower.

``python bench/ab_scenario.py`` builds the project in a temporary folder and runs
``modelgate ab`` on it three times, printing which models each run names:

A1: ``--base HEAD~1``: the head slows ``op_04`` and ``op_13`` by 1.3x: goal exactly those two.
A2: ``--base HEAD``: the same code on both sides: goal none.
A3: ``--base HEAD~1`` with two busy processes beside the run: goal exactly those two.

``build(folder, slowdown, layout, clock)`` is also used by the framework tests, on their virtual
clock (``clock`` adds it to a folder), so that their verdicts do not depend on the
machine's load. ``layout`` is ``src`` (the code in ``src/``, as an installed project has it) or
``flat`` (a module beside the tests, imported from the checkout).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CALLABLES = 20
#: what adds a virtual clock to a project's test folder (the framework tests have one)
AddClock = Callable[[Path], None]
SLOWED = ("op_04", "op_13")

# op_i does about 3 000 + 700 i iterations: 0.1 to 1 ms of pure Python on a current CPU
OPS = '''
"""Twenty small workloads, one per benchmarked callable."""

SCALE = {scale!r}  # how much slower a name runs in this revision


def make(index):
    name = f"op_{{index:02d}}"
    loops = int((3000 + 700 * index) * SCALE.get(name, 1.0))

    def op(x):
        total = 0
        for i in range(loops):
            total += (i * x) % 7
        return total

    op.__name__ = name
    return op
'''

# The same workloads on a virtual clock: ``vclock.spend`` moves its time, nothing runs.
VIRTUAL_OPS = '''
"""Twenty small workloads on the tests' virtual clock, one per benchmarked callable."""

import vclock

SCALE = {scale!r}  # how much slower a name runs in this revision


def make(index):
    name = f"op_{{index:02d}}"
    cost = (0.0001 + 0.00005 * index) * SCALE.get(name, 1.0)

    def op(x):
        vclock.spend(cost)

    op.__name__ = name
    return op
'''

TEST = """
import pytest

from {module} import make


@pytest.mark.parametrize("index", range({count}))
def test_speed(index, model_benchmark):
    model_benchmark(f"op_{{index:02d}}", make(index), 3)
"""

PYPROJECT = """
[tool.pytest.ini_options]
model_test_paths = ["tests"]
{pythonpath}
"""


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def _write(folder: Path, scale: dict[str, float], layout: str, clock: AddClock | None) -> None:
    module = "scenario_ops"
    code = (VIRTUAL_OPS if clock else OPS).format(scale=scale)
    if layout == "src":
        (folder / "src").mkdir(exist_ok=True)
        (folder / "src" / f"{module}.py").write_text(code)
        pythonpath = ""
    else:
        (folder / f"{module}.py").write_text(code)
        pythonpath = 'pythonpath = ["."]'
    (folder / "tests").mkdir(exist_ok=True)
    (folder / "tests" / "test_speed.py").write_text(TEST.format(module=module, count=CALLABLES))
    if clock is not None:
        clock(folder / "tests")
    (folder / "pyproject.toml").write_text(PYPROJECT.format(pythonpath=pythonpath))


def build(
    folder: Path, slowdown: float, layout: str = "src", clock: AddClock | None = None
) -> Path:
    """A git project of two commits: the first measures 20 callables, the second makes the
    ``SLOWED`` ones ``slowdown`` times slower; on a virtual clock when ``clock`` is given (it
    adds one to the tests' folder), else doing real work."""
    folder.mkdir(parents=True, exist_ok=True)
    _git(folder, "init", "--quiet", "--initial-branch=main")
    _write(folder, {}, layout, clock)
    _git(folder, "add", ".")
    _git(folder, "commit", "--quiet", "-m", "twenty callables")
    _write(folder, dict.fromkeys(SLOWED, slowdown), layout, clock)
    _git(folder, "commit", "--quiet", "-am", f"two callables {slowdown}x slower")
    return folder


def run_ab(project: Path, base: str, report: Path) -> tuple[list[str], dict[str, Any]]:
    """``modelgate ab --base base`` in ``project``: the names of its regressions, its report."""
    command = [sys.executable, "-m", "pytest_modelgate.cli", "ab", "--base", base]
    done = subprocess.run(
        [*command, "--report", str(report)], cwd=project, capture_output=True, text=True
    )
    if done.returncode not in (0, 1) or not report.exists():
        raise RuntimeError(f"modelgate ab failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    document = json.loads(report.read_text())
    named = sorted(r["model"] for r in document["results"] if r["verdict"] == "regression")
    return named, document


def _spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slowdown", type=float, default=1.3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        project = build(Path(temp) / "project", args.slowdown)
        cases = [("A1", "HEAD~1", 0), ("A2", "HEAD", 0), ("A3", "HEAD~1", 2)]
        for name, base, busy in cases:
            spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(busy)]
            for spinner in spinners:
                spinner.start()
            started = time.monotonic()
            try:
                named, document = run_ab(project, base, Path(temp) / f"{name}.json")
            finally:
                for spinner in spinners:
                    spinner.terminate()
            expected = sorted(SLOWED) if base == "HEAD~1" else []
            changes = {
                r["model"]: f"{m['change_percent']:+.0f}%"
                for r in document["results"]
                for m in r["metrics"]
                if r["model"] in SLOWED and m["metric"] == "inference_time"
            }
            verdict = "as expected" if named == expected else f"expected {expected}"
            print(
                f"{name}: --base {base}, {busy} busy: regressions {named or 'none'} ({verdict}); "
                f"slowed ones measured {changes}; counts {document['counts']}; "
                f"{time.monotonic() - started:.0f} s"
            )


if __name__ == "__main__":
    main()
