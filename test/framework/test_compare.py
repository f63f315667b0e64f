"""Verdicts and the U test, as pure functions."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from pytest_modelgate.baselines import compare
from pytest_modelgate.baselines.compare import Rule, mann_whitney_greater

FINGERPRINT = {"machine": "cpu-a", "threads": 1, "workers": 2, "python": "3.11"}
FIELDS = ("machine", "threads", "workers", "python")


def stats(
    times: list[float], refs: list[float] | None = None, memory: float = 100.0
) -> dict[str, Any]:
    """Stats as measured on the CPU: wall and CPU samples alike, references around each run."""
    refs = refs if refs is not None else [0.001] * (len(times) + 1)
    return {
        "inference_time_mean": sum(times) / len(times),
        "samples": times,
        "cpu_samples": times,
        "reference_samples": refs,
        "clock": "cpu",
        "memory_peak_mb": memory,
        "fingerprint": FINGERPRINT,
    }


BASE = [0.010, 0.0102, 0.0099, 0.0101, 0.0100, 0.0103, 0.0098, 0.0100]


def check(
    current: dict[str, Any], baseline: dict[str, Any] | None, **rule: float
) -> compare.Result:
    return compare.compare(
        "bert",
        "cpu",
        current,
        baseline,
        Rule(**rule),
        fingerprint=current.get("fingerprint"),
        fingerprint_fields=FIELDS,
    )


def test_exact_u_test_against_hand_counts() -> None:
    # all of x above all of y: 1 ordering of C(6, 3) = 20
    assert mann_whitney_greater([4, 5, 6], [1, 2, 3]) == pytest.approx(1 / 20)
    # the reverse: every ordering has U >= 0
    assert mann_whitney_greater([1, 2, 3], [4, 5, 6]) == pytest.approx(1.0)
    # U = 8 of 9: orderings with U >= 8 are 2 of 20
    assert mann_whitney_greater([3, 5, 6], [1, 2, 4]) == pytest.approx(2 / 20)


def test_u_counts_sum_to_the_number_of_orderings() -> None:
    for m, n in itertools.product(range(1, 7), repeat=2):
        counts = compare._u_counts(m, n)
        assert sum(counts) == math.comb(m + n, m)
        assert counts == counts[::-1]  # symmetric around m*n/2


def test_normal_approximation_with_ties() -> None:
    low = [1.0] * 15 + [2.0] * 15
    high = [2.0] * 15 + [3.0] * 15
    assert mann_whitney_greater(high, low) < 0.001
    assert mann_whitney_greater(low, high) > 0.99
    assert 0.3 < mann_whitney_greater(low, list(low)) < 0.7


def test_u_test_needs_values() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        mann_whitney_greater([], [1.0])


def test_same_numbers_are_ok() -> None:
    result = check(stats(BASE), stats(BASE))
    assert result.verdict == compare.OK
    assert result.regressions == ()
    assert [m.metric for m in result.metrics] == ["inference_time", "memory_peak_mb"]


def test_clear_slowdown_is_a_regression() -> None:
    result = check(stats([t * 1.6 for t in BASE]), stats(BASE))
    assert result.verdict == compare.REGRESSION
    (time,) = result.regressions
    assert time.metric == "inference_time"
    assert time.change_percent == pytest.approx(60, abs=2)
    assert time.p_value is not None and time.p_value < 0.01
    assert "bert (cpu): regression: inference_time +" in result.message


def test_clear_speedup_is_an_improvement() -> None:
    result = check(stats([t / 1.6 for t in BASE]), stats(BASE))
    assert result.verdict == compare.IMPROVEMENT


def test_busy_machine_is_cancelled_by_the_reference() -> None:
    """Everything twice as slow, the reference too: the code did not change."""
    busy = stats([t * 2 for t in BASE], refs=[0.002] * (len(BASE) + 1))
    result = check(busy, stats(BASE))
    assert result.verdict == compare.OK
    assert result.metrics[0].raw_change_percent == pytest.approx(100, abs=2)
    assert abs(result.metrics[0].change_percent) < 1


def test_noisy_slowdown_is_inconclusive() -> None:
    base = [0.010, 0.030, 0.011, 0.029, 0.012, 0.031]
    noisy = [0.014, 0.040, 0.012, 0.041, 0.013, 0.045]
    result = check(stats(noisy), stats(base))
    assert result.verdict == compare.INCONCLUSIVE
    assert "too noisy to tell" in result.metrics[0].note


def test_sub_millisecond_slowdowns_are_seen() -> None:
    """No fixed 1 ms floor: a 0.1 ms model 1.3x slower is a regression when the samples are
    steady; an explicit floor (the ``baseline`` marker's ``time_floor_s``) still hides it."""
    tiny = [t / 100 for t in BASE]
    slower = stats([t * 1.3 for t in tiny])
    assert check(slower, stats(tiny)).verdict == compare.REGRESSION
    assert check(slower, stats(tiny), time_floor_s=0.001).verdict == compare.OK


def test_below_the_timer_resolution_is_ok() -> None:
    coarse = {**stats([1e-7, 1.01e-7, 0.99e-7]), "clock": "wall"}
    slower = {**stats([3e-7, 3.03e-7, 2.97e-7]), "clock": "wall"}
    assert compare.timer_floor(coarse) >= compare.MIN_TIME_FLOOR_S
    assert check(slower, coarse).verdict == compare.OK  # 0.2 us: below the 1 us floor


def test_tolerance_decides() -> None:
    slower = stats([t * 1.3 for t in BASE])
    assert check(slower, stats(BASE), tolerance=0.2).verdict == compare.REGRESSION
    assert check(slower, stats(BASE), tolerance=0.5).verdict == compare.OK


def test_memory_has_its_own_tolerance_and_floor() -> None:
    bigger = stats(BASE, memory=200.0)
    result = check(bigger, stats(BASE, memory=100.0))
    assert result.verdict == compare.REGRESSION
    assert [m.metric for m in result.regressions] == ["memory_peak_mb"]
    assert check(bigger, stats(BASE), memory_tolerance=1.5).verdict == compare.OK
    small = check(stats(BASE, memory=40.0), stats(BASE, memory=20.0))
    assert small.verdict == compare.OK  # +100 % but only 20 MB, under the 32 MB floor


def with_base(peak: float, base: float) -> dict[str, Any]:
    return {**stats(BASE, memory=peak), "memory_base_mb": base}


def test_memory_judges_the_growth_above_the_starting_level() -> None:
    # a worker that ran many models holds more: same growth, far higher peak -> ok
    fresh, busy = with_base(600.0, 100.0), with_base(1500.0, 1000.0)
    assert check(busy, fresh).verdict == compare.OK
    assert check(fresh, busy).verdict == compare.OK
    grown = check(with_base(1800.0, 1000.0), with_base(600.0, 100.0))
    assert [m.metric for m in grown.regressions] == ["memory_peak_mb"]
    assert grown.regressions[0].baseline == 500.0
    assert grown.regressions[0].current == 800.0


def test_memory_without_a_base_on_one_side_compares_peaks() -> None:
    result = check(with_base(1500.0, 1000.0), stats(BASE, memory=600.0))
    assert [m.metric for m in result.regressions] == ["memory_peak_mb"]
    assert result.regressions[0].baseline == 600.0


def test_memory_growth_from_none_stays_finite() -> None:
    result = check(with_base(150.0, 100.0), with_base(100.0, 100.0))
    (memory,) = result.regressions
    assert memory.baseline == compare.MIN_MEMORY_GROWTH_MB
    assert math.isfinite(memory.change_percent)
    assert check(with_base(120.0, 100.0), with_base(100.0, 100.0)).verdict == compare.OK


def test_other_machine_is_inconclusive() -> None:
    elsewhere = stats([t * 1.6 for t in BASE])
    elsewhere["fingerprint"] = {**FINGERPRINT, "threads": 4}
    result = check(elsewhere, stats(BASE))
    assert result.verdict == compare.INCONCLUSIVE
    assert "threads: 1 -> 4" in result.message


def test_new_and_unusable() -> None:
    assert check(stats(BASE), None).verdict == compare.NEW
    assert not check(stats(BASE), None).has_baseline
    broken = compare.compare(
        "bert", "cpu", stats(BASE), None, Rule(), load_error="baselines/cpu.json: not JSON"
    )
    assert broken.verdict == compare.INCONCLUSIVE
    assert "baselines/cpu.json: not JSON" in broken.message


def test_imported_baseline_without_samples_uses_the_threshold() -> None:
    imported = {"inference_time_mean": 0.010, "device": "cpu", "timestamp": "t"}
    result = check(stats([t * 1.6 for t in BASE]), imported)
    assert result.verdict == compare.REGRESSION
    assert result.metrics[0].reason == compare.Reason.THRESHOLD_ONLY
    assert result.metrics[0].note.startswith("threshold only")


def test_higher_is_better_metrics() -> None:
    assert compare.higher_is_better("throughput_per_s")
    assert compare.higher_is_better("tokens_per_second")
    assert not compare.higher_is_better("memory_peak_mb")
    base = {**stats(BASE), "metrics": {"throughput_per_s": 100.0, "latency_s": 1.0}}
    current = {**stats(BASE), "metrics": {"throughput_per_s": 50.0, "latency_s": 0.5}}
    result = check(current, base)
    verdicts = {m.metric: m.verdict for m in result.metrics}
    assert verdicts["throughput_per_s"] == compare.REGRESSION
    assert verdicts["latency_s"] == compare.IMPROVEMENT


def test_result_round_trips_through_a_dict() -> None:
    result = check(stats([t * 1.6 for t in BASE]), stats(BASE))
    again = compare.Result.from_dict(result.as_dict())
    assert again.verdict == result.verdict
    assert again.regressions[0].metric == "inference_time"
    assert again.message == result.message


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (["ok", "regression", "improvement"], "regression"),
        (["ok", "inconclusive"], "inconclusive"),
        (["ok", "improvement"], "improvement"),
        ([], "ok"),
    ],
)
def test_overall(verdicts: list[str], expected: str) -> None:
    assert compare.overall(verdicts) == expected


