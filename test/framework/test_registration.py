from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_modelgate.plugin import MARKERS

README = Path(__file__).parents[2] / "README.md"
# the heading names the plugin: `pytest --help | grep -i modelgate` finds it
GROUP = "modelgate: model test gating and performance baselines:"
OPTIONS = [
    "--run-model-tests",
    "--update-baselines",
    "--baseline-tolerance=FLOAT",
    "--baselines-dir=PATH",
    "--fail-on-regression",
    "--baseline-report=PATH",
]


def test_help_shows_every_option_in_one_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    lines = result.stdout.lines
    start = lines.index(GROUP)
    group = "\n".join(lines[start : start + 20])
    for option in OPTIONS:
        assert option in group
    result.stdout.fnmatch_lines(["*model_test_paths (paths)*", "*baseline_tolerance*"])


def test_readme_documents_every_option(pytester: pytest.Pytester) -> None:
    """README's options table has a row for each option of the group in ``pytest --help``."""
    lines = pytester.runpytest("--help").stdout.lines
    start = lines.index(GROUP) + 1
    group = lines[start : lines.index("", start)]
    options = [m.group(1) for line in group if (m := re.match(r"  (--[\w-]+)", line))]
    assert {o.split("=")[0] for o in OPTIONS} <= set(options)
    table = README.read_text(encoding="utf-8")
    assert [option for option in options if f"| `{option}" not in table] == []


def test_markers_are_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    for name in MARKERS:
        result.stdout.fnmatch_lines([f"@pytest.mark.{name}: *"])
    assert set(MARKERS) == {
        "model_test", "model", "text", "vision", "audio", "multimodal",
        "benchmark", "slow", "cpu", "cuda", "mps",
    }  # fmt: skip


def test_strict_markers_run_is_clean(pytester: pytest.Pytester) -> None:
    decorators = "".join(
        f"@pytest.mark.{name}\n" for name in MARKERS if name not in ("cuda", "mps")
    )
    pytester.makepyfile(f"import pytest\n{decorators}def test_all(): pass\n")
    result = pytester.runpytest("--strict-markers", "--run-model-tests")
    result.assert_outcomes(passed=1)


def test_plugin_can_be_disabled(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("import pytest\n@pytest.mark.model_test\ndef test_a(): pass\n")
    result = pytester.runpytest("-p", "no:modelgate")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest("-p", "no:modelgate", "--run-model-tests")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
