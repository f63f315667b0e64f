"""Where each side of an A/B run runs: a checkout of its revision and an environment.

A revision other than the working tree is checked out in a temporary git worktree (detached, so
no branch is touched), removed afterwards. A side runs in its checkout as its own folder: its
tests import from there, and its ``src/`` (when it has one) comes first on ``PYTHONPATH``, so a
project installed from ``src/`` runs the side's code, not the installed one. A dependency set
(``--base-deps``) is installed with pip into a folder of its own, kept under ``.modelgate/envs/``
for the next A/B with the same requirements, and put before the current environment's
packages: what it names (and the packages those need) comes from there, the rest from the
environment that runs ``modelgate ab``.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_modelgate.baselines import machines

#: the uncommitted state of this project's runs (local baselines, A/B environments)
LOCAL_DIR = ".modelgate"
WORKING_TREE = "working tree"


class SideError(Exception):
    """A side that cannot be prepared; the message says what to fix."""


@dataclass(frozen=True)
class Side:
    """One side of an A/B run: its name, what it is, its folder and its extra import paths."""

    name: str
    label: str
    root: Path
    paths: tuple[Path, ...] = ()
    deps: tuple[str, ...] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)

    def environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """The environment of this side's run: ``base`` with its import paths first."""
        env = {**base, **self.extra_env}
        paths = [str(p) for p in self.paths]
        if env.get("PYTHONPATH"):
            paths.append(env["PYTHONPATH"])
        if paths:
            env["PYTHONPATH"] = os.pathsep.join(paths)
        return env


def git(repo: Path, *args: str) -> str:
    """The output of ``git args`` in ``repo``; raises ``SideError`` with git's own message."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise SideError("git is not installed (modelgate ab needs it for --base)") from None
    if done.returncode != 0:
        raise SideError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout.strip()


def repo_root(folder: Path) -> Path:
    """The top folder of the git checkout holding ``folder``."""
    return Path(git(folder, "rev-parse", "--show-toplevel")).resolve()


def resolve(repo: Path, rev: str) -> str:
    """The commit ``rev`` names, in full; a usage error when it names none."""
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except SideError:
        raise SideError(f"--base/--head {rev!r} is not a commit of {repo}") from None


def add_worktree(repo: Path, commit: str, folder: Path) -> Path:
    """Check ``commit`` out, detached, in the new worktree ``folder``."""
    git(repo, "worktree", "add", "--detach", "--quiet", str(folder), commit)
    return folder


def remove_worktree(repo: Path, folder: Path) -> None:
    """Remove a worktree made by ``add_worktree`` (and git's record of it)."""
    try:
        git(repo, "worktree", "remove", "--force", str(folder))
    except SideError:
        shutil.rmtree(folder, ignore_errors=True)
        git(repo, "worktree", "prune")


def source_paths(root: Path) -> tuple[Path, ...]:
    """A checkout's import path for its own code: ``src/`` when it has one."""
    src = root / "src"
    return (src,) if src.is_dir() else ()


def requirements(text: str | None) -> tuple[str, ...]:
    """``"transformers==5.23.0 tokenizers<1"`` → its requirements (shell-style quoting)."""
    return tuple(shlex.split(text)) if text else ()


def deps_folder(local: Path, reqs: Sequence[str], python: str = sys.version) -> Path:
    """Where a dependency set lives: one folder per requirement list and Python."""
    key = hashlib.sha256("\n".join([python, *reqs]).encode()).hexdigest()[:16]
    return local / "envs" / key


def install_deps(local: Path, reqs: Sequence[str]) -> tuple[Path, bool]:
    """Install ``reqs`` (with what they need) into their own folder, once: the folder, and
    whether it was installed now (False: an earlier A/B installed it)."""
    folder = deps_folder(local, reqs)
    complete = folder / ".complete"
    if complete.exists():
        return folder, False
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(folder)]
    print(f"modelgate ab: installing {' '.join(reqs)} into {folder} ...", flush=True)
    done = subprocess.run([*command, *reqs], check=False)
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise SideError(f"pip could not install {' '.join(reqs)} (exit {done.returncode})")
    complete.write_text("\n".join(reqs) + "\n", encoding="utf-8")
    return folder, True


def ensure_local_dir(root: Path) -> Path:
    """``.modelgate/`` under ``root``, which ignores itself in git."""
    return machines.git_ignored(root / LOCAL_DIR, "local state of pytest-modelgate")
