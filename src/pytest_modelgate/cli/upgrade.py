"""``modelgate upgrade "transformers==X"``: what an upgrade of transformers changes, in one report.

    modelgate upgrade "transformers==X" [--full] [--no-ab] [--report PATH] [--apply]
                      [-- PYTEST_ARGS]

Steps, each timed: install X into its own folder (``.modelgate/envs/``, as ``modelgate ab``
does); write X's registry snapshot (and the converter's table) into the tree and diff the pairs;
run the CPU model suite under X, by default only the added pairs and the expected failures
(``--full``: every pair, which is what finds the tests of existing pairs that newly fail); put
the snapshot back; A/B the benchmarks under X against the current pin (``modelgate ab``, over
``AB_SELECTION`` unless pytest arguments follow ``--``). The report goes to the terminal, and
with ``--report`` to JSON with an HTML page beside it (and the A/B's own report beside those).

Without ``--apply`` the tree is left as it was. With it: X's snapshot is written again, the pin
in ``pyproject.toml`` moves to X, ``expected_failures.json`` loses the entries that now pass
and gains the pairs that fail (each with a reason that says to fix it by hand), and what is
left to do by hand is listed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path

from pytest_modelgate.ab import sides
from pytest_modelgate.convert.extract import ALIASES
from pytest_modelgate.models import catalog, status, upgrade

#: the benchmarks the A/B measures unless pytest arguments are given (noxfile's perf-ab default)
AB_SELECTION = (
    "-m",
    "cpu and benchmark",
    "-k",
    "bert or gpt or vit or t5 or whisper or clip or llama or qwen",
    "test/models",
)
SUITE = (
    "-m",
    "pytest",
    "--run-model-tests",
    "-rfE",
    "--dist",
    "loadgroup",
    "-m",
    "cpu",
    "-n",
    "auto",
    "-p",
    "no:cacheprovider",
)
SUITE_PATH = "test/models"
#: the files a snapshot of a transformers version writes: the registry and the converter's table
SNAPSHOT_FILES = (catalog.SNAPSHOT, ALIASES)


def say(line: str) -> None:
    print(f"modelgate upgrade: {line}", flush=True)


def fail(line: str) -> None:
    print(f"modelgate upgrade: {line}", file=sys.stderr, flush=True)


class Steps:
    """The wall time of each step, in order."""

    def __init__(self) -> None:
        self.done: list[tuple[str, float]] = []

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        say(f"{name} ...")
        started = time.monotonic()
        try:
            yield
        finally:
            self.done.append((name, time.monotonic() - started))


def environ_with(folder: Path, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with ``folder`` first on ``PYTHONPATH``: the new version is imported from it."""
    return sides.Side("upgrade", "", Path.cwd(), (folder,)).environ(base)


def selection(pairs: Sequence[str]) -> str:
    """A ``-k`` expression that picks exactly the CPU tests of ``pairs`` (``[id-cpu]`` is in
    the test's name and in no other pair's)."""
    return " or ".join(f"[{pair}-cpu]" for pair in pairs)


def write_bytes(files: Mapping[Path, bytes]) -> None:
    for path, content in files.items():
        path.write_bytes(content)


def write_expected(path: Path, table: Mapping[str, object]) -> None:
    path.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def installed_version() -> str | None:
    try:
        return metadata.version(upgrade.PACKAGE)
    except metadata.PackageNotFoundError:
        return None


def run_suite(
    repo: Path, folder: Path, pairs: Sequence[str] | None, junit: Path, scratch: Path
) -> str | None:
    """Run the CPU model suite under the new version; a problem, or None when it ran."""
    args = [sys.executable, *SUITE, f"--baselines-dir={scratch / 'baselines'}"]
    args += [f"--junitxml={junit}", SUITE_PATH]
    if pairs is not None:
        args += ["-k", selection(pairs)]
    done = subprocess.run(args, cwd=repo, env=environ_with(folder, os.environ), check=False)
    if done.returncode not in (0, 1) or not junit.is_file():
        return (
            f"the model suite under the new version stopped short (pytest exit {done.returncode})"
        )
    return None


