from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_modelgate.affected import depmap
from pytest_modelgate.affected.depmap import DepMap, DepMapError
from pytest_modelgate.affected.select import Change, Why, change_of, configuration, select
from pytest_modelgate.affected.units import FILE, MODULE, fingerprints_of

LIB = b"def one():\n    return 1\n\n\ndef two():\n    return 2\n"
TABLE = b'{"bert": 1, "gpt2": 2}'


def recorded() -> DepMap:
    return DepMap(
        "abc",
        {
            "lib.py": fingerprints_of("lib.py", LIB),
            "table.json": fingerprints_of("table.json", TABLE, ["bert", "gpt2"]),
        },
        {
            "t.py::test_one": frozenset({"lib.py::one"}),
            "t.py::test_two": frozenset({"lib.py::two", "table.json::gpt2"}),
            "t.py::test_bert": frozenset({"table.json::bert", "table.json::<file>"}),
        },
    )


def files(**changed: bytes | None) -> dict[str, bytes | None]:
    return {
        "lib.py": LIB,
        "table.json": TABLE,
        **{k.replace("_", "."): v for k, v in changed.items()},
    }


def change(now: dict[str, bytes | None], changed: tuple[str, ...] = ()) -> Change:
    return change_of(recorded(), changed, now=now.get, before={"lib.py": LIB}.get)


def chosen(found: Change, nodeids: tuple[str, ...] = ()) -> dict[str, Why]:
    ids = nodeids or tuple(recorded().tests)
    return dict(select(recorded(), found, ids, importers=lambda targets: set(targets)).why)


def test_an_unchanged_tree_changes_nothing() -> None:
    assert not change(files())
    assert chosen(change(files())) == {}


def test_a_function_that_changed_selects_the_tests_that_ran_it() -> None:
    found = change(files(lib_py=LIB.replace(b"return 2", b"return 3")))
    assert found.units == {"lib.py::two"}
    assert chosen(found) == {"t.py::test_two": Why.FUNCTION}


def test_module_level_code_selects_every_test_that_ran_any_of_the_file() -> None:
    found = change(files(lib_py=b"X = 1\n" + LIB))
    assert found.modules == {"lib.py"}
    assert set(chosen(found)) == {"t.py::test_one", "t.py::test_two"}


def test_an_entry_of_a_data_file_selects_only_its_users() -> None:
    found = change(files(table_json=b'{"bert": 1, "gpt2": 3}'))
    assert found.units == {"table.json::gpt2", f"table.json::{FILE}"}
    # test_bert opened the file (it depends on all of it); test_two used gpt2 only
    assert chosen(found) == {"t.py::test_two": Why.DATA, "t.py::test_bert": Why.DATA}


def test_a_gone_file_is_a_change_of_all_it_held() -> None:
    found = change(files(lib_py=None))
    assert found.units == {"lib.py::one", "lib.py::two"}
    assert found.modules == {"lib.py"}


def test_a_test_the_map_does_not_know_is_selected() -> None:
    assert chosen(Change(), ("t.py::test_new",)) == {"t.py::test_new": Why.UNMAPPED}


def test_a_new_python_file_selects_by_its_importers() -> None:
    found = change({**files(), "new.py": b"Y = 2\n"}, changed=("new.py",))
    assert found.unseen == {"new.py"}
    picked = select(recorded(), found, ["new.py::test_x", "t.py::test_one"], lambda t: {*t})
    assert picked.why == {"new.py::test_x": Why.NEW_FILE}


def test_a_change_since_the_revision_counts_even_where_the_map_saw_it_already() -> None:
    # recorded after the change: the map agrees with the tree, the revision does not
    newer = LIB.replace(b"return 1", b"return 10")
    now = {"lib.py": newer, "table.json": TABLE}
    found = change_of(
        DepMap("abc", {"lib.py": fingerprints_of("lib.py", newer)}, recorded().tests),
        ["lib.py"],
        now=now.get,
        before={"lib.py": LIB}.get,
    )
    assert found.units == {"lib.py::one"}


