"""The baseline store: one JSON file per device, validated on every load, written atomically.

A file is ``<folder>/<device>.json``: ``{"schema_version": 1, "device": ..., "entries": {model:
entry}}``; the JSON Schema ships next to this module. Writes take a lock, re-read the file, merge
only the given entries, write a temporary file in the same folder, fsync it and ``os.replace``
it over the old one: a reader, a concurrent writer or a Ctrl-C sees the old file or the new one,
never half of one. Keys are sorted and the formatting fixed, so equal content is equal bytes
(an update that changes nothing writes nothing).

Each entry also keeps its model's recent figures, ``history``: one small point per measurement
(time, median, normalised median, peak memory, spread, machine, and the setup: versions,
threads and workers), oldest first, at most
``HISTORY_PER_MACHINE`` per machine. A save merges the old and the new entry's points as a set
keyed by timestamp and machine, so saving twice changes nothing and two branches' updates merge
to the same history whichever comes first. The lock is an OS lock on a file in the system's
temporary folder, named for the baseline file's resolved path: never a file in the user's tree
(where ``git status`` would show it), and a leftover one never blocks (the lock is released when
its process dies). Leftover temporary files are removed by the next writer, under the lock.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import platform
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pytest_modelgate import keywords, paths
from pytest_modelgate.affected.depmap import MAP_NAME
from pytest_modelgate.baselines import machines, schema
from pytest_modelgate.baselines.measure import log_spread, normalised_of

SCHEMA_VERSION = 1
LOCK_TIMEOUT_S = 60.0

Entry = dict[str, Any]


class BaselineFileError(Exception):
    """A baseline file that cannot be used; the message names the file and the problem."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


def file_for(folder: Path, device: str) -> Path:
    """The file holding ``device``'s baselines (``cuda:1`` shares ``cuda.json``)."""
    return folder / f"{device_family(device)}.json"


def device_family(device: str) -> str:
    """``cuda:1`` → ``cuda``: baselines are kept per kind of device, not per index."""
    return device.split(":", 1)[0].strip().lower()


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a valid number here")


def parse(data: bytes, path: Path) -> dict[str, Entry]:
    """The entries of a baseline file's bytes; raises ``BaselineFileError`` naming ``path``."""
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError as error:
        raise BaselineFileError(path, f"not UTF-8 text ({error.reason})") from None
    except ValueError as error:
        raise BaselineFileError(path, f"not valid JSON (truncated or corrupt?): {error}") from None
    if isinstance(document, dict) and document.get("schema_version") != SCHEMA_VERSION:
        found = document.get("schema_version", "missing")
        raise BaselineFileError(
            path,
            f"unknown schema_version {found!r} (this pytest-modelgate reads {SCHEMA_VERSION})",
        )
    trouble = schema.problem(document)
    if trouble is not None:
        raise BaselineFileError(path, trouble)
    entries: dict[str, Entry] = document["entries"]
    return entries


