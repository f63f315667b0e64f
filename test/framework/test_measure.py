"""Measuring plain Python callables (torch modules are measured in test_fixtures' subprocess)."""

from __future__ import annotations

import math
import statistics
import sys
from pathlib import Path
from typing import Any

import pytest
import virtual_clock

from pytest_modelgate import ModelTestUtils
from pytest_modelgate.baselines import compare, measure, store
from pytest_modelgate.baselines.measure import MeasurementError, check_positive, check_stats


def busy(loops: int = 20_000) -> int:
    return sum(i % 7 for i in range(loops))


def test_the_guides_stats_have_their_shape() -> None:
    stats = ModelTestUtils.measure_inference_time(busy, 5_000, warmup_runs=1, test_runs=6)
    for key in ("mean", "median", "min", "max", "std"):
        assert math.isfinite(stats[f"inference_time_{key}"])
    assert stats["inference_time_min"] <= stats["inference_time_median"]
    assert stats["inference_time_median"] <= stats["inference_time_max"]
    runs = len(stats["samples"])
    assert runs >= 6  # at least test_runs; more when the calibration asks for more time
    assert len(stats["reference_samples"]) == runs + 1
    assert len(stats["normalised_samples"]) == runs
    assert stats["device"] == "cpu"
    assert stats["threads"] >= 1
    assert stats["memory_peak_mb"] > 0
    if Path("/proc/self/clear_refs").exists():
        assert stats["memory_source"] in ("linux-vmhwm", "ru-maxrss")
    check_stats(stats)
    assert "torch" not in sys.modules


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [({"a": 1, "b": 2}, "kw"), ((1, 2), "pos"), ([1, 2], "one"), (3, "one")],
)
def test_inputs_are_passed_as_the_guide_passes_them(inputs: Any, expected: str) -> None:
    calls: list[str] = []

    def model(*args: Any, **kwargs: Any) -> None:
        calls.append("kw" if kwargs else "pos" if len(args) == 2 else "one")

    stats = measure.measure(model, inputs, warmup_runs=2, test_runs=3)
    # warm-up, calibration, then every call of every sample
    assert set(calls) == {expected}
    assert len(calls) > 2 + stats.loops * len(stats.samples)


@pytest.mark.parametrize(
    ("call_s", "runs", "expected"),
    [
        (0.010, 5, (1, 5)),  # slow: one call a sample, test_runs samples (50 ms > 30 ms)
        (0.001, 5, (4, 8)),  # 4 calls make a 4 ms sample; 8 of them make 32 ms
        (0.0001, 5, (40, 8)),
        (1e-9, 5, (measure.MAX_LOOPS, measure.MAX_SAMPLES)),
        (0.001, 30, (4, 30)),  # never fewer samples than asked for
    ],
)
def test_calibrate(call_s: float, runs: int, expected: tuple[int, int]) -> None:
    assert measure.calibrate(call_s, runs, 0.004, 0.03) == expected


def test_a_fast_callable_is_measured_long_enough() -> None:
    time = virtual_clock.VirtualTime("fast")
    stats = measure.measure(time.spend, 1e-5, warmup_runs=1, test_runs=3, clock=time.clock())
    assert stats.loops > 100
    assert sum(stats.samples) * stats.loops >= measure.MIN_TOTAL_S * 0.9
    assert stats.clock == "cpu"


def test_the_garbage_collector_is_off_while_timed() -> None:
    import gc

    seen: list[bool] = []
    measure.measure(lambda: seen.append(gc.isenabled()), (), warmup_runs=1, test_runs=3)
    assert seen[0] is True  # the warm-up
    assert seen[-1] is False  # the timed calls
    assert gc.isenabled()


