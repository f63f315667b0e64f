"""``modelgate ab``: two revisions, or two dependency sets, measured side by side on this machine.

    modelgate ab --base REV [--head REV] [--report PATH] [-- PYTEST_ARGS]
    modelgate ab --base-deps "transformers==5.23.0" [-- PYTEST_ARGS]

The base side runs in a temporary git worktree of its revision (the head side in the working
tree, unless ``--head`` names a revision too), each side in its own environment when
``--base-deps`` / ``--head-deps`` name a dependency set. Both sides run the same tests at the
same time, meeting before every measurement; their measurements go to scratch stores, never to
``baselines/``. The head side's measurements are then judged against the base side's, with a
test run's rule. Then, sequentially, every verdict not yet decided (a regression or an
improvement not yet named by two later passes, a slowdown too noisy to tell, an ``ok`` whose band
straddles the tolerance: ``judge.to_confirm``) is measured again on both sides and judged again
on the samples of the later passes together, its band narrowing with their number; until all
are decided, ``--confirm`` passes have run, or those passes have taken ``--budget`` seconds.
The summary is a test run's; ``--report`` writes a run report's JSON (and the HTML page beside
a ``.json``).

The tests' outcomes are compared too: a test that fails on the head side and did not on the
base side makes the A/B exit 1; expected failures that now pass, tests that now pass and tests
only one side ran are listed. While the sides run, each pass says where it is (``run.run_pass``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_modelgate import hardware
from pytest_modelgate.ab import judge, sides
from pytest_modelgate.baselines import compare, render
from pytest_modelgate.baselines.store import read_store
from pytest_modelgate.cli import options
from pytest_modelgate.settings import parse_timeout

if TYPE_CHECKING:  # the runner imports the plugin, and so pytest: loaded when a run starts
    from pytest_modelgate.ab.run import SideRun

#: at most this many passes confirm, and they start only while they took less than the budget
DEFAULT_CONFIRM = 8
DEFAULT_BUDGET_S = 120.0


def default_jobs() -> int:
    """Pairs run at once: one per two CPUs (each side of a pair gets one), where pytest-split
    is there to split the tests among them."""
    if importlib.util.find_spec("pytest_split") is None:
        return 1
    return max(1, hardware.cpu_count() // 2)


@contextlib.contextmanager
def prepared(args: argparse.Namespace, repo: Path, scratch: Path) -> Iterator[list[sides.Side]]:
    """The two sides, their worktrees made (and removed afterwards), their deps installed."""
    local = sides.ensure_local_dir(repo)
    made: list[Path] = []
    try:
        built = []
        for name, rev, deps in (
            ("base", args.base, args.base_deps),
            ("head", args.head, args.head_deps),
        ):
            if rev is None:
                root, label = Path.cwd().resolve(), sides.WORKING_TREE
            else:
                commit = sides.resolve(repo, rev)
                top = sides.add_worktree(repo, commit, scratch / f"{name}-tree")
                made.append(top)
                root = top / Path.cwd().resolve().relative_to(repo)
                label = f"{rev} ({commit[:10]})"
            reqs = sides.requirements(deps)
            paths = sides.source_paths(root)
            if reqs:
                paths += (sides.install_deps(local, reqs)[0],)
                label += " with " + " ".join(reqs)
            built.append(sides.Side(name, label, root, paths, reqs))
        yield built
    finally:
        for folder in made:
            sides.remove_worktree(repo, folder)


def side_problems(runs: dict[str, SideRun], number: int) -> list[str]:
    """What went wrong in a pass, per side: a run that stopped short, with its log's end."""
    problems = []
    for run in runs.values():
        if run.broken:
            codes = ", ".join(map(str, run.exit_codes))
            tail = "\n".join(tail_of(log) for log in run.logs)
            problems.append(
                f"pass {number}, {run.side.name} ({run.side.label}): pytest exited {codes}:\n{tail}"
            )
    return problems


def tail_of(log: Path, lines: int = 15) -> str:
    """The last lines of a side's log, indented (the logs go with the scratch folder)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "    (no log)"
    return "\n".join(f"    {line}" for line in text.splitlines()[-lines:])


def entries_of(run: SideRun) -> judge.Entries:
    found, _ = read_store(run.store) if run.store.is_dir() else ({}, [])
    return found


def select_file(scratch: Path, number: int, results: Sequence[compare.Result]) -> Path:
    """The test ids of ``results``, one per line, for a later pass."""
    path = scratch / f"select-{number}.txt"
    path.write_text("\n".join(sorted({str(r.test) for r in results})) + "\n", encoding="utf-8")
    return path


@dataclass
class Outcome:
    """What an A/B run found: the verdicts, the first pass's shift, the models only the base
    measured, the tests' outcomes compared, and what went wrong."""

    results: list[compare.Result]
    drifts: dict[str, compare.Drift]
    removed: list[tuple[str, str]]
    problems: list[str]
    tests: judge.OutcomeComparison