def run_ab(
    repo: Path, current: str, requirement: str, report: Path, pytest_args: Sequence[str]
) -> tuple[upgrade.Speed | None, str | None]:
    """The A/B of the benchmarks under the new version against the pin: its summary, or a
    problem."""
    args = [sys.executable, "-m", "pytest_modelgate.cli", "ab"]
    args += ["--base-deps", f"{upgrade.PACKAGE}=={current}", "--head-deps", requirement]
    args += ["--report", str(report), "--", *(pytest_args or AB_SELECTION)]
    done = subprocess.run(args, cwd=repo, check=False)
    if done.returncode not in (0, 1) or not report.is_file():
        return None, f"the A/B stopped short (modelgate ab exit {done.returncode})"
    document = json.loads(report.read_text(encoding="utf-8"))
    return upgrade.speed_of(document, str(report)), None


def to_do(
    requirement: str, applied: bool, full: bool, found: upgrade.Findings, removed: Sequence[str]
) -> list[str]:
    """What is left once the upgrade is applied (or how to apply it)."""
    if not applied:
        return [f'modelgate upgrade "{requirement}" --apply moves the pin and the files']
    listed = [f.pair for f in (*found.failing, *found.newly_failing)]
    out = ["reinstall the model venvs (nox reinstalls on its next run) and run nox"]
    out.append(
        "re-record baselines and durations on the reference machine: nox -s update-baselines"
    )
    if listed:
        out.append(f"fix by hand the pairs listed as expected failures: {', '.join(listed)}")
    if not full:
        out.append("the other pairs were not run under the new version: nox -s models")
    if removed:
        out.append("drop the baselines of removed pairs: modelgate baselines prune")
    return out


def run(args: argparse.Namespace) -> int:
    pytest_args = list(args.pytest_args)
    if pytest_args[:1] == ["--"]:
        pytest_args = pytest_args[1:]
    try:
        target = upgrade.target_version(args.requirement)
        repo = sides.repo_root(Path.cwd())
        pyproject = repo / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        current = upgrade.pin_of(text)
    except (upgrade.UpgradeError, sides.SideError, OSError) as error:
        fail(str(error))
        return 2
    if target == current:
        fail(f"transformers {target} is already the pin: nothing to upgrade")
        return 2
    if not catalog.SNAPSHOT.resolve().is_relative_to(repo):
        fail(f"the package in use is not this checkout's ({catalog.SNAPSHOT}): install it with -e")
        return 2
    notes = []
    installed = installed_version()
    if installed != current:
        notes.append(f"this environment has transformers {installed}, not the pin {current}")
    steps = Steps()
    with tempfile.TemporaryDirectory(prefix="modelgate-upgrade-") as temp:
        scratch = Path(temp)
        try:
            with steps.step(f"installing {args.requirement}"):
                folder, _ = sides.install_deps(sides.ensure_local_dir(repo), [args.requirement])
        except sides.SideError as error:
            fail(str(error))
            return 2
        raw = json.loads(status.EXPECTED_FAILURES.read_bytes())
        tried = trial(args.full, repo, folder, target, raw, steps, scratch)
        if isinstance(tried, str):
            fail(tried)
            return 1
        diff, found, new, scope = tried
        problems: list[str] = []
        speed = None
        if not args.no_ab:
            ab_report = beside(args.report, "-ab.json") or scratch / "ab.json"
            with steps.step(f"A/B of the benchmarks against transformers {current}"):
                speed, problem = run_ab(repo, current, args.requirement, ab_report, pytest_args)
            if problem is not None:
                problems.append(problem)
            elif speed is not None and args.report is None:
                speed = upgrade.Speed(
                    speed.counts, speed.rows, speed.outcomes, "not kept (--report keeps it)"
                )
        applied = args.apply and not problems
        if applied:
            with steps.step("applying: snapshot, pin, expected failures"):
                write_bytes(new)
                pyproject.write_text(upgrade.with_pin(text, target), encoding="utf-8")
                edited = upgrade.edit_expected_failures(raw, found, diff.removed, target)
                write_expected(status.EXPECTED_FAILURES, edited)
        report = upgrade.Report(
            current=current,
            target=target,
            scope=scope,
            diff=diff,
            findings=found,
            speed=speed,
            steps=tuple(steps.done),
            applied=applied,
            to_do=tuple(to_do(args.requirement, applied, args.full, found, diff.removed)),
            problems=tuple(problems),
            notes=tuple(notes),
        )
    for line in report.terminal_lines():
        print(line)
    if args.report is not None:
        write_report(args.report, report)
    return 1 if problems else 0


