"""``modelgate ab`` end to end, on small git projects of pure-Python callables.

The projects measure on the virtual clock of ``virtual_clock``, so that what is tested (the
right models are named, nothing outside the scratch folders is touched) does not depend on the
machine's load. How small a real slowdown it catches is a benchmark's question
(``bench/ab_scenario.py``).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import virtual_clock

from pytest_modelgate import cli
from pytest_modelgate.baselines import render

BENCH = Path(__file__).resolve().parents[2] / "bench" / "ab_scenario.py"
_spec = importlib.util.spec_from_file_location("ab_scenario", BENCH)
assert _spec is not None and _spec.loader is not None
scenario_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scenario_module)

SLOWED = sorted(scenario_module.SLOWED)
CLOCK = virtual_clock.add_to


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


Run = Callable[..., Done]


@pytest.fixture
def ab(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """``modelgate ab ARGS`` in a project, in this process (its sides are processes of their
    own): the exit status and what it printed."""

    def run(project: Path, *args: str, **env: str) -> Done:
        with monkeypatch.context() as patch:
            patch.chdir(project)
            for name, value in env.items():
                patch.setenv(name, value)
            try:
                code = cli.main(["ab", *args])
            except SystemExit as exit:  # argparse's usage errors
                code = int(exit.code or 0)
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run


def regressions(report: Path) -> list[str]:
    document = json.loads(report.read_text())
    return sorted(r["model"] for r in document["results"] if r["verdict"] == "regression")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder: Path = scenario_module.build(
        tmp_path_factory.mktemp("ab") / "project", 3.0, clock=CLOCK
    )
    return folder


def git_lines(project: Path, *args: str) -> list[str]:
    done = subprocess.run(["git", *args], cwd=project, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def test_ab_names_exactly_the_slowed_callables(project: Path, tmp_path: Path, ab: Run) -> None:
    report, summary = tmp_path / "ab.json", tmp_path / "summary.md"
    args = ("--base", "HEAD~1", "--report", str(report), "--fail-on-regression")
    done = ab(project, *args, GITHUB_STEP_SUMMARY=str(summary))
    assert done.returncode == 1, done.stdout + done.stderr  # regressions, as asked
    assert regressions(report) == SLOWED
    document = json.loads(report.read_text())
    assert render.problem(document) is None  # modelgate report reads it
    assert document["counts"]["regression"] == 2 and len(document["results"]) == 20
    first = document["results"][0]
    assert {"model", "device", "verdict", "metrics"} <= set(first)
    assert document["sides"]["base"]["label"].startswith("HEAD~1 (")
    assert document["sides"]["head"]["label"] == "working tree"
    assert report.with_suffix(".html").read_text().startswith("<!DOCTYPE html>")
    assert "working tree against HEAD~1" in done.stdout
    assert "--fail-on-regression: 2 regression(s)" in done.stdout
    assert summary.read_text().startswith("### Performance A/B: working tree against HEAD~1 (")
    assert "### Test outcomes A/B: working tree against HEAD~1 (" in summary.read_text()
    assert "tests: no test changed its outcome (base: 20 passed; head: 20 passed)" in done.stdout
    # nothing left behind: no baselines written, no worktree, the checkout unchanged
    assert not (project / "baselines").exists()
    assert len(git_lines(project, "worktree", "list")) == 1
    assert git_lines(project, "status", "--porcelain") == []


def test_ab_of_the_same_code_names_nothing(project: Path, tmp_path: Path, ab: Run) -> None:
    report = tmp_path / "aa.json"
    done = ab(project, "--base", "HEAD", "--report", str(report), "--fail-on-regression")
    assert done.returncode == 0, done.stdout + done.stderr
    assert regressions(report) == []


def test_a_flat_project_runs_each_side_from_its_own_checkout(tmp_path: Path, ab: Run) -> None:
    flat = scenario_module.build(tmp_path / "flat", 3.0, layout="flat", clock=CLOCK)
    report = tmp_path / "flat.json"
    done = ab(flat, "--base", "HEAD~1", "--head", "HEAD", "--report", str(report))
    assert done.returncode == 0, done.stdout + done.stderr  # no --fail-on-regression
    assert regressions(report) == SLOWED
    assert json.loads(report.read_text())["sides"]["head"]["label"].startswith("HEAD (")


def test_two_pairs_split_the_tests_between_them(project: Path, tmp_path: Path, ab: Run) -> None:
    pytest.importorskip("pytest_split")
    report = tmp_path / "jobs.json"
    done = ab(project, "--base", "HEAD~1", "--jobs", "2", "--report", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(json.loads(report.read_text())["results"]) == 20
    assert regressions(report) == SLOWED


def wheel(folder: Path, version: str, factor: float) -> None:
    """A one-module wheel ``scen-dep`` whose ``FACTOR`` slows the project's ``op_07``."""
    info = f"scen_dep-{version}.dist-info"
    files = {
        "scen_dep.py": f"FACTOR = {factor}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: scen-dep\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    files[f"{info}/RECORD"] = "".join(f"{name},,\n" for name in [*files, f"{info}/RECORD"])
    with zipfile.ZipFile(folder / f"scen_dep-{version}-py3-none-any.whl", "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)


DEP_TEST = """
import pytest
import vclock
from scen_dep import FACTOR


def make(index):
    cost = (0.0001 + 0.00005 * index) * (FACTOR if index == 7 else 1.0)

    def op(x):
        vclock.spend(cost)

    return op


@pytest.mark.parametrize("index", range(12))
def test_speed(index, model_benchmark):
    model_benchmark(f"op_{index:02d}", make(index), 3)
"""


def test_dependency_sets_are_measured_each_in_its_own_folder(tmp_path: Path, ab: Run) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel(wheels, "1.0", 1.0)
    wheel(wheels, "2.0", 3.0)
    project = tmp_path / "deps"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_speed.py").write_text(DEP_TEST)
    virtual_clock.add_to(project / "tests")
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nmodel_test_paths = ["tests"]\n'
    )
    subprocess.run(["git", "init", "--quiet"], cwd=project, check=True)
    local = f"--no-index --find-links {wheels}"
    report = tmp_path / "deps.json"
    args = ["--base-deps", f"scen-dep==1.0 {local}", "--head-deps", f"scen-dep==2.0 {local}"]
    done = ab(project, *args, "--report", str(report))
    assert done.returncode == 0, done.stdout + done.stderr
    assert regressions(report) == ["op_07"]
    sides = json.loads(report.read_text())["sides"]
    assert "scen-dep==1.0" in sides["base"]["label"] and "scen-dep==2.0" in sides["head"]["label"]
    envs = sorted((project / ".modelgate" / "envs").iterdir())
    assert len(envs) == 2 and all((e / ".complete").exists() for e in envs)
    stamps = [(e / ".complete").stat().st_mtime_ns for e in envs]
    again = ab(project, *args, "--budget", "0")  # no confirming pass: op_07 left undecided
    assert again.returncode == 0, again.stdout + again.stderr
    assert [(e / ".complete").stat().st_mtime_ns for e in envs] == stamps  # installed once
    assert "installing" not in again.stdout
    assert "confirming pass 1" not in again.stdout
    assert "still undecided after 0 confirming pass(es), 0 s of the 0 s budget" in again.stdout


def test_select_runs_only_the_listed_tests_on_both_sides(
    project: Path, tmp_path: Path, ab: Run
) -> None:
    listed = tmp_path / "ids.txt"
    wanted = ["tests/test_speed.py::test_speed[3]", "tests/test_speed.py::test_speed[7]"]
    listed.write_text("\n".join([*wanted, "tests/test_gone.py::test_nothing"]) + "\n")
    report = tmp_path / "ab.json"
    done = ab(project, "--base", "HEAD~1", "--select", str(listed), "--report", str(report))
    assert "the tests listed in" in done.stdout
    assert "tests: no test changed its outcome (base: 2 passed; head: 2 passed)" in done.stdout
    assert len(json.loads(report.read_text())["results"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give --base REV, --base-deps REQS, or both"),
        (("--base", "HEAD", "--select", "no-such-file"), "--select no-such-file: no such file"),
        (("--base", "no-such-rev"), "'no-such-rev' is not a commit"),
        (("--base", "HEAD", "--tolerance", "abc"), "--tolerance: expected a finite number"),
        (("--base", "HEAD", "--jobs", "0"), "--jobs must be at least 1"),
    ],
)
def test_bad_usage_is_exit_2_and_says_what(
    project: Path, args: tuple[str, ...], message: str, ab: Run
) -> None:
    done = ab(project, *args)
    assert done.returncode == 2
    assert message in done.stderr


def test_outside_a_git_checkout_is_a_usage_error(tmp_path: Path, ab: Run) -> None:
    done = ab(tmp_path, "--base", "HEAD")
    assert done.returncode == 2
    assert "not a git repository" in done.stderr


def test_a_side_that_cannot_run_is_reported_with_its_log(project: Path, ab: Run) -> None:
    done = ab(project, "--base", "HEAD", "--", "--no-such-option")
    assert done.returncode == 1
    assert "pass 1, base (HEAD (" in done.stderr and "pytest exited 4" in done.stderr
    assert "unrecognized arguments: --no-such-option" in done.stderr  # the log's end
    assert "nothing was measured on the head side" in done.stderr


# -- what broke: the tests' outcomes compared ------------------------------------------------------

OUTCOMES_BASE = """
import pytest


def test_breaks():
    assert 1 + 1 == 2


def test_fixed():
    assert 1 + 1 == 3, "off by one"


@pytest.mark.xfail(strict=True, reason="not there yet")
def test_strict():
    assert False


def test_steady():
    pass
"""

OUTCOMES_HEAD = """
import pytest


def test_breaks():
    assert 1 + 1 == 3, "now off by one"


def test_fixed():
    assert 1 + 1 == 2


@pytest.mark.xfail(strict=True, reason="not there yet")
def test_strict():
    assert True


def test_steady():
    pass


def test_added():
    pass
"""


def commit_outcome_tests(project: Path) -> Path:
    """Two more commits: the base's tests of ``OUTCOMES_BASE``, then the head's, where one test
    now fails, one now passes and a strict xfail now passes (pytest fails it: XPASS(strict))."""
    tests = project / "tests" / "test_outcomes.py"
    for text, message in ((OUTCOMES_BASE, "base tests"), (OUTCOMES_HEAD, "head tests")):
        tests.write_text(text)
        git_lines(project, "add", ".")
        git_lines(
            project, "-c", "user.name=t", "-c", "user.email=t@x.invalid", "commit", "-qm", message
        )
    return project


@pytest.fixture(scope="module")
def outcomes_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("outcomes") / "project"
    return commit_outcome_tests(scenario_module.build(folder, 1.0, clock=CLOCK))


def changes(report: Path) -> list[tuple[str, str, str | None, str | None]]:
    section = json.loads(report.read_text())["outcomes"]
    return [
        (c["change"], c["test"].split("::")[-1], c["base"], c["head"]) for c in section["changes"]
    ]


def test_ab_names_the_tests_that_broke_and_fails(
    outcomes_project: Path, tmp_path: Path, ab: Run
) -> None:
    report, summary = tmp_path / "ab.json", tmp_path / "summary.md"
    done = ab(
        outcomes_project,
        "--base",
        "HEAD~1",
        "--report",
        str(report),
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert done.returncode == 1, done.stdout + done.stderr  # a test newly fails
    assert "1 test(s) newly failing on the head side" in done.stderr
    assert changes(report) == [
        ("newly_failing", "test_breaks", "passed", "failed"),
        ("xfail_passes", "test_strict", "xfailed", "failed (XPASS(strict))"),
        ("head_only", "test_added", None, "passed"),
        ("newly_passing", "test_fixed", "failed", "passed"),
    ]
    document = json.loads(report.read_text())
    assert render.problem(document) is None
    assert document["outcomes"]["changes"][0]["message"] == "AssertionError: now off by one"
    assert document["counts"]["ok"] == 20  # the models measured as ever
    # the terminal: counts, then each kind, most urgent first, before the verdicts
    out = done.stdout.splitlines()
    start = out.index("working tree against " + document["sides"]["base"]["label"]) + 1
    assert out[start : start + 9] == [
        "tests: 1 newly failing, 1 xfail now passing, 1 only on the head side, 1 newly passing "
        "(base: 22 passed, 1 failed, 1 xfailed; head: 23 passed, 2 failed)",
        "newly failing:",
        "  tests/test_outcomes.py::test_breaks: passed → failed: AssertionError: now off by one",
        "xfail now passing:",
        "  tests/test_outcomes.py::test_strict: xfailed → failed (XPASS(strict)): "
        "[XPASS(strict)] not there yet",
        "only on the head side:",
        "  tests/test_outcomes.py::test_added: - → passed",
        "newly passing:",
        "  tests/test_outcomes.py::test_fixed: failed → passed: AssertionError: off by one",
    ]
    assert out[start + 9] == "baselines: 20 ok"
    page = report.with_suffix(".html").read_text()
    assert '<section id="outcomes"><h2>Tests whose outcome changed: 4</h2>' in page
    assert page.index('data-change="newly_failing"') < page.index('data-change="newly_passing"')
    markdown = summary.read_text()
    assert markdown.startswith("### Test outcomes A/B: working tree against HEAD~1 (")
    assert (
        "| **newly failing** | tests/test_outcomes.py::test_breaks | passed | failed |" in markdown
    )
    assert "### Performance A/B: working tree against HEAD~1 (" in markdown


def test_tests_that_now_pass_alone_do_not_fail_the_ab(
    outcomes_project: Path, tmp_path: Path, ab: Run
) -> None:
    report = tmp_path / "ab.json"
    args = ("--base", "HEAD~1", "--report", str(report), "--", "-k", "not breaks")
    done = ab(outcomes_project, *args)
    assert done.returncode == 0, done.stdout + done.stderr  # listed, not failing
    assert [c[0] for c in changes(report)] == ["xfail_passes", "head_only", "newly_passing"]
    assert "newly failing" not in done.stdout + done.stderr


def test_the_same_tests_on_both_sides_change_nothing(
    outcomes_project: Path, tmp_path: Path, ab: Run
) -> None:
    report = tmp_path / "aa.json"
    done = ab(outcomes_project, "--base", "HEAD", "--report", str(report), "--confirm", "0")
    assert done.returncode == 0, done.stdout + done.stderr  # a test failing on both sides too
    assert changes(report) == []
    assert "tests: no test changed its outcome (base: 23 passed, 2 failed; head: 23 passed, " in (
        done.stdout
    )


# -- progress --------------------------------------------------------------------------------------

PROGRESS_SPEED = """
import pytest
import vclock

SLOWER = {slower}


def make(index):
    cost = 0.0002 * (SLOWER if index == 0 else 1.0)

    def op(x):
        vclock.spend(cost)

    return op


@pytest.mark.parametrize("index", range(3))
def test_speed(index, model_benchmark):
    model_benchmark(f"op_{{index:02d}}", make(index), 3)
"""

#: a test that waits, mid-run, until the A/B has shown a progress line of each side
PROGRESS_WAIT = """
import os
import time
from pathlib import Path


def test_first():
    pass


def test_waits_for_the_progress_lines():
    go = Path(os.environ["AB_PROGRESS_GO"])
    for _ in range(1200):  # a guard against hanging, not a measure: the lines come, or not
        if go.exists():
            return
        time.sleep(0.05)
    raise AssertionError("no progress line of each side came")
"""

PASS_LINES = {
    "start": r"pass (\d) \((first pass|confirming pass \d)\): started: (every test|measuring "
    r"\d+ model\(s\) again), 1 pair of pytest runs side by side",
    "progress": r"pass (\d) \((first pass|confirming pass \d)\), (base|head): \d+/5 tests done "
    r"\(\d+%\), \d+ s",
    "ended": r"pass (\d) \((first pass|confirming pass \d)\), (base|head): ended, \d+ passed"
    r"(, \d+ deselected)? in [\d.]+s",
    "done": r"pass (\d) \((first pass|confirming pass \d)\): done in \d+ s",
}


def progress_project(folder: Path) -> Path:
    """A project of 5 tests: 3 measured (``op_00`` 3x slower at the head), then one that
    waits for the A/B's progress lines."""
    (folder / "tests").mkdir(parents=True)
    virtual_clock.add_to(folder / "tests")
    (folder / "tests" / "test_wait.py").write_text(PROGRESS_WAIT)
    (folder / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nmodel_test_paths = ["tests"]\n'
    )
    git_lines(folder, "init", "--quiet")
    for slower in (1.0, 3.0):
        (folder / "tests" / "test_speed.py").write_text(PROGRESS_SPEED.format(slower=slower))
        git_lines(folder, "add", ".")
        git_lines(folder, "-c", "user.name=t", "-c", "user.email=t@x.invalid", "commit", "-qm", "x")
    return folder


def test_each_pass_says_where_it_is(
    tmp_path: Path, ab: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_modelgate.ab import run as ab_run
    from pytest_modelgate.cli import ab as ab_cli

    project = progress_project(tmp_path / "progress")
    go = tmp_path / "go"
    shown: set[str] = set()
    say = ab_cli._say

    def watched(line: str) -> None:  # lets the waiting test go once each side has shown one
        say(line)
        if match := re.fullmatch(PASS_LINES["progress"], line):
            shown.add(match[3])
            if shown == {"base", "head"}:
                go.touch()

    monkeypatch.setattr(ab_run, "PROGRESS_S", 0.0)  # a line at every tenth: the test's runs
    monkeypatch.setattr(ab_cli, "_say", watched)  # last a second, not minutes
    args = ("--base", "HEAD~1", "--jobs", "1", "--confirm", "1")
    done = ab(project, *args, AB_PROGRESS_GO=str(go))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line.removeprefix("modelgate ab: ") for line in done.stdout.splitlines()]
    kinds: list[tuple[str, str, str]] = []
    for line in lines:
        if line.startswith("pass "):
            kind = next((k for k, p in PASS_LINES.items() if re.fullmatch(p, line)), None)
            assert kind is not None, f"a line of no known shape: {line!r}"
            match = re.fullmatch(PASS_LINES[kind], line)
            assert match is not None
            side = match[3] if kind in ("progress", "ended") else ""
            kinds.append((match[1], kind, side))
    first = [(kind, side) for number, kind, side in kinds if number == "1"]
    assert first[0] == ("start", "") and first[-1] == ("done", "")
    for side in ("base", "head"):
        assert ("progress", side) in first
        assert first.count(("ended", side)) == 1
        ended = first.index(("ended", side))
        assert all(k != ("progress", side) for k in first[ended:])  # none after its end
    second = [(kind, side) for number, kind, side in kinds if number == "2"]
    assert second[0] == ("start", "") and second[-1] == ("done", "")  # op_00 measured again
    assert sorted(second[1:-1]) == [("ended", "base"), ("ended", "head")]  # 1 test: no tenth
    assert "pass 2 (confirming pass 1): started: measuring 1 model(s) again" in done.stdout