def measure(
    both: Sequence[sides.Side], args: argparse.Namespace, pytest_args: list[str], scratch: Path
) -> tuple[Outcome, dict[str, SideRun]]:
    """The first pass over every test, then the passes that confirm, each judged."""
    from pytest_modelgate.ab.run import outcomes_of, run_pass

    rule = compare.Rule(tolerance=args.tolerance)
    durations = Path(".test_durations").resolve()
    first = args.select.resolve() if args.select is not None else None
    runs = run_pass(
        both,
        1,
        pytest_args,
        scratch,
        jobs=args.jobs,
        select=first,
        durations=_kept(durations),
        say=_say,
        what="every test" if first is None else f"the tests listed in {args.select}",
    )
    problems = side_problems(runs, 1)
    tests = judge.compare_outcomes(outcomes_of(runs["base"]), outcomes_of(runs["head"]))
    base, head = entries_of(runs["base"]), entries_of(runs["head"])
    results, drifts = judge.first_pass(base, head, rule)
    bases: list[judge.Entries] = []  # the later passes'
    heads: list[judge.Entries] = []
    spent = 0.0
    for number in range(2, 2 + args.confirm):
        suspects = judge.to_confirm(results, heads)
        if not suspects or spent >= args.budget:
            break
        select = select_file(scratch, number, suspects)
        what = f"measuring {len(suspects)} model(s) again"
        started = time.monotonic()
        again = run_pass(
            both, number, pytest_args, scratch, jobs=1, select=select, say=_say, what=what
        )
        spent += time.monotonic() - started
        problems += side_problems(again, number)
        bases.append(entries_of(again["base"]))
        heads.append(entries_of(again["head"]))
        results = judge.confirm(results, bases, heads, rule, drifts)
    left = judge.to_confirm(results, heads)
    if left:
        _say(
            f"{len(left)} verdict(s) still undecided after {len(heads)} confirming pass(es), "
            f"{spent:.0f} s of the {args.budget:g} s budget (--confirm, --budget)"
        )
    removed = sorted((m, d) for d, ms in base.items() for m in ms if m not in head.get(d, {}))
    return Outcome(results, drifts, removed, problems, tests), runs


