from __future__ import annotations

import json

import pytest

from pytest_modelgate.affected.graph import ImportGraph, imported_names, module_parts
from pytest_modelgate.affected.units import FILE, MODULE, fingerprints_of, units_of

SOURCE = '''"""A module."""
import os

LIMIT = 3


@decorated(LIMIT)
def first(a,
          b=1):
    """Its docstring."""
    return a + b


class Box:
    size = 2

    def get(self):
        def inner():
            return self.size

        return inner()

    @property
    def twice(self):
        return 2 * self.size

    @twice.setter
    def twice(self, value):
        self.size = value / 2
'''


def test_units_are_the_outermost_functions_with_class_paths() -> None:
    units = units_of(SOURCE)
    assert sorted(units.fingerprints) == [MODULE, "Box.get", "Box.twice", "first"]


def test_a_line_belongs_to_the_body_that_holds_it_else_to_the_module() -> None:
    units = units_of(SOURCE)
    lines = SOURCE.splitlines()

    def at(text: str) -> str:
        return units.unit_at(lines.index(text) + 1)

    assert at("    return a + b") == "first"
    assert at("            return self.size") == "Box.get"  # nested: the outer function's
    assert at("        self.size = value / 2") == "Box.twice"
    # a def's header runs when the module runs: module-level code
    assert at("@decorated(LIMIT)") == MODULE
    assert at("def first(a,") == MODULE
    assert at("    size = 2") == MODULE
    assert at("LIMIT = 3") == MODULE


def test_comments_and_layout_leave_every_fingerprint_unchanged() -> None:
    moved = SOURCE.replace("def first(a,\n          b=1):", "def first(a, b=1):  # why\n")
    moved = moved.replace("LIMIT = 3", "# the limit\nLIMIT = (3)")
    assert units_of(moved).fingerprints == units_of(SOURCE).fingerprints


@pytest.mark.parametrize(
    ("old", "new", "changed"),
    [
        ("return a + b", "return b + a", {"first"}),
        ("b=1", "b=2", {"first", MODULE}),  # a default runs at import, and is the function's
        ("LIMIT = 3", "LIMIT = 4", {MODULE}),
        ("return 2 * self.size", "return self.size * 2", {"Box.twice"}),
        ('"""Its docstring."""', '"""Another."""', {"first"}),  # docstrings can be read
    ],
)
def test_a_change_moves_the_fingerprints_of_what_it_changed(
    old: str, new: str, changed: set[str]
) -> None:
    before, after = units_of(SOURCE).fingerprints, units_of(SOURCE.replace(old, new)).fingerprints
    assert {unit for unit in before if before[unit] != after[unit]} == changed


def test_a_data_file_has_its_content_and_the_entries_asked_for() -> None:
    data = json.dumps({"bert": {"x": 1}, "gpt2": {"y": 2}}).encode()
    prints = fingerprints_of("table.json", data, ["bert", "llama", FILE])
    assert sorted(prints) == [FILE, "bert", "llama"]
    changed = json.dumps({"bert": {"x": 1}, "gpt2": {"y": 3}, "llama": 0}).encode()
    again = fingerprints_of("table.json", changed, ["bert", "llama"])
    assert again["bert"] == prints["bert"]
    assert again["llama"] != prints["llama"]  # an entry that appears is a change
    assert again[FILE] != prints[FILE]


def test_a_python_file_that_does_not_parse_or_is_gone_has_no_units() -> None:
    assert fingerprints_of("a.py", b"def (:\n") == {}
    assert fingerprints_of("a.py", None) == {}


def test_imported_names_resolve_relative_imports_and_add_parents() -> None:
    source = "import a.b\nfrom . import sibling\nfrom ..up import thing\n"
    names = imported_names(source, "src/pkg/sub/mod.py")
    assert {"a", "a.b", "src.pkg.sub.sibling", "src.pkg.up", "src.pkg.up.thing"} <= names
    assert module_parts("src/pkg/__init__.py") == ("src", "pkg")


def test_importers_are_found_by_the_dotted_tail_and_transitively() -> None:
    graph = ImportGraph(
        {
            "src/pkg/__init__.py": "",
            "src/pkg/core.py": "X = 1\n",
            "src/pkg/api.py": "from pkg import core\n",
            "tests/test_api.py": "from pkg.api import thing\n",
            "tests/helpers.py": "import os\n",
            "tests/test_other.py": "import helpers\n",
        }
    )
    assert graph.importers(["src/pkg/core.py"]) == {
        "src/pkg/core.py",
        "src/pkg/api.py",
        "tests/test_api.py",
    }
    assert graph.importers(["tests/helpers.py"]) == {"tests/helpers.py", "tests/test_other.py"}