def load(path: Path) -> dict[str, Entry]:
    """The entries of the file at ``path`` (none when it does not exist), validated."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise BaselineFileError(path, f"cannot be read: {error.strerror or error}") from None
    return parse(data, path)


def encode(device: str, entries: Mapping[str, Entry]) -> bytes:
    """The stable bytes of a baseline file: sorted keys, one line per entry, final newline.

    One line per model keeps a review diff to the models that changed.
    """
    lines = [
        f"    {json.dumps(name)}: {json.dumps(entries[name], sort_keys=True, allow_nan=False)}"
        for name in sorted(entries)
    ]
    body = ",\n".join(lines)
    entries_text = f"{{\n{body}\n  }}" if lines else "{}"
    return (
        f'{{\n  "device": {json.dumps(device)},\n  "entries": {entries_text},\n'
        f'  "schema_version": {SCHEMA_VERSION}\n}}\n'
    ).encode()


@dataclass(frozen=True)
class SaveResult:
    """What one save did to one file."""

    path: Path
    added: tuple[str, ...]
    replaced: tuple[str, ...]
    written: bool


def save(folder: Path, device: str, updates: Mapping[str, Entry]) -> SaveResult:
    """Merge ``updates`` into ``device``'s file under its lock, atomically; each updated entry
    keeps the union of its old and new history.

    Raises ``BaselineFileError`` when the existing file is unusable (it is left untouched) or
    when the folder cannot be written.
    """
    family = device_family(device)

    def change(entries: dict[str, Entry], path: Path) -> tuple[dict[str, Entry], SaveResult]:
        _check_updates(family, updates, path)
        added = tuple(sorted(k for k in updates if k not in entries))
        replaced = tuple(sorted(k for k in updates if k in entries))
        merged = {**entries}
        for name, update in updates.items():
            merged[name] = with_history(update, entries.get(name))
        return merged, SaveResult(path, added, replaced, written=True)

    return _rewrite(folder, family, change)


@dataclass(frozen=True)
class RemoveResult:
    """What one removal did to one file."""

    path: Path
    removed: tuple[str, ...]
    written: bool


def remove(folder: Path, device: str, names: Iterable[str]) -> RemoveResult:
    """Remove the entries ``names`` from ``device``'s file, under the same lock and atomic
    replace as ``save``; names the file does not hold are ignored."""
    family = device_family(device)
    wanted = set(names)

    def change(entries: dict[str, Entry], path: Path) -> tuple[dict[str, Entry], RemoveResult]:
        removed = tuple(sorted(wanted & set(entries)))
        kept = {k: v for k, v in entries.items() if k not in wanted}
        return kept, RemoveResult(path, removed, written=True)

    return _rewrite(folder, family, change)


Result = TypeVar("Result", SaveResult, RemoveResult)


def _rewrite(
    folder: Path,
    family: str,
    change: Callable[[dict[str, Entry], Path], tuple[dict[str, Entry], Result]],
) -> Result:
    """Apply ``change`` to the entries of ``family``'s file under its lock: re-read, change,
    write atomically, and only when the bytes differ (``written`` is False then)."""
    path = file_for(folder, family)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(path):
            _remove_leftovers(path)
            try:
                old_bytes: bytes | None = path.read_bytes()
            except FileNotFoundError:
                old_bytes = None
            entries = parse(old_bytes, path) if old_bytes is not None else {}
            changed, outcome = change(entries, path)
            new_bytes = encode(family, changed)
            if new_bytes == old_bytes:
                return dataclasses.replace(outcome, written=False)
            paths.replace_file(path, new_bytes)
    except OSError as error:
        raise BaselineFileError(
            path, f"cannot be written: {error.strerror or error}; nothing was changed"
        ) from None
    return outcome


# -- history -----------------------------------------------------------------------------------

#: points kept per model and machine
#: a full-suite update adds ~330 KB of points to a 2000-model store: ten keep it a few MB
HISTORY_PER_MACHINE = 10
HISTORY_DIGITS = 4


def history_point(entry: Mapping[str, Any]) -> Entry:
    """The point an entry adds to its model's history: when, where, and its main figures, to
    ``HISTORY_DIGITS`` significant digits (enough for a trend, and small: 10 points of 2000
    models stay a few megabytes)."""
    median = entry.get("inference_time_median") or entry["inference_time_mean"]
    point: Entry = {"timestamp": entry["timestamp"], "median": _digits(median, HISTORY_DIGITS)}
    for key in ("normalised_median", "memory_peak_mb"):
        if entry.get(key) is not None:
            point[key] = _digits(entry[key], HISTORY_DIGITS)
    samples = entry.get("samples") or ()
    if len(samples) >= 2:
        point["spread"] = _digits(log_spread(samples), 2)
    machine = (entry.get("fingerprint") or {}).get("machine")
    if isinstance(machine, str):
        point["machine"] = machine
    setup = setup_of(entry.get("fingerprint"))
    if setup:
        point["setup"] = setup
    return point


#: what else than the machine must match for two recordings to be pooled (``compare``)
SETUP_FIELDS = ("python", "torch", "transformers", "threads", "workers")


def setup_of(fingerprint: Mapping[str, Any] | None) -> str:
    """A fingerprint's versions and run shape in one short text, ``3.11/2.13.0+cpu/5.25.0/1/2``
    ("" without a fingerprint)."""
    if not fingerprint:
        return ""
    return "/".join(str(fingerprint.get(field, "")) for field in SETUP_FIELDS)


def history_of(entry: Mapping[str, Any]) -> list[Entry]:
    """An entry's history, its own point last (entries written before history existed have
    only that point)."""
    return merge_history(entry)


def merge_history(*entries: Mapping[str, Any] | None) -> list[Entry]:
    """The union of the histories of ``entries`` and of their own points: one point per
    (timestamp, machine), oldest first, the newest ``HISTORY_PER_MACHINE`` of each machine.

    The same in any order of ``entries``: when two points share a key, the greater of their
    JSON texts is kept, so two branches' merges agree."""
    points: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        if entry is None:
            continue
        for point in (*entry.get("history", ()), history_point(entry)):
            key = (str(point["timestamp"]), str(point.get("machine", "")))
            kept = points.get(key)
            if kept is None or _text(point) > _text(kept):
                points[key] = dict(point)
    per_machine: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(points):
        per_machine.setdefault(key[1], []).append(key)
    keep = {key for keys in per_machine.values() for key in keys[-HISTORY_PER_MACHINE:]}
    return [points[key] for key in sorted(keep)]