def test_memory_unavailable_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A platform with neither /proc, ``resource`` nor psutil: memory is not measured."""
    monkeypatch.setattr(measure, "_reset_hwm", lambda: False)
    monkeypatch.setattr(measure, "process_peak_mib", lambda: (None, "unavailable"))
    stats = measure.measure(busy, 100, warmup_runs=0, test_runs=2)
    assert (stats.memory_peak_mb, stats.memory_source) == (None, "unavailable")
    check_stats(stats.as_dict())
    entry = store.make_entry(stats.as_dict(), device="cpu", test=None, fingerprint=None, when="t")
    assert "memory_peak_mb" not in entry
    assert entry["memory_source"] == "unavailable"
    result = compare.compare("m", "cpu", entry, entry, compare.Rule())
    assert [m.metric for m in result.metrics] == [compare.TIME]  # memory is left out, no error


def test_process_peak_is_read_where_resource_exists() -> None:
    peak, source = measure.process_peak_mib()
    if sys.platform != "win32":
        assert source == "ru-maxrss"
        assert peak is not None and peak > 1


def test_longer_work_takes_longer() -> None:
    time = virtual_clock.VirtualTime("longer")
    short = measure.measure(time.spend, 0.0002, warmup_runs=1, test_runs=5, clock=time.clock())
    long = measure.measure(time.spend, 0.02, warmup_runs=1, test_runs=5, clock=time.clock())
    assert min(long.samples) > 50 * max(short.samples)
    assert min(long.normalised_samples) > 50 * max(short.normalised_samples)
    assert 0.015 < statistics.median(long.samples) < 0.025


def test_the_real_clock_measures_real_work() -> None:
    stats = measure.measure(busy, 2_000, warmup_runs=1, test_runs=5)
    assert stats.clock == "cpu" and min(stats.samples) > 0 and min(stats.cpu_samples) > 0
    assert len(stats.reference_samples) == len(stats.samples) + 1


def test_memory_peak_sees_an_allocation() -> None:
    if not Path("/proc/self/clear_refs").exists():
        pytest.skip("needs Linux /proc")

    def allocate(megabytes: int) -> int:
        block = bytearray(megabytes * 2**20)
        return len(block)

    small = measure.measure(allocate, 1, warmup_runs=0, test_runs=2)
    large = measure.measure(allocate, 200, warmup_runs=0, test_runs=2)
    assert large.memory_source == "linux-vmhwm"
    assert large.memory_peak_mb - small.memory_peak_mb > 150
    assert large.memory_base_mb is not None
    assert large.memory_peak_mb - large.memory_base_mb > 150  # the growth the run caused
    assert large.as_dict()["memory_base_mb"] == large.memory_base_mb


@pytest.mark.parametrize("runs", [(-1, 3), (0, 0)])
def test_bad_run_counts(runs: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="warmup_runs >= 0 and test_runs >= 1"):
        measure.measure(busy, 10, warmup_runs=runs[0], test_runs=runs[1])


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 0, 0.0, -1.5, "1", None, True])
def test_check_positive_refuses(value: object) -> None:
    with pytest.raises(MeasurementError, match="the_name"):
        check_positive("the_name", value)


@pytest.mark.parametrize(
    ("stats", "named"),
    [
        ({}, "inference_time_mean"),
        ({"inference_time_mean": math.nan}, "inference_time_mean"),
        ({"inference_time_mean": 1.0, "samples": [1.0, 0.0]}, r"samples\[1\]"),
        ({"inference_time_mean": 1.0, "samples": []}, "samples"),
        ({"inference_time_mean": 1.0, "memory_peak_mb": math.inf}, "memory_peak_mb"),
        ({"inference_time_mean": 1.0, "metrics": {"tps": -2}}, "metrics"),
    ],
)
def test_check_stats_names_the_bad_key(stats: dict[str, Any], named: str) -> None:
    with pytest.raises(MeasurementError, match=named):
        check_stats(stats)


def test_normalise() -> None:
    assert measure.normalise([2.0, 6.0], [1.0, 1.0, 3.0]) == [2.0, 3.0]
    assert measure.normalise([2.0], [1.0]) is None
    assert measure.normalised_of({"samples": [4.0], "reference_samples": [2.0, 2.0]}) == [2.0]
    cpu = {"samples": [4.0], "cpu_samples": [1.0], "reference_samples": [2.0, 2.0], "clock": "cpu"}
    assert measure.normalised_of(cpu) == [0.5]