def test_drift_of_a_run() -> None:
    drift = compare.drift_of([1.30, 1.28, 1.32, 1.31, 1.29, 1.30, 1.33, 1.27, 2.5])
    assert drift.applies
    assert drift.ratio == pytest.approx(1.30, abs=0.01)
    assert 0 < drift.spread < 0.05  # one outlier does not widen the spread
    too_few = compare.drift_of([1.3] * (compare.MIN_DRIFT_MODELS - 1))
    assert not too_few.applies
    assert too_few.models == compare.MIN_DRIFT_MODELS - 1
    assert compare.drift_of([]).ratio == 1.0


def test_a_whole_run_slower_is_not_a_regression() -> None:
    """Every model 1.3x slower: the common shift takes it out; one 2x slower still stands out."""
    drift = compare.drift_of([1.3] * 20)
    assert check(stats([t * 1.3 for t in BASE]), stats(BASE)).verdict == compare.REGRESSION
    shifted = compare.compare(
        "bert", "cpu", stats([t * 1.3 for t in BASE]), stats(BASE), Rule(), drift=drift
    )
    assert shifted.verdict == compare.OK
    assert shifted.metrics[0].change_percent == pytest.approx(0, abs=1)
    worse = compare.compare(
        "bert", "cpu", stats([t * 2.6 for t in BASE]), stats(BASE), Rule(), drift=drift
    )
    assert worse.verdict == compare.REGRESSION
    assert worse.metrics[0].change_percent == pytest.approx(100, abs=2)