def run_ab(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        repo = sides.repo_root(Path.cwd())
    except sides.SideError as error:
        print(f"modelgate ab: {error}", file=sys.stderr)
        return 2
    pytest_args = list(args.pytest_args)
    if pytest_args[:1] == ["--"]:
        pytest_args = pytest_args[1:]
    with tempfile.TemporaryDirectory(prefix="modelgate-ab-") as temp:
        scratch = Path(temp)
        try:
            with prepared(args, repo, scratch) as both:
                for side in both:
                    print(f"modelgate ab: {side.name}: {side.label}", flush=True)
                found, runs = measure(both, args, pytest_args, scratch)
                tests = found.tests.as_dict()
                document = render.document(
                    found.results,
                    drift={d: v.as_dict() for d, v in sorted(found.drifts.items())},
                    errors=found.problems,
                    removed=[{"model": m, "device": d} for m, d in found.removed],
                    sides={r.side.name: _side_doc(r.side, r.store) for r in runs.values()},
                    outcomes=tests,
                    wall_s=round(time.monotonic() - started, 1),
                )
                _write_report(args.report, document, found.problems)
        except sides.SideError as error:
            print(f"modelgate ab: {error}", file=sys.stderr)
            return 2
    title = f"{runs['head'].side.label} against {runs['base'].side.label}"
    print(title)
    for line in render.outcome_lines(tests, verbose=args.verbose):
        print(line)
    for line in render.terminal_lines(
        found.results,
        found.drifts,
        verbose=args.verbose,
        report_path=args.report,
        fail_on_regression=args.fail_on_regression,
    ):
        print(line)
    if found.removed:
        print(f"measured on the base side only: {len(found.removed)}")
    print(f"modelgate ab: {time.monotonic() - started:.0f} s")
    _append_summaries(found, tests, title)
    for problem in found.problems:
        print(f"modelgate ab: {problem}", file=sys.stderr)
    failing = found.tests.newly_failing
    if failing:
        print(
            f"modelgate ab: {len(failing)} test(s) newly failing on the head side",
            file=sys.stderr,
        )
    if not found.results:
        print("modelgate ab: nothing was measured on the head side", file=sys.stderr)
        return 1
    regressed = any(r.verdict == compare.REGRESSION for r in found.results)
    return 1 if found.problems or failing or (regressed and args.fail_on_regression) else 0


def _kept(path: Path) -> Path | None:
    return path if path.is_file() else None


def _side_doc(side: sides.Side, folder: Path) -> dict[str, Any]:
    return {"label": side.label, "store": str(folder), "deps": list(side.deps)}


def _append_summaries(found: Outcome, tests: dict[str, Any], title: str) -> None:
    """The step summary: the tests whose outcome changed (``tests``), then the verdicts; the
    verdicts first when no test changed (a line below them says so)."""
    if found.tests.changes:
        render.append_outcomes_summary(tests, os.environ, f"Test outcomes A/B: {title}")
    render.append_step_summary(found.results, os.environ, f"Performance A/B: {title}")
    if not found.tests.changes:
        render.append_outcomes_summary(tests, os.environ, f"Test outcomes A/B: {title}")


def _say(line: str) -> None:
    """A line of a pass's progress, as it happens."""
    print(f"modelgate ab: {line}", flush=True)


def _write_report(path: Path | None, document: dict[str, Any], problems: list[str]) -> None:
    if path is None:
        return
    render.write_json(path, document)
    if path.suffix == ".json":
        from pytest_modelgate.baselines import html

        try:
            html.write_beside(path, document, path.parent)
        except OSError as error:
            problems.append(f"HTML report not written: {error}")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ab`` to the ``modelgate`` command line."""
    parser = subparsers.add_parser(
        "ab",
        help="measure two revisions (or dependency sets) side by side on this machine",
        description="Run the benchmarked tests of two git revisions, or of one revision under "
        "two dependency sets, at the same time on this machine (meeting before every "
        "measurement), and judge the head's measurements against the base's with a test "
        "run's rule. The tests' outcomes are compared too: a test newly failing on the head "
        "exits 1; xfails now passing, tests now passing and tests one side only ran are "
        "listed. Nothing is written into baselines/. Arguments after -- go to pytest "
        "(paths, -k, -m).",
        usage="modelgate ab [--base REV] [--head REV] [--base-deps REQS] [--head-deps REQS] "
        "[--report PATH] [options] [-- PYTEST_ARGS]",
    )
    parser.add_argument("--base", metavar="REV", help="the revision compared against")
    parser.add_argument(
        "--head", metavar="REV", help="the revision judged (default: the working tree)"
    )
    parser.add_argument(
        "--base-deps",
        metavar="REQS",
        help='pip requirements for the base side\'s environment, e.g. "transformers==5.23.0"',
    )
    parser.add_argument(
        "--head-deps", metavar="REQS", help="pip requirements for the head side's environment"
    )
    parser.add_argument("--report", type=Path, metavar="PATH", help="write the JSON report here")
    options.add_tolerance(parser)
    parser.add_argument(
        "--confirm",
        action=options.WholeNumber,
        minimum=0,
        default=DEFAULT_CONFIRM,
        metavar="N",
        help="at most this many passes that measure the undecided verdicts again "
        f"({DEFAULT_CONFIRM})",
    )
    parser.add_argument(
        "--budget",
        action=options.Checked,
        parse=functools.partial(parse_timeout, zero="no confirming pass"),
        default=DEFAULT_BUDGET_S,
        metavar="SECONDS",
        help="no confirming pass starts once they have taken this long "
        f"(default: {DEFAULT_BUDGET_S:g})",
    )
    parser.add_argument(
        "--jobs",
        action=options.WholeNumber,
        default=default_jobs(),
        metavar="N",
        help="pairs of runs at once, the tests split among them (default: CPUs / 2)",
    )
    parser.add_argument(
        "--select",
        type=Path,
        metavar="FILE",
        help="run only the tests whose ids FILE lists, one per line (a side that lacks one "
        "leaves it out); nox -s pre-pr gives the affected benchmarks this way",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="every row, not only not ok")
    parser.add_argument("--fail-on-regression", action="store_true", help="exit 1 on a regression")
    parser.add_argument("pytest_args", nargs="*", metavar="PYTEST_ARGS", help=argparse.SUPPRESS)
    parser.set_defaults(func=_checked)


def _checked(args: argparse.Namespace) -> int:
    if args.base is None and args.base_deps is None:
        print("modelgate ab: give --base REV, --base-deps REQS, or both", file=sys.stderr)
        return 2
    if args.jobs > 1 and importlib.util.find_spec("pytest_split") is None:
        print(
            "modelgate ab: --jobs above 1 splits the tests with pytest-split: install it",
            file=sys.stderr,
        )
        return 2
    if args.select is not None and not args.select.is_file():
        print(f"modelgate ab: --select {args.select}: no such file", file=sys.stderr)
        return 2
    return run_ab(args)
