"""Finding legacy files and writing converted ones, never outside the output folder."""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path


class UnsafePathError(ValueError):
    """An output path would leave the output folder or replace something not a plain file."""


def discover(input_dir: Path, output_dir: Path, pattern: str) -> list[str]:
    """Files under ``input_dir`` matching ``pattern``, as sorted ``/``-separated relative paths.

    The output folder, hidden folders and ``__pycache__`` are not entered, and a file that
    resolves into the output folder (through a link) is left out: the converter never reads
    its own output.
    """
    root = input_dir.resolve()
    out = output_dir.resolve()
    found = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and d != "__pycache__" and not inside(here / d, out)
        )
        for name in sorted(names):
            path = here / name
            if not fnmatch.fnmatchcase(name, pattern) or not path.is_file():
                continue
            # Only a link can lead a file found here into the output folder (os.walk does not
            # follow linked folders), so only links are resolved.
            if not (path.is_symlink() and inside(path, out)):
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def inside(path: Path, folder: Path) -> bool:
    """True when ``path`` resolves to ``folder`` (already resolved) or below it."""
    resolved = path.resolve()
    return resolved == folder or folder in resolved.parents


def output_relpath(source: str, filename: str) -> str:
    """Where the output of ``source`` goes, relative to the output folder: the same subfolder
    (each part made safe: no ``..``, no separators), under ``filename``."""
    parts = [_safe_part(p) for p in source.split("/")[:-1]]
    return "/".join([*parts, filename])


# Every output folder is a package, so that pytest's default import mode names each converted
# module by its folders: two legacy folders that both hold ``test_hf_bert.py`` then give two
# modules that collect side by side instead of an "import file mismatch".
PACKAGE_FILE = "__init__.py"
PACKAGE_TEXT = '"""Model tests converted by ``modelgate convert`` (a package: see its docs)."""\n'


def package_relpaths(output: str) -> list[str]:
    """The ``__init__.py`` files an output at ``output`` needs: one in the output folder and
    one in each subfolder down to its own, outermost first."""
    folders = output.split("/")[:-1]
    return ["/".join([*folders[:depth], PACKAGE_FILE]) for depth in range(len(folders) + 1)]


def _safe_part(part: str) -> str:
    cleaned = re.sub(r"[^\w.\-]", "_", part, flags=re.ASCII)
    return "_" if cleaned.strip(".") == "" else cleaned


class OutputDir:
    """The output folder of one run: every path in it is checked to stay inside it (resolved
    once per folder: a run writes a thousand files into a handful of folders)."""

    def __init__(self, path: Path) -> None:
        self.shown = str(path)
        self.root = path.resolve()
        self._inside: set[Path] = set()

    def target(self, relpath: str) -> Path:
        """The path of ``relpath``; raises ``UnsafePathError`` outside the folder or where
        something not a plain file (a link, a folder) stands."""
        path = self.root.joinpath(*relpath.split("/"))
        parent = path.parent
        if parent not in self._inside:
            if not inside(parent, self.root) or path.name in ("", ".", ".."):
                raise UnsafePathError(f"{relpath!r} would be written outside {self.shown!r}")
            if parent.is_dir():
                self._inside.add(parent)  # a folder not made yet is checked again once it is
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise UnsafePathError(f"{relpath!r} exists and is not a plain file: not replaced")
        return path

    def read(self, relpath: str) -> bytes | None:
        path = self.target(relpath)
        return path.read_bytes() if path.exists() else None

    def write(self, relpath: str, data: bytes) -> None:
        """Write ``data`` to ``relpath`` atomically (a temporary file, then a replace)."""
        path = self.target(relpath)
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
            path = self.target(relpath)  # again: the folders just made must not lead out
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(temporary, "xb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        finally:
            if temporary.exists():
                temporary.unlink()
