"""Recording the map (``--record-deps``): what each test ran, on every process that runs tests.

coverage.py traces the project's files and is told where the run is: collecting a test module,
setting up a fixture shared beyond one test, running a test. A test depends on what ran in its
own context, in its module's collection (what its parametrization read) and in the set-up of
the shared fixtures it uses; the tests of one ``xdist_group`` (meant to share a worker, and so
what a cache computed once) depend on what any of them ran, wherever they ran. The project's
data files a test opens are seen through an audit hook, and so are the entries of a data file a
library says a test used (``affected.uses``). A Python process a test starts (pytest in a
subprocess, a command) is traced under the test's name by coverage.py's start-up hook. The
timed samples of a measurement are taken untraced (``paused``), so a recording run's timings
stay true.

On an xdist worker, what it recorded travels to the controller (``workeroutput``), whose
``Writer`` writes the map once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate import affected
from pytest_modelgate.affected import depmap, diff
from pytest_modelgate.affected.depmap import SEPARATOR, DepMap, DepMapError
from pytest_modelgate.affected.units import FILE, Units, fingerprints_of, units_of

WORKEROUTPUT_KEY = "modelgate_deps"
#: the test a child process is traced for (coverage.py's static context there)
CONTEXT_ENV = "MODELGATE_DEPS_CONTEXT"
START_ENV = "COVERAGE_PROCESS_START"
COLLECT, FIXTURE = "collect:", "fixture:"
#: folders under the root that are not the project's own: environments, caches, builds
NOT_PROJECT = frozenset(
    {
        ".git",
        ".nox",
        ".tox",
        ".venv",
        "venv",
        "node_modules",
        "build",
        "dist",
        "htmlcov",
        ".modelgate",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
    }
)
#: files that are code, not data, when a test opens them
CODE_SUFFIXES = (".py", ".pyc", ".pyi", ".pyd", ".so", ".pth")
_WRITES = frozenset("wax+")


def project_path(
    root: Path, path: str | os.PathLike[str], skip: tuple[str, ...] = ()
) -> str | None:
    """``path`` relative to ``root`` (posix), or None when it is not the project's own: outside
    ``root``, in an environment or cache folder, or under one of ``skip`` (relative paths)."""
    relative = os.path.relpath(os.path.abspath(path), root)
    if relative.startswith(".."):
        return None
    relative = relative.replace(os.sep, "/")
    if relative.split("/", 1)[0] in NOT_PROJECT or "/__pycache__/" in relative:
        return None
    if any(relative == folder or relative.startswith(folder + "/") for folder in skip):
        return None
    return relative


def _group_of(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    name = mark.kwargs.get("name", mark.args[0] if mark.args else None)
    return None if name is None else str(name)


def _fixture_key(fixturedef: Any) -> str:
    return f"{FIXTURE}{fixturedef.baseid}{SEPARATOR}{fixturedef.argname}"


def shared_contexts(item: pytest.Item) -> list[str]:
    """The contexts whose code a test depends on beyond its own: its module's collection and
    the set-up of the fixtures it uses that outlive one test."""
    contexts = []
    module = item.getparent(pytest.Module)
    if module is not None:
        contexts.append(COLLECT + module.nodeid)
    info = getattr(item, "_fixtureinfo", None)
    for fixturedefs in getattr(info, "name2fixturedefs", {}).values():
        contexts.extend(_fixture_key(d) for d in fixturedefs if d.scope != "function")
    return contexts


class Recorder:
    """Traces one process's tests (registered on each process that runs tests)."""

    def __init__(self, root: Path, skip: Iterable[Path] = ()) -> None:
        import coverage  # a recording run's own need: plain runs never load it

        self.root = root.resolve()
        self.skip = tuple(
            p for p in (project_path(self.root, folder) for folder in skip) if p is not None
        )
        self.children = Path(tempfile.mkdtemp(prefix="modelgate-deps-"))
        omit = [f"{self.root}/{name}/*" for name in sorted(NOT_PROJECT)] + ["*/site-packages/*"]
        self.rcfile = self.children / "coveragerc"
        self.rcfile.write_text(
            "[run]\n"
            f"data_file = {self.children}/child\n"
            "parallel = True\n"
            f"include = {self.root}/*\n"
            f"omit = {', '.join(omit)}\n"
            f"context = ${{{CONTEXT_ENV}}}\n",
            encoding="utf-8",
        )
        self.cov = coverage.Coverage(
            data_file=None, include=[f"{self.root}/*"], omit=omit, config_file=False
        )
        self.outer: Any = None
        self.context = ""
        self.active = False
        #: data files opened, and entries used, per context
        self.opened: dict[str, set[str]] = {}
        self.used: dict[str, set[tuple[str, str]]] = {}
        #: per test that ran: the contexts it shares, and its xdist_group
        self.shared: dict[str, list[str]] = {}
        self.groups: dict[str, str] = {}
        self.ran: set[str] = set()

    # -- tracing ------------------------------------------------------------------------------

    def start(self) -> None:
        import coverage

        # a coverage already measuring this process (an outer recording, `coverage run`)
        # pauses while the map records: two tracers cannot share one process
        self.outer = coverage.Coverage.current()
        if self.outer is not None:
            self.outer.stop()
        self.cov.start()
        self.active = True
        sys.addaudithook(self._audit)

    def stop(self) -> None:
        if not self.active:
            return
        self.active = False
        self.cov.stop()
        if self.outer is not None:
            self.outer.start()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Run untraced: a measurement's timed samples."""
        if not self.active:
            yield
            return
        self.cov.stop()
        try:
            yield
        finally:
            self.cov.start()

    def _switch(self, context: str) -> None:
        self.context = context
        self.cov.switch_context(context)

    @contextlib.contextmanager
    def _within(self, context: str) -> Iterator[None]:
        previous = self.context
        self._switch(context)
        try:
            yield
        finally:
            self._switch(previous)

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active or (event != "open" and event != affected.DATA_EVENT):
            return
        try:
            if event == "open":
                self._opened(*args[:3])
            else:
                path = project_path(self.root, args[0], self.skip)
                if path is not None:
                    self.used.setdefault(self.context, set()).add((path, str(args[1])))
        except Exception:  # an audit hook must never break the call it watches
            pass

    def _opened(self, path: Any, mode: Any, flags: Any) -> None:
        if isinstance(path, int):
            return
        name = os.fsdecode(path)
        if name.endswith(CODE_SUFFIXES):
            return
        if isinstance(mode, str) and _WRITES & set(mode):
            return
        if mode is None and isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR):
            return
        relative = project_path(self.root, name, self.skip)
        if relative is not None and os.path.isfile(name):
            self.opened.setdefault(self.context, set()).add(relative)

    def _clear_caches(self) -> None:
        """Empty the functools caches of the project's modules, so that what each test module's
        collection computes is traced there, not only in the first one that filled a cache."""
        for module in list(sys.modules.values()):
            origin = getattr(module, "__file__", None)
            if not origin or project_path(self.root, origin) is None:
                continue
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()

    # -- hooks ---------------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, Any]:
        if not isinstance(collector, pytest.Module):
            return (yield)
        self._clear_caches()
        with self._within(COLLECT + collector.nodeid):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any) -> Generator[None, Any, Any]:
        if fixturedef.scope == "function":
            return (yield)
        with self._within(_fixture_key(fixturedef)):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, Any, Any]:
        self.shared[item.nodeid] = shared_contexts(item)
        group = _group_of(item)
        if group is not None:
            self.groups[item.nodeid] = group
        saved = {name: os.environ.get(name) for name in (CONTEXT_ENV, START_ENV)}
        os.environ[CONTEXT_ENV] = item.nodeid
        os.environ[START_ENV] = str(self.rcfile)
        try:
            with self._within(item.nodeid):
                return (yield)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":  # a test skipped before its call ran nothing of its own
            self.ran.add(report.nodeid)

    @pytest.hookimpl
    def pytest_unconfigure(self) -> None:
        self.stop()
        shutil.rmtree(self.children, ignore_errors=True)

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:
            part = depmap.encode(self.recorded()).decode("utf-8")
            workeroutput[WORKEROUTPUT_KEY] = {"map": part, "groups": self.groups}

    # -- the map -------------------------------------------------------------------------------

    def _traced(self) -> Iterator[Any]:
        """This process's coverage data, then each child process's."""
        import coverage

        yield self.cov.get_data()
        for path in sorted(self.children.glob("child.*")):
            data = coverage.CoverageData(basename=str(path))
            with contextlib.suppress(Exception):  # a child killed while writing
                data.read()
                yield data

    def recorded(self) -> DepMap:
        """The map of the tests this process ran (tracing stops)."""
        self.stop()
        deps: dict[str, set[str]] = {}
        files: dict[str, dict[str, str]] = {}
        units: dict[str, Units | None] = {}
        for data in self._traced():
            for measured in data.measured_files():
                path = project_path(self.root, measured)
                if path is None or not path.endswith(".py"):
                    continue
                if path not in units:
                    units[path] = _units_now(self.root / path)
                found = units[path]
                if found is None:
                    continue
                files[path] = dict(found.fingerprints)
                for line, contexts in data.contexts_by_lineno(measured).items():
                    dep = f"{path}{SEPARATOR}{found.unit_at(line)}"
                    for context in contexts:
                        deps.setdefault(context, set()).add(dep)
        keys: dict[str, set[str]] = {}
        for context, opened in self.opened.items():
            for path in opened:
                keys.setdefault(path, set())
                deps.setdefault(context, set()).add(f"{path}{SEPARATOR}{FILE}")
        for context, used in self.used.items():
            for path, key in used:
                keys.setdefault(path, set()).add(key)
                deps.setdefault(context, set()).add(f"{path}{SEPARATOR}{key}")
        for path, wanted in keys.items():
            with contextlib.suppress(OSError):
                files[path] = fingerprints_of(path, (self.root / path).read_bytes(), wanted)
        shutil.rmtree(self.children, ignore_errors=True)
        return DepMap(diff.head(self.root), files, self._tests(deps, files))

    def _tests(
        self, deps: dict[str, set[str]], files: dict[str, dict[str, str]]
    ) -> dict[str, frozenset[str]]:
        tests = {}
        for nodeid in self.ran:
            found = set(deps.get(nodeid, ()))
            for context in self.shared.get(nodeid, ()):
                found |= deps.get(context, set())
            # what files describes: a file that no longer parses is left out
            parts = ((dep, *depmap.split(dep)) for dep in found)
            tests[nodeid] = frozenset(d for d, path, unit in parts if unit in files.get(path, {}))
        return tests


