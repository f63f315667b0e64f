"""The repository's model suite: the checks as tests, parametrized over the catalog.

A test module under ``test/models/`` sets ``CATEGORY`` and imports the test functions below;
``parametrize`` (called from that folder's ``pytest_generate_tests``) gives each of them one item
per (pair, device) of the category, with readable ids (``test_forward[bert-fill-mask-cpu]``) and
the markers ``model``, the category, the device, ``slow``, an ``xdist_group`` per pair (so that
``--dist loadgroup`` builds a model once per worker) and the strict expected failures.
``test_benchmark`` (marked ``benchmark``) measures time and peak memory against the baselines
through the plugin's ``model_benchmark`` fixture.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from _pytest.mark import ParameterSet

from pytest_modelgate.models import catalog, checks, status
from pytest_modelgate.settings import SELECT_ENV

ARGNAMES = ("model_type", "head", "device")
# Fewer runs than the fixture's default: 1900 pairs must fit the suite's time budget.
BENCHMARK_RUNS = {"warmup_runs": 1, "test_runs": 5}
# Warnings random tiny weights make that say nothing about the code under test.
WARNING_FILTERS = (
    "ignore:Initializing zero-element tensors is a no-op:UserWarning",
    "ignore:Using padding='same' with even kernel lengths:UserWarning",
)


def params(category: str, check: str) -> list[ParameterSet]:
    """One ``pytest.param`` per (pair of ``category``, device) for the test of ``check``."""
    if category not in catalog.CATEGORIES:
        raise ValueError(f"unknown category {category!r}; expected one of {catalog.CATEGORIES}")
    if check not in status.CHECKS:
        raise ValueError(f"unknown check {check!r}; expected one of {status.CHECKS}")
    expected = status.load_expected_failures()
    slow = status.load_slow()
    out = []
    for pair in catalog.load_registry().pairs:
        if pair.category != category:
            continue
        marks = [
            pytest.mark.model,
            getattr(pytest.mark, category),
            pytest.mark.xdist_group(name=pair.id),
            *(pytest.mark.filterwarnings(f) for f in WARNING_FILTERS),
        ]
        if pair.id in slow:
            marks.append(pytest.mark.slow)
        failure = expected.get(pair.id)
        if failure is not None and check in failure.checks:
            marks.append(pytest.mark.xfail(reason=failure.reason, strict=True))
        for device in checks.device_params():
            (name,) = device.values
            out.append(
                pytest.param(
                    pair.model_type,
                    pair.head,
                    name,
                    marks=[*marks, *device.marks],
                    id=f"{pair.id}-{device.id}",
                )
            )
    return out


def parametrize(metafunc: pytest.Metafunc) -> None:
    """Parametrize a suite test by its module's ``CATEGORY`` and its name (``test_<check>``)."""
    if not set(ARGNAMES) <= set(metafunc.fixturenames):
        return
    category = getattr(metafunc.module, "CATEGORY", None)
    if category is None:
        raise pytest.UsageError(f"{metafunc.module.__name__}: set CATEGORY to use the suite tests")
    check = metafunc.function.__name__.removeprefix("test_")
    marks = [pytest.mark.benchmark] if check == "benchmark" else []
    listed = selected(metafunc.function.__name__, os.environ)
    chosen = [p for p in params(category, check) if listed is None or p.id in listed]
    metafunc.parametrize(ARGNAMES, [_with(p, marks) for p in chosen])


def selected(function: str, environ: Mapping[str, str]) -> set[str] | None:
    """The parameter ids of ``function`` that the file ``MODELGATE_SELECT`` names lists (its
    lines are test ids), or None when none is named: a run of a few listed tests (the passes of
    ``modelgate ab`` that confirm) then builds those few items, not all of the suite's."""
    listed = environ.get(SELECT_ENV)
    if not listed:
        return None
    lines = Path(listed).read_text(encoding="utf-8").splitlines()
    prefix = f"::{function}["
    return {
        line.split(prefix, 1)[1][:-1] for line in lines if prefix in line and line.endswith("]")
    }


def _with(param: ParameterSet, marks: list[pytest.MarkDecorator]) -> ParameterSet:
    return param._replace(marks=[*param.marks, *marks]) if marks else param


def test_forward(model_type: str, head: str, device: str, model_source: str) -> None:
    checks.check_forward(model_type, head, device, source=model_source)


def test_deterministic(model_type: str, head: str, device: str, model_source: str) -> None:
    checks.check_deterministic(model_type, head, device, source=model_source)


def test_save_load(
    model_type: str, head: str, device: str, model_source: str, tmp_path: Path
) -> None:
    checks.check_save_load(model_type, head, device, tmp_path, source=model_source)


def test_benchmark(
    model_type: str, head: str, device: str, model_source: str, model_benchmark: Any
) -> None:
    """Inference time and peak memory of the pair against its baseline."""
    name = f"{model_type}-{head}"
    built = checks.build(model_type, head, device, source=model_source)
    result = model_benchmark(name, built.model, built.inputs, device=device, **BENCHMARK_RUNS)
    assert (result.model, result.device) == (name, device), result.message
