"""The files a change touched, as git sees them: committed since a revision, staged, unstaged
and untracked (not ignored), relative to a folder of the repository."""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path


class DiffError(Exception):
    """git could not answer; the message says what was asked and what git said."""


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except OSError as error:
        raise DiffError(f"git could not run: {error}") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise DiffError(said[-1] if said else f"git {' '.join(args)} failed")
    return done.stdout


def _relative(top: Path, root: Path, names: str) -> set[str]:
    """git's paths (relative to ``top``, the repository) made relative to ``root``."""
    found = set()
    for name in names.split("\0"):
        if name:
            found.add(Path(os.path.relpath(top / name, root)).as_posix())
    return found


@functools.cache
def toplevel(root: Path) -> Path:
    """The repository that holds ``root``; ``DiffError`` when there is none (asked of git once
    per folder: a selection reads one file at the revision per changed file)."""
    return Path(_git(root, "rev-parse", "--show-toplevel").strip())


def commit_of(root: Path, rev: str) -> str:
    """The full commit name of ``rev``; ``DiffError`` naming it when git does not know it."""
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").strip()
    except DiffError:
        raise DiffError(f"git knows no commit {rev!r} in this repository") from None


def head(root: Path) -> str | None:
    """The commit checked out, or None outside git or before the first commit."""
    try:
        return commit_of(root, "HEAD")
    except DiffError:
        return None


def changed_since(root: Path, rev: str) -> set[str]:
    """The files (relative to ``root``) that differ from ``rev``: committed after it, staged,
    unstaged, untracked; deleted and renamed files by their old names too."""
    top = toplevel(root)
    commit = commit_of(root, rev)
    tracked = _git(top, "diff", "--name-only", "--no-renames", "-z", commit, "--")
    untracked = _git(top, "ls-files", "--others", "--exclude-standard", "-z")
    return _relative(top, root, tracked) | _relative(top, root, untracked)


def file_at(root: Path, commit: str, path: str) -> bytes | None:
    """The bytes of ``path`` (relative to ``root``) at ``commit``, or None where it did not
    exist then."""
    top = toplevel(root)
    name = Path(os.path.relpath(root / path, top)).as_posix()
    done = subprocess.run(
        ["git", "show", f"{commit}:{name}"], cwd=top, capture_output=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def project_files(root: Path) -> list[str]:
    """The files of the project under ``root`` that git tracks or would (not ignored)."""
    listed = _git(root, "ls-files", "--cached", "--others", "--exclude-standard", "-z", ".")
    return sorted({name for name in listed.split("\0") if name})
