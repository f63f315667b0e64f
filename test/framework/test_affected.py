"""``--record-deps`` and ``--affected-since`` on a small git project, case by case.

The project: a library ``src/lib`` of two modules, a data file, and tests that use one
function, two, the data file or the other module. Each case records the map at a commit,
changes one thing, and asserts the tests ``--collect-only`` lists (exactly what would run).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

CORE = """
import json
from pathlib import Path

DATA = Path(__file__).parents[2] / "data"


def one():
    return 1


def two():
    return one() + 1


def table():
    return json.loads((DATA / "table.json").read_text())
"""

TESTS = {
    "tests/test_core.py": """
from lib import core


def test_one():
    assert core.one() == 1


def test_two():
    assert core.two() == 2


def test_table():
    assert core.table()["a"] == 1
""",
    "tests/test_other.py": """
from lib import other


def test_three():
    assert other.three() == 3
""",
}

ALL = [
    "tests/test_core.py::test_one",
    "tests/test_core.py::test_two",
    "tests/test_core.py::test_table",
    "tests/test_other.py::test_three",
]
MAP = Path("baselines", "test-deps.json")


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The project, its map recorded and committed: a clean tree at HEAD."""
    write(
        pytester.path,
        {
            "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
            "src/lib/__init__.py": "",
            "src/lib/core.py": CORE,
            "src/lib/other.py": "def three():\n    return 3\n",
            "data/table.json": '{"a": 1}\n',
            "README.md": "a project\n",
            **TESTS,
        },
    )
    git(pytester.path, "init", "-q")
    git(pytester.path, "add", "-A")
    git(pytester.path, "commit", "-qm", "project")
    result = pytester.runpytest("-p", "no:cacheprovider", "--record-deps")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([f"modelgate: recorded what 4 tests ran into *{MAP}"])
    git(pytester.path, "add", "-A")
    git(pytester.path, "commit", "-qm", "map")
    return pytester


def selected(pytester: pytest.Pytester, *args: str) -> tuple[list[str], str]:
    """The test ids a run would run (``--collect-only -q``), and its modelgate line."""
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--affected-since", "HEAD", "--collect-only", "-q", *args
    )
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), result.stdout
    ids = [line for line in result.outlines if "::" in line and not line.startswith("modelgate")]
    (line,) = [line for line in result.outlines if line.startswith("modelgate: --affected")]
    return ids, line


def deps_by_test(document: dict[str, Any]) -> dict[str, list[str]]:
    """Each test's dependencies by name, from the map's JSON."""
    names = document["deps"]
    return {
        test: [names[key] for key in group["deps"].split()]
        for group in document["groups"]
        for test in group["tests"]
    }


def edit(pytester: pytest.Pytester, name: str, old: str, new: str) -> None:
    path = pytester.path / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_map_is_sorted_grouped_and_names_each_function(project: pytest.Pytester) -> None:
    document = json.loads((project.path / MAP).read_text())
    assert document["commit"] == git(project.path, "rev-parse", "HEAD~1").strip()
    assert sorted(document["files"]["src/lib/core.py"]) == ["<module>", "one", "table", "two"]
    assert "data/table.json" in document["files"]
    tests = deps_by_test(document)
    assert sorted(tests) == sorted(ALL)
    assert "src/lib/core.py::one" in tests["tests/test_core.py::test_two"]
    assert "src/lib/core.py::two" not in tests["tests/test_core.py::test_one"]
    assert "data/table.json::<file>" in tests["tests/test_core.py::test_table"]
    assert [g["tests"][0] for g in document["groups"]] == sorted(
        g["tests"][0] for g in document["groups"]
    )


def test_nothing_is_selected_when_nothing_changed(project: pytest.Pytester) -> None:
    ids, line = selected(project)
    assert ids == []
    assert line == "modelgate: --affected-since HEAD: 0 of 4 tests selected; 4 left out"


def test_a_comment_or_a_layout_change_selects_nothing(project: pytest.Pytester) -> None:
    edit(
        project,
        "src/lib/core.py",
        "def one():\n    return 1",
        "def one():  # the unit\n\n    return (1)",
    )
    assert selected(project)[0] == []


def test_a_function_used_by_one_test_selects_that_test(project: pytest.Pytester) -> None:
    edit(project, "src/lib/core.py", "return one() + 1", "return 1 + one()")
    ids, line = selected(project)
    assert ids == ["tests/test_core.py::test_two"]
    assert line.endswith("1 of 4 tests selected (changed function 1); 3 left out")


def test_a_function_used_by_two_tests_selects_both(project: pytest.Pytester) -> None:
    edit(project, "src/lib/core.py", "return 1\n", "return 2 - 1\n")
    assert selected(project)[0] == ALL[:2]


def test_a_changed_module_selects_the_tests_that_use_it(project: pytest.Pytester) -> None:
    edit(
        project,
        "src/lib/core.py",
        'DATA = Path(__file__).parents[2] / "data"',
        'DATA = Path(__file__).parents[2].joinpath("data")',
    )
    assert selected(project)[0] == ALL[:3]


