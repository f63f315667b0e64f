"""How many real slowdowns the verdicts name, and how many unchanged models they accuse.

    python bench/sensitivity.py [--pairs 20] [--factors 1.2 1.3] [--seed N] [--recordings N]
                                [--no-ab] [--no-normal] [--busy] [--keep DIR]

Run in a venv with the model suite's dependencies (``.nox/models``), on a clean tree (the A/B's
base side is ``HEAD``). Random pairs of the benchmark selection (``nox -s perf-ab``'s: 466
pairs on transformers 5.25, less the expected failures, whose benchmark has no verdict row)
are chosen afresh each time (the seed is printed; ``--seed`` repeats a draw) and made slower
by each factor with ``bench/slowdown.py``, which spins the CPU after each forward of the model
their benchmark test measures:

- normal: baselines of the selection are recorded into a scratch store (``--recordings`` times,
  3 by default: a store updated now and then holds several recordings, and the verdicts judge
  against their median), then the selection runs again against a copy of them, the chosen pairs
  slowed;
- A/B: ``modelgate ab --base HEAD`` over the selection, the chosen pairs slowed on the head side.

A chosen pair is caught when its time verdict is ``regression``; any other model whose time
verdict is ``regression`` is a false alarm. One line per mode and factor, with the measured
change of the chosen pairs; a JSON line each in ``sensitivity.jsonl`` in the temp folder.
``--keep DIR`` copies the runs' JSON reports there. A factor of 1.0 slows nothing: its row counts
the false alarms among all the pairs (``--factors 1.0 1.0 --no-ab``: two unchanged reruns;
``--factors 1.0 --no-normal``: an A/A). ``--busy`` runs a second pytest process (the framework
suite, over and over) beside every measured run, not beside the recordings.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_modelgate.models import status

ROOT = Path(__file__).resolve().parents[1]
SELECTION = [
    "-m",
    "cpu and benchmark",
    "-k",
    "bert or gpt or vit or t5 or whisper or clip or llama or qwen",
    "test/models",
]
# as `nox -s models` runs the suite: two workers, a pair's tests on one
RUN = ["--run-model-tests", "-p", "no:cacheprovider", "-q", "--dist", "loadgroup", "-n", "auto"]


def slowed_env(factor: float, pairs: list[str], root: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "bench"), env.get("PYTHONPATH")]))
    env["PYTEST_ADDOPTS"] = " ".join(filter(None, [env.get("PYTEST_ADDOPTS"), "-p slowdown"]))
    env |= {"MODELGATE_SLOWDOWN": str(factor), "MODELGATE_SLOWDOWN_PAIRS": ",".join(pairs)}
    if root is not None:
        env["MODELGATE_SLOWDOWN_ROOT"] = str(root)
    return env


def pytest(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def pairs_of_selection() -> list[str]:
    listed = pytest([*RUN[:3], "--collect-only", "-q", *SELECTION])
    ids = [
        line.split("[", 1)[1][: -len("-cpu]")] for line in listed.stdout.splitlines() if "[" in line
    ]
    if not ids:
        raise SystemExit(f"no benchmark test collected:\n{listed.stdout[-2000:]}{listed.stderr}")
    # an expected failure's benchmark has no verdict row: it could be neither caught nor missed
    failing = {p for p, f in status.load_expected_failures().items() if "benchmark" in f.checks}
    return sorted(set(ids) - failing)


def time_verdicts(report: Path) -> dict[str, tuple[str, float]]:
    """model -> (verdict of its time, change in percent), from a run's or an A/B's JSON report."""
    found = {}
    for result in json.loads(report.read_text(encoding="utf-8")).get("results", ()):
        for metric in result.get("metrics", ()):
            if metric["metric"] == "inference_time":
                found[result["model"]] = (metric["verdict"], metric["change_percent"])
    return found


def tally(
    mode: str,
    factor: float,
    chosen: list[str],
    verdicts: dict[str, tuple[str, float]],
    seconds: float,
) -> dict[str, Any]:
    chosen = chosen if factor != 1.0 else []  # nothing slowed: every pair is an unchanged one
    mine = [verdicts[p] for p in chosen if p in verdicts]
    others = [v for model, v in verdicts.items() if model not in chosen]
    return {
        "mode": mode,
        "factor": factor,
        "caught": sum(v == "regression" for v, _ in mine),
        "inconclusive": sum(v == "inconclusive" for v, _ in mine),
        "chosen": len(chosen),
        "measured": len(mine),
        "median_change_percent": round(statistics.median(c for _, c in mine), 1) if mine else None,
        "false": sum(v == "regression" for v, _ in others),
        "others": len(others),
        "wall_s": round(seconds),
    }


@contextlib.contextmanager
def beside(busy: bool) -> Iterator[None]:
    """With ``busy``, a second pytest process (the framework suite, over and over) meanwhile."""
    if not busy:
        yield
        return
    python = shlex.quote(sys.executable)
    loop = f"while true; do {python} -m pytest -q -p no:cacheprovider test/framework; done"
    other = subprocess.Popen(
        ["bash", "-c", loop],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield
    finally:
        os.killpg(other.pid, signal.SIGTERM)
        other.wait()


def normal(
    chosen: list[str], factors: list[float], scratch: Path, recordings: int, busy: bool
) -> Iterator[dict[str, Any]]:
    recorded = scratch / "recorded"
    for _ in range(recordings):
        done = pytest([*RUN, f"--baselines-dir={recorded}", "--update-baselines", *SELECTION])
        if done.returncode not in (0, 1):
            raise SystemExit(f"recording failed:\n{done.stdout[-3000:]}{done.stderr}")
    for number, factor in enumerate(factors):
        store = scratch / f"normal-{number}-{factor}"
        shutil.copytree(recorded, store)
        report = scratch / f"normal-{number}-{factor}.json"
        started = time.monotonic()
        args = [*RUN, f"--baselines-dir={store}", f"--baseline-report={report}", *SELECTION]
        with beside(busy):
            pytest(args, slowed_env(factor, chosen, None))
        seconds = time.monotonic() - started
        yield tally("normal", factor, chosen, time_verdicts(report), seconds)


def ab(
    chosen: list[str], factors: list[float], scratch: Path, busy: bool
) -> Iterator[dict[str, Any]]:
    for number, factor in enumerate(factors):
        report = scratch / f"ab-{number}-{factor}.json"
        command = [sys.executable, "-m", "pytest_modelgate.cli", "ab", "--base", "HEAD"]
        command += ["--report", str(report), "--", *SELECTION]
        env = slowed_env(factor, chosen, ROOT)
        started = time.monotonic()
        with beside(busy):
            subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=False)
        seconds = time.monotonic() - started
        yield tally("A/B", factor, chosen, time_verdicts(report), seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--factors", type=float, nargs="+", default=[1.2, 1.3])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--recordings", type=int, default=3)
    parser.add_argument("--no-ab", action="store_true")
    parser.add_argument("--no-normal", action="store_true")
    parser.add_argument("--busy", action="store_true", help="beside a second pytest process")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="copy the reports here")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    pool = pairs_of_selection()
    chosen = sorted(random.Random(seed).sample(pool, args.pairs))
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, cwd=ROOT, capture_output=True, text=True, check=False).stdout
    print(
        f"sensitivity: {args.pairs} of {len(pool)} pairs, seed {seed}, commit {commit.strip()}, "
        f"{time.strftime('%Y-%m-%d')}: {', '.join(chosen)}",
        flush=True,
    )
    out = Path(tempfile.gettempdir(), "sensitivity.jsonl")
    stamp = {
        "seed": seed,
        "commit": commit.strip(),
        "recordings": args.recordings,
        "busy": args.busy,
    }
    with tempfile.TemporaryDirectory(prefix="sensitivity-") as temp:
        scratch = Path(temp)
        rows: Iterator[dict[str, Any]] = iter(())
        if not args.no_normal:
            rows = normal(chosen, args.factors, scratch, args.recordings, args.busy)
        if not args.no_ab:
            rows = itertools.chain(rows, ab(chosen, args.factors, scratch, args.busy))
        for row in rows:  # each as it is measured
            if args.keep is not None:
                args.keep.mkdir(parents=True, exist_ok=True)
                for report in Path(temp).glob("*.json"):
                    shutil.copy2(report, args.keep / f"{seed}-{report.name}")
            with out.open("a") as lines:
                print(json.dumps({**stamp, **row}), file=lines)
            print(
                f"{row['mode']:6} {row['factor']}x: caught {row['caught']} of {row['chosen']} "
                f"({row['inconclusive']} inconclusive; measured change, median "
                f"{row['median_change_percent']} %), false {row['false']} of {row['others']}, "
                f"{row['wall_s']} s" + (", beside a second pytest process" if args.busy else ""),
                flush=True,
            )
    print(f"rows in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
