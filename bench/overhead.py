"""Overhead of the plugin, measured side by side in one run (medians of alternating runs).

P2: 5000 trivial tests with the plugin / the same with ``-p no:modelgate`` (goal <= 1.05).
P1: the project's plain ``pytest`` / ``pytest --ignore=test/models`` (goal <= 1.05).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES, TESTS_PER_FILE = 100, 50


def wall(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed:\n{done.stdout[-2000:]}")
    return elapsed


def alternate(a: list[str], b: list[str], cwd: Path, rounds: int) -> tuple[float, float]:
    """Median wall time of ``a`` and ``b``, run alternately so drift hits both alike."""
    times_a, times_b = [], []
    wall(a, cwd)  # warm the file system cache and bytecode
    for _ in range(rounds):
        times_a.append(wall(a, cwd))
        times_b.append(wall(b, cwd))
    return statistics.median(times_a), statistics.median(times_b)


def trivial_project(folder: Path) -> None:
    (folder / "pytest.ini").write_text("[pytest]\nmodel_test_paths = models\n")
    body = "".join(f"def test_{i}():\n    assert {i} == {i}\n\n" for i in range(TESTS_PER_FILE))
    for n in range(FILES):
        (folder / f"test_trivial_{n:03}.py").write_text(body)


def report(name: str, with_: float, without: float, goal: float) -> None:
    ratio = with_ / without
    status = "ok" if ratio <= goal else "ABOVE GOAL"
    print(f"{name}: {with_:.3f}s / {without:.3f}s = {ratio:.3f} (goal <= {goal}) {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        trivial_project(folder)
        on, off = alternate([], ["-p", "no:modelgate"], folder, args.rounds)
        report(f"P2 {FILES * TESTS_PER_FILE} trivial tests, plugin on / off", on, off, 1.05)
    plain, ignored = alternate([], ["--ignore=test/models"], ROOT, args.rounds)
    report("P1 project pytest / pytest --ignore=test/models", plain, ignored, 1.05)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
