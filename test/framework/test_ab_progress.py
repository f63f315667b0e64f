"""What a side of ``modelgate ab`` tells while it runs: its reporter's stream, read as it grows,
for the progress lines of a pass and, afterwards, each test's outcome.

The rule of when a progress line is due takes the time as an argument: these tests hand it
times, never read a clock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_modelgate.ab import judge, run
from pytest_modelgate.ab.run import Shown, Tally
from pytest_modelgate.ab.sides import Side

# -- when a line is due ----------------------------------------------------------------------------

START = Shown(0, 0, 100.0)


@pytest.mark.parametrize(
    ("tally", "now", "shown"),
    [
        (Tally(100, 15, 0), 131.0, Shown(15, 1, 131.0)),  # a tenth further, 31 s on
        (Tally(100, 15, 0), 129.0, None),  # a tenth further, but too soon
        (Tally(100, 9, 0), 500.0, None),  # long enough, but not a tenth further
        (Tally(100, 57, 2), 131.0, Shown(57, 5, 131.0)),  # quick tests: one line per 30 s
        (Tally(100, 100, 0), 500.0, None),  # every test done: the side's end says so
        (Tally(None, 3, 0), 131.0, Shown(3, 0, 131.0)),  # total not known: any further test
        (Tally(None, 0, 0), 131.0, None),
        (Tally(0, 0, 0), 131.0, None),
    ],
)
def test_a_line_is_due_at_a_further_tenth_and_after_the_interval(
    tally: Tally, now: float, shown: Shown | None
) -> None:
    assert run.due(tally, START, now) == shown


def test_a_line_is_due_once_per_tenth() -> None:
    last = Shown(15, 1, 131.0)
    assert run.due(Tally(100, 19, 0), last, 500.0) is None
    assert run.due(Tally(100, 20, 0), last, 500.0) == Shown(20, 2, 500.0)
    assert run.due(Tally(None, 15, 0), Shown(15, 0, 131.0), 500.0) is None  # nothing more done


def test_the_lines_say_how_far_and_what_fails() -> None:
    assert run.progress_line(Tally(20, 12, 1), 41.4) == "12/20 tests done (60%), 1 failing, 41 s"
    assert run.progress_line(Tally(20, 3, 0), 5.0) == "3/20 tests done (15%), 5 s"
    assert run.progress_line(Tally(None, 3, 0), 5.0) == "3 tests done, 5 s"
    assert run.pass_title(1) == "pass 1 (first pass)"
    assert run.pass_title(3) == "pass 3 (confirming pass 2)"


# -- the stream ------------------------------------------------------------------------------------


def line(record: dict[str, object]) -> str:
    return json.dumps(record) + "\n"


def test_a_stream_is_read_as_it_grows_and_a_cut_line_waits(tmp_path: Path) -> None:
    path = tmp_path / "side.jsonl"
    stream = run.Stream(path)
    stream.read()  # not there yet: nothing
    assert (stream.collected, stream.finished) == (None, 0)
    report = {"test": "t::a", "when": "call", "category": "failed", "message": "boom"}
    path.write_text(line({"collected": 2}) + line(report) + line({"finished": "t::a"}) + '{"te')
    stream.read()
    assert (stream.collected, stream.finished, stream.failing) == (2, 1, {"t::a"})
    with path.open("a") as out:
        out.write(
            'st": "t::b", "when": "call", "category": "passed"}\n' + line({"finished": "t::b"})
        )
    stream.read()
    assert stream.finished == 2
    assert [test for test, _ in stream.phases] == ["t::a", "t::b"]  # the cut line, once whole
    other = run.Stream(tmp_path / "other.jsonl")
    assert run.tally_of([stream, other]) == Tally(None, 2, 1)  # one run has not collected
    other.collected = 3
    assert run.tally_of([stream, other]) == Tally(5, 2, 1)


def test_a_side_runs_with_the_reporter_first_on_its_path(tmp_path: Path) -> None:
    side = Side("base", "x", tmp_path, paths=(tmp_path / "src",))
    env = run.side_environ(
        side,
        tmp_path,
        1,
        [],
        None,
        {"PYTHONPATH": "elsewhere"},
        stream=tmp_path / "s.jsonl",
        reporter=tmp_path / "reporter",
    )
    assert env["PYTHONPATH"].split(os.pathsep) == [
        str(tmp_path / "reporter"),
        str(tmp_path / "src"),
        "elsewhere",
    ]
    assert env[run.STREAM_ENV] == str(tmp_path / "s.jsonl")
    command = run.pytest_command(tmp_path, [], group=0, groups=1, durations=None)
    assert command[command.index(run.REPORTER) - 1] == "-p"


# -- the reporter in a real pytest run -------------------------------------------------------------

OUTCOMES_TEST = """
import pytest


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke")


@pytest.fixture
def broken_setup():
    raise RuntimeError("setup broke")


def test_passes():
    pass


def test_fails():
    assert 1 == 2, "one is not two"


def test_setup_errs(broken_setup):
    pass


def test_teardown_errs(broken_teardown):
    pass


def test_skips():
    pytest.skip("not here")


@pytest.mark.xfail(reason="known")
def test_xfails():
    assert False


@pytest.mark.xfail(reason="known")
def test_xpasses():
    pass


@pytest.mark.xfail(strict=True, reason="known, strictly")
def test_strict_xpass():
    pass
"""


@pytest.mark.parametrize("extra", [["-q"], ["-p", "no:terminal"]])  # its words, or pytest's
def test_the_reporter_records_each_tests_outcome_as_pytest_words_it(
    tmp_path: Path, extra: list[str]
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_outcomes.py").write_text(OUTCOMES_TEST)
    (project / "test_broken.py").write_text("import no_such_module\n")
    stream = tmp_path / "side.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": str(run.write_reporter(tmp_path)),
        run.STREAM_ENV: str(stream),
    }
    command = [sys.executable, "-m", "pytest", "-p", run.REPORTER, "-p", "no:cacheprovider"]
    command += ["--continue-on-collection-errors", *extra]
    subprocess.run(command, cwd=project, env=env, capture_output=True, check=False)
    side = run.SideRun(Side("head", "x", project), tmp_path, (1,), (), (stream,))
    found = run.outcomes_of(side)
    prefix = "test_outcomes.py::test_"
    assert {test.removeprefix(prefix): o.label for test, o in found.items()} == {
        "test_broken.py": "error",
        "passes": "passed",
        "fails": "failed",
        "setup_errs": "error",
        "teardown_errs": "error",
        "skips": "skipped",
        "xfails": "xfailed",
        "xpasses": "xpassed",
        "strict_xpass": "failed (XPASS(strict))",
    }
    assert found[prefix + "fails"].message == "AssertionError: one is not two"
    assert found[prefix + "setup_errs"].message == "RuntimeError: setup broke"
    assert found["test_broken.py"].message.startswith("ImportError while importing")
    tally = run.Watch(0.0, [run.Stream(stream)]).read()
    assert tally == Tally(8, 8, 5)  # 8 tests ran; 4 of them and a module failed
    assert judge.tally_outcomes(found)["error"] == 3
