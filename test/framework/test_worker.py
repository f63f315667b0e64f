"""What happens in the test (``baselines/worker.py``), in a whole pytest run: the provisional
verdict of a measurement, a suspect measured again (later by ``model_benchmark``, at once by the
guide's helpers), the ``baseline`` marker's rule and the thread cap of xdist workers."""

from __future__ import annotations

import json
import os

import pytest
import virtual_clock
from baseline_projects import INI, entries


def test_xdist_workers_share_the_cores_and_still_find_a_regression(
    guide: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    guide.runpytest("-n", "2", "--update-baselines").assert_outcomes(passed=3)
    cap = max(1, len(os.sched_getaffinity(0)) // 2)
    stored = entries(guide.path / "baselines")
    assert {e["threads"] for e in stored.values()} == {cap}

    monkeypatch.setenv("SLOW_MODELS", "model_2")
    result = guide.runpytest("-n", "2", "--baseline-report=r.json")
    result.assert_outcomes(passed=2, failed=1)
    report = json.loads((guide.path / "r.json").read_text())
    assert [r["model"] for r in report["results"] if r["verdict"] == "regression"] == ["model_2"]


def test_a_slow_moment_is_not_a_regression(pytester: pytest.Pytester) -> None:
    """A model slow only while measured the first time is measured again and found ok."""
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    pytester.makepyfile(
        """
        import os

        import vclock

        STATE = {"slow": bool(os.environ.get("SLOW_FIRST"))}

        def forward(state):
            vclock.spend(0.001 * (3 if state["slow"] else 1))

        def test_bench(model_benchmark):
            result = model_benchmark("flaky", forward, (STATE,), warmup_runs=0, test_runs=5)
            print("VERDICT", result.verdict)

        def teardown_module():
            STATE["slow"] = False  # the slow moment passes before the second round
        """
    )
    pytester.runpytest("--update-baselines").assert_outcomes(passed=1)
    os.environ["SLOW_FIRST"] = "1"
    try:
        result = pytester.runpytest("-s", "--baseline-report=r.json")
    finally:
        del os.environ["SLOW_FIRST"]
    result.stdout.fnmatch_lines(["*VERDICT regression*"])  # provisional: slow the first time
    report = json.loads((pytester.path / "r.json").read_text())
    time = report["results"][0]["metrics"][0]
    assert report["results"][0]["verdict"] == "ok", time
    assert time["reason"] == "not-confirmed", time


GUIDE_MOMENT_TEST = """
import os

import vclock

from pytest_modelgate import ModelTestUtils, PerformanceTestUtils

SLOW_FIRST = bool(os.environ.get("SLOW_FIRST"))
SLOW_ALWAYS = bool(os.environ.get("SLOW_ALWAYS"))


def test_model(pytest_config):
    state = {"slow": SLOW_FIRST or SLOW_ALWAYS}

    def forward(x):
        vclock.spend(0.001 * (3 if state["slow"] else 1))

    stats = ModelTestUtils.measure_inference_time(forward, 3, warmup_runs=2, test_runs=8)
    state["slow"] = SLOW_ALWAYS  # a slow moment passes; a slow model stays slow
    result = PerformanceTestUtils.check_performance_regression(
        "flaky",
        stats,
        tolerance=pytest_config.baseline_tolerance,
        update_baseline=pytest_config.update_baselines,
    )
    assert not result["regressions"], result["message"]
"""


@pytest.mark.parametrize("xdist", [False, True])
def test_the_guides_helpers_measure_a_suspect_again_before_answering(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist: bool
) -> None:
    """What ``measure_inference_time`` measured stays with the test: a model that looked
    slower is measured again before ``check_performance_regression`` answers."""
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    pytester.makepyfile(test_guide=GUIDE_MOMENT_TEST)
    workers = ["-n", "2"] if xdist else []
    if xdist:
        pytest.importorskip("xdist")
    pytester.runpytest(*workers, "--update-baselines").assert_outcomes(passed=1)

    monkeypatch.setenv("SLOW_FIRST", "1")
    moment = pytester.runpytest(*workers, "--baseline-report=moment.json")
    moment.assert_outcomes(passed=1)
    (result,) = json.loads((pytester.path / "moment.json").read_text())["results"]
    assert result["verdict"] == "ok", result
    assert result["metrics"][0]["reason"] == "not-confirmed", result

    monkeypatch.delenv("SLOW_FIRST")
    monkeypatch.setenv("SLOW_ALWAYS", "1")
    slow = pytester.runpytest(*workers, "--baseline-report=slow.json")
    slow.assert_outcomes(failed=1)
    slow.stdout.fnmatch_lines(["*flaky (cpu): regression*confirmed by 2 re-measurement(s)*"])
    (result,) = json.loads((pytester.path / "slow.json").read_text())["results"]
    assert result["verdict"] == "regression"


def test_a_bad_baseline_marker_is_a_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.baseline(tolerance="lots")
        def test_x(model_benchmark):
            model_benchmark("x", abs, -1)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.baseline on test_*::test_x tolerance*'lots'*"])


DISTURBED_RECORDING_TEST = """
import contextlib
import os

import pytest
import vclock

from pytest_modelgate import ModelTestUtils, PerformanceTestUtils

SLOW = set(os.environ.get("SLOW_MODELS", "").split(","))
DISTURBED = os.environ.get("DISTURBED", "")


@pytest.mark.parametrize("name", [f"m{i}" for i in range(6)])
def test_model(pytest_config, name):
    def forward(x):
        vclock.spend(0.001 * (1.6 if name in SLOW else 1))

    # a busy neighbour slows model and reference alike while this one is measured
    during = vclock.disturbed(1.5) if name == DISTURBED else contextlib.nullcontext()
    with during:
        stats = ModelTestUtils.measure_inference_time(forward, 3, warmup_runs=2, test_runs=8)
    PerformanceTestUtils.check_performance_regression(
        name, stats, update_baseline=pytest_config.update_baselines
    )
"""


@pytest.mark.parametrize("disturbed", ["m0", "m4"])
def test_a_disturbed_recording_is_measured_again_before_it_is_stored(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, disturbed: str
) -> None:
    """A baseline recorded while everything ran slower would veto every later regression (its
    clock says the model did not slow down): the recording is measured again and the least
    disturbed measurement is stored, whether it came first in its process or later."""
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    pytester.makepyfile(test_guide=DISTURBED_RECORDING_TEST)
    monkeypatch.setenv("DISTURBED", disturbed)
    pytester.runpytest("--update-baselines").assert_outcomes(passed=6)
    stored = entries(pytester.path / "baselines")[disturbed]
    reference = sorted(stored["reference_samples"])[len(stored["reference_samples"]) // 2]  # type: ignore[arg-type]
    assert reference < virtual_clock.REFERENCE_S * 1.2  # not the disturbed one

    monkeypatch.delenv("DISTURBED")
    monkeypatch.setenv("SLOW_MODELS", disturbed)
    pytester.runpytest("--baseline-report=r.json").assert_outcomes(passed=6, warnings=1)
    verdicts = {
        r["model"]: r["verdict"]
        for r in json.loads((pytester.path / "r.json").read_text())["results"]
    }
    assert verdicts[disturbed] == "regression", verdicts