def test_a_data_file_selects_the_test_that_read_it(project: pytest.Pytester) -> None:
    (project.path / "data/table.json").write_text('{"a": 1, "b": 2}\n')
    ids, line = selected(project)
    assert ids == ["tests/test_core.py::test_table"]
    assert "(data file 1)" in line


def test_a_new_test_file_is_selected(project: pytest.Pytester) -> None:
    write(project.path, {"tests/test_new.py": "def test_new():\n    pass\n"})
    ids, line = selected(project)
    assert ids == ["tests/test_new.py::test_new"]
    assert "(new file 1)" in line


def test_a_new_module_selects_the_tests_whose_files_import_it(project: pytest.Pytester) -> None:
    write(project.path, {"src/lib/extra.py": "def four():\n    return 4\n"})
    edit(
        project, "tests/test_other.py", "from lib import other\n", "from lib import extra, other\n"
    )
    assert selected(project)[0] == ["tests/test_other.py::test_three"]


def test_a_changed_test_selects_itself(project: pytest.Pytester) -> None:
    edit(
        project,
        "tests/test_core.py",
        'assert core.table()["a"] == 1',
        'assert core.table()["a"] == 1, "a"',
    )
    assert selected(project)[0] == ["tests/test_core.py::test_table"]


def test_a_file_no_test_reads_selects_nothing(project: pytest.Pytester) -> None:
    (project.path / "README.md").write_text("a project, documented\n")
    assert selected(project)[0] == []


@pytest.mark.parametrize(
    "name", ["pyproject.toml", "conftest.py", "tests/conftest.py", "noxfile.py", "requirements.txt"]
)
def test_a_changed_configuration_runs_everything(project: pytest.Pytester, name: str) -> None:
    path = project.path / name
    path.write_text((path.read_text() if path.exists() else "") + "\n# changed\n")
    ids, line = selected(project)
    assert ids == ALL
    assert (
        line
        == f"modelgate: --affected-since HEAD: all 4 tests run: the configuration changed ({name})"
    )


def test_committed_changes_since_the_revision_count(project: pytest.Pytester) -> None:
    edit(project, "src/lib/other.py", "return 3", "return 4 - 1")
    git(project.path, "commit", "-qam", "other")
    result = project.runpytest("--affected-since", "HEAD~1", "--collect-only", "-q")
    assert [line for line in result.outlines if "::" in line] == ["tests/test_other.py::test_three"]


def test_changes_since_the_map_was_recorded_count_too(project: pytest.Pytester) -> None:
    # the map knows other.py as it was; since HEAD nothing changed, but the map is older
    edit(project, "src/lib/other.py", "return 3", "return 4 - 1")
    git(project.path, "commit", "-qam", "other")
    assert selected(project)[0] == ["tests/test_other.py::test_three"]


def test_without_a_map_everything_runs_and_the_summary_says_why(project: pytest.Pytester) -> None:
    (project.path / MAP).unlink()
    ids, line = selected(project)
    assert ids == ALL
    assert "all 4 tests run: there is no map of what tests run at" in line


def test_a_corrupt_map_runs_everything_and_is_left_untouched(project: pytest.Pytester) -> None:
    group = {"deps": "abc", "tests": ["t"]}
    document = {"schema_version": 1, "commit": None, "files": {}, "deps": {}, "groups": [group]}
    (project.path / MAP).write_text(json.dumps(document))
    before = (project.path / MAP).read_bytes()
    ids, line = selected(project)
    assert ids == ALL
    assert "test-deps.json: not a map of test dependencies: groups[0] depends on 'abc'" in line
    assert (project.path / MAP).read_bytes() == before


def test_affected_first_runs_the_affected_then_the_rest(project: pytest.Pytester) -> None:
    edit(project, "src/lib/other.py", "return 3", "return 4 - 1")
    ids, line = selected(project, "--affected-first")
    assert ids == [ALL[3], *ALL[:3]]
    assert line.endswith("1 of 4 tests selected (changed function 1); the other 3 ran after them")


def test_an_unknown_revision_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--affected-since", "no-such-branch")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--affected-since no-such-branch: git knows no commit 'no-such-branch'*"]
    )


def test_affected_first_alone_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--affected-first")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--affected-first needs --affected-since REV*"])


def test_recording_and_selecting_work_without_xdist(project: pytest.Pytester) -> None:
    (project.path / MAP).unlink()
    recorded = project.runpytest("-p", "no:cacheprovider", "-p", "no:xdist", "--record-deps")
    recorded.assert_outcomes(passed=4)
    assert (project.path / MAP).is_file()
    assert selected(project, "-p", "no:xdist")[0] == []  # the new map knows the tree as it is
    edit(project, "src/lib/other.py", "return 3", "return 4 - 1")
    assert selected(project, "-p", "no:xdist")[0] == ["tests/test_other.py::test_three"]


def test_xdist_workers_record_their_parts_and_select_alike(project: pytest.Pytester) -> None:
    (project.path / MAP).unlink()
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--record-deps")
    result.assert_outcomes(passed=4)
    document = json.loads((project.path / MAP).read_text())
    assert sorted(t for g in document["groups"] for t in g["tests"]) == sorted(ALL)
    git(project.path, "add", "-A")
    git(project.path, "commit", "-qm", "map again")
    edit(project, "src/lib/core.py", "return one() + 1", "return 1 + one()")
    result = project.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--affected-since", "HEAD"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["modelgate: --affected-since HEAD: 1 of 4 tests selected (changed function 1); 3 left out"]
    )


