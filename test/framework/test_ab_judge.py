"""Judging an A/B run: the first pass, and passes that confirm on pooled samples."""

from __future__ import annotations

from typing import Any

from pytest_modelgate.ab import judge
from pytest_modelgate.baselines import compare
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


def test_pooled_keeps_each_pass_normalised_by_its_own_reference() -> None:
    fast_pass, slow_pass = entry(2.0, ref=1.0), entry(4.0, ref=2.0)  # a machine twice as slow
    both = judge.pooled([fast_pass, slow_pass])
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