def test_the_run_noise_widens_the_band() -> None:
    """A run whose unchanged models scatter by 15 % cannot tell a 1.3x slowdown: inconclusive."""
    noisy = compare.Drift(ratio=1.0, spread=0.15, models=100)
    result = compare.compare(
        "bert", "cpu", stats([t * 1.3 for t in BASE]), stats(BASE), Rule(), drift=noisy
    )
    assert result.verdict == compare.INCONCLUSIVE
    assert "within the noise" in result.metrics[0].note
    quiet = compare.Drift(ratio=1.0, spread=0.02, models=100)
    slower = stats([t * 1.3 for t in BASE])
    assert compare.compare("bert", "cpu", slower, stats(BASE), Rule(), drift=quiet).verdict == (
        compare.REGRESSION
    )


def test_a_second_round_decides() -> None:
    slower, again_ok = stats([t * 1.6 for t in BASE]), stats(list(BASE))
    unconfirmed = compare.compare("bert", "cpu", slower, stats(BASE), Rule(), rounds=[again_ok])
    assert unconfirmed.verdict == compare.OK
    assert unconfirmed.metrics[0].reason == compare.Reason.NOT_CONFIRMED
    assert unconfirmed.metrics[0].note.startswith("not confirmed when measured again")
    again_slow = stats([t * 1.55 for t in BASE])
    confirmed = compare.compare("bert", "cpu", slower, stats(BASE), Rule(), rounds=[again_slow])
    assert confirmed.verdict == compare.REGRESSION
    assert confirmed.metrics[0].note == "confirmed by 1 re-measurement(s)"
    assert confirmed.metrics[0].change_percent == pytest.approx(55, abs=2)  # the least slow


