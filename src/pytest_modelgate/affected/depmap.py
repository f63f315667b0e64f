"""The map of what each test ran, as a file of the repository beside the baselines.

    {"schema_version": 1, "commit": "<commit recorded at, or null>",
     "files": {"src/pkg/mod.py": {"<module>": "<fingerprint>", "func": "...", "Cls.meth": "..."},
               "data/table.json": {"<file>": "<content hash>", "bert": "<entry hash>"}},
     "deps": {"3f9a01c2": "src/pkg/mod.py::func", "b7e4d910": "data/table.json::<file>", ...},
     "groups": [{"deps": "3f9a01c2 b7e4d910 ...", "tests": ["test/test_mod.py::test_func", ...]},
                ...]}

Each file's entry holds the fingerprints of its units as they were recorded (``units``): a
Python file's functions and module-level code, a data file's content and the entries tests
said they used. A dependency is ``path::unit``; ``deps`` names each by a short hash of its name
(the same in every recording, so that a new function changes only the groups that ran it), and
a group lists its dependencies' hashes on one line. Tests that ran the same units share a group.
So the file stays small (a few MB for some 8,500 tests) and every part of it is sorted; it is
written in one ``os.replace``. A file that does not read as such a map is an error naming the
file and what is wrong with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_modelgate import paths

SCHEMA_VERSION = 1
#: the map's file name, in the baselines folder
MAP_NAME = "test-deps.json"
#: a unit's name after its file's path in a dependency
SEPARATOR = "::"

#: a file's fingerprints by unit
FileState = Mapping[str, str]


class DepMapError(Exception):
    """A map that cannot be read or trusted; the message names the file and what is wrong."""


def split(dep: str) -> tuple[str, str]:
    """``path::unit`` -> (path, unit)."""
    path, _, unit = dep.partition(SEPARATOR)
    return path, unit


@dataclass(frozen=True)
class DepMap:
    """What each test ran (``tests``), and the state of each file it ran then (``files``)."""

    commit: str | None
    files: Mapping[str, FileState] = field(default_factory=dict)
    tests: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def users(self) -> dict[str, set[str]]:
        """The tests of each dependency, and of each file (by its path) for any unit of it."""
        found: dict[str, set[str]] = {}
        for test, deps in self.tests.items():
            for dep in deps:
                found.setdefault(dep, set()).add(test)
                found.setdefault(split(dep)[0], set()).add(test)
        return found


def dep_ids(deps: Iterable[str]) -> dict[str, str]:
    """A short id for each dependency, from a hash of its name alone: 8 hex digits, more where
    two of ``deps`` would share one."""
    names = sorted(set(deps))
    digests = {dep: hashlib.sha256(dep.encode("utf-8")).hexdigest() for dep in names}
    size = 8
    while len({digest[:size] for digest in digests.values()}) < len(names):
        size += 2
    return {dep: digest[:size] for dep, digest in digests.items()}


def encode(depmap: DepMap) -> bytes:
    """The map as the sorted JSON of its file."""
    groups: dict[frozenset[str], list[str]] = {}
    for test, deps in depmap.tests.items():
        groups.setdefault(deps, []).append(test)
    ids = dep_ids(dep for deps in groups for dep in deps)
    document = {
        "schema_version": SCHEMA_VERSION,
        "commit": depmap.commit,
        "files": {
            path: dict(sorted(state.items())) for path, state in sorted(depmap.files.items())
        },
        "deps": {ids[dep]: dep for dep in sorted(ids)},
        "groups": sorted(
            (
                {"deps": " ".join(sorted(ids[dep] for dep in deps)), "tests": sorted(tests)}
                for deps, tests in groups.items()
            ),
            key=lambda group: group["tests"][0],
        ),
    }
    return (json.dumps(document, indent=1) + "\n").encode("utf-8")


def _problem(document: Any) -> str | None:
    """What makes ``document`` not a map, or None."""
    if not isinstance(document, dict):
        return "not a JSON object"
    if document.get("schema_version") != SCHEMA_VERSION:
        return f"schema_version is {document.get('schema_version')!r}, not {SCHEMA_VERSION}"
    if not isinstance(document.get("commit"), (str, type(None))):
        return "commit is neither a string nor null"
    files, deps, groups = document.get("files"), document.get("deps"), document.get("groups")
    if not isinstance(files, dict) or not isinstance(deps, dict) or not isinstance(groups, list):
        return "files and deps must be objects, groups a list"
    for path, state in files.items():
        if not isinstance(state, dict) or not all(isinstance(v, str) for v in state.values()):
            return f"files[{path!r}] is not an object of fingerprints"
    for key, dep in deps.items():
        path, unit = split(dep) if isinstance(dep, str) else ("", "")
        if unit not in files.get(path, {}):
            return f"deps[{key!r}] is {dep!r}, which files does not describe"
    for number, group in enumerate(groups):
        tests = group.get("tests") if isinstance(group, dict) else None
        listed = group.get("deps") if isinstance(group, dict) else None
        if not isinstance(listed, str) or not isinstance(tests, list):
            return f"groups[{number}] needs a string 'deps' and a list 'tests'"
        if not all(isinstance(test, str) for test in tests):
            return f"groups[{number}] lists a test that is not a string"
        unknown = next((key for key in listed.split() if key not in deps), None)
        if unknown is not None:
            return f"groups[{number}] depends on {unknown!r}, which deps does not name"
    return None


def parse(data: bytes, path: Path) -> DepMap:
    """The map in ``data`` (read from ``path``); ``DepMapError`` when it is not one."""
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DepMapError(f"{path}: not valid JSON ({error})") from None
    problem = _problem(document)
    if problem is not None:
        raise DepMapError(f"{path}: not a map of test dependencies: {problem}")
    tests: dict[str, frozenset[str]] = {}
    names = document["deps"]
    for group in document["groups"]:
        deps = frozenset(names[key] for key in group["deps"].split())
        for test in group["tests"]:
            tests[test] = tests.get(test, frozenset()) | deps
    return DepMap(document["commit"], document["files"], tests)


def load(path: Path) -> DepMap:
    """The map in the file ``path``; ``DepMapError`` (naming it) when unreadable or invalid."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DepMapError(f"{path}: cannot be read ({error.strerror or error})") from None
    return parse(data, path)


