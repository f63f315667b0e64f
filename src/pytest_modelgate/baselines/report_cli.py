"""``modelgate report [RUN.json ...] --html OUT.html``: the HTML report of runs or of stores.

From JSON reports (``--baseline-report``, one per shard: their results are put together, or an
A/B report with ``sides``, as ``modelgate baselines diff --json`` writes), with the histories of
the store (``--baselines-dir``; an A/B report's sides name their own stores). Without a report,
from the store alone: each model's latest measurement judged against the one before it on the
same machine, with a test run's rule (``plugin.judge_run``; history points keep no samples, so
only the tolerance and the common shift apply).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate import paths
from pytest_modelgate.baselines import compare, html, report, store
from pytest_modelgate.baselines.commands import diff_records, read_store

HistoryMap = dict[tuple[str, str], list[store.Entry]]


def histories_of(found: Mapping[str, Mapping[str, store.Entry]]) -> HistoryMap:
    """The history of every entry of a store, by (model, device)."""
    return {
        (model, device): store.history_of(entry)
        for device, entries in found.items()
        for model, entry in entries.items()
    }


def combine(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One report of several (the shards of a run): their results, counts recounted."""
    if len(documents) == 1:
        return dict(documents[0])
    results = [compare.Result.from_dict(r) for d in documents for r in d.get("results", ())]
    drift: dict[str, Any] = {}
    for number, d in enumerate(documents, 1):
        for device, shift in d.get("drift", {}).items():
            drift[f"{device}, report {number}"] = shift
    errors = [e for d in documents for e in d.get("errors", ())]
    return report.document(results, drift=drift, errors=errors)


def previous_point(entry: Mapping[str, Any]) -> store.Entry | None:
    """The measurement before ``entry`` on its machine, as a baseline entry (None: none)."""
    history = store.history_of(entry)
    machine = history[-1].get("machine")
    earlier = [p for p in history[:-1] if p.get("machine") == machine]
    if not earlier:
        return None
    point = earlier[-1]
    baseline: store.Entry = {
        "device": entry["device"],
        "timestamp": point["timestamp"],
        "inference_time_mean": point["median"],
        "inference_time_median": point["median"],
        "fingerprint": entry.get("fingerprint"),
    }
    if "memory_peak_mb" in point:
        baseline["memory_peak_mb"] = point["memory_peak_mb"]
    return baseline


def store_document(
    found: Mapping[str, Mapping[str, store.Entry]], rule: compare.Rule
) -> dict[str, Any]:
    """The report of a store alone: each latest measurement against the previous one."""
    from pytest_modelgate.baselines.plugin import judge_run  # imports pytest: only here

    def lookup(device: str, model: str) -> tuple[store.Entry | None, str | None]:
        return previous_point(found[device][model]), None

    # the previous point has no memory_base_mb: judge the peak on both sides
    entries = {
        d: {m: {k: v for k, v in e.items() if k != "memory_base_mb"} for m, e in models.items()}
        for d, models in found.items()
    }
    results, drifts = judge_run(diff_records(entries, rule), lookup, {})
    results = [
        dataclasses.replace(r, message=f"{r.model} ({r.device}): new: one measurement so far")
        if r.verdict == compare.NEW
        else r
        for r in results
    ]
    return report.document(results, drift={d: v.as_dict() for d, v in sorted(drifts.items())})


def write_html(
    path: Path,
    document: Mapping[str, Any],
    histories: html.Histories,
    sources: Sequence[str],
) -> int:
    """Write the page; its size in bytes."""
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    page = html.build(document, histories, sources=sources, generated=f"built {stamp}")
    data = page.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def histories_for(document: Mapping[str, Any], folder: Path) -> tuple[html.Histories, list[str]]:
    """Per side, the histories of the stores a report was made from, and unreadable files."""
    sides = document.get("sides")
    if sides:
        folders = {str(sides[s]["label"]): Path(str(sides[s].get("store", ""))) for s in sides}
    else:
        folders = {"baseline": folder}
    histories: dict[str, HistoryMap] = {}
    problems: list[str] = []
    for side, where in folders.items():
        found, trouble = read_store(where) if where.is_dir() else ({}, [])
        histories[side] = histories_of(found)
        problems += [t for t in trouble if ".json:" in t]
    return histories, problems


def write_beside(json_path: Path, document: Mapping[str, Any], folder: Path) -> Path:
    """The HTML page of a run's JSON report, written next to it (``x.json`` → ``x.html``)."""
    histories, _ = histories_for(document, folder)
    target = json_path.with_suffix(".html")
    write_html(target, document, histories, [str(json_path)])
    return target


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
        trouble = report.problem(document)
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
        document = combine(documents)
        histories, trouble = histories_for(document, folder)
        problems += trouble
        sources = list(args.reports)
    else:
        found, problems = read_store(folder)
        if not found:
            for problem in problems:
                print(f"modelgate report: {problem}", file=sys.stderr)
            return 1
        document = store_document(found, compare.Rule())
        histories = {"baseline": histories_of(found)}
        sources = [f"the store {folder}"]
    size = write_html(Path(args.html), document, histories, sources)
    print(
        f"wrote {args.html}: {size / 1024:.0f} KiB, {len(document['results'])} models "
        f"({report_counts(document)})"
    )
    for problem in problems:
        print(f"modelgate report: {problem}", file=sys.stderr)
    return 1 if problems else 0


def report_counts(document: Mapping[str, Any]) -> str:
    counts = document.get("counts", {})
    return ", ".join(f"{n} {v}" for v, n in counts.items() if n) or "nothing checked"


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
    parser.add_argument(
        "--baselines-dir",
        default="baselines",
        metavar="PATH",
        help="the store whose histories are drawn (default: baselines)",
    )
    parser.set_defaults(func=run_report)