def test_time_ratio_is_before_any_shift() -> None:
    assert compare.time_ratio(stats(BASE), stats([t * 1.5 for t in BASE])) == pytest.approx(1.5)
    imported = {"inference_time_mean": 0.010}
    assert compare.time_ratio(imported, stats([0.02] * 3)) == pytest.approx(2.0)


def test_the_shift_of_its_moment() -> None:
    """A busy stretch late in the run slows every model measured in it by 1.4x: a model there
    is judged against 1.4x, a model 1.4x slower early in the run is a regression."""
    points = [(float(i), 1.0) for i in range(200)] + [(200.0 + i, 1.4) for i in range(200)]
    line = compare.timeline(points)
    assert line.at(350.0).ratio == pytest.approx(1.4)
    assert line.at(50.0).ratio == pytest.approx(1.0)
    assert line.overall.low == pytest.approx(1.0)
    assert line.overall.high == pytest.approx(1.4)
    assert line.overall.spread < 0.05  # around the shift of each moment, no scatter
    slower = stats([t * 1.4 for t in BASE])
    late = compare.compare("m", "cpu", slower, stats(BASE), Rule(), drift=line.at(350.0))
    early = compare.compare("m", "cpu", slower, stats(BASE), Rule(), drift=line.at(50.0))
    assert (late.verdict, early.verdict) == (compare.OK, compare.REGRESSION)


def test_a_short_or_untimed_run_has_one_shift() -> None:
    few = compare.timeline([(float(i), 1.0 + i / 100) for i in range(30)])
    assert few.at(29.0) == few.at(0.0) == few.overall
    untimed = compare.timeline([(None, 1.2)] * 300)
    assert untimed.at(5.0).ratio == pytest.approx(1.2)
    assert not compare.timeline([]).overall.applies