@pytest.mark.parametrize(
    ("path", "configures"),
    [
        ("conftest.py", True),
        ("test/models/conftest.py", True),
        ("pyproject.toml", True),
        ("requirements-dev.txt", True),
        ("noxfile.py", True),
        ("README.md", False),
        ("src/pkg/config.py", False),
    ],
)
def test_configuration_files(path: str, configures: bool) -> None:
    assert configuration([path]) == ([path] if configures else [])


def test_a_map_round_trips_sorted_and_grouped(tmp_path: Path) -> None:
    path = tmp_path / "test-deps.json"
    shared = frozenset({"lib.py::one"})
    depmap.write(
        path, DepMap("abc", {"lib.py": {"one": "1", MODULE: "2"}}, {"b": shared, "a": shared})
    )
    document = json.loads(path.read_text())
    (key,) = document["deps"]
    assert document["deps"] == {key: "lib.py::one"}
    assert document["groups"] == [{"deps": key, "tests": ["a", "b"]}]
    assert list(document["files"]["lib.py"]) == [MODULE, "one"]
    again = depmap.load(path)
    assert again.tests == {"a": shared, "b": shared}
    assert depmap.encode(again) == path.read_bytes()


EMPTY = {"schema_version": 1, "commit": None, "files": {}, "deps": {}, "groups": []}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not valid JSON"),
        ("[]", "not a JSON object"),
        (json.dumps({**EMPTY, "schema_version": 2}), "schema_version is 2, not 1"),
        (json.dumps({**EMPTY, "commit": 3}), "commit is neither a string nor null"),
        (json.dumps({**EMPTY, "files": []}), "files and deps must be objects"),
        (json.dumps({**EMPTY, "files": {"a.py": 1}}), "files['a.py'] is not an object"),
        (json.dumps({**EMPTY, "groups": [{"deps": 1}]}), "groups[0] needs a string 'deps'"),
        (
            json.dumps({**EMPTY, "deps": {"a": "x.py::f"}}),
            "deps['a'] is 'x.py::f', which files does not describe",
        ),
        (
            json.dumps({**EMPTY, "groups": [{"deps": "a", "tests": ["t"]}]}),
            "groups[0] depends on 'a', which deps does not name",
        ),
    ],
)
def test_a_corrupt_map_is_an_error_naming_the_file_and_the_problem(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "test-deps.json"
    path.write_text(text)
    with pytest.raises(DepMapError, match=r"test-deps\.json") as raised:
        depmap.load(path)
    assert problem in str(raised.value)


def test_maps_merge_as_a_union_and_refuse_different_states() -> None:
    a = DepMap("c", {"lib.py": {"one": "1"}}, {"t1": frozenset({"lib.py::one"})})
    b = DepMap("c", {"lib.py": {"one": "1"}}, {"t2": frozenset({"lib.py::one"})})
    assert set(depmap.merge([a, b]).tests) == {"t1", "t2"}
    # parts that used other entries of one data file agree on the entries both know
    c = DepMap("c", {"t.json": {"<file>": "f", "bert": "1"}}, {"t3": frozenset({"t.json::bert"})})
    d = DepMap("c", {"t.json": {"<file>": "f", "gpt2": "2"}}, {"t4": frozenset({"t.json::gpt2"})})
    assert depmap.merge([c, d]).files["t.json"] == {"<file>": "f", "bert": "1", "gpt2": "2"}
    with pytest.raises(DepMapError, match="different commits"):
        depmap.merge([a, DepMap("d", {}, {})])
    with pytest.raises(DepMapError, match=r"lib\.py in different states"):
        depmap.merge([a, DepMap("c", {"lib.py": {"one": "2"}}, {})])


def test_united_gives_a_group_what_any_of_its_tests_ran() -> None:
    united = depmap.united(
        DepMap(None, {}, {"a": frozenset({"x"}), "b": frozenset({"y"}), "c": frozenset({"z"})}),
        {"a": "g", "b": "g"},
    )
    assert united.tests == {"a": {"x", "y"}, "b": {"x", "y"}, "c": {"z"}}


def test_a_dependency_keeps_its_id_whatever_else_the_map_holds() -> None:
    alone = depmap.dep_ids(["lib.py::one"])
    assert (
        depmap.dep_ids(["lib.py::one", "lib.py::two", "a.py::<module>"])["lib.py::one"]
        == alone["lib.py::one"]
    )
    assert len(alone["lib.py::one"]) == 8
