"""``--affected-since REV``: keep (or, with ``--affected-first``, run first) the tests that the
changes since REV can affect, and say what was chosen and why.

Everything runs, and the summary says why, where a selection could miss: no map, a map that
cannot be read or knows none of the tests, or a changed configuration (``select.CONFIGURATION``).
Each process that collects decides for itself, from the same files and the same git state; on
an xdist worker the summary travels to the controller, which prints it.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate.affected import depmap, diff, select
from pytest_modelgate.affected.depmap import DepMapError
from pytest_modelgate.affected.graph import ImportGraph
from pytest_modelgate.affected.select import Selection

WORKEROUTPUT_KEY = "modelgate_affected"


def decide(root: Path, rev: str, map_path: Path, nodeids: Sequence[str]) -> Selection:
    """The selection among ``nodeids`` for the changes since ``rev`` in the project at ``root``;
    ``diff.DiffError`` when git cannot say what changed."""
    changed = diff.changed_since(root, rev)
    if select.configuration(changed):
        return _configured(select.configuration(changed))
    if not map_path.is_file():
        return select.everything(
            f"there is no map of what tests run at {map_path}: record one with --record-deps "
            "(nox -s update-baselines does)"
        )
    try:
        recorded = depmap.load(map_path)
    except DepMapError as error:
        return select.everything(f"{error}")
    if nodeids and not set(nodeids) & set(recorded.tests):
        return select.everything(f"{map_path} knows none of these tests")
    commit = diff.commit_of(root, rev)

    def now(path: str) -> bytes | None:
        file = root / path
        return file.read_bytes() if file.is_file() else None

    change = select.change_of(
        recorded, changed, now=now, before=lambda path: diff.file_at(root, commit, path)
    )
    touched = {depmap.split(dep)[0] for dep in change.units} | change.modules
    if select.configuration(touched):  # changed since the map was recorded
        return _configured(select.configuration(touched))

    @functools.cache
    def graph() -> ImportGraph:  # read only when the change needs it, and once
        python = [p for p in diff.project_files(root) if p.endswith(".py")]
        return ImportGraph({p: data for p in python if (data := now(p)) is not None})

    def importers(targets: Iterable[str]) -> set[str]:
        return graph().importers(targets)

    return select.select(recorded, change, nodeids, importers)


def _configured(files: Sequence[str]) -> Selection:
    return select.everything(f"the configuration changed ({', '.join(files[:3])})")


def summary(rev: str, selection: Selection, chosen: int, rest: int, first: bool) -> str:
    """The line a run with ``--affected-since`` ends with."""
    total = chosen + rest
    if selection.everything is not None:
        return f"--affected-since {rev}: all {total} tests run: {selection.everything}"
    counts = Counter(why.value for why in selection.why.values())
    reasons = ", ".join(f"{why} {count}" for why, count in sorted(counts.items()))
    after = f"the other {rest} ran after them" if first else f"{rest} left out"
    return (
        f"--affected-since {rev}: {chosen} of {total} tests selected"
        f"{f' ({reasons})' if reasons else ''}; {after}"
    )


class Selector:
    """Chooses the tests of this run at collection, as ``-k`` deselects."""

    def __init__(self, root: Path, rev: str, map_path: Path, first: bool) -> None:
        self.root = root
        self.rev = rev
        self.map_path = map_path
        self.first = first
        self.line: str | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        try:
            selection = decide(self.root, self.rev, self.map_path, [i.nodeid for i in items])
        except diff.DiffError as error:
            raise pytest.UsageError(f"--affected-since {self.rev}: {error}") from None
        chosen = [item for item in items if selection.chosen(item.nodeid)]
        rest = [item for item in items if not selection.chosen(item.nodeid)]
        if self.first:
            items[:] = chosen + rest
        elif rest:
            config.hook.pytest_deselected(items=rest)
            items[:] = chosen
        self.line = summary(self.rev, selection, len(chosen), len(rest), self.first)
        workeroutput = getattr(config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WORKEROUTPUT_KEY] = self.line

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any) -> None:
        line = getattr(node, "workeroutput", {}).get(WORKEROUTPUT_KEY)
        if line is not None and self.line is None:
            self.line = line

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.line is not None:
            terminalreporter.write_line(f"modelgate: {self.line}")
