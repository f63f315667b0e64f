"""Converted modules are real pytest modules: they collect, gate and stay light (no torch).

Collection runs in a subprocess: it imports ``pytest_modelgate.models.checks``, which must not
import torch at import time; the subprocess says whether it did.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import pytest

from pytest_modelgate.cli import main

# The converted modules import the model suite's checks (its own branch until merged); looked
# up without importing it, so this module stays light.
pytestmark = pytest.mark.skipif(
    find_spec("pytest_modelgate.models.checks") is None,
    reason="converted modules need pytest_modelgate.models.checks (the model suite)",
)

LEGACY = Path(__file__).parent / "convert_fixtures" / "legacy"
MODULES = 25
TESTS = 4  # forward, deterministic, save/load, performance
DEVICES = 3  # cpu, cuda, mps

TORCH_PROBE = """
import sys

def pytest_sessionfinish(session):
    heavy = sorted(m for m in ("torch", "transformers") if m in sys.modules)
    print("heavy imports:", heavy or "none")
"""


@pytest.fixture
def converted(pytester: pytest.Pytester) -> Path:
    pytester.makeconftest(TORCH_PROBE)
    out = pytester.path / "improved"
    assert main(["convert", "--input-dir", str(LEGACY), "--output-dir", str(out)]) == 0
    return out


def test_converted_modules_collect_without_torch(
    pytester: pytest.Pytester, converted: Path
) -> None:
    result = pytester.runpytest_subprocess("--co", "-q", "--run-model-tests", str(converted))
    result.stdout.fnmatch_lines(
        [
            "*sub/test_hf_roberta_improved.py::test_save_load[[]cuda[]]",
            "*test_hf_bert_improved.py::test_forward[[]cpu[]]",
            "*test_hf_bert_improved.py::test_performance[[]mps[]]",
            "*heavy imports: none",
            f"{MODULES * TESTS * DEVICES} tests collected*",
        ]
    )
    assert result.ret == 0


def test_converted_modules_are_gated(pytester: pytest.Pytester, converted: Path) -> None:
    result = pytester.runpytest_subprocess("-q", "-rs", str(converted / "test_hf_bert_improved.py"))
    result.assert_outcomes(skipped=TESTS * DEVICES)
    result.stdout.fnmatch_lines(
        ["*heavy imports: none", "*model test: run with --run-model-tests*"]
    )


def test_markers_select_converted_modules(pytester: pytest.Pytester, converted: Path) -> None:
    result = pytester.runpytest_subprocess(
        "--co", "-q", "--run-model-tests", "-m", "audio and cpu and benchmark", str(converted)
    )
    result.stdout.fnmatch_lines(
        ["*test_hf_whisper_improved.py::test_performance[[]cpu[]]", "1/* tests collected*"]
    )


def test_same_named_inputs_in_two_folders_collect_in_default_mode(
    pytester: pytest.Pytester,
) -> None:
    """Two legacy folders that both hold ``test_hf_bert.py`` (a real suite's skillset and
    generated tests): their outputs share a file name, and without packages pytest's default
    import mode fails the second with "import file mismatch"."""
    legacy = pytester.path / "legacy"
    for folder in ("skillset", "generated"):
        (legacy / folder).mkdir(parents=True)
        (legacy / folder / "test_hf_bert.py").write_bytes((LEGACY / "test_hf_bert.py").read_bytes())
    out = pytester.path / "improved"
    assert main(["convert", "--input-dir", str(legacy), "--output-dir", str(out)]) == 0
    assert (out / "__init__.py").is_file()
    result = pytester.runpytest_subprocess(
        "--co", "-q", "--run-model-tests", "--import-mode=prepend", str(out)
    )
    result.stdout.fnmatch_lines(
        [
            "*generated/test_hf_bert_improved.py::test_forward[[]cpu[]]",
            "*skillset/test_hf_bert_improved.py::test_forward[[]cpu[]]",
            f"{2 * TESTS * DEVICES} tests collected*",
        ]
    )
    assert "import file mismatch" not in result.stdout.str()
    assert result.ret == 0
