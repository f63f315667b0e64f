"""Whether an output path can be written, asked before any work that would be lost if not."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

#: the mode of a new file written by ``replace_file`` (less the umask)
DEFAULT_MODE = 0o644


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


def temp_prefix(path: Path) -> str:
    """The name prefix of ``replace_file``'s temporary files for ``path`` (hidden, beside it)."""
    return f".{path.name}."


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` at once: a temporary file in the same folder, synced, then
    ``os.replace``; a reader sees the old content or the new, never part. The file's mode is
    kept (a new file gets ``DEFAULT_MODE`` less the umask)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = DEFAULT_MODE & ~umask
    fd, temp_name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