def test_a_disturbed_reference_is_not_a_regression() -> None:
    """The model took as long as before; the baseline's reference runs were twice as long (it
    ran while something disturbed them): slower only relative to the reference."""
    disturbed = stats(BASE, refs=[0.002] * (len(BASE) + 1))
    result = check(stats(BASE), disturbed)
    assert result.metrics[0].change_percent == pytest.approx(100, abs=2)
    assert result.verdict == compare.INCONCLUSIVE
    assert "slower only relative to the reference" in result.metrics[0].note
    truly = check(stats([t * 2 for t in BASE]), stats(BASE))
    assert truly.verdict == compare.REGRESSION  # the clock agrees: a real slowdown


def test_every_verdict_states_what_it_could_have_seen() -> None:
    """The detection limit: the tolerance on steady samples; the noise band when the run
    scatters more; the floor for a tiny time; none for a comparison with another machine."""
    steady = check(stats(BASE), stats(BASE)).metrics
    assert steady[0].detectable_percent == pytest.approx(20.0)
    assert steady[1].detectable_percent == pytest.approx(100 * compare.MEMORY_FLOOR_MB / 100.0)
    noisy = compare.Drift(ratio=1.0, spread=0.15, models=100)
    wide = compare.compare("bert", "cpu", stats(BASE), stats(BASE), Rule(), drift=noisy)
    assert wide.verdict == compare.OK
    limit = wide.metrics[0].detectable_percent
    assert limit is not None and limit == pytest.approx(100 * (math.exp(4 * 0.15) - 1), rel=0.05)
    tiny = [t / 100 for t in BASE]
    floored = check(stats(tiny), stats(tiny), time_floor_s=0.0001).metrics[0]
    assert floored.detectable_percent == pytest.approx(100.0)  # 0.1 ms of a 0.1 ms model
    elsewhere = {**stats(BASE), "fingerprint": {**FINGERPRINT, "threads": 4}}
    assert all(m.detectable_percent is None for m in check(elsewhere, stats(BASE)).metrics)
    again = compare.MetricResult.from_dict(steady[0].as_dict())
    assert again.detectable_percent == pytest.approx(20.0)
    assert steady[0].as_dict()["detectable"] == 20.0


def recorded(times: list[float], history: list[float], setup: str = "3.11/2.13/5.25/1/2") -> Any:
    """A baseline of ``times`` (its normalised median, with the 1 ms reference, ``times``'
    median * 1000) whose history holds recordings of these normalised medians, its own last."""
    entry = {**stats(times), "timestamp": f"t{len(history)}"}
    points = [
        {"timestamp": f"t{i + 1}", "median": 0.01, "normalised_median": n, "machine": "cpu-a"}
        for i, n in enumerate(history)
    ]
    for point in points:
        point["setup"] = setup
    entry["history"] = points
    return entry


def test_a_baseline_of_several_recordings_is_centred_on_their_median() -> None:
    """Three recordings of one setup at 10, 13 and 10: the last (13) alone would make an
    unchanged model look 23 % faster; centred on the median of the three it is unchanged."""
    last = [t * 1.3 for t in BASE]
    several = recorded(last, [10.0, 10.0, 13.0])
    time = check(stats(BASE), several).metrics[0]
    assert time.change_percent == pytest.approx(0, abs=2)
    assert time.reason == compare.Reason.RECORDINGS
    assert time.note == (
        "judged on normalised samples, the baseline centred on the median of its 3 recordings"
    )
    assert compare.recordings(several) == [10.0, 10.0, 13.0]
    alone = check(stats(BASE), recorded(last, [13.0])).metrics[0]
    assert alone.change_percent == pytest.approx(-23, abs=2) and alone.reason == "normalised"
    mixed = recorded(last, [10.0, 10.0, 13.0])
    for point in mixed["history"][:2]:
        point["setup"] = "3.11/2.13/5.24/1/2"  # another transformers: not pooled
    assert compare.recordings(mixed) == [13.0]
    unknown = recorded(last, [10.0, 10.0, 13.0], setup="")
    assert compare.recordings(unknown) == []  # points written before they had a setup
