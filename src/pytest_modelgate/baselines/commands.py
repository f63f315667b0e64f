"""``modelgate baselines show``, ``diff``, ``prune`` and ``validate``: looking into stores.

``show`` lists a store's entries (median and spread, memory, when, where); ``diff A B`` judges
store B's entries as a run against store A's as baselines, with the rule a test run uses
(``judge.judge_run``: the common shift of comparable models first, then each model within
it); ``prune`` removes the entries of pairs that no longer run, listing them first; ``validate``
names every problem of every file of a store.
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pytest_modelgate.baselines import compare, judge, machines, report, schema, store
from pytest_modelgate.settings import SettingError, parse_tolerance

SHOW_COLUMNS = ("model", "device", "median_ms", "spread_percent", "memory_mb", "when", "machine")
SHOW_HEADER = ("model", "device", "median", "spread", "memory", "when", "machine")


def matches(name: str, pattern: str | None) -> bool:
    """``-k``: a glob when ``pattern`` has one of ``*?[``, else a case-insensitive substring."""
    if not pattern:
        return True
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(name.lower(), pattern.lower())
    return pattern.lower() in name.lower()


def show_row(model: str, device: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """What ``show`` says of one entry (times in ms, spread in %, memory in MB)."""
    point = store.history_point(entry)
    spread = point.get("spread")
    return {
        "model": model,
        "device": device,
        "median_ms": round(point["median"] * 1e3, 4),
        "spread_percent": None if spread is None else round(spread * 100, 1),
        "memory_mb": point.get("memory_peak_mb"),
        "when": entry["timestamp"],
        "machine": point.get("machine"),
        "history": len(entry.get("history", ())),
    }


def _sort_key(column: str) -> Callable[[Mapping[str, Any]], tuple[bool, Any]]:
    # rows without the figure go last, whichever the column
    return lambda row: (row[column] is None, row[column] if row[column] is not None else 0)


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column == "median_ms":
        return f"{value:.3f} ms"
    if column == "spread_percent":
        return f"±{value:.1f}%"
    if column == "memory_mb":
        return f"{value:.1f} MB"
    return str(value)


def run_show(args: argparse.Namespace) -> int:
    found, problems = store.read_store(Path(args.baselines_dir), args.device)
    rows = [
        show_row(model, device, entry)
        for device, entries in found.items()
        for model, entry in entries.items()
        if matches(model, args.k)
    ]
    rows.sort(key=lambda row: (row["model"], row["device"]))
    rows.sort(key=_sort_key(args.sort), reverse=args.sort in ("median_ms", "spread_percent"))
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        cells = [tuple(_cell(c, row[c]) for c in SHOW_COLUMNS) for row in rows]
        for line in report.table(cells, SHOW_HEADER):
            print(line)
        print(f"{len(rows)} entries")
    for problem in problems:
        print(f"modelgate baselines show: {problem}", file=sys.stderr)
    return 1 if problems else 0


# -- diff ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Diff:
    """Store B judged against store A: the verdicts, the common shift per device, the models
    only A holds, and the problems of files that could not be read."""

    results: list[compare.Result]
    drifts: dict[str, compare.Drift]
    removed: list[tuple[str, str]]
    problems: list[str]


def diff_stores(base: Path, head: Path, rule: compare.Rule, pattern: str | None = None) -> Diff:
    """Judge ``head``'s entries as a run against ``base``'s, with a test run's rule."""
    old, old_problems = store.read_store(base)
    new, new_problems = store.read_store(head)
    bad_base = {Path(p.split(":", 1)[0]).stem: p for p in old_problems if ".json:" in p}
    new = {d: {m: e for m, e in models.items() if matches(m, pattern)} for d, models in new.items()}

    def lookup(device: str, model: str) -> tuple[store.Entry | None, str | None]:
        if device in bad_base:
            return None, bad_base[device]
        return old.get(device, {}).get(model), None

    results, drifts = judge.judge_run(judge.records_of(new, rule), lookup, {})
    removed = sorted(
        (model, device)
        for device, models in old.items()
        for model in models
        if model not in new.get(device, {}) and matches(model, pattern)
    )
    return Diff(results, drifts, removed, old_problems + new_problems)


def diff_document(diff: Diff, base: Path, head: Path) -> dict[str, Any]:
    """The JSON report of a diff: a run report's shape, with the two sides named."""
    return report.document(
        diff.results,
        drift={d: v.as_dict() for d, v in sorted(diff.drifts.items())},
        errors=diff.problems,
        removed=[{"model": m, "device": d} for m, d in diff.removed],
        sides={
            "base": {"label": str(base), "store": str(base)},
            "head": {"label": str(head), "store": str(head)},
        },
    )


def run_diff(args: argparse.Namespace) -> int:
    try:
        tolerance = parse_tolerance(str(args.tolerance), "--tolerance")
    except SettingError as error:
        print(f"modelgate baselines diff: {error}", file=sys.stderr)
        return 2
    base, head = Path(args.base), Path(args.head)
    diff = diff_stores(base, head, compare.Rule(tolerance=tolerance), args.k)
    if args.json:
        print(json.dumps(diff_document(diff, base, head), indent=2, sort_keys=True))
    else:
        print(f"{head} against {base}")
        for line in report.terminal_lines(diff.results, diff.drifts, verbose=args.verbose):
            print(line)
        if diff.removed:
            names = ", ".join(f"{m} ({d})" for m, d in diff.removed[: report.SHORT_ROWS])
            more = len(diff.removed) - report.SHORT_ROWS
            tail = f" and {more} more" if more > 0 else ""
            print(f"only in {base}: {len(diff.removed)}: {names}{tail}")
    for problem in diff.problems:
        print(f"modelgate baselines diff: {problem}", file=sys.stderr)
    regressed = any(r.verdict == compare.REGRESSION for r in diff.results)
    return 1 if diff.problems or (regressed and args.fail_on_regression) else 0


# -- prune -----------------------------------------------------------------------------------------


def catalog_pairs() -> set[str]:
    """The pairs of the model suite whose benchmark runs: the catalog, less the pairs whose
    benchmark is an expected failure (they never record a baseline)."""
    from pytest_modelgate.models import catalog, status

    expected = status.load_expected_failures()
    return {
        pair.id
        for pair in catalog.load_registry().pairs
        if not (pair.id in expected and "benchmark" in expected[pair.id].checks)
    }


def reported(paths: Iterable[Path]) -> set[tuple[str, str]]:
    """(model, device family) of every result of JSON reports; raises ValueError naming a
    report that cannot be read."""
    seen: set[tuple[str, str]] = set()
    for path in paths:
        try:
            results = json.loads(path.read_text("utf-8"))["results"]
            seen |= {(r["model"], store.device_family(r["device"])) for r in results}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}: not a readable baseline report ({error})") from None
    return seen


