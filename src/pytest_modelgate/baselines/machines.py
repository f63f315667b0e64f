"""Baselines of several machines in one store, and a local store for a machine that has none.

A store (``baselines/``) keeps one machine's baselines in ``<device>.json``, and may keep other
machines' in ``machines/<machine>/<device>.json`` (the CI runner class and a maintainer's
workstation, say). A run looks for each model's baseline in that order and uses the first one
measured on this machine. Where no file has one, the run records its own measurement in the
local store ``.local/<machine>/`` of the same folder, which git never sees (it holds a
``.gitignore`` of ``*``), and compares against it from the next run on: a fresh clone on a new
laptop gets verdicts from its second run, not 1890 ``inconclusive``.

The machine is the CPU model (a GPU is compared through the fingerprint, as versions are);
``MODELGATE_MACHINE`` names it instead, e.g. after a CI runner class.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MACHINE_ENV = "MODELGATE_MACHINE"
MACHINES_DIR = "machines"
LOCAL_DIR = ".local"


def slug(machine: str) -> str:
    """A folder name for ``machine``: ``AMD EPYC 7B13`` → ``amd-epyc-7b13``."""
    return re.sub(r"[^a-z0-9]+", "-", machine.lower()).strip("-") or "unknown"


def of_entry(entry: Mapping[str, Any]) -> str | None:
    """The machine that measured ``entry`` (None for an entry without a fingerprint)."""
    machine = (entry.get("fingerprint") or {}).get("machine")
    return machine if isinstance(machine, str) else None


def measured_here(entry: Mapping[str, Any], machine: str) -> bool:
    """Whether ``entry`` is this machine's: measured on it, or older than fingerprints."""
    return of_entry(entry) in (None, machine)


def committed_folder(store: Path, machine: str) -> Path:
    """Where a store keeps the committed baselines of a machine other than its main one."""
    return store / MACHINES_DIR / slug(machine)


def local_folder(store: Path, machine: str) -> Path:
    """Where a store keeps this machine's uncommitted baselines."""
    return store / LOCAL_DIR / slug(machine)


def search_order(store: Path, machine: str) -> tuple[Path, ...]:
    """The folders a run looks in for this machine's baselines, first match wins."""
    return store, committed_folder(store, machine), local_folder(store, machine)


def main_machine(entries: Mapping[str, Mapping[str, Any]]) -> str | None:
    """The machine that measured most of a file's entries (None: an empty file)."""
    counted = Counter(of_entry(e) for e in entries.values())
    counted.pop(None, None)
    return counted.most_common(1)[0][0] if counted else None


def home(store: Path, main_entries: Mapping[str, Mapping[str, Any]], machine: str) -> Path:
    """Where ``--update-baselines`` writes this machine's baselines: the main file when it
    holds this machine's (or nothing yet), else this machine's folder under ``machines/``."""
    if main_machine(main_entries) in (None, machine):
        return store
    return committed_folder(store, machine)


def git_ignored(folder: Path, why: str) -> Path:
    """Make ``folder`` (and its parents), with a ``.gitignore`` of ``*`` that says ``why``."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text(f"# {why}: never committed\n*\n", encoding="utf-8")
    return folder


def ensure_local(store: Path) -> None:
    """Make the local store's folder, ignored by git, before the first write."""
    git_ignored(store / LOCAL_DIR, "this machine's own baselines")


def this_machine(cpu_model: str) -> str:
    """This machine's name: ``MODELGATE_MACHINE`` when set, else its CPU model."""
    return os.environ.get(MACHINE_ENV, "").strip() or cpu_model
