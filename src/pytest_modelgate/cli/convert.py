"""``modelgate convert``: convert a tree of legacy scripts, one log line per file.

Workers (``--jobs``) read, extract and generate; only this process decides what is written, so
output names are claimed once and every write goes through ``files.OutputDir``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from itertools import repeat
from pathlib import Path
from typing import Any, TextIO

from pytest_modelgate import paths
from pytest_modelgate.cli import options
from pytest_modelgate.convert import files
from pytest_modelgate.convert.extract import (
    READ_LIMIT,
    Extraction,
    extract,
    legacy_name,
    registry_index,
)
from pytest_modelgate.convert.generate import generate, module_filename

REPORT_SCHEMA = 1
SUCCESS = frozenset({"converted", "exists", "would-convert", "up-to-date"})
FAILURE = frozenset({"failed", "stale", "missing"})
# The log's marks, and plain ones for a console whose encoding lacks them (cp1252, say).
MARKS = {"start": "🔄", "ok": "✅", "look": "🔎", "skip": "⏭️", "bad": "❌", "to": "→"}
PLAIN_MARKS = {"start": "*", "ok": "+", "look": "?", "skip": "-", "bad": "x", "to": "->"}


@dataclass(frozen=True)
class Result:
    """A worker's answer for one file: what it tests, and the module text or the error."""

    extraction: Extraction
    text: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one file: its status, output path and the log line's detail."""

    source: str
    status: str
    output: str | None
    detail: str
    result: Result


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="convert legacy test_hf_*.py scripts into gated pytest tests",
        description="Convert legacy test_hf_*.py scripts into gated pytest modules that reuse "
        "the model suite's checks. Input files are read, never run.",
    )
    parser.add_argument(
        "--input-dir",
        type=Path,
        default=Path("test"),
        metavar="PATH",
        help="Folder searched recursively for legacy scripts (default: test)",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("test/improved"),
        metavar="PATH",
        help="Folder for the converted modules, never read as input (default: test/improved)",
    )
    parser.add_argument(
        "--pattern",
        default="test_hf_*.py",
        metavar="GLOB",
        help="File name pattern of legacy scripts (default: test_hf_*.py)",
    )
    parser.add_argument(
        "--limit",
        action=options.WholeNumber,
        metavar="N",
        help="Convert only the first N files found",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="Replace outputs that exist (default: keep them)"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="Show what would be written")
    mode.add_argument(
        "--check",
        action="store_true",
        help="Write nothing; exit 1 when an output is missing or stale (for CI)",
    )
    parser.add_argument(
        "--jobs",
        action=options.WholeNumber,
        default=1,
        metavar="N",
        help="Worker processes (default: 1)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="PATH",
        help="Write a JSON report: per file its status, extracted fields and reasons",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="Print only the files that fail and the final summary line",
    )
    parser.set_defaults(func=run)


def convert_file(input_dir: Path, source: str) -> Result:
    """Read, extract and generate one file (in a worker). Never raises: errors are results."""
    try:
        with input_dir.joinpath(*source.split("/")).open("rb") as stream:
            data = stream.read(READ_LIMIT + 1)  # one byte more tells a file is over the limit
    except OSError as error:
        name = legacy_name(source.rsplit("/", 1)[-1])
        return Result(Extraction(source, name, "none"), error=f"cannot read: {error.strerror}")
    try:
        extraction = extract(source, data)
        if not extraction.is_model:
            return Result(extraction)
        return Result(extraction, text=generate(extraction))
    except Exception as error:  # a file that breaks the converter fails alone, with its reason
        name = legacy_name(source.rsplit("/", 1)[-1])
        return Result(Extraction(source, name, "none"), error=f"{type(error).__name__}: {error}")


