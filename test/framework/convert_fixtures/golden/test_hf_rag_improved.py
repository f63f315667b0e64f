"""Model tests converted from a legacy script by ``modelgate convert``.

Generated: change the legacy script (or the converter) and convert again rather than editing
this file. The checks come from ``pytest_modelgate.models.checks``; without
``--run-model-tests`` these tests are gated off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_modelgate.models import checks

LEGACY_SOURCE = 'test_hf_rag.py'
MODEL_ID = 'facebook/rag-token-nq'
MODEL_NAME = 'rag'
MODEL_TYPE = 'rag'
TASK_TYPE = 'text2text-generation'
HEAD = 'seq2seq-lm'
CATEGORY = 'text'
NO_PAIR = "model type 'rag' has a config in transformers 5.24.0 but no auto model class: the catalog has no pair to run"

pytestmark = [
    pytest.mark.model_test,
    pytest.mark.model,
    pytest.mark.text,
    pytest.mark.parametrize("device", checks.device_params()),
]
pytestmark.append(pytest.mark.xfail(reason=NO_PAIR, strict=True))


def test_forward(device: str, model_source: str) -> None:
    checks.check_forward(MODEL_TYPE, HEAD, device, source=model_source, model_id=MODEL_ID)


def test_deterministic(device: str, model_source: str) -> None:
    checks.check_deterministic(MODEL_TYPE, HEAD, device, source=model_source, model_id=MODEL_ID)


def test_save_load(device: str, model_source: str, tmp_path: Path) -> None:
    checks.check_save_load(
        MODEL_TYPE, HEAD, device, tmp_path, source=model_source, model_id=MODEL_ID
    )


@pytest.mark.benchmark
def test_performance(device: str, model_source: str, model_benchmark: Any) -> None:
    built = checks.build(MODEL_TYPE, HEAD, device, source=model_source, model_id=MODEL_ID)
    name = f"{MODEL_TYPE}-{HEAD}" if model_source == "tiny" else f"{MODEL_ID}-{HEAD}"
    model_benchmark(name, built.model, built.inputs, device=device)