def stale(
    found: Mapping[str, Mapping[str, store.Entry]],
    keep: Callable[[str, str], bool],
    pattern: str | None,
) -> dict[str, list[str]]:
    """Per device, the models ``keep`` refuses (among those ``pattern`` selects)."""
    gone = {
        device: sorted(m for m in entries if matches(m, pattern) and not keep(m, device))
        for device, entries in sorted(found.items())
    }
    return {device: models for device, models in gone.items() if models}


def run_prune(args: argparse.Namespace) -> int:
    folder = Path(args.baselines_dir)
    try:
        if args.report:
            seen = reported(Path(p) for p in args.report)
            source = "the report(s)"

            def keep(model: str, device: str) -> bool:
                return (model, device) in seen

        else:
            pairs = catalog_pairs()
            source = "the catalog"

            def keep(model: str, device: str) -> bool:
                return model in pairs

    except ValueError as error:
        print(f"modelgate baselines prune: {error}", file=sys.stderr)
        return 1
    found, problems = store.read_store(folder, args.device)
    gone = stale(found, keep, args.k)
    verb = "would remove" if args.dry_run else "removing"
    for device, models in gone.items():
        for model in models:
            print(f"{verb} {model} ({device}): not in {source}")
    status = 1 if problems else 0
    if not args.dry_run:
        for device, models in gone.items():
            try:
                result = store.remove(folder, device, models)
            except store.BaselineFileError as error:
                problems.append(str(error))
                status = 1
                continue
            print(f"{result.path}: {len(result.removed)} removed")
    total = sum(len(m) for m in gone.values())
    if not gone:
        print(f"nothing to prune: every entry is in {source}")
    elif args.dry_run:
        print(f"{total} entries would be removed (--dry-run: nothing was changed)")
    for problem in problems:
        print(f"modelgate baselines prune: {problem}", file=sys.stderr)
    return status


