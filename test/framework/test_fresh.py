"""Models a run left undecided, measured again in fresh processes (``baselines/fresh.py``): which
ones, how their verdict is judged on the fresh measurements alone, and a whole run that does it,
on the virtual clock."""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path

import pytest
import virtual_clock
from baseline_projects import INI
from test_ab_judge import TWENTY, entry, ok_time

from pytest_modelgate.baselines import compare, fresh, judge, store


def test_the_scatter_narrows_with_the_processes_pooled_on_each_side() -> None:
    """One process against one recording: the run's scatter as it is. k processes against m
    recordings, in a run whose baselines were of m recordings: sqrt((1/k + 1/m) / (1 + 1/m))
    of it; an A/B run's k passes on both sides, within its first pass's scatter: 1/sqrt(k)."""
    run = compare.Drift(ratio=1.1, spread=0.1, models=100)
    assert compare.narrowed(run, 1, 1).spread == pytest.approx(0.1)
    assert compare.narrowed(run, 4, 4).spread == pytest.approx(0.05)
    three = compare.narrowed(run, 2, 3, 3).spread
    assert three == pytest.approx(0.1 * math.sqrt((1 / 2 + 1 / 3) / (1 + 1 / 3)))
    assert compare.narrowed(run, 2, 3, 3).ratio == 1.1  # the shift itself stays


def regression(change: float) -> compare.Result:
    metric = compare.MetricResult(
        compare.TIME, 1.0, 1.0, change, 20.0, compare.REGRESSION, detectable_percent=25.0
    )
    return compare.Result(f"reg{change:g}", "cpu", compare.REGRESSION, "", (metric,), "t::a")


def noisy(change: float) -> compare.Result:
    metric = compare.MetricResult(
        compare.TIME,
        1.0,
        1.0,
        change,
        20.0,
        compare.INCONCLUSIVE,
        reason=compare.Reason.TOO_NOISY,
        detectable_percent=60.0,
    )
    return compare.Result(f"noisy{change:g}", "cpu", compare.INCONCLUSIVE, "", (metric,), "t::b")


def test_the_undecided_are_regressions_noisy_slowdowns_and_oks_near_the_tolerance() -> None:
    straddling = ok_time(15.0, 45.0)
    straddling = compare.Result(straddling.model, "cpu", compare.OK, "", straddling.metrics, "t::c")
    clear = compare.Result("clear", "cpu", compare.OK, "", ok_time(0.0, 25.0).metrics, "t::d")
    recorded = compare.Result("rec", "cpu", compare.REGRESSION, "", regression(50).metrics, "t::e")
    recorded = dataclasses.replace(recorded, updated=True)
    no_test = compare.Result("free", "cpu", compare.REGRESSION, "", regression(50).metrics)
    found = fresh.undecided([clear, noisy(30), straddling, regression(25), recorded, no_test])
    assert [r.model for r in found] == ["reg25", "noisy30", straddling.model]
    assert len(fresh.undecided([regression(i) for i in range(100)])) == fresh.MAX_MODELS


def records_of(times: dict[str, float]) -> list[judge.Record]:
    return [
        judge.Record(name, "cpu", entry(ms), compare.Rule(), f"test_m.py::test[{name}]")
        for name, ms in times.items()
    ]


def test_a_model_measured_again_is_judged_on_the_fresh_processes_alone() -> None:
    """m05 was 1.5x slower in the run. Fresh processes that measure it as before clear it (the
    run's own figure, which chose it, is left out); fresh processes that measure it 1.5x
    slower confirm the regression; the note says so either way."""
    baselines = {name: entry(ms) for name, ms in TWENTY.items()}

    def lookup(device: str, model: str) -> tuple[store.Entry | None, str | None]:
        return baselines[model], None

    records = records_of({**TWENTY, "m05": TWENTY["m05"] * 1.5})
    key = records[5].key
    before, _ = judge.judge_run(records, lookup, {})
    assert before[5].verdict == compare.REGRESSION

    cleared, _ = judge.judge_run(
        records, lookup, {}, fresh=judge.Fresh({key: [entry(TWENTY["m05"])] * 2})
    )
    confirmed, _ = judge.judge_run(
        records, lookup, {}, fresh=judge.Fresh({key: [entry(TWENTY["m05"] * 1.5)] * 2})
    )
    assert cleared[5].verdict == compare.OK
    assert confirmed[5].verdict == compare.REGRESSION
    note = "measured again in 2 fresh processes (regression, +50% in the run)"
    assert cleared[5].metrics[0].note.startswith(note)
    assert note in confirmed[5].message
    assert [r.verdict for r in cleared[:5]] == [r.verdict for r in before[:5]]


