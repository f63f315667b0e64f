"""The guide's helpers and fixtures (``baselines/fixtures.py``) tried as a user would: the
guide's example test unchanged, under pytest and outside it, the ``pytest_config`` fixture,
and a torch module measured in inference mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from baseline_projects import entries


def test_the_guides_example_runs_unchanged(guide: pytest.Pytester) -> None:
    folder = guide.path / "baselines"
    first = guide.runpytest()
    first.assert_outcomes(passed=3)
    first.stdout.fnmatch_lines(["*modelgate baselines*", "baselines: 3 new"])
    assert not (folder / "cpu.json").exists(), "a run without --update-baselines wrote baselines"
    # what it wrote is this machine's local store, which git ignores
    assert (folder / ".local" / ".gitignore").read_text().splitlines()[-1] == "*"

    update = guide.runpytest("--update-baselines")
    update.assert_outcomes(passed=3)
    update.stdout.fnmatch_lines([f"updated {folder / 'cpu.json'}: 3 added, 0 replaced"])
    stored = entries(folder)
    assert sorted(stored) == ["model_0", "model_1", "model_2"]
    entry = stored["model_0"]
    assert entry["test"] == "test_guide.py::test_model_performance[model_0]"
    runs = len(entry["samples"])  # type: ignore[arg-type]
    assert runs >= 8  # test_runs at least; more when the calibration asks for more time
    assert len(entry["reference_samples"]) == runs + 1  # type: ignore[arg-type]
    assert entry["loops"] >= 1
    assert entry["fingerprint"]["workers"] == 1  # type: ignore[index]

    again = guide.runpytest("--baseline-report=report.json")
    again.assert_outcomes(passed=3)
    again.stdout.fnmatch_lines([f"performance page: {guide.path / 'report.html'}"])
    report = json.loads((guide.path / "report.json").read_text())
    assert {r["model"] for r in report["results"]} == set(stored)
    assert {r["verdict"] for r in report["results"]} <= {"ok", "improvement"}
    page = (guide.path / "report.html").read_text()  # the HTML page beside the JSON report
    assert page.startswith("<!DOCTYPE html>") and page.count('<tr data-model="model_') == 3
    assert len(entries(folder)["model_0"]["history"]) == 1  # type: ignore[arg-type]


def test_a_slowdown_fails_the_guides_test_and_is_reported(
    guide: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    guide.runpytest("--update-baselines").assert_outcomes(passed=3)
    monkeypatch.setenv("SLOW_MODELS", "model_1")
    result = guide.runpytest("--baseline-report=report.json")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*model_1 (cpu): regression: inference_time +*% regression (threshold 20%)*",
            "*PerformanceRegressionWarning*",
        ]
    )
    report = json.loads((guide.path / "report.json").read_text())
    verdicts = {r["model"]: r["verdict"] for r in report["results"]}
    assert verdicts == {"model_0": "ok", "model_1": "regression", "model_2": "ok"}
    assert report["results"][0]["model"] == "model_1", "regressions come first"
    assert report["counts"]["regression"] == 1


def test_torch_module_runs_in_inference_mode(pytester: pytest.Pytester) -> None:
    """In a subprocess: this suite must never import torch itself."""
    if not _has("torch"):
        pytest.skip("torch is not installed")
    pytester.makepyfile(
        """
        import torch

        from pytest_modelgate import ModelTestUtils

        class Probe(torch.nn.Linear):
            def forward(self, x):
                assert torch.is_inference_mode_enabled()
                return super().forward(x)

        def test_linear(model_benchmark):
            model = Probe(8, 4)
            stats = ModelTestUtils.measure_inference_time(model, (torch.ones(2, 8),))
            assert stats["device"] == "cpu"
            assert stats["threads"] == torch.get_num_threads()
            assert len(stats["samples"]) == 10
            assert stats["memory_peak_mb"] > 0
            result = model_benchmark("linear", model, {"x": torch.ones(2, 8)})
            assert result.verdict == "new"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_the_pytest_config_fixture_carries_the_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_settings(pytest_config):
            print("SETTINGS", pytest_config.baseline_tolerance, pytest_config.update_baselines,
                  pytest_config.run_model_tests, pytest_config.baselines_dir.name,
                  pytest_config.fail_on_regression)
        """
    )
    result = pytester.runpytest("-s", "--baseline-tolerance=0.3", "--baselines-dir=perf")
    result.stdout.fnmatch_lines(["*SETTINGS 0.3 False False perf False*"])


STANDALONE = """
from pytest_modelgate import ModelTestUtils, PerformanceTestUtils

def model(n):
    return sum(i % 7 for i in range(n))

stats = ModelTestUtils.measure_inference_time(model, 30_000)
first = PerformanceTestUtils.check_performance_regression("solo", stats, update_baseline=True)
second = PerformanceTestUtils.check_performance_regression("solo", stats)
print(first["verdict"], second["verdict"], second["has_baseline"])
"""


def test_the_guides_helpers_work_outside_pytest(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", STANDALONE], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["new", "ok", "True"]
    assert list(entries(tmp_path / "baselines")) == ["solo"]