# -- validate --------------------------------------------------------------------------------------


def file_problems(path: Path) -> list[str]:
    """Every problem of one baseline file: unreadable, not JSON, schema errors (all of them),
    a device that is not its file's, a history longer than kept."""
    try:
        data = path.read_bytes()
        store.parse(data, path)
    except OSError as error:
        return [f"cannot be read: {error.strerror or error}"]
    except store.BaselineFileError as error:
        if "schema at" not in error.problem:
            return [error.problem]
    document = json.loads(data)
    problems = schema.problems(document)
    if problems or not isinstance(document, dict):
        return problems
    if document["device"] != path.stem:
        problems.append(f"device {document['device']!r} in a file named {path.name}")
    for model, entry in sorted(document["entries"].items()):
        if store.device_family(entry["device"]) != document["device"]:
            problems.append(f"entries/{model}: device {entry['device']!r} in {path.name}")
        history = entry.get("history")
        if history is not None and history != store.merge_history(entry):
            problems.append(
                f"entries/{model}/history: not the merged, ordered history "
                f"(at most {store.HISTORY_PER_MACHINE} points per machine, its own point last)"
            )
    return problems


def run_validate(args: argparse.Namespace) -> int:
    folder = Path(args.baselines_dir)
    files = store.store_files(folder, args.device)
    for other in sorted((folder / machines.MACHINES_DIR).glob("*/")):  # other machines' too
        files += store.store_files(other, args.device)
    if not files:
        print(f"modelgate baselines validate: {folder}: no baseline files (*.json) found")
        return 1
    status = 0
    for path in files:
        problems = file_problems(path)
        if not problems:
            print(f"{path}: valid")
        for problem in problems:
            print(f"{path}: {problem}")
        status = 1 if problems else status
    return status


# -- the command line ------------------------------------------------------------------------------


def _store_options(parser: argparse.ArgumentParser, device: bool = True) -> None:
    parser.add_argument(
        "--baselines-dir",
        default="baselines",
        metavar="PATH",
        help="the store (default: baselines)",
    )
    if device:
        parser.add_argument("--device", metavar="D", help="only this device's file (cpu, cuda)")


def _pattern(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-k", metavar="PATTERN", help="only models matching: a substring, or a glob with *?["
    )


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    func: Callable[[argparse.Namespace], int],
    summary: str,
    description: str | None = None,
) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=summary, description=description or summary)
    parser.set_defaults(func=func)
    return parser


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``show``, ``diff``, ``prune`` and ``validate`` under ``modelgate baselines``."""
    show = _command(commands, "show", run_show, "list a store's entries: median, spread, memory")
    _store_options(show)
    _pattern(show)
    show.add_argument(
        "--sort",
        choices=SHOW_COLUMNS,
        default="model",
        help="order by this column (figures: largest first; default: model)",
    )
    show.add_argument("--json", action="store_true", help="print the rows as JSON")

    diff = _command(
        commands,
        "diff",
        run_diff,
        "judge store B against store A as a test run is judged",
        "Compare two stores (e.g. main's baselines/ and a branch's): B's entries are judged as "
        "a run's measurements against A's as baselines, with the rule of a test run (common "
        "shift, tolerance, noise, significance).",
    )
    diff.add_argument("base", metavar="A", help="the baselines folder to compare against")
    diff.add_argument("head", metavar="B", help="the baselines folder judged")
    _pattern(diff)
    diff.add_argument("--tolerance", default="0.20", help="relative slowdown tolerated")
    diff.add_argument("--json", action="store_true", help="print the report as JSON")
    diff.add_argument("-v", "--verbose", action="store_true", help="every row, not only not ok")
    diff.add_argument("--fail-on-regression", action="store_true", help="exit 1 on a regression")

    prune = _command(
        commands,
        "prune",
        run_prune,
        "remove the entries of pairs that no longer run",
        "Remove entries whose model is not a pair of the catalog that runs its benchmark or, "
        "with --report, that no given baseline report holds. Each is listed first; --dry-run "
        "only lists.",
    )
    _store_options(prune)
    _pattern(prune)
    prune.add_argument("--report", action="append", metavar="RUN.json", help="keep what it holds")
    prune.add_argument("--dry-run", action="store_true", help="list, remove nothing")

    validate = _command(commands, "validate", run_validate, "check a store against its schema")
    _store_options(validate)
