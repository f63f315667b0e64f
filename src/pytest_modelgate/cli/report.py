"""``modelgate report [RUN.json ...] --html OUT.html``: the HTML report of runs or of stores.

From JSON reports (``--baseline-report``, one per shard: their results are put together, or an
A/B report with ``sides``, as ``modelgate baselines diff --json`` writes), with the histories of
the store (``--baselines-dir``; an A/B report's sides name their own stores). Without a report,
from the store alone: each model's latest measurement judged against the one before it on the
same machine, with a test run's rule (``judge.store_document``; history points keep no samples,
so only the tolerance and the common shift apply).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate import paths
from pytest_modelgate.baselines import compare, html, judge, render, store
from pytest_modelgate.cli import options


def read_reports(names: Sequence[str]) -> tuple[list[dict[str, Any]], list[str]]:
    """The run reports of the files ``names``, and one line for each that is not one."""
    documents: list[dict[str, Any]] = []
    problems: list[str] = []
    for name in names:
        try:
            document = json.loads(Path(name).read_text("utf-8"))
        except (OSError, ValueError) as error:
            problems.append(f"{name}: not a readable report ({error})")
            continue
        trouble = render.problem(document)
        if trouble is not None:
            problems.append(f"{name}: {trouble}")
        else:
            documents.append(document)
    return documents, problems


def run_report(args: argparse.Namespace) -> int:
    folder = Path(args.baselines_dir)
    unwritable = paths.file_problem(Path(args.html), "--html")
    if unwritable is not None:
        print(f"modelgate report: {unwritable}", file=sys.stderr)
        return 2
    if args.reports:
        documents, problems = read_reports(args.reports)
        if problems:  # every input is checked before anything is written
            for problem in problems:
                print(f"modelgate report: {problem}", file=sys.stderr)
            return 1
        document = render.combine(documents)
        histories, trouble = html.histories_for(document, folder)
        problems += trouble
        sources = list(args.reports)
    else:
        found, problems = store.read_store(folder)
        if not found:
            for problem in problems:
                print(f"modelgate report: {problem}", file=sys.stderr)
            return 1
        document = judge.store_document(found, compare.Rule())
        histories = {"baseline": html.histories_of(found)}
        sources = [f"the store {folder}"]
    size = html.write_page(Path(args.html), document, histories, sources)
    print(
        f"wrote {args.html}: {size / 1024:.0f} KiB, {len(document['results'])} models "
        f"({report_counts(document)})"
    )
    for problem in problems:
        print(f"modelgate report: {problem}", file=sys.stderr)
    return 1 if problems else 0


def report_counts(document: Mapping[str, Any]) -> str:
    counts = document.get("counts", {})
    basis = document.get("basis")
    shown = [f"{n} {render.word(v, basis)}" for v, n in counts.items() if n]
    return ", ".join(shown) or "nothing checked"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``report`` to the ``modelgate`` command line."""
    parser = subparsers.add_parser(
        "report",
        help="one self-contained HTML page of a run's (or a store's) performance",
        description="Build one HTML file (nothing fetched from the network) from JSON reports "
        "(--baseline-report; several shards are put together; an A/B report shows both sides) "
        "or, with none, from the store: counts per verdict, regressions first with their "
        "history, and a sortable, filterable table of every model.",
    )
    parser.add_argument("reports", nargs="*", metavar="RUN.json", help="JSON reports")
    parser.add_argument("--html", required=True, metavar="OUT.html", help="the page to write")
    options.add_baselines_dir(parser, "the store whose histories are drawn")
    parser.set_defaults(func=run_report)
