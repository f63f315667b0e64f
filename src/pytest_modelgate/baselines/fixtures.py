"""The measuring API of the upstream gating guide, with its signatures: ``ModelTestUtils``,
``PerformanceTestUtils`` and the ``pytest_config`` fixture (tests written against that guide
run unchanged); plus ``model_benchmark``, a fixture that measures and checks at once.

Inside a test, the static helpers find their run through the test being run (set by the
baselines' worker); outside pytest they read and write ``baselines/`` under the current folder.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate.baselines import compare, judge, store, worker
from pytest_modelgate.baselines.measure import Stats, measure
from pytest_modelgate.settings import DEFAULT_TOLERANCE, Settings

STANDALONE_DIR = Path("baselines")


def infer_device(model: object) -> str:
    """The device of a torch module's first parameter (``cpu`` for anything else)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        for parameter in model.parameters():
            return str(parameter.device)
    return "cpu"


class ModelTestUtils:
    """Measuring helpers (the gating guide's ``ModelTestUtils``)."""

    @staticmethod
    def measure_inference_time(
        model: Callable[..., Any],
        inputs: Any,
        warmup_runs: int = 3,
        test_runs: int = 10,
        device: str | None = None,
    ) -> dict[str, Any]:
        """Time ``model`` on ``inputs``: ``inference_time_*`` (s), ``samples``, memory, threads.

        A dict is passed as keywords, a tuple as positional arguments, anything else as the one
        argument. A torch module runs in inference mode; CUDA is synchronised around each run.
        """
        where = device or infer_device(model)
        item = worker.CURRENT_ITEM.get()
        if item is not None:
            run = worker.of(item.config).measuring(
                model, inputs, warmup_runs=warmup_runs, test_runs=test_runs, device=where
            )
        else:
            run = functools.partial(
                measure, model, inputs, warmup_runs=warmup_runs, test_runs=test_runs, device=where
            )
        stats = run().as_dict()
        if item is not None:  # its check may find it slower: then it is measured again later
            item.stash.setdefault(worker.MEASURED_KEY, []).append((stats, run))
        return stats


class PerformanceTestUtils:
    """Baseline helpers (the gating guide's ``PerformanceTestUtils``)."""

    @staticmethod
    def check_performance_regression(
        model_name: str,
        timing_stats: Mapping[str, Any],
        device: str = "cpu",
        tolerance: float = DEFAULT_TOLERANCE,
        update_baseline: bool = False,
    ) -> dict[str, Any]:
        """Compare ``timing_stats`` with the baseline of ``model_name`` on ``device``.

        Returns ``has_baseline``, ``verdict``, ``regressions`` and ``improvements`` (lists of
        ``{metric, baseline, current, change_percent, threshold}``) and ``message``. In a pytest
        run, ``--update-baselines`` (or ``update_baseline=True``) records the measurement, written
        once at the end of the run; a ``baseline`` marker on the test overrides ``tolerance``.
        In a run the verdict is provisional: the final one, in the summary, also takes out the
        whole run's common shift.
        """
        item = worker.CURRENT_ITEM.get()
        rule = worker.rule_for(item, float(tolerance))
        if item is None:
            result = _standalone(model_name, timing_stats, device, rule, update_baseline)
        else:
            plugin = worker.of(item.config)
            update = bool(update_baseline) or plugin.settings.update_baselines
            result = plugin.check(
                item, model_name, timing_stats, device=device, rule=rule, update=update
            )
            rerun = measured_by(item, timing_stats)
            if rerun is not None:  # the test asserts on this verdict: confirm it now
                result = plugin.measure_again_now(item, result, rerun)
        return seed_dict(result)


def measured_by(item: pytest.Item, stats: Mapping[str, Any]) -> Callable[[], Stats] | None:
    """How to measure again what ``measure_inference_time`` returned as ``stats`` in this
    test (None for stats made any other way: those cannot be measured again)."""
    for measured, rerun in item.stash.get(worker.MEASURED_KEY, []):
        if measured is stats:
            return rerun
    return None


def seed_dict(result: compare.Result) -> dict[str, Any]:
    """The result dict the gating guide's tests read, for ``result``."""

    def change(m: compare.MetricResult) -> dict[str, Any]:
        return {
            "metric": m.metric,
            "baseline": m.baseline,
            "current": m.current,
            "change_percent": round(m.change_percent, 2),
            "threshold": round(m.threshold_percent, 2),
        }

    # an update records the new figures: what changed is reported, not held against the test
    return {
        "model": result.model,
        "device": result.device,
        "has_baseline": result.has_baseline,
        "verdict": result.verdict,
        "updated": result.updated,
        "regressions": [] if result.updated else [change(m) for m in result.regressions],
        "improvements": [change(m) for m in result.improvements],
        "metrics": [m.as_dict() for m in result.metrics],
        "message": result.message,
    }


def _standalone(
    model: str, stats: Mapping[str, Any], device: str, rule: compare.Rule, update: bool
) -> compare.Result:
    """Outside pytest: compare with ``./baselines`` and write at once when updating."""
    folder = STANDALONE_DIR.resolve()
    outcome = judge.check(
        store.Reader(folder).lookup,
        model,
        stats,
        device=device,
        rule=rule,
        update=update,
        workers=1,
        test=None,
    )
    if not update:
        judge.warn_regressions([outcome.result], {})
    else:
        store.save(folder, outcome.record.device, {model: outcome.record.entry})
    return outcome.result


# (named through ``name=``: pluggy takes a module attribute called ``pytest_*`` for a hook)
@pytest.fixture(name="pytest_config")
def config_fixture(request: pytest.FixtureRequest) -> Settings:
    """This run's settings: ``baseline_tolerance``, ``update_baselines``, ``run_model_tests``,
    ``baselines_dir``, ``fail_on_regression``, ``baseline_report``."""
    return worker.of(request.config).settings


class Benchmark:
    """``model_benchmark(name, model, inputs, ...)``: measure, compare, record; the verdict."""

    def __init__(self, item: pytest.Item) -> None:
        self.item = item

    def __call__(
        self,
        name: str,
        model: Callable[..., Any],
        inputs: Any,
        *,
        device: str = "cpu",
        warmup_runs: int = 3,
        test_runs: int = 10,
    ) -> compare.Result:
        plugin = worker.of(self.item.config)
        run = plugin.measuring(
            model, inputs, warmup_runs=warmup_runs, test_runs=test_runs, device=device
        )
        rule = worker.rule_for(self.item, plugin.settings.baseline_tolerance)
        result = plugin.check(
            self.item,
            name,
            run().as_dict(),
            device=device,
            rule=rule,
            update=plugin.settings.update_baselines,
        )
        plugin.measure_again_later(result, run)
        return result


@pytest.fixture
def model_benchmark(request: pytest.FixtureRequest) -> Benchmark:
    """Measure a model and check it against its baseline in one call.

    ``model_benchmark(name, model, inputs, *, device="cpu", warmup_runs=3, test_runs=10)``
    returns the provisional ``compare.Result`` (``verdict``, ``message``, ``regressions``,
    ``metrics``, ``updated``). A model that looked slower is measured again once every test has
    run; the final verdicts, with the run's common shift taken out, are in the summary. A final
    regression warns, and fails the run with ``--fail-on-regression``: a test need not assert on
    the verdict (under ``--update-baselines`` it describes the change being recorded).
    """
    return Benchmark(request.node)