def test_fresh_processes_alone_do_not_make_a_regression_of_what_the_run_found_ok() -> None:
    """m05 +10 % in the run (ok, measured again for its wide band), +50 % in the fresh
    processes: inconclusive, "worse only in the fresh processes", not a regression."""
    baselines = {name: entry(ms) for name, ms in TWENTY.items()}

    def lookup(device: str, model: str) -> tuple[store.Entry | None, str | None]:
        return baselines[model], None

    records = records_of({**TWENTY, "m05": TWENTY["m05"] * 1.1})
    fresh_entries = {records[5].key: [entry(TWENTY["m05"] * 1.5)] * 3}
    before, _ = judge.judge_run(records, lookup, {})
    assert before[5].verdict == compare.OK
    after, _ = judge.judge_run(records, lookup, {}, fresh=judge.Fresh(fresh_entries))
    time = after[5].metrics[0]
    assert after[5].verdict == compare.INCONCLUSIVE
    assert (time.verdict, time.reason) == (compare.INCONCLUSIVE, compare.Reason.FRESH_ONLY)
    assert "worse only in the fresh processes (+50%; within the tolerance in the run, +10%)" in (
        time.note
    )
    assert time.note.startswith("measured again in 3 fresh processes (ok, +10% in the run)")
    assert time.detectable_percent is not None


def test_the_fresh_processes_own_shift_comes_from_their_controls() -> None:
    """Fresh processes that ran everything 1.3x slower than the run (a quieter or busier
    machine): m05, measured there at 1.3x its baseline, is as slow as the controls beside it,
    so ok; judged within the run's shift instead, it would be a regression. Too few controls
    to tell a shift: the run's."""
    baselines = {name: entry(ms) for name, ms in TWENTY.items()}

    def lookup(device: str, model: str) -> tuple[store.Entry | None, str | None]:
        return baselines[model], None

    records = records_of({**TWENTY, "m05": TWENTY["m05"] * 1.5})
    slower = {r.key: [entry(TWENTY[r.model] * 1.3)] * 2 for r in records}
    suspect = {records[5].key: slower.pop(records[5].key)}
    within, _ = judge.judge_run(records, lookup, {}, fresh=judge.Fresh(suspect, slower))
    assert within[5].verdict == compare.OK
    few = dict(list(slower.items())[:3])
    alone, _ = judge.judge_run(records, lookup, {}, fresh=judge.Fresh(suspect, few))
    assert alone[5].verdict == compare.REGRESSION
    shift = judge.fresh_shift(slower, {r.key: baselines[r.model] for r in records})
    assert shift is not None and shift.ratio == pytest.approx(1.3, rel=0.01)
    assert shift.controls == 19 and shift.error > 0


def test_the_controls_are_decided_oks_spread_over_the_run() -> None:
    oks = [
        compare.Result(f"m{i:02d}", "cpu", compare.OK, "", ok_time(0.0, 25.0).metrics, f"t::{i}")
        for i in range(50)
    ]
    undecided = [oks[0]]
    chosen = fresh.controls([*oks, regression(30), noisy(30)], undecided, count=5)
    assert [r.model for r in chosen] == ["m01", "m10", "m20", "m30", "m40"]
    assert fresh.controls(oks[:3], [], count=5) == oks[:3]


def test_fresh_processes_run_each_test_with_its_family_in_the_runs_order() -> None:
    """A chosen benchmark runs after the tests of its pair that ran before it in the run (its
    forward's, its determinism's), as there; tests of other pairs do not run; the run's order
    holds, the chosen ones' order does not matter."""
    ran = [
        "t_text.py::test_forward[gpt2-cpu]",
        "t_text.py::test_forward[bert-cpu]",
        "t_text.py::test_benchmark[gpt2-cpu]",
        "t_vision.py::test_forward[bert-cpu]",
        "t_text.py::test_benchmark[bert-cpu]",
        "t_text.py::test_plain",
        "t_text.py::test_plain_too",
    ]

    def chosen(test: str) -> compare.Result:
        return compare.Result(test, "cpu", compare.OK, "", (), test)

    picked = [chosen("t_text.py::test_plain"), chosen("t_text.py::test_benchmark[bert-cpu]")]
    assert fresh.tests_of(ran, picked) == [
        "t_text.py::test_forward[bert-cpu]",
        "t_text.py::test_benchmark[bert-cpu]",
        "t_text.py::test_plain",
    ]
    assert fresh.tests_of(ran, [regression(30)]) == []  # its test t::a is not in the run
    assert fresh.family("t.py::C::test_x[a-b]") == ("t.py", "a-b")