def test_a_subprocess_of_a_test_is_traced_for_that_test(project: pytest.Pytester) -> None:
    write(
        project.path,
        {
            "tests/test_child.py": """
import os, subprocess, sys


def test_child():
    env = {**os.environ, "PYTHONPATH": "src"}
    code = "from lib import other; print(other.three())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.stdout.strip() == "3"
"""
        },
    )
    project.runpytest("-p", "no:cacheprovider", "--record-deps").assert_outcomes(passed=5)
    document = json.loads((project.path / MAP).read_text())
    tests = deps_by_test(document)
    assert "src/lib/other.py::three" in tests["tests/test_child.py::test_child"]


def test_tests_of_one_xdist_group_share_what_they_ran(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        {
            "lib.py": "from functools import cache\n\n\n@cache\ndef built():\n    return 1\n",
            "test_group.py": """
import pytest
import lib


@pytest.mark.xdist_group(name="pair")
@pytest.mark.parametrize("i", [1, 2])
def test_uses_the_cache(i):
    assert lib.built() == 1


def test_alone():
    pass
""",
        },
    )
    pytester.runpytest("-p", "no:cacheprovider", "--record-deps").assert_outcomes(passed=3)
    document = json.loads((pytester.path / MAP).read_text())
    tests = deps_by_test(document)
    for i in (1, 2):  # only the first filled the cache; both depend on it
        assert "lib.py::built" in tests[f"test_group.py::test_uses_the_cache[{i}]"]
    assert "lib.py::built" not in tests["test_group.py::test_alone"]


def test_record_deps_with_cov_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_cov")
    # in a subprocess: pytest-cov starts its tracer before the usage error, and would leave it
    # running in this process (under `coverage run`, the outer one could not stop)
    result = pytester.runpytest_subprocess("--record-deps", "--cov=.")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--record-deps and --cov both trace the run*"])


def test_a_library_names_the_entries_of_a_data_file_a_test_used(pytester: pytest.Pytester) -> None:
    write(
        pytester.path,
        {
            "table.json": '{"bert": 1, "gpt2": 2}',
            "lib.py": """
import json
from functools import cache
from pathlib import Path

from pytest_modelgate import affected

TABLE = Path(__file__).with_name("table.json")


@cache
def table():
    return json.loads(TABLE.read_text())


def entry(name):
    affected.uses(TABLE, name)
    return table().get(name)
""",
            "test_lib.py": """
import pytest
import lib


@pytest.mark.parametrize("name", ["bert", "gpt2"])
def test_entry(name):
    assert lib.entry(name)
""",
        },
    )
    pytester.runpytest("-p", "no:cacheprovider", "--record-deps").assert_outcomes(passed=2)
    document = json.loads((pytester.path / MAP).read_text())
    tests = deps_by_test(document)
    gpt2 = tests["test_lib.py::test_entry[gpt2]"]
    assert "table.json::gpt2" in gpt2 and "table.json::bert" not in gpt2
    assert "table.json::<file>" not in gpt2  # the first test read the file, and filled the cache
    assert sorted(document["files"]["table.json"]) == ["<file>", "bert", "gpt2"]


def test_what_runs_while_paused_is_not_recorded(tmp_path: Path) -> None:
    from pytest_modelgate.affected.record import Recorder

    (tmp_path / "timed.py").write_text(
        "def timed():\n    return 1\n\n\ndef other():\n    return 2\n"
    )
    import importlib.util

    spec = importlib.util.spec_from_file_location("timed", tmp_path / "timed.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    recorder = Recorder(tmp_path)
    recorder.start()
    try:
        spec.loader.exec_module(module)
        recorder._switch("t")
        with recorder.paused():
            module.timed()
        module.other()
        recorder.ran.add("t")
    finally:
        recorded = recorder.recorded()
    assert recorded.tests["t"] == {"timed.py::other"}


def test_baselines_merge_merges_the_shards_maps(project: pytest.Pytester, tmp_path: Path) -> None:
    from pytest_modelgate.cli import main

    whole = json.loads((project.path / MAP).read_text())
    shards = []
    for number, wanted in enumerate((ALL[:2], ALL[2:])):
        folder = tmp_path / f"shard{number}"
        folder.mkdir()
        groups = [{**g, "tests": [t for t in g["tests"] if t in wanted]} for g in whole["groups"]]
        part = {**whole, "groups": [g for g in groups if g["tests"]]}
        (folder / "test-deps.json").write_text(json.dumps(part))
        (folder / "cpu.json").write_text('{"schema_version": 1, "device": "cpu", "entries": {}}')
        shards.append(str(folder))
    target = tmp_path / "merged"
    assert main(["baselines", "merge", *shards, "--into", str(target)]) == 0
    merged = json.loads((target / "test-deps.json").read_text())
    assert merged == whole
