"""``modelgate baselines``: import, merge, show, diff, prune and validate a baseline store.

``import FILE`` brings the single-file baselines of the upstream gating guide into the store
(``baselines.legacy`` converts them); ``merge STORE... --into PATH`` puts the stores of several
shards or machines together, the newest measurement of a model winning. ``show`` lists a
store's entries (median and spread, memory, when, where); ``diff A B`` judges store B's entries
as a run against store A's as baselines, with the rule a test run uses (``judge.diff_stores``:
the common shift of comparable models first, then each model within it); ``prune`` removes
the entries of pairs that no longer run, listing them first; ``validate`` names every problem
of every file of a store.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate.affected import depmap
from pytest_modelgate.affected.depmap import MAP_NAME, DepMapError
from pytest_modelgate.baselines import compare, judge, legacy, machines, render, store
from pytest_modelgate.cli import options
from pytest_modelgate.settings import DEFAULT_BASELINES_DIR

# -- import and merge ------------------------------------------------------------------------------


def run_import(args: argparse.Namespace) -> int:
    source = Path(args.file)
    folder = Path(args.baselines_dir)
    try:
        document = json.loads(source.read_text("utf-8"), parse_constant=lambda c: math.nan)
        converted = legacy.convert(document)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        print(f"modelgate baselines import: {source}: {error}", file=sys.stderr)
        return 1
    skipped = list(converted.skipped)
    status = 0
    for device, entries in sorted(converted.entries.items()):
        try:
            existing = store.load(store.file_for(folder, device))
            take = {m: e for m, e in entries.items() if args.replace or m not in existing}
            for model in sorted(set(entries) - set(take)):
                skipped.append(
                    (f"{model}_{device}", "already in the store (--replace to overwrite)")
                )
            result = store.save(folder, device, take) if take else None
        except store.BaselineFileError as error:
            print(f"modelgate baselines import: {error}", file=sys.stderr)
            status = 1
            continue
        if result is not None:
            names = ", ".join(sorted(take))
            print(f"took {len(take)} into {result.path}: {names}")
    for key, reason in skipped:
        print(f"skipped {key}: {reason}")
    if not converted.entries:
        print(
            f"modelgate baselines import: {source}: no usable entry, nothing imported",
            file=sys.stderr,
        )
        return 1
    return status


def merge_maps(stores: Sequence[Path], target: Path) -> list[str]:
    """Merge the maps of what tests run (``test-deps.json``) that the stores hold (shards of
    one run, recorded at one state of the project) into ``target``'s; the problems, each naming
    its file. A store whose map cannot be read leaves the target's as it was."""
    found = [folder / MAP_NAME for folder in stores if (folder / MAP_NAME).is_file()]
    if not found:
        return []
    maps = []
    problems = []
    for path in found:
        try:
            maps.append(depmap.load(path))
        except DepMapError as error:
            problems.append(str(error))
    if problems:
        return [*problems, f"{target / MAP_NAME} left as it was"]
    try:
        merged = depmap.merge(maps)
    except DepMapError as error:
        return [f"{error}; {target / MAP_NAME} left as it was"]
    kept = depmap.update(target / MAP_NAME, merged)
    also = f", and {kept} it held of other tests" if kept else ""
    print(
        f"{target / MAP_NAME}: what {len(merged.tests)} tests ran, from {len(found)} map(s){also}"
    )
    return []


def run_merge(args: argparse.Namespace) -> int:
    target = Path(args.into)
    stores = [Path(folder) for folder in args.stores]
    merged, problems = store.gather(stores)
    problems += merge_maps(stores, target)
    for problem in problems:
        print(f"modelgate baselines merge: {problem}", file=sys.stderr)
    status = 1 if problems else 0
    for device, entries in sorted(merged.items()):
        try:
            result = store.save(target, device, entries)
        except store.BaselineFileError as error:
            print(f"modelgate baselines merge: {error}", file=sys.stderr)
            status = 1
            continue
        print(
            f"{result.path}: {len(result.added)} added, {len(result.replaced)} replaced"
            + ("" if result.written else " (unchanged)")
        )
    return status


# -- show ------------------------------------------------------------------------------------------

SHOW_COLUMNS = ("model", "device", "median_ms", "spread_percent", "memory_mb", "when", "machine")
SHOW_HEADER = ("model", "device", "median", "spread", "memory", "when", "machine")


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


#: the columns of figures: ``--sort`` puts the largest first
FIGURES = ("median_ms", "spread_percent", "memory_mb")


def _sort_key(column: str) -> Callable[[Mapping[str, Any]], tuple[bool, Any]]:
    """Figures largest first, names in order; rows without the figure go last either way."""
    sign = -1 if column in FIGURES else 1

    def key(row: Mapping[str, Any]) -> tuple[bool, Any]:
        value = row[column]
        if value is None:
            return (True, 0)
        return (False, sign * value if column in FIGURES else value)

    return key


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column == "median_ms":
        return f"{value:.3f} ms"
    if column == "spread_percent":
        return f"±{value:.1f}%"
    if column == "memory_mb":
        return f"{value:.1f} MB"
    if column == "when":  # to the minute, in the store's time zone
        return str(value)[:16].replace("T", " ")
    return str(value)


