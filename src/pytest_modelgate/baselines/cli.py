"""``modelgate baselines import FILE`` and ``modelgate baselines merge STORE... --into PATH``;
``show``, ``diff``, ``prune`` and ``validate`` live in ``commands`` and register here.

``import`` brings the single-file baselines of the upstream gating guide into the store.

That guide kept every model and device in one file: ``{"BERT_cpu": {"inference_time_mean": ...,
"memory_peak_mb": ..., "timestamp": ..., "device": "cpu"}}``. Each usable entry becomes an
``imported`` entry of its device's file (threshold-only comparisons until the next
``--update-baselines`` records samples); anything else is skipped with its reason.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pytest_modelgate.baselines import commands as store_commands
from pytest_modelgate.baselines import store

DEVICE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class Converted:
    """What one guide-format file gives: entries per device, and (key, reason) for what it skips."""

    entries: Mapping[str, Mapping[str, store.Entry]]
    skipped: tuple[tuple[str, str], ...]


def _positive(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _timestamp(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if _positive(value):
        return datetime.fromtimestamp(float(value), timezone.utc).isoformat()  # type: ignore[arg-type]
    return None


def convert_entry(key: str, raw: object) -> tuple[str, str, store.Entry] | str:
    """(model, device, entry) for one guide-format entry, or the reason it cannot be taken."""
    if not isinstance(raw, dict):
        return f"expected an object, got {type(raw).__name__}"
    device = raw.get("device")
    if device is None and "_" in key:
        device = key.rsplit("_", 1)[1]
    if not isinstance(device, str) or not DEVICE_PATTERN.match(store.device_family(device)):
        return f"no usable device (got {device!r})"
    family = store.device_family(device)
    model = key[: -len(device) - 1] if key.endswith(f"_{device}") else key
    if not model:
        return "no model name"
    mean = raw.get("inference_time_mean")
    if not _positive(mean):
        return f"inference_time_mean must be a finite number above zero, got {mean!r}"
    when = _timestamp(raw.get("timestamp"))
    if when is None:
        return f"no usable timestamp (got {raw.get('timestamp')!r})"
    entry: store.Entry = {
        "device": family,
        "timestamp": when,
        "source": "imported",
        "inference_time_mean": float(mean),  # type: ignore[arg-type]
    }
    memory = raw.get("memory_peak_mb")
    if memory is not None:
        if not _positive(memory):
            return f"memory_peak_mb must be a finite number above zero, got {memory!r}"
        entry["memory_peak_mb"] = float(memory)
    return model, family, entry


def convert(document: object) -> Converted:
    """Convert a parsed seed file; raises ValueError when it is not a seed file at all."""
    if not isinstance(document, dict):
        raise ValueError(
            f"expected a JSON object of MODEL_DEVICE keys, got {type(document).__name__}"
        )
    entries: dict[str, dict[str, store.Entry]] = {}
    skipped: list[tuple[str, str]] = []
    for key in sorted(document):
        converted = convert_entry(key, document[key])
        if isinstance(converted, str):
            skipped.append((key, converted))
            continue
        model, device, entry = converted
        if model in entries.get(device, {}):
            skipped.append((key, f"{model} on {device} appears twice; the first is kept"))
            continue
        entries.setdefault(device, {})[model] = entry
    return Converted(entries, tuple(skipped))


def run_import(args: argparse.Namespace) -> int:
    source = Path(args.file)
    folder = Path(args.baselines_dir)
    try:
        document = json.loads(source.read_text("utf-8"), parse_constant=lambda c: math.nan)
        converted = convert(document)
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


def newest(entries: Iterable[store.Entry]) -> store.Entry:
    """Of several measurements of one model, the one taken last (ISO timestamps sort)."""
    return max(entries, key=lambda entry: str(entry.get("timestamp", "")))


def gather(stores: Iterable[Path]) -> tuple[dict[str, dict[str, store.Entry]], list[str]]:
    """Entries per device family from the ``*.json`` files of several stores, the newest
    measurement of a model winning (with the union of every store's history of it), and the
    problems of the files that could not be read."""
    found: dict[str, dict[str, list[store.Entry]]] = {}
    problems: list[str] = []
    for folder in stores:
        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        if not files:
            problems.append(f"{folder}: no baseline files (*.json) found")
        for path in files:
            try:
                entries = store.load(path)
            except store.BaselineFileError as error:
                problems.append(str(error))
                continue
            for model, entry in entries.items():
                found.setdefault(path.stem, {}).setdefault(model, []).append(entry)
    merged = {
        device: {
            model: {**newest(measured), "history": store.merge_history(*measured)}
            for model, measured in models.items()
        }
        for device, models in found.items()
    }
    return merged, problems


def run_merge(args: argparse.Namespace) -> int:
    target = Path(args.into)
    merged, problems = gather(Path(store) for store in args.stores)
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


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``baselines import`` and ``baselines merge`` to the ``modelgate`` command line."""
    parser = subparsers.add_parser("baselines", help="manage performance baselines")
    commands = parser.add_subparsers(dest="baselines_command", metavar="COMMAND", required=True)
    importer = commands.add_parser(
        "import", help="import the gating guide's single-file baselines (MODEL_DEVICE keys)"
    )
    importer.add_argument("file", metavar="FILE", help="the single-file baselines (JSON)")
    importer.add_argument(
        "--baselines-dir",
        default="baselines",
        metavar="PATH",
        help="the store to import into (default: baselines)",
    )
    importer.add_argument(
        "--replace", action="store_true", help="overwrite entries already in the store"
    )
    importer.set_defaults(func=run_import)
    merger = commands.add_parser(
        "merge",
        help="merge the baselines of several shards or machines into one store",
        description="Merge baseline stores (folders of per-device files) into --into, under "
        "its lock, replacing only the models the stores hold; the newest measurement of a "
        "model wins. An unreadable file is reported and left out; the rest are merged.",
    )
    merger.add_argument("stores", nargs="+", metavar="STORE", help="a baselines folder")
    merger.add_argument(
        "--into", default="baselines", metavar="PATH", help="the store to merge into"
    )
    merger.set_defaults(func=run_merge)
    store_commands.register(commands)
