"""Judging an A/B run: the first pass, and passes that confirm on pooled samples."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_modelgate.ab import judge
from pytest_modelgate.baselines import compare, render
from pytest_modelgate.baselines import judge as baselines_judge
from pytest_modelgate.baselines.measure import normalised_of

FINGERPRINT = {"machine": "cpu-x", "gpu": None, "threads": 1, "workers": 1}


def entry(ms: float, *, ref: float = 1.0, transformers: str = "5.24.0") -> dict[str, Any]:
    """A measurement of 12 samples around ``ms`` milliseconds, its reference runs ``ref`` ms."""
    wobble = [1.0, 1.01, 0.99, 1.02, 0.98, 1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0]
    samples = [ms / 1e3 * w for w in wobble]
    return {
        "device": "cpu",
        "timestamp": "2026-12-01T00:00:00+00:00",
        "source": "measured",
        "inference_time_mean": ms / 1e3,
        "inference_time_median": ms / 1e3,
        "samples": samples,
        "cpu_samples": samples,
        "reference_samples": [ref / 1e3] * 13,
        "clock": "cpu",
        "loops": 10,
        "fingerprint": {**FINGERPRINT, "transformers": transformers},
    }


def store_of(times: dict[str, float], **kwargs: Any) -> dict[str, dict[str, Any]]:
    return {"cpu": {name: entry(ms, **kwargs) for name, ms in times.items()}}


TWENTY = {f"m{i:02d}": 1.0 + i / 10 for i in range(20)}


def test_first_pass_names_the_slower_model_and_ignores_versions() -> None:
    base = store_of(TWENTY, transformers="5.23.0")
    head = store_of({**TWENTY, "m07": TWENTY["m07"] * 1.5})
    results, drifts = judge.first_pass(base, head, compare.Rule())
    verdicts = {r.model: r.verdict for r in results}
    assert verdicts.pop("m07") == compare.REGRESSION
    assert set(verdicts.values()) == {compare.OK}  # a version difference is what A/B compares
    assert drifts["cpu"].applies and abs(drifts["cpu"].ratio - 1) < 0.01


def test_a_different_machine_is_still_inconclusive() -> None:
    base = store_of(TWENTY)
    base["cpu"]["m03"]["fingerprint"] = {**FINGERPRINT, "machine": "cpu-y"}
    results, _ = judge.first_pass(base, store_of(TWENTY), compare.Rule())
    verdict = {r.model: r.verdict for r in results}["m03"]
    assert verdict == compare.INCONCLUSIVE


def test_pooled_keeps_each_process_normalised_by_its_own_reference() -> None:
    fast_pass, slow_pass = entry(2.0, ref=1.0), entry(4.0, ref=2.0)  # a machine twice as slow
    both = baselines_judge.pooled([fast_pass, slow_pass])
    assert len(both["samples"]) == 24
    assert "reference_samples" not in both
    assert normalised_of(both) == normalised_of(fast_pass) + normalised_of(slow_pass)  # type: ignore[operator]


def test_a_slowdown_of_one_pass_is_outvoted_by_the_next_ones() -> None:
    base, head = store_of(TWENTY), store_of({**TWENTY, "m05": TWENTY["m05"] * 1.5})
    results, drifts = judge.first_pass(base, head, compare.Rule())
    assert [r.model for r in judge.to_confirm(results)] == ["m05"]
    again = [store_of(TWENTY), store_of(TWENTY)]
    confirmed = judge.confirm(results, again, again, compare.Rule(), drifts)
    assert {r.verdict for r in confirmed} == {compare.OK}


def test_a_real_slowdown_is_confirmed_on_every_pass() -> None:
    slower = {**TWENTY, "m05": TWENTY["m05"] * 1.5}
    base, head = store_of(TWENTY), store_of(slower)
    results, drifts = judge.first_pass(base, head, compare.Rule())
    confirmed = judge.confirm(results, [base, base], [head, head], compare.Rule(), drifts)
    assert [r.model for r in confirmed if r.verdict == compare.REGRESSION] == ["m05"]


def test_the_first_pass_is_not_pooled_into_the_confirmation() -> None:
    """A first pass that picked a model for its extreme figure does not tip the later ones."""
    base, head = store_of(TWENTY), store_of({**TWENTY, "m05": TWENTY["m05"] * 3.0})
    results, drifts = judge.first_pass(base, head, compare.Rule())
    later = store_of(TWENTY)
    confirmed = judge.confirm(
        results, [later], [store_of({**TWENTY, "m05": 1.5 * 1.1})], compare.Rule(), drifts
    )
    assert {r.verdict for r in confirmed} == {compare.OK}  # +10 % in the later pass: ok


def test_a_suspect_not_measured_again_is_inconclusive_and_says_why() -> None:
    base, head = store_of(TWENTY), store_of({**TWENTY, "m05": TWENTY["m05"] * 1.5})
    results, drifts = judge.first_pass(base, head, compare.Rule())
    confirmed = judge.confirm(results, [base], [{"cpu": {}}], compare.Rule(), drifts)
    (m05,) = [r for r in confirmed if r.model == "m05"]
    assert m05.verdict == compare.INCONCLUSIVE
    assert "not measured again on the head side" in m05.message


def test_a_noisy_slowdown_is_measured_again_but_one_measured_elsewhere_is_not() -> None:
    noisy = compare.MetricResult(
        compare.TIME, 1.0, 1.4, 40.0, 20.0, compare.INCONCLUSIVE, reason=compare.Reason.TOO_NOISY
    )
    elsewhere = compare.MetricResult(
        compare.TIME,
        1.0,
        1.4,
        40.0,
        20.0,
        compare.INCONCLUSIVE,
        note="measured elsewhere (x)",
        reason=compare.Reason.MEASURED_ELSEWHERE,
    )
    results = [
        compare.Result("a", "cpu", compare.INCONCLUSIVE, "", (noisy,)),
        compare.Result("b", "cpu", compare.INCONCLUSIVE, "", (elsewhere,)),
        compare.Result("c", "cpu", compare.IMPROVEMENT, ""),
        compare.Result("d", "cpu", compare.OK, ""),
    ]
    assert [r.model for r in judge.to_confirm(results)] == ["a", "c"]


def ok_time(change: float, detectable: float | None) -> compare.Result:
    metric = compare.MetricResult(
        compare.TIME, 1.0, 1.0, change, 20.0, compare.OK, detectable_percent=detectable
    )
    return compare.Result(f"ok{change:g}-{detectable}", "cpu", compare.OK, "", (metric,))


def test_an_ok_whose_band_straddles_the_tolerance_is_measured_again() -> None:
    """The tolerance within 1.5 standard deviations of the noise above the change, the detection
    limit above the tolerance: undecided (+15 % with a limit of 45 %, and a noisy model's +8 %
    with a limit of 80 %). Far below the tolerance, or with a limit at the tolerance (the band
    no longer reaches past it), decided."""
    straddling = [ok_time(15.0, 45.0), ok_time(8.0, 80.0)]
    decided = [ok_time(0.0, 45.0), ok_time(8.0, 30.0), ok_time(15.0, 20.0), ok_time(15.0, None)]
    assert judge.to_confirm([*straddling, *decided]) == straddling


def test_a_regression_is_decided_by_two_later_passes() -> None:
    """Sequential passes: a regression named by one later pass is measured once more; named by
    two, it is decided and leaves the passes."""
    slower = {**TWENTY, "m05": TWENTY["m05"] * 1.5}
    base, head = store_of(TWENTY), store_of(slower)
    results, drifts = judge.first_pass(base, head, compare.Rule())
    once = judge.confirm(results, [base], [head], compare.Rule(), drifts)
    assert [r.model for r in judge.to_confirm(once, [head])] == ["m05"]
    twice = judge.confirm(once, [base, base], [head, head], compare.Rule(), drifts)
    assert [r.model for r in twice if r.verdict == compare.REGRESSION] == ["m05"]
    assert judge.to_confirm(twice, [head, head]) == []


def test_the_band_narrows_with_the_passes() -> None:
    """A first pass whose unchanged models scatter by 15 % cannot name a 1.35x slowdown; pooled
    over later passes, whose scatter is that of their mean, it can, and the limit says so."""
    base = store_of(TWENTY)
    head = store_of({**TWENTY, "m05": TWENTY["m05"] * 1.35})
    noisy = {"cpu": compare.Drift(ratio=1.0, spread=0.15, models=100)}
    first, _ = judge.first_pass(base, head, compare.Rule())
    first = [
        compare.compare(
            r.model,
            r.device,
            head["cpu"][r.model],
            base["cpu"][r.model],
            compare.Rule(),
            drift=noisy["cpu"],
        )
        for r in first
    ]
    (m05,) = [r for r in first if r.model == "m05"]
    assert m05.verdict == compare.INCONCLUSIVE and m05 in judge.to_confirm(first)
    limits = []
    for passes in (1, 9):
        later = judge.confirm(first, [base] * passes, [head] * passes, compare.Rule(), noisy)
        (again,) = [r for r in later if r.model == "m05"]
        limits.append(again.metrics[0].detectable_percent)
        if passes == 9:
            assert again.verdict == compare.REGRESSION
    assert limits[0] is not None and limits[1] is not None and limits[1] < limits[0]


# -- test outcomes ---------------------------------------------------------------------------------

PASSED = judge.SideOutcome("passed")
FAILED = judge.SideOutcome("failed", message="AssertionError: boom")
ERROR = judge.SideOutcome("error")
SKIPPED = judge.SideOutcome("skipped")
XFAILED = judge.SideOutcome("xfailed")
XPASSED = judge.SideOutcome("xpassed")
STRICT = judge.SideOutcome("failed", strict_xpass=True, message="[XPASS(strict)] soon")


@pytest.mark.parametrize(
    ("base", "head", "change"),
    [
        (PASSED, FAILED, render.NEWLY_FAILING),
        (PASSED, ERROR, render.NEWLY_FAILING),
        (XFAILED, FAILED, render.NEWLY_FAILING),  # an xfail(raises=...) that fails otherwise
        (SKIPPED, ERROR, render.NEWLY_FAILING),
        (PASSED, STRICT, render.NEWLY_FAILING),  # a passing test newly marked xfail(strict)
        (XFAILED, STRICT, render.XFAIL_PASSES),  # pytest counts it failed: it is not a break
        (XFAILED, XPASSED, render.XFAIL_PASSES),
        (XFAILED, PASSED, render.XFAIL_PASSES),  # the mark taken off, the test passes
        (FAILED, PASSED, render.NEWLY_PASSING),
        (ERROR, XPASSED, render.NEWLY_PASSING),
        (PASSED, None, render.BASE_ONLY),
        (None, FAILED, render.HEAD_ONLY),
        (PASSED, PASSED, None),
        (FAILED, FAILED, None),
        (FAILED, ERROR, None),
        (FAILED, SKIPPED, None),
        (XFAILED, XFAILED, None),
        (STRICT, STRICT, None),
    ],
)
def test_how_a_tests_outcome_changed(
    base: judge.SideOutcome | None, head: judge.SideOutcome | None, change: str | None
) -> None:
    assert judge.change_of(base, head) == change


def phase(when: str, category: str, **kwargs: Any) -> judge.Phase:
    return judge.Phase(when, category, **kwargs)


@pytest.mark.parametrize(
    ("phases", "outcome"),
    [
        ([phase("setup", ""), phase("call", "passed"), phase("teardown", "")], "passed"),
        ([phase("setup", "error", message="fixture")], "error"),
        ([phase("setup", "skipped")], "skipped"),
        ([phase("setup", ""), phase("call", "xfailed"), phase("teardown", "")], "xfailed"),
        ([phase("setup", ""), phase("call", "passed"), phase("teardown", "error")], "error"),
        ([phase("call", "failed", message="call"), phase("teardown", "error")], "failed"),
        ([phase("call", "rerun"), phase("call", "passed")], "passed"),  # a plugin's own word
        ([phase("call", "rerun")], "rerun"),
        ([phase("setup", ""), phase("teardown", "")], None),
    ],
)
def test_a_tests_reports_make_one_outcome(phases: list[judge.Phase], outcome: str | None) -> None:
    found = judge.outcome_of(phases)
    assert (found.outcome if found else None) == outcome


def test_the_failing_report_gives_the_message_and_the_strict_mark() -> None:
    found = judge.outcome_of(
        [phase("call", "failed", strict_xpass=True, message="[XPASS(strict)] soon")]
    )
    assert found == STRICT
    assert found.label == "failed (XPASS(strict))"
    reports = [("t::a", phase("call", "failed", message="x")), ("t::a", phase("teardown", "error"))]
    assert judge.outcomes_of(reports) == {"t::a": judge.SideOutcome("failed", message="x")}


def test_outcomes_are_compared_most_urgent_first() -> None:
    base = {"t::fixed": FAILED, "t::gone": PASSED, "t::strict": XFAILED, "t::b": PASSED}
    head = {"t::fixed": PASSED, "t::new": PASSED, "t::strict": STRICT, "t::b": FAILED}
    compared = judge.compare_outcomes(base, head)
    assert [(c.change, c.test) for c in compared.changes] == [
        (render.NEWLY_FAILING, "t::b"),
        (render.XFAIL_PASSES, "t::strict"),
        (render.BASE_ONLY, "t::gone"),
        (render.HEAD_ONLY, "t::new"),
        (render.NEWLY_PASSING, "t::fixed"),
    ]
    assert [c.test for c in compared.newly_failing] == ["t::b"]
    section = compared.as_dict()
    assert section["counts"] == {kind: 1 for kind in render.OUTCOME_CHANGES}
    assert section["base"] == {
        "passed": 2, "failed": 1, "error": 0, "skipped": 0, "xfailed": 1, "xpassed": 0
    }  # fmt: skip
    assert section["head"]["failed"] == 2  # the strict xfail's pass counts as pytest counts it
    assert section["changes"][0] == {
        "test": "t::b",
        "change": render.NEWLY_FAILING,
        "base": "passed",
        "head": "failed",
        "message": "AssertionError: boom",
    }
    assert section["changes"][1]["head"] == "failed (XPASS(strict))"
    assert section["changes"][4]["message"] == "AssertionError: boom"  # what was fixed


def test_the_same_outcomes_change_nothing() -> None:
    compared = judge.compare_outcomes({"t::a": PASSED}, {"t::a": PASSED})
    assert compared.changes == () and compared.newly_failing == []
    assert render.outcomes_line(compared.as_dict()) == (
        "tests: no test changed its outcome (base: 1 passed; head: 1 passed)"
    )
