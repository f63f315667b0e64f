"""Whether an output path can be written, asked before any work that would be lost if not."""

from __future__ import annotations

import os
from pathlib import Path


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def file_problem(path: Path, name: str) -> str | None:
    """Why the file ``path`` (given as ``name``, an option) cannot be written, or None: a
    folder, a read-only file, a file where a folder is needed, or a read-only folder (folders
    it needs can be made)."""
    if path.is_dir():
        return f"{name} {str(path)!r} is a folder, not a file"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{name} {str(path)!r} cannot be written"
    return _folder_problem(path.parent, path, name)


def folder_problem(path: Path, name: str) -> str | None:
    """Why files cannot be written into the folder ``path`` (given as ``name``), or None."""
    if path.exists() and not path.is_dir():
        return f"{name} {str(path)!r} is a file, not a folder"
    return _folder_problem(path, path, name)


def _folder_problem(folder: Path, path: Path, name: str) -> str | None:
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        return f"{name} {str(path)!r} needs a folder where the file {str(existing)!r} is"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{name} {str(path)!r} cannot be written: {str(existing)!r} is read-only"
    return None