def test_what_a_fresh_process_writes_is_read_back_by_key(tmp_path: Path) -> None:
    out = tmp_path / "round.jsonl"
    records = records_of({"a": 1.0, "b": 2.0})
    fresh.write(out, records)
    with out.open("a") as handle:
        handle.write('{"key": "cut sh')  # a process killed while writing
    found = fresh.read(out)
    assert list(found) == [r.key for r in records]
    assert found[records[1].key]["samples"] == records[1].entry["samples"]
    assert fresh.read(tmp_path / "missing.jsonl") == {}


def test_a_fresh_process_runs_the_tests_with_the_runs_workers(tmp_path: Path) -> None:
    launch = fresh.Launch(tmp_path, ("--run-model-tests",), workers=2, xdist=True)
    line = fresh.command(launch, ["test_a.py::test[x]"])
    assert line[:3] == [sys.executable, "-m", "pytest"]
    assert line[-2:] == ["--", "test_a.py::test[x]"]
    assert line[line.index("-n") + 1] == "2"
    assert "--run-model-tests" in line and "no:cacheprovider" in line
    alone = fresh.command(fresh.Launch(tmp_path, (), workers=1, xdist=False), ["t"])
    assert "-n" not in alone
    env = fresh.environ({"COV_CORE_SOURCE": "x", "HOME": "h"}, tmp_path / "o")
    assert env == {"HOME": "h", fresh.OUT_ENV: str(tmp_path / "o")}


# A project whose model "beta" is slower only in the run's own process (as a model is whose
# process laid it out badly), and "gamma" slower in every process.
PROJECT_TEST = """
import os

import pytest
import vclock

FRESH = "MODELGATE_FRESH_OUT" in os.environ
SLOW = set(os.environ.get("SLOW_MODELS", "").split(","))


def forward(name):
    slow = name in SLOW and (name != "beta" or not FRESH)
    vclock.spend(0.001 * (3 if slow else 1))


@pytest.mark.parametrize("name", ["alpha", "beta", "gamma"])
def test_bench(model_benchmark, name):
    model_benchmark(name, forward, name, warmup_runs=2, test_runs=8)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    pytester.makepyfile(test_project=PROJECT_TEST)
    pytester.runpytest("--update-baselines").assert_outcomes(passed=3)
    return pytester


def verdicts(path: Path) -> dict[str, tuple[str, str]]:
    report = json.loads(path.read_text())
    return {r["model"]: (r["verdict"], r["metrics"][0]["note"]) for r in report["results"]}


def test_a_run_measures_its_suspects_again_in_fresh_processes(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLOW_MODELS", "beta,gamma")
    result = project.runpytest("--baseline-report=r.json")
    result.assert_outcomes(passed=3, warnings=1)
    result.stdout.fnmatch_lines(
        ["measured again in 3 fresh process(es), * s: 2 of the 2 model(s)*"]
    )
    found = verdicts(project.path / "r.json")
    assert found["beta"][0] == "ok"
    assert found["beta"][1].startswith("measured again in 3 fresh processes (regression")
    assert found["gamma"][0] == "regression"
    assert found["gamma"][1].startswith("measured again in 3 fresh processes (regression")
    assert "fresh" not in found["alpha"][1]
    # no fresh process wrote anything a later run would see
    assert sorted(p.name for p in project.path.iterdir() if p.name.startswith(".coverage")) == []


def test_no_fresh_process_with_fresh_rounds_0_nor_for_a_recording(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLOW_MODELS", "beta")
    off = project.runpytest("--fresh-rounds=0", "--baseline-report=r.json")
    assert "fresh process" not in off.stdout.str()
    assert verdicts(project.path / "r.json")["beta"][0] == "regression"
    recording = project.runpytest("--update-baselines")
    assert "fresh process" not in recording.stdout.str()


@pytest.mark.parametrize("value", ["x", "-1", "11", "1.5"])
def test_a_bad_number_of_fresh_rounds_is_a_usage_error(
    pytester: pytest.Pytester, value: str
) -> None:
    result = pytester.runpytest(f"--fresh-rounds={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*--fresh-rounds: expected a whole number in [[]0, 10[]]*{value!r}*"]
    )
