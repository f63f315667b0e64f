"""A model test that hangs or kills its process costs that test only: the run goes on, and
every other model's results and baselines are kept."""

from __future__ import annotations

import json

import pytest
import virtual_clock

LIMIT_S = 4
INI = f"""
[pytest]
model_test_paths = tests
model_test_timeout = {LIMIT_S}
filterwarnings =
    default::pytest_modelgate.PerformanceRegressionWarning
"""

# Twenty models on the virtual clock; m07 hangs (a deadlock), m13 kills its own process.
MODELS = """
import os
import signal
import threading

import pytest
import vclock

HANG, KILL = 7, 13


@pytest.mark.parametrize("index", range(20))
def test_model(model_benchmark, index):
    if index == HANG:
        threading.Event().wait()  # nobody ever sets it
    if index == KILL:
        os.kill(os.getpid(), signal.SIGKILL)
    model_benchmark(f"m{index:02}", vclock.spend, 0.001)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_models.py").write_text(MODELS)
    return pytester


def stored(project: pytest.Pytester) -> list[str]:
    document = json.loads((project.path / "baselines" / "cpu.json").read_text())
    return sorted(document["entries"])


def expected(*missing: int) -> list[str]:
    return [f"m{i:02}" for i in range(20) if i not in missing]


@pytest.mark.parametrize("method", ["signal", "thread"])
def test_a_hung_and_a_killed_test_are_named_and_the_rest_kept_under_xdist(
    project: pytest.Pytester, method: str
) -> None:
    """``signal`` (the default) fails the hung test with its stack and its worker goes on;
    ``thread`` (for a hang in native code, which no signal interrupts) ends the worker, which
    is named and replaced."""
    pytest.importorskip("xdist")
    args = ["--run-model-tests", "-n", "2", "--update-baselines", f"--timeout-method={method}"]
    result = project.runpytest(*args, "--baseline-report=r.json")
    result.assert_outcomes(passed=18, failed=2)
    output = result.stdout.str()
    assert "crashed while running 'tests/test_models.py::test_model[13]'" in output
    if method == "signal":
        assert "threading.Event().wait()  # nobody ever sets it" in output  # where it hung
        assert f"Failed: Timeout (>{LIMIT_S:.1f}s)" in output
    else:
        assert "crashed while running 'tests/test_models.py::test_model[7]'" in output
    assert stored(project) == expected(7, 13)
    report = json.loads((project.path / "r.json").read_text())
    assert len(report["results"]) == 18


def test_a_hung_test_fails_with_its_stack_and_the_run_goes_on(project: pytest.Pytester) -> None:
    result = project.runpytest("--run-model-tests", "--update-baselines", "-k", "not 13")
    result.assert_outcomes(passed=18, failed=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "*threading.Event().wait()  # nobody ever sets it*",
            f"*Failed: Timeout (>{LIMIT_S:.1f}s)*",
            "FAILED tests/test_models.py::test_model[[]7[]] - Failed: Timeout*",
        ]
    )
    assert stored(project) == expected(7, 13)


@pytest.mark.parametrize(
    ("args", "limit"),
    [((), LIMIT_S), (("-o", "model_test_timeout=0"), None), (("--timeout=60",), None)],
)
def test_the_limit_is_the_ini_value_unless_off_or_given_on_the_command_line(
    project: pytest.Pytester, args: tuple[str, ...], limit: float | None
) -> None:
    items, _ = project.inline_genitems("--run-model-tests", *args)
    assert len(items) == 20
    marks = [item.get_closest_marker("timeout") for item in items]
    assert {m.args if m else None for m in marks} == {(limit,) if limit else None}
