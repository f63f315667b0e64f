from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_modelgate import __version__
from pytest_modelgate.cli import main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"modelgate {__version__}"


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: modelgate" in capsys.readouterr().out


def test_unknown_option_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--frobnicate"])
    assert exit_info.value.code == 2
    assert "--frobnicate" in capsys.readouterr().err


def test_catalog_lists_pairs_with_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "-k", "bert-fill", "--category", "text"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split() == ["bert-fill-mask", "text", "runs"] for line in lines)
    assert all("bert-fill" in line for line in lines)


def test_catalog_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "--summary"]) == 0
    out = capsys.readouterr().out
    assert "transformers 5.24.0: 1941 pairs" in out
    assert "  multimodal: " in out


def test_catalog_expected_failures_say_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "--status", "expected-failure"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all("expected failure" in line and ": " in line for line in lines)


def test_catalog_record_slow_needs_a_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["catalog", "--record-slow", str(tmp_path / "missing.xml")]) == 2
    assert "no such report" in capsys.readouterr().err


def test_closed_pipe_is_not_an_error() -> None:
    """``modelgate catalog | head`` ends quietly with status 0 when ``head`` stops reading."""
    script = "import sys; from pytest_modelgate.cli import main; sys.exit(main(['catalog']))"
    reader = "import sys; sys.stdin.readline()"
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as writer:
        assert writer.stdout is not None
        subprocess.run([sys.executable, "-c", reader], stdin=writer.stdout, check=True)
        writer.stdout.close()
        assert writer.wait(timeout=60) == 0