def trial(
    full: bool,
    repo: Path,
    folder: Path,
    target: str,
    raw: Mapping[str, object],
    steps: Steps,
    scratch: Path,
) -> tuple[upgrade.PairDiff, upgrade.Findings, dict[Path, bytes], str] | str:
    """Write the new version's snapshot into the tree, diff it, and run the suite under that
    version; the tree's files are put back whatever happens. The diff, the findings, the new
    snapshot's files and what ran; or a problem."""
    expected = status.parse_expected_failures(raw, status.EXPECTED_FAILURES.name)
    old = {path: path.read_bytes() for path in (*SNAPSHOT_FILES, status.EXPECTED_FAILURES)}
    scope = "the whole CPU suite" if full else "the added pairs and expected failures"
    junit = scratch / "suite.xml"
    try:
        with steps.step(f"writing the snapshot of transformers {target}"):
            new, problem = write_snapshot(repo, folder, target)
        if problem is not None:
            return problem
        diff = upgrade.pair_diff(
            catalog.registry_from_snapshot(json.loads(old[catalog.SNAPSHOT])),
            catalog.registry_from_snapshot(json.loads(new[catalog.SNAPSHOT])),
        )
        # the suite refuses expected failures of pairs that its registry no longer has
        kept = {k: v for k, v in raw.items() if k not in diff.removed}
        write_expected(status.EXPECTED_FAILURES, kept)
        pairs = None if full else [*diff.added, *(p for p in expected if p not in diff.removed)]
        if pairs == []:
            return diff, upgrade.Findings(), new, "no pair to run"
        with steps.step(f"running {scope} under transformers {target}"):
            problem = run_suite(repo, folder, pairs, junit, scratch)
        if problem is not None:
            return problem
    finally:
        write_bytes(old)
    outcomes = upgrade.outcomes_from_junit(junit.read_text(encoding="utf-8"))
    return diff, upgrade.classify(outcomes, diff.added, expected), new, scope


def write_snapshot(repo: Path, folder: Path, target: str) -> tuple[dict[Path, bytes], str | None]:
    """The snapshot files as the new version writes them (``modelgate catalog
    --write-snapshot`` run with it first on the path), or a problem."""
    command = [sys.executable, "-m", "pytest_modelgate.cli", "catalog", "--write-snapshot"]
    done = subprocess.run(command, cwd=repo, env=environ_with(folder, os.environ), check=False)
    new = {path: path.read_bytes() for path in SNAPSHOT_FILES}
    if done.returncode != 0:
        return new, f"writing the snapshot failed (exit {done.returncode})"
    version = json.loads(new[catalog.SNAPSHOT]).get("transformers_version")
    if version != target:
        return new, f"the snapshot written is of transformers {version}, not {target}"
    return new, None


def beside(report: Path | None, suffix: str) -> Path | None:
    """``up.json`` -> ``up-ab.json``: a file that goes with the report."""
    return None if report is None else report.with_name(report.stem + suffix)


def write_report(path: Path, report: upgrade.Report) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.as_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    page = path.with_suffix(".html")
    page.write_text(report.html_page(), encoding="utf-8")
    say(f"report: {path} and {page}")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``upgrade`` to the ``modelgate`` command line."""
    parser = subparsers.add_parser(
        "upgrade",
        help="try a transformers version: new pairs, fixed and new failures, speed; --apply",
        description="Install transformers==X beside the current one, write its registry "
        "snapshot, run the added pairs and the expected failures under it (--full: every "
        "pair), A/B the benchmarks against the pin, and report pairs added and removed, new "
        "pairs passing or failing and why, expected failures that now pass, tests that newly "
        "fail, and speed and memory changes. The tree is left as it was unless --apply. "
        "Arguments after -- go to the A/B's pytest (default: the perf-ab selection). Exit 1 "
        "when a step stopped short.",
        usage='modelgate upgrade "transformers==X" [--full] [--no-ab] [--report PATH] '
        "[--apply] [-- PYTEST_ARGS]",
    )
    parser.add_argument("requirement", metavar="REQ", help='the version to try: "transformers==X"')
    parser.add_argument("--full", action="store_true", help="run every CPU pair under X")
    parser.add_argument("--no-ab", action="store_true", help="skip the A/B of the benchmarks")
    parser.add_argument(
        "--report", type=Path, metavar="PATH", help="write the JSON report here (HTML beside it)"
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="move the pin to X and write its snapshot and the expected failures' edits",
    )
    parser.add_argument("pytest_args", nargs="*", metavar="PYTEST_ARGS", help=argparse.SUPPRESS)
    parser.set_defaults(func=run)
