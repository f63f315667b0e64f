"""The units a change is judged by: each function of a Python file and its module-level code;
a data file's whole content, and entries of a JSON object that a test said it used.

A unit is named by its qualified name (``Class.method``; a function nested in another belongs
to the outer one) and fingerprinted by its syntax tree, so a comment or a formatting change
leaves every fingerprint as it was. A ``def``'s header (decorators, signature, defaults) runs
when the module runs, so its lines count as module-level code, and the module's fingerprint
covers them: the body is what a call runs.
"""

from __future__ import annotations

import ast
import bisect
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

#: the name of a file's module-level code among its units
MODULE = "<module>"
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def fingerprint(node: ast.AST) -> str:
    """A short hash of a syntax tree, blind to line numbers, comments and layout."""
    text = ast.dump(node, annotate_fields=False, include_attributes=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _functions(body: list[ast.stmt], prefix: str) -> Iterator[tuple[str, ast.stmt]]:
    """The outermost functions in ``body`` (looking into classes and compound statements)."""
    for node in body:
        if isinstance(node, _FUNCTIONS):
            yield prefix + node.name, node
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node.body, f"{prefix}{node.name}.")
        else:
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    yield from _functions(inner, prefix)


class _Hollow(ast.NodeTransformer):
    """The module with every function's body replaced by ``...``: what its import runs."""

    def _hollow(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        node.body = [ast.Expr(ast.Constant(...))]
        return node

    visit_FunctionDef = _hollow
    visit_AsyncFunctionDef = _hollow


@dataclass(frozen=True)
class Units:
    """The units of one Python source: fingerprints by name, and which lines are whose."""

    fingerprints: Mapping[str, str]
    #: (first line of a body, last line, unit), sorted: the lines of each function's body
    bodies: tuple[tuple[int, int, str], ...]

    def unit_at(self, line: int) -> str:
        """The unit a line belongs to: the function whose body holds it, else ``MODULE``."""
        at = bisect.bisect_right(self.bodies, (line, float("inf"), "")) - 1
        if at >= 0:
            first, last, name = self.bodies[at]
            if first <= line <= last:
                return name
        return MODULE


def units_of(source: str | bytes, filename: str = "<source>") -> Units:
    """The units of ``source``; a ``SyntaxError`` propagates (the caller says what it means)."""
    tree = ast.parse(source, filename)
    nodes: dict[str, list[ast.stmt]] = {}
    bodies: list[tuple[int, int, str]] = []
    for name, node in _functions(tree.body, ""):
        nodes.setdefault(name, []).append(node)
        assert isinstance(node, _FUNCTIONS)
        bodies.append((node.body[0].lineno, node.end_lineno or node.body[-1].lineno, name))
    # a name defined twice (branches, a property's setter) is one unit: both definitions
    prints = {
        name: fingerprint(ast.Module(body=defs, type_ignores=[])) for name, defs in nodes.items()
    }
    prints[MODULE] = fingerprint(_Hollow().visit(tree))
    return Units(prints, tuple(sorted(bodies)))


#: the name of a data file's whole content among its units
FILE = "<file>"


def _data_units(data: bytes, keys: Iterable[str]) -> dict[str, str]:
    """A data file's units: its whole content, and the given top-level entries of a JSON
    object (an entry that is not there has a fingerprint too: it may be added)."""
    prints = {FILE: hashlib.sha256(data).hexdigest()[:16]}
    keys = [key for key in keys if key != FILE]
    if keys:
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            document = None
        table = document if isinstance(document, dict) else {}
        for key in keys:
            text = json.dumps(table.get(key), sort_keys=True)
            prints[key] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return prints


def fingerprints_of(path: str, data: bytes | None, keys: Iterable[str] = ()) -> dict[str, str]:
    """The units of the file ``path`` with content ``data`` (None: the file is gone, no units):
    a Python file's functions and module-level code (one that does not parse has no units, so
    it differs from any state recorded), or a data file's content and ``keys``."""
    if data is None:
        return {}
    if not path.endswith(".py"):
        return _data_units(data, keys)
    try:
        return dict(units_of(data, path).fingerprints)
    except (SyntaxError, ValueError):
        return {}
