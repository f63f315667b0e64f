"""The project's static imports: which files import a given file, directly or through others.

Used for what a recorded map cannot know (a new module, a module no test ran). A module name
is matched against the project's files by its dotted tail, so ``import store`` (a test folder
on ``sys.path``) and ``import pkg.store`` (an installed ``src/`` layout) both find
``src/pkg/store.py``; where a name fits several files, it counts for all of them: the graph
may see more importers than there are, never fewer.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath


def module_parts(path: str) -> tuple[str, ...]:
    """``src/pkg/mod.py`` -> ``("src", "pkg", "mod")``; a package's ``__init__.py`` is the
    package."""
    parts = PurePosixPath(path).with_suffix("").parts
    return parts[:-1] if parts and parts[-1] == "__init__" else parts


def imported_names(source: str | bytes, path: str) -> set[str]:
    """The dotted names ``source`` imports (each with its parent packages, and each
    ``from a import b`` as both ``a`` and ``a.b``); relative imports are made absolute from
    ``path``. A file that does not parse imports nothing that can be read."""
    try:
        tree = ast.parse(source, path)
    except (SyntaxError, ValueError):
        return set()
    package = module_parts(path)
    if not path.endswith("__init__.py"):
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                stem = ".".join((*base, *([node.module] if node.module else [])))
            else:
                stem = node.module or ""
            if stem:
                names.add(stem)
            names.update(f"{stem}.{alias.name}".lstrip(".") for alias in node.names)
    with_parents = set(names)
    for name in names:
        parts = name.split(".")
        with_parents.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return with_parents


class ImportGraph:
    """Who imports whom among the project's Python files (paths relative to the root)."""

    def __init__(self, sources: Mapping[str, str | bytes]) -> None:
        by_tail: dict[str, set[str]] = {}
        for path in sources:
            parts = module_parts(path)
            for start in range(len(parts)):
                by_tail.setdefault(".".join(parts[start:]), set()).add(path)
        self.importers_of: dict[str, set[str]] = {}
        for path, source in sources.items():
            for name in imported_names(source, path):
                for target in by_tail.get(name, ()):
                    if target != path:
                        self.importers_of.setdefault(target, set()).add(path)

    def importers(self, targets: Iterable[str]) -> set[str]:
        """The files that import any of ``targets``, directly or not (``targets`` included)."""
        seen = set(targets)
        todo = list(seen)
        while todo:
            for importer in self.importers_of.get(todo.pop(), ()):
                if importer not in seen:
                    seen.add(importer)
                    todo.append(importer)
        return seen