def write(path: Path, depmap: DepMap) -> None:
    """Write the map to ``path`` at once (a reader sees the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    paths.replace_file(path, encode(depmap))


def merge(maps: Iterable[DepMap]) -> DepMap:
    """One map of several (the shards of one run): the union of their tests, a test in more
    than one depending on all it ran in each. Maps recorded at different commits, or that
    disagree on a file, cannot be merged: ``DepMapError`` names the first difference."""
    maps = list(maps)
    if not maps:
        return DepMap(None)
    commits = {m.commit for m in maps}
    if len(commits) > 1:
        listed = ", ".join(sorted(str(c) for c in commits))
        raise DepMapError(f"the maps were recorded at different commits ({listed})")
    files: dict[str, dict[str, str]] = {}
    tests: dict[str, frozenset[str]] = {}
    for depmap in maps:
        for path, state in depmap.files.items():
            known = files.setdefault(path, {})
            if any(known.get(unit, fp) != fp for unit, fp in state.items()):
                raise DepMapError(f"the maps saw {path} in different states: record them at once")
            known.update(state)  # each part may know other entries of a data file
        for test, deps in depmap.tests.items():
            tests[test] = tests.get(test, frozenset()) | deps
    return DepMap(maps[0].commit, files, tests)


def united(depmap: DepMap, groups: Mapping[str, str]) -> DepMap:
    """The map with the tests of each group (``groups``: test -> group) depending on what any
    of them ran: tests that share state (a cache filled by the first) share dependencies."""
    by_group: dict[str, frozenset[str]] = {}
    for test, group in groups.items():
        if test in depmap.tests:
            by_group[group] = by_group.get(group, frozenset()) | depmap.tests[test]
    tests = {
        test: by_group[groups[test]] if test in groups else deps
        for test, deps in depmap.tests.items()
    }
    return DepMap(depmap.commit, depmap.files, tests)


def update(path: Path, recorded: DepMap) -> int:
    """Write ``recorded`` to ``path``: merged into the map there when both were recorded at one
    state of the project (a test recorded again depends on what it ran this time), else in its
    place. The number of tests kept from the map that was there."""
    merged, kept = recorded, 0
    with contextlib.suppress(DepMapError):
        before = load(path)
        others = {t: d for t, d in before.tests.items() if t not in recorded.tests}
        if before.commit == recorded.commit:
            merged = merge([DepMap(before.commit, before.files, others), recorded])
            kept = len(others)
    write(path, merged)
    return kept