def _units_now(path: Path) -> Units | None:
    try:
        return units_of(path.read_bytes(), str(path))
    except (OSError, SyntaxError, ValueError):
        return None


class Writer:
    """Writes the map at the end of the run, on the process that reports it: what this process
    recorded, or what the xdist workers sent; merged into the map already there when both were
    recorded at one state of the project, else in its place."""

    def __init__(self, path: Path, local: Recorder | None) -> None:
        self.path = path
        self.local = local
        self.parts: list[DepMap] = []
        #: each test's xdist_group: the tests of a group depend on what any of them ran
        self.groups: dict[str, str] = {}
        self.problems: list[str] = []
        self.written: str | None = None

    @pytest.hookimpl(optionalhook=True)  # an xdist hook: the plugin works without xdist
    def pytest_testnodedown(self, node: Any) -> None:
        part = getattr(node, "workeroutput", {}).get(WORKEROUTPUT_KEY)
        if part is not None:
            try:
                self.parts.append(depmap.parse(part["map"].encode("utf-8"), self.path))
            except DepMapError as error:
                self.problems.append(str(error))
            self.groups.update(part["groups"])

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        if self.local is not None and not self.parts:
            self.parts.append(self.local.recorded())
            self.groups.update(self.local.groups)
        try:
            recorded = depmap.united(depmap.merge(self.parts), self.groups)
        except DepMapError as error:
            self.problems.append(f"the workers' maps do not agree: {error}; nothing written")
            return
        if not recorded.tests:
            self.written = f"no test ran its call: {self.path} left as it was"
            return
        try:
            held = depmap.update(self.path, recorded)
        except OSError as error:
            self.problems.append(f"{self.path}: cannot be written ({error.strerror or error})")
            return
        kept = f", and kept the {held} it held of other tests" if held else ""
        self.written = f"recorded what {len(recorded.tests)} tests ran into {self.path}{kept}"

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        for line in ([self.written] if self.written else []) + self.problems:
            terminalreporter.write_line(f"modelgate: {line}")
