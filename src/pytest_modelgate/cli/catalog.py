"""``modelgate catalog``: the (model type, head) pairs with their category and status."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from xml.etree import ElementTree

from pytest_modelgate import keywords
from pytest_modelgate.baselines import render
from pytest_modelgate.cli import options
from pytest_modelgate.models import catalog, status


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "catalog",
        help="list the model pairs of the suite with their category and status",
        description="List the (model type, head) pairs of the pinned transformers registry with "
        "their category and status: runs, or expected failure and why.",
    )
    parser.add_argument("--category", choices=catalog.CATEGORIES, help="only this category")
    parser.add_argument(
        "--status",
        choices=("runs", "expected-failure"),
        help="only the pairs that run, or only the expected failures",
    )
    options.add_keyword(parser, "pair ids", "--match")
    parser.add_argument(
        "--summary", action="store_true", help="print counts per category and status only"
    )
    parser.add_argument(
        "--record-slow",
        metavar="JUNIT_XML",
        type=Path,
        help="record the slowest pairs of a JUnit XML report of a CPU model-suite run as slow",
    )
    parser.add_argument(
        "--write-snapshot",
        action="store_true",
        help="rewrite the registry snapshot, and the converter's table of model types that have "
        "only a config, from the installed transformers (imports it)",
    )
    parser.set_defaults(func=run)


def record_slow(report: Path) -> int:
    """Rewrite the slow pairs from a JUnit XML report; 1 when the report is missing, not
    readable XML, or has no CPU model-suite case (the slow pairs are then left as they were)."""
    try:
        durations = status.durations_from_junit(report)
    except (OSError, ElementTree.ParseError) as error:
        print(f"modelgate catalog: cannot read the report {report}: {error}", file=sys.stderr)
        return 1
    if not durations:
        print(
            f"modelgate catalog: {report} has no CPU model-suite test case; "
            f"{status.SLOW.name} left as it was",
            file=sys.stderr,
        )
        return 1
    slow = status.write_slow(durations)
    print(f"wrote {status.SLOW.name}: {len(slow)} slow pairs")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.write_snapshot:
        from pytest_modelgate.convert import configs  # imports transformers: only here

        registry = catalog.write_snapshot()
        configs.write_table()  # the converter's table of config-only types, for the same release
        print(
            f"wrote {catalog.SNAPSHOT.name}: {len(registry.pairs)} pairs of transformers "
            f"{registry.transformers_version}, and the converter's table of config-only types"
        )
        return 0
    if args.record_slow is not None:
        return record_slow(args.record_slow)
    registry = catalog.load_registry()
    expected = status.load_expected_failures()
    keeps = keywords.matcher(args.match)
    rows = []
    for pair in registry.pairs:
        if args.category and pair.category != args.category:
            continue
        if not keeps(pair.id):
            continue
        failing = pair.id in expected
        if args.status and (args.status == "expected-failure") != failing:
            continue
        rows.append((pair.id, pair.category, status.status_of(pair.id, expected)))
    if args.summary:
        runs = sum(1 for row in rows if row[2] == "runs")
        print(
            f"transformers {registry.transformers_version}: {len(rows)} pairs, {runs} run, "
            f"{len(rows) - runs} expected failures"
        )
        for category in catalog.CATEGORIES:
            mine = [row for row in rows if row[1] == category]
            count = sum(1 for row in mine if row[2] != "runs")
            print(f"  {category}: {len(mine)} pairs, {count} expected failures")
        return 0
    # a terminal's width: long ids and reasons are cut (a pipe gets whole lines)
    width = render.terminal_width()
    lines = render.table(rows, ("", "", ""), width=width, shrink=((0, 28), (2, 20)))
    for line in lines[1:]:  # no header: one pair a line, as scripts read it
        print(line)
    return 0
