"""Projects that measure models as a user's would, for the tests of a whole pytest run.

Not a test module: the tests of the worker, the controller and the fixtures import it by
basename, as they import ``virtual_clock`` (``from baseline_projects import guide_project``).
The ``guide`` fixture (the guide's example test in a ``pytester`` project) is in ``conftest.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import virtual_clock

# The guide's example test, as a user wrote it; only the models are plain Python here.
GUIDE_TEST = """
import os

import pytest
import vclock

from pytest_modelgate import ModelTestUtils, PerformanceTestUtils

MODELS = [f"model_{i}" for i in range(int(os.environ.get("N_MODELS", "3")))]
SLOW = set(os.environ.get("SLOW_MODELS", "").split(","))


def make_model(name):
    cost = 0.001 * (3 if name in SLOW else 1)

    def forward(x):
        vclock.spend(cost)
        return x

    return forward


@pytest.mark.parametrize("name", MODELS)
def test_model_performance(pytest_config, name):
    model = make_model(name)
    timing_stats = ModelTestUtils.measure_inference_time(model, 3, warmup_runs=2, test_runs=8)
    result = PerformanceTestUtils.check_performance_regression(
        name,
        timing_stats,
        device="cpu",
        tolerance=pytest_config.baseline_tolerance,
        update_baseline=pytest_config.update_baselines,
    )
    assert not result["regressions"], result["message"]
"""

# The projects below measure on a virtual clock (``virtual_clock``): their samples, and so
# their verdicts, do not depend on how busy the machine is. The default tolerance applies.
INI = "[pytest]\nfilterwarnings =\n    default::pytest_modelgate.PerformanceRegressionWarning\n"


def entries(folder: Path, device: str = "cpu") -> dict[str, dict[str, object]]:
    data = json.loads((folder / f"{device}.json").read_text())
    assert data["schema_version"] == 1
    result: dict[str, dict[str, object]] = data["entries"]
    return result


def guide_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The guide's example test in ``pytester``'s project, on the virtual clock."""
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    pytester.makepyfile(test_guide=GUIDE_TEST)
    return pytester
