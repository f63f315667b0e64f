"""The decision: which tests a change can affect, given the map of what each test ran.

Pure functions of values: the map, the changed files' contents, the test ids, and who imports
whom. A test is selected when it ran a function whose fingerprint changed or is gone, ran any
code of a file whose module-level code changed (or its file imports such a file), read a data
file that changed, or is unknown to the map. A changed Python file the map never saw (a new
module, one no test ran) selects the tests whose files import it, by the static import graph.
"""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pytest_modelgate.affected.depmap import SEPARATOR, DepMap, split
from pytest_modelgate.affected.units import FILE, MODULE, fingerprints_of

#: files whose change can affect every test: pytest's configuration, the sessions, the pins
CONFIGURATION = (
    "conftest.py",
    "pyproject.toml",
    "pytest.ini",
    "tox.ini",
    "setup.cfg",
    "setup.py",
    "noxfile.py",
    "requirements*.txt",
    "constraints*.txt",
)


class Why(str, enum.Enum):
    """Why a test was selected."""

    FUNCTION = "changed function"
    DATA = "data file"
    NEW_FILE = "new file"
    UNMAPPED = "not in the map"


@dataclass(frozen=True)
class Change:
    """A change as the map sees it."""

    #: ``path::unit`` of the functions whose fingerprint changed, or that are gone
    units: frozenset[str] = frozenset()
    #: files whose module-level code changed (or that are gone)
    modules: frozenset[str] = frozenset()
    #: changed Python files the map does not describe (new, or run by no test)
    unseen: frozenset[str] = frozenset()
    #: changed other files the map does not describe
    unseen_data: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.units or self.modules or self.unseen or self.unseen_data)


def configuration(changed: Iterable[str]) -> list[str]:
    """The changed files that configure every test (``CONFIGURATION``), sorted."""
    return sorted(
        path
        for path in changed
        if any(fnmatch.fnmatch(PurePosixPath(path).name, name) for name in CONFIGURATION)
    )


Read = Callable[[str], "bytes | None"]


def _differing(old: Mapping[str, str], new: Mapping[str, str]) -> set[str]:
    return {unit for unit in old.keys() | new.keys() if old.get(unit) != new.get(unit)}


def change_of(depmap: DepMap, changed: Iterable[str], now: Read, before: Read) -> Change:
    """What changed, for the map: every file it describes, compared unit by unit with the
    state it recorded, and every file in ``changed`` (the diff since the revision asked about)
    compared with its content then (``before``). ``now`` reads a file as it is (None: gone)."""
    units: set[str] = set()
    modules: set[str] = set()
    unseen: set[str] = set()
    unseen_data: set[str] = set()

    def note(path: str, old: Mapping[str, str], new: Mapping[str, str]) -> None:
        for unit in _differing(old, new):
            if unit == MODULE:
                modules.add(path)
            else:
                units.add(f"{path}{SEPARATOR}{unit}")

    for path, state in depmap.files.items():
        note(path, state, fingerprints_of(path, now(path), state))
    for path in changed:
        if path not in depmap.files:
            if now(path) is not None:
                (unseen if path.endswith(".py") else unseen_data).add(path)
            continue
        state = depmap.files[path]
        note(
            path,
            fingerprints_of(path, before(path), state),
            fingerprints_of(path, now(path), state),
        )
    return Change(*(frozenset(found) for found in (units, modules, unseen, unseen_data)))


@dataclass(frozen=True)
class Selection:
    """The tests to run: every one (``everything`` says why), or those in ``why``."""

    everything: str | None = None
    why: Mapping[str, Why] = field(default_factory=dict)

    def chosen(self, nodeid: str) -> bool:
        return self.everything is not None or nodeid in self.why


def everything(reason: str) -> Selection:
    return Selection(everything=reason)


def test_file(nodeid: str) -> str:
    """The file of a test id (relative to the rootdir, as the map's paths are)."""
    return nodeid.split(SEPARATOR, 1)[0]


def select(
    depmap: DepMap,
    change: Change,
    nodeids: Iterable[str],
    importers: Callable[[Iterable[str]], set[str]],
) -> Selection:
    """The tests among ``nodeids`` that ``change`` can affect, each with why; ``importers``
    gives the files that import any of the given ones (the static graph)."""
    users = depmap.users()

    def tests_of(keys: Iterable[str]) -> set[str]:
        return set().union(*(users.get(key, ()) for key in keys))

    code = {dep for dep in change.units if split(dep)[0].endswith(".py")}
    by_function = tests_of(code) | tests_of(change.modules)
    by_data = tests_of(change.units - code)
    if change.unseen_data:  # a new data file, in a folder whose files tests read
        folders = {str(PurePosixPath(path).parent) for path in change.unseen_data}
        read = [f"{p}{SEPARATOR}{FILE}" for p in depmap.files if not p.endswith(".py")]
        by_data |= tests_of(d for d in read if str(PurePosixPath(split(d)[0]).parent) in folders)
    importing_modules = importers(change.modules) if change.modules else set()
    importing_new = importers(change.unseen) if change.unseen else set()
    why: dict[str, Why] = {}
    for nodeid in nodeids:
        path = test_file(nodeid)
        if nodeid in by_function or path in importing_modules:
            why[nodeid] = Why.FUNCTION
        elif nodeid in by_data:
            why[nodeid] = Why.DATA
        elif path in importing_new:
            why[nodeid] = Why.NEW_FILE
        elif nodeid not in depmap.tests:
            why[nodeid] = Why.UNMAPPED
    return Selection(why=why)
