"""Measuring plain Python callables (torch modules are measured in test_engine's subprocess)."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate import ModelTestUtils
from pytest_modelgate.baselines import measure
from pytest_modelgate.baselines.measure import MeasurementError, check_positive, check_stats


def busy(loops: int = 20_000) -> int:
    return sum(i % 7 for i in range(loops))


def test_seed_stats_shape() -> None:
    stats = ModelTestUtils.measure_inference_time(busy, 5_000, warmup_runs=1, test_runs=6)
    for key in ("mean", "median", "min", "max", "std"):
        assert math.isfinite(stats[f"inference_time_{key}"])
    assert stats["inference_time_min"] <= stats["inference_time_median"]
    assert stats["inference_time_median"] <= stats["inference_time_max"]
    assert len(stats["samples"]) == 6
    assert len(stats["reference_samples"]) == 7
    assert len(stats["normalised_samples"]) == 6
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
def test_inputs_are_passed_the_seed_way(inputs: Any, expected: str) -> None:
    calls: list[str] = []

    def model(*args: Any, **kwargs: Any) -> None:
        calls.append("kw" if kwargs else "pos" if len(args) == 2 else "one")

    measure.measure(model, inputs, warmup_runs=2, test_runs=3)
    assert calls == [expected] * 5


def test_longer_work_takes_longer() -> None:
    short = measure.measure(busy, 2_000, warmup_runs=1, test_runs=5)
    long = measure.measure(busy, 200_000, warmup_runs=1, test_runs=5)
    assert min(long.samples) > max(short.samples)
    assert min(long.normalised_samples) > max(short.normalised_samples)


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