def run_show(args: argparse.Namespace) -> int:
    found, problems = store.read_store(Path(args.baselines_dir), args.device)
    rows = [
        show_row(model, device, entry)
        for device, entries in found.items()
        for model, entry in entries.items()
        if store.matches(model, args.k)
    ]
    rows.sort(key=lambda row: (row["model"], row["device"]))
    rows.sort(key=_sort_key(args.sort))
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        cells = [tuple(_cell(c, row[c]) for c in SHOW_COLUMNS) for row in rows]
        # a terminal's width: ids and machines are cut (``--json`` has them whole)
        width = render.terminal_width()
        for line in render.table(cells, SHOW_HEADER, width=width, shrink=((0, 12), (6, 8))):
            print(line)
        print(f"{len(rows)} entries")
    for problem in problems:
        print(f"modelgate baselines show: {problem}", file=sys.stderr)
    return 1 if problems else 0


# -- diff ------------------------------------------------------------------------------------------


def run_diff(args: argparse.Namespace) -> int:
    base, head = Path(args.base), Path(args.head)
    diff = judge.diff_stores(base, head, compare.Rule(tolerance=args.tolerance), args.k)
    if args.json:
        print(json.dumps(judge.diff_document(diff, base, head), indent=2, sort_keys=True))
    else:
        print(f"{head} against {base}")
        for line in render.terminal_lines(diff.results, diff.drifts, verbose=args.verbose):
            print(line)
        if diff.removed:
            names = ", ".join(f"{m} ({d})" for m, d in diff.removed[: render.SHORT_ROWS])
            more = len(diff.removed) - render.SHORT_ROWS
            tail = f" and {more} more" if more > 0 else ""
            print(f"only in {base}: {len(diff.removed)}: {names}{tail}")
    for problem in diff.problems:
        print(f"modelgate baselines diff: {problem}", file=sys.stderr)
    regressed = any(r.verdict == compare.REGRESSION for r in diff.results)
    return 1 if diff.problems or (regressed and args.fail_on_regression) else 0


# -- prune -----------------------------------------------------------------------------------------


def run_prune(args: argparse.Namespace) -> int:
    folder = Path(args.baselines_dir)
    try:
        if args.report:
            seen = store.reported(Path(p) for p in args.report)
            source = "the report(s)"

            def keep(model: str, device: str) -> bool:
                return (model, device) in seen

        else:
            pairs = store.catalog_pairs()
            source = "the catalog"

            def keep(model: str, device: str) -> bool:
                return model in pairs

    except ValueError as error:
        print(f"modelgate baselines prune: {error}", file=sys.stderr)
        return 1
    found, problems = store.read_store(folder, args.device)
    gone = store.stale(found, keep, args.k)
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
        problems = store.file_problems(path)
        if not problems:
            print(f"{path}: valid")
        for problem in problems:
            print(f"{path}: {problem}")
        status = 1 if problems else status
    return status


# -- the command line ------------------------------------------------------------------------------


def _store_options(parser: argparse.ArgumentParser, device: bool = True) -> None:
    options.add_baselines_dir(parser)
    if device:
        parser.add_argument("--device", metavar="D", help="only this device's file (cpu, cuda)")


def _pattern(parser: argparse.ArgumentParser) -> None:
    options.add_keyword(parser, "models")


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


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``baselines`` and its commands (``import``, ``merge``, ``show``, ``diff``, ``prune``,
    ``validate``) to the ``modelgate`` command line."""
    parser = subparsers.add_parser("baselines", help="manage performance baselines")
    commands = parser.add_subparsers(dest="baselines_command", metavar="COMMAND", required=True)
    importer = commands.add_parser(
        "import", help="import the gating guide's single-file baselines (MODEL_DEVICE keys)"
    )
    importer.add_argument("file", metavar="FILE", help="the single-file baselines (JSON)")
    options.add_baselines_dir(importer, "the store to import into")
    importer.add_argument(
        "--replace", action="store_true", help="overwrite entries already in the store"
    )
    importer.set_defaults(func=run_import)
    merger = commands.add_parser(
        "merge",
        help="merge the baselines of several shards or machines into one store",
        description="Merge baseline stores (folders of per-device files) into --into, under "
        "its lock, replacing only the models the stores hold; the newest measurement of a "
        "model wins. An unreadable file is reported and left out; the rest are merged. The "
        "maps of what tests run (test-deps.json, from --record-deps) the stores hold are "
        "merged into one too, when they were recorded at one state of the project.",
    )
    merger.add_argument("stores", nargs="+", metavar="STORE", help="a baselines folder")
    merger.add_argument(
        "--into",
        default=DEFAULT_BASELINES_DIR,
        metavar="PATH",
        help=f"the store to merge into (default: {DEFAULT_BASELINES_DIR})",
    )
    merger.set_defaults(func=run_merge)

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
    options.add_tolerance(diff)
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
