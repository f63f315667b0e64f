"""Converted legacy tests run offline on tiny models, checks and baselines included.

A sample of the converter's fixtures, one per category plus a model type the registry lacks
(a strict expected failure), converted and run in a subprocess as a user would run them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_modelgate.cli import main

pytestmark = [pytest.mark.model, pytest.mark.cpu]  # so that `nox -s models` (-m cpu) runs it
LEGACY = Path(__file__).parent.parent / "framework" / "convert_fixtures" / "legacy"
RUNS = [
    "test_hf_bert_improved.py",
    "test_hf_gpt2_improved.py",
    "test_hf_vit_improved.py",
    "test_hf_whisper_improved.py",
    "test_hf_clip_improved.py",
]
UNKNOWN = "test_hf_mystery_net_improved.py"
TESTS = 4


def test_converted_sample_runs_offline_on_tiny_models(pytester: pytest.Pytester) -> None:
    out = pytester.path / "improved"
    assert main(["convert", "--input-dir", str(LEGACY), "--output-dir", str(out)]) == 0
    result = pytester.runpytest_subprocess(
        "-q",
        "--run-model-tests",
        "-m",
        "cpu",
        f"--baselines-dir={pytester.path / 'baselines'}",
        *(str(out / name) for name in [*RUNS, UNKNOWN]),
    )
    result.assert_outcomes(passed=len(RUNS) * TESTS, xfailed=TESTS)