def results(input_dir: Path, sources: list[str], jobs: int) -> Iterator[Result]:
    """The results of ``sources`` in their order, from ``jobs`` worker processes."""
    if jobs == 1 or len(sources) < 2:
        yield from (convert_file(input_dir, s) for s in sources)
        return
    registry_index()  # loaded once here: forked workers inherit it
    chunk = max(1, len(sources) // (jobs * 8))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(convert_file, repeat(input_dir), sources, chunksize=chunk)


def settle(
    result: Result, args: argparse.Namespace, folder: files.OutputDir, claimed: dict[str, str]
) -> tuple[str, str | None, str]:
    """Status, output path and detail of one result; writes the output in write mode."""
    extraction = result.extraction
    if result.error is not None:
        return "failed", None, result.error
    if result.text is None:
        return "skipped", None, extraction.skip_reason or "no model"
    output, clash = claim(extraction, claimed)
    note = "; ".join(n for n in (clash, expectation(extraction)) if n)
    data = result.text.encode("utf-8")
    try:
        existing = folder.read(output)
        packages = [p for p in files.package_relpaths(output) if folder.read(p) is None]
        if args.check:
            if existing is None:
                return "missing", output, "output missing"
            if packages:
                return "missing", output, f"{packages[0]} missing"
            return ("up-to-date", output, "") if existing == data else ("stale", output, "")
        if args.dry_run:
            return (
                ("exists", output, "output exists")
                if existing is not None and not args.overwrite
                else ("would-convert", output, note)
            )
        for package in packages:  # written even when the module is kept: it must collect
            folder.write(package, files.PACKAGE_TEXT.encode("utf-8"))
        if existing is not None and not args.overwrite:
            return "exists", output, "output exists"
        if existing != data:
            folder.write(output, data)
    except (OSError, files.UnsafePathError) as error:
        return "failed", output, str(error)
    return "converted", output, note


def expectation(extraction: Extraction) -> str:
    """The log's note on a module whose checks cannot run (its tests are strict expected
    failures), or "" for one whose model type has pairs in the catalog."""
    if extraction.known_type:
        return ""
    why = "no pair to run" if extraction.config_only else "unknown model type"
    return f"its tests are expected failures: {why}"


def claim(extraction: Extraction, claimed: dict[str, str]) -> tuple[str, str]:
    """The output path of ``extraction``, numbered when an earlier file of this run has its
    name (``test_hf_a-b.py`` and ``test_hf_a_b.py``): both are converted, nothing is lost."""
    number = 1
    while True:
        filename = module_filename(extraction.model_name, number)
        output = files.output_relpath(extraction.source, filename)
        if output not in claimed:
            claimed[output] = extraction.source
            break
        number += 1
    if number == 1:
        return output, ""
    first = files.output_relpath(extraction.source, module_filename(extraction.model_name))
    return output, f"numbered: {first} is the output of {claimed[first]}"


def marks_for(out: TextIO) -> Mapping[str, str]:
    """The log's marks where ``out`` can encode them, else plain ASCII ones."""
    try:
        "".join(MARKS.values()).encode(getattr(out, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return PLAIN_MARKS
    return MARKS


def log_line(i: int, total: int, outcome: Outcome, marks: Mapping[str, str] = MARKS) -> str:
    source, output, detail = outcome.source, outcome.output, outcome.detail
    ok, skip, bad, to = marks["ok"], marks["skip"], marks["bad"], marks["to"]
    lines = {
        "converted": f"{ok} Converted {source} {to} {output}",
        "would-convert": f"{marks['look']} Would convert {source} {to} {output}",
        "up-to-date": f"{ok} Up to date {source} {to} {output}",
        "exists": f"{skip} Skipping {source} ({detail})",
        "skipped": f"{skip} Skipping {source} ({detail})",
        "missing": f"{bad} Missing {source} {to} {output}",
        "stale": f"{bad} Stale {source} {to} {output} (differs: convert with --overwrite)",
        "failed": f"{bad} Failed {source}: {detail}",
    }
    shown = outcome.status in ("converted", "would-convert") or (
        outcome.status == "missing" and detail != "output missing"
    )
    note = f" ({detail})" if detail and shown else ""
    return f"[{i}/{total}] {lines[outcome.status]}{note}"


def header(args: argparse.Namespace, found: int, out: TextIO) -> None:
    print(f"{marks_for(out)['start']} Converting legacy model tests", file=out)
    print(f"Input directory: {args.input_dir}", file=out)
    print(f"Output directory: {args.output_dir}", file=out)
    print(f"Pattern: {args.pattern}", file=out)
    print(f"Files found: {found}", file=out)
    print(f"Limit: {args.limit if args.limit is not None else 'none'}", file=out)
    if args.dry_run:
        print("Mode: dry run (nothing is written)", file=out)
    elif args.check:
        print("Mode: check (nothing is written; missing or stale outputs fail)", file=out)


def footer(outcomes: list[Outcome], out: TextIO, *, quiet: bool = False) -> None:
    """The summary: the share that succeeded, then the count of each status (one line when
    ``quiet``)."""
    counts = Counter(o.status for o in outcomes)
    done = sum(counts[s] for s in SUCCESS)
    complete = f"Conversion complete: {done}/{len(outcomes)} successful"
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
    lines = [f"{complete} ({statuses})"] if quiet else [complete, statuses]
    print(*lines, sep="\n", file=out)


def write_report(path: Path, document: dict[str, object]) -> str | None:
    """Write the JSON report; the error, or None."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as error:
        return f"cannot write the report {str(path)!r}: {error.strerror or error}"
    return None


def report(args: argparse.Namespace, found: int, outcomes: list[Outcome]) -> dict[str, object]:
    entries = []
    for outcome in outcomes:
        fields = asdict(outcome.result.extraction)
        fields["reasons"] = list(fields["reasons"])
        entries.append(
            {
                **fields,
                "status": outcome.status,
                "output": outcome.output,
                "detail": outcome.detail,
            }
        )
    return {
        "schema": REPORT_SCHEMA,
        "transformers_registry": registry_index().transformers_version,
        "input_dir": str(args.input_dir),
        "output_dir": str(args.output_dir),
        "pattern": args.pattern,
        "files_found": found,
        "limit": args.limit,
        "mode": "check" if args.check else "dry-run" if args.dry_run else "write",
        "summary": dict(sorted(Counter(o.status for o in outcomes).items())),
        "files": entries,
    }


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = sys.stdout if out is None else out
    if not args.input_dir.is_dir():
        print(f"modelgate convert: no input directory {str(args.input_dir)!r}", file=sys.stderr)
        return 1
    if files.inside(args.input_dir, args.output_dir.resolve()):
        print(
            f"modelgate convert: input directory {str(args.input_dir)!r} lies inside the "
            f"output directory {str(args.output_dir)!r}, which is never read",
            file=sys.stderr,
        )
        return 2
    problem = None if args.report is None else paths.file_problem(args.report, "--report")
    if problem is not None:
        print(f"modelgate convert: {problem}", file=sys.stderr)
        return 2
    sources = files.discover(args.input_dir, args.output_dir, args.pattern)
    found = len(sources)
    sources = sources[: args.limit] if args.limit is not None else sources
    if not args.quiet:
        header(args, found, out)
    marks = marks_for(out)
    outcomes: list[Outcome] = []
    output_dir = files.OutputDir(args.output_dir)
    claimed: dict[str, str] = {}
    try:
        for i, result in enumerate(results(args.input_dir, sources, args.jobs), 1):
            status, output, detail = settle(result, args, output_dir, claimed)
            outcome = Outcome(result.extraction.source, status, output, detail, result)
            outcomes.append(outcome)
            if not args.quiet or status in FAILURE:
                print(log_line(i, len(sources), outcome, marks), file=out, flush=True)
    except BrokenProcessPool:
        print(
            f"modelgate convert: a worker process died after {len(outcomes)} files; "
            "the outputs written so far are kept (rerun with --jobs 1 to see which file)",
            file=sys.stderr,
        )
        return 1
    footer(outcomes, out, quiet=args.quiet)
    error = (
        None if args.report is None else write_report(args.report, report(args, found, outcomes))
    )
    if error is not None:
        print(f"modelgate convert: {error}", file=sys.stderr)
    return 1 if error is not None or any(o.status in FAILURE for o in outcomes) else 0