def with_history(entry: Mapping[str, Any], previous: Mapping[str, Any] | None) -> Entry:
    """``entry`` with the merged history of itself and the entry it replaces."""
    return {**entry, "history": merge_history(previous, entry)}


def _text(point: Mapping[str, Any]) -> str:
    return json.dumps(point, sort_keys=True)


def _check_updates(device: str, updates: Mapping[str, Entry], path: Path) -> None:
    document = {"schema_version": SCHEMA_VERSION, "device": device, "entries": dict(updates)}
    trouble = schema.problem(document)
    if trouble is not None:
        raise BaselineFileError(path, f"refusing to write invalid baselines: {trouble}")


def lock_path(path: Path) -> Path:
    """The lock file of the baseline file ``path``: the same for every process of this machine
    that writes it, whatever folder it was named from, and outside the project."""
    digest = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:24]
    return Path(tempfile.gettempdir(), f"modelgate-{digest}.lock")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import filelock  # only writers need it; keeps the plugin's import cheap

    lock = filelock.FileLock(lock_path(path), timeout=LOCK_TIMEOUT_S, mode=0o666)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise BaselineFileError(
            path, f"still locked by another run after {LOCK_TIMEOUT_S:.0f} s; nothing was changed"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _remove_leftovers(path: Path) -> None:
    """Remove temporary files of ``path`` left by killed writers (we hold the only lock)."""
    for leftover in path.parent.glob(f"{paths.temp_prefix(path)}*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()


TIME_KEYS = (
    "inference_time_mean",
    "inference_time_median",
    "inference_time_min",
    "inference_time_max",
    "inference_time_std",
)
SIGNIFICANT_DIGITS = 6


def make_entry(
    stats: Mapping[str, Any],
    *,
    device: str,
    test: str | None,
    fingerprint: Mapping[str, Any] | None,
    when: str,
) -> Entry:
    """The stored form of checked timing ``stats`` (see ``measure.check_stats``)."""
    entry: Entry = {"device": device, "timestamp": when, "source": "measured"}
    if test is not None:
        entry["test"] = test
    if fingerprint is not None:
        entry["fingerprint"] = dict(fingerprint)
    for key in (*TIME_KEYS, "memory_peak_mb"):
        if stats.get(key) is not None:
            entry[key] = _significant(stats[key])
    for key in ("samples", "cpu_samples", "reference_samples"):
        if stats.get(key):
            entry[key] = [_significant(v) for v in stats[key]]
    if stats.get("clock") in ("cpu", "wall"):
        entry["clock"] = stats["clock"]
    norm = normalised_of(entry)
    if norm:
        entry["normalised_median"] = _significant(statistics.median(norm))
    if "memory_source" in stats:
        entry["memory_source"] = str(stats["memory_source"])
    if stats.get("memory_base_mb") is not None:
        entry["memory_base_mb"] = _significant(stats["memory_base_mb"])
    for key in ("threads", "loops"):
        if key in stats:
            entry[key] = int(stats[key])
    if stats.get("metrics"):
        entry["metrics"] = {str(k): _significant(v) for k, v in stats["metrics"].items()}
    return entry


def _significant(value: float) -> float:
    return _digits(value, SIGNIFICANT_DIGITS)


def _digits(value: float, digits: int) -> float:
    return float(f"{float(value):.{digits}g}")


def timestamp() -> str:
    """Now, in UTC, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


# -- the environment fingerprint ---------------------------------------------------------------

#: fields whose difference makes a comparison inconclusive
COMPARED_FIELDS = ("machine", "gpu", "python", "torch", "transformers", "threads", "workers")


def fingerprint(device: str, threads: int, workers: int) -> dict[str, str | int | None]:
    """Where a measurement was taken: the machine, the versions that matter, threads, workers."""
    gpu = None
    torch = sys.modules.get("torch")
    if torch is not None and device_family(device) == "cuda" and torch.cuda.is_available():
        index = device.split(":", 1)[1] if ":" in device else None
        gpu = str(torch.cuda.get_device_name(int(index) if index else None))
    return {
        "machine": this_machine(),
        "gpu": gpu,
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "torch": _version("torch"),
        "transformers": _version("transformers"),
        "threads": threads,
        "workers": workers,
        "platform": f"{platform.system()}-{platform.machine()}",
    }


def this_machine() -> str:
    """This machine's name in fingerprints: ``MODELGATE_MACHINE``, else the CPU model."""
    return machines.this_machine(_cpu_model())


@cache
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


@cache
def _version(distribution: str) -> str | None:
    from importlib import metadata  # slow to import; only measuring tests need it

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def store_files(folder: Path, device: str | None = None) -> list[Path]:
    """The baseline files of a store: every ``*.json`` (but the map of what tests run, which
    lives beside them), or only ``device``'s."""
    if device is not None:
        path = file_for(folder, device)
        return [path] if path.exists() else []
    found = folder.glob("*.json") if folder.is_dir() else ()
    return sorted(path for path in found if path.name != MAP_NAME)


def read_store(
    folder: Path, device: str | None = None
) -> tuple[dict[str, dict[str, Entry]], list[str]]:
    """Entries per device of a store, and the problems of the files that cannot be used."""
    found: dict[str, dict[str, Entry]] = {}
    problems: list[str] = []
    files = store_files(folder, device)
    if not files:
        where = f" for {device}" if device else ""
        problems.append(f"{folder}: no baseline files{where} (*.json) found")
    for path in files:
        try:
            found[path.stem] = load(path)
        except BaselineFileError as error:
            problems.append(str(error))
    return found, problems


@dataclass
class Reader:
    """The baseline files one process reads (each at most once): for each model, the first
    entry measured on this machine in the store's main file, its ``machines/`` folder or its
    local store (see ``machines``)."""

    folder: Path
    machine: str = dataclasses.field(default_factory=lambda: this_machine())
    loaded: dict[Path, tuple[dict[str, Entry], str | None]] = dataclasses.field(
        default_factory=dict
    )

    def entries(self, path: Path) -> tuple[dict[str, Entry], str | None]:
        """The entries of one file, and its problem (None when usable)."""
        if path not in self.loaded:
            try:
                self.loaded[path] = (load(path), None)
            except BaselineFileError as trouble:
                self.loaded[path] = ({}, str(trouble))
        return self.loaded[path]

    def lookup(self, device: str, model: str) -> tuple[Entry | None, str | None]:
        """This machine's baseline of ``model`` on ``device`` and the problem of a file that
        could not be read on the way (None when all were usable)."""
        for folder in machines.search_order(self.folder, self.machine):
            entries, problem = self.entries(file_for(folder, device))
            if problem is not None:
                return None, problem
            entry = entries.get(model)
            if entry is not None and machines.measured_here(entry, self.machine):
                return entry, None
        return None, None

    def home(self, device: str) -> Path:
        """The folder ``--update-baselines`` writes this machine's ``device`` baselines to."""
        main, _ = self.entries(file_for(self.folder, device))
        return machines.home(self.folder, main, self.machine)


# -- several stores, and what to prune -------------------------------------------------------------


def matches(name: str, pattern: str | None) -> bool:
    """Whether ``-k pattern`` keeps the model ``name`` (see ``keywords``: pytest's meaning)."""
    return keywords.matcher(pattern)(name)


def newest(entries: Iterable[Entry]) -> Entry:
    """Of several measurements of one model, the one taken last (ISO timestamps sort)."""
    return max(entries, key=lambda entry: str(entry.get("timestamp", "")))


def gather(stores: Iterable[Path]) -> tuple[dict[str, dict[str, Entry]], list[str]]:
    """Entries per device family from the ``*.json`` files of several stores, the newest
    measurement of a model winning (with the union of every store's history of it), and the
    problems of the files that could not be read."""
    found: dict[str, dict[str, list[Entry]]] = {}
    problems: list[str] = []
    for folder in stores:
        files = store_files(folder)
        if not files:
            problems.append(f"{folder}: no baseline files (*.json) found")
        for path in files:
            try:
                entries = load(path)
            except BaselineFileError as error:
                problems.append(str(error))
                continue
            for model, entry in entries.items():
                found.setdefault(path.stem, {}).setdefault(model, []).append(entry)
    merged = {
        device: {
            model: {**newest(measured), "history": merge_history(*measured)}
            for model, measured in models.items()
        }
        for device, models in found.items()
    }
    return merged, problems


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
            seen |= {(r["model"], device_family(r["device"])) for r in results}
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}: not a readable baseline report ({error})") from None
    return seen


def stale(
    found: Mapping[str, Mapping[str, Entry]],
    keep: Callable[[str, str], bool],
    pattern: str | None,
) -> dict[str, list[str]]:
    """Per device, the models ``keep`` refuses (among those ``pattern`` selects)."""
    gone = {
        device: sorted(m for m in entries if matches(m, pattern) and not keep(m, device))
        for device, entries in sorted(found.items())
    }
    return {device: models for device, models in gone.items() if models}


def file_problems(path: Path) -> list[str]:
    """Every problem of one baseline file: unreadable, not JSON, schema errors (all of them),
    a device that is not its file's, a history longer than kept."""
    try:
        data = path.read_bytes()
        parse(data, path)
    except OSError as error:
        return [f"cannot be read: {error.strerror or error}"]
    except BaselineFileError as error:
        if "schema at" not in error.problem:
            return [error.problem]
    document = json.loads(data)
    found = schema.problems(document)
    if found or not isinstance(document, dict):
        return found
    if document["device"] != path.stem:
        found.append(f"device {document['device']!r} in a file named {path.name}")
    for model, entry in sorted(document["entries"].items()):
        if device_family(entry["device"]) != document["device"]:
            found.append(f"entries/{model}: device {entry['device']!r} in {path.name}")
        history = entry.get("history")
        if history is not None and history != merge_history(entry):
            found.append(
                f"entries/{model}/history: not the merged, ordered history "
                f"(at most {HISTORY_PER_MACHINE} points per machine, its own point last)"
            )
    return found
