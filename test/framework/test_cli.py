from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_modelgate import __version__
from pytest_modelgate.cli import build_parser, main
from pytest_modelgate.models import catalog, status
from pytest_modelgate.settings import DEFAULT_BASELINES_DIR, DEFAULT_TOLERANCE


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
    registry = catalog.load_registry()
    assert f"transformers {registry.transformers_version}: {len(registry.pairs)} pairs" in out
    assert "  multimodal: " in out


def test_catalog_expected_failures_say_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "--status", "expected-failure"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all("expected failure" in line and ": " in line for line in lines)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the report"),
        ("<testsuite", "cannot read the report"),
        ('<testsuite><testcase name="test_a" time="1"/></testsuite>', "no CPU model-suite"),
    ],
)
def test_catalog_record_slow_needs_a_usable_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None, message: str
) -> None:
    report = tmp_path / "report.xml"
    if content is not None:
        report.write_text(content)
    before = status.SLOW.read_bytes()
    assert main(["catalog", "--record-slow", str(report)]) == 1
    assert message in capsys.readouterr().err
    assert status.SLOW.read_bytes() == before


def test_help_states_the_exit_status_rule(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    rule = out[out.index("exit status, the same for every command:") :].splitlines()
    assert [line.split()[0] for line in rule[1:] if not line.startswith("     ")] == [
        "0",
        "1",
        "2",
    ]
    assert rule[1].startswith("  0  success")
    assert rule[-1].strip().endswith("was done")


def exit_status(argv: list[str]) -> int:
    """The status ``modelgate ARGV`` exits with, a usage error's ``SystemExit`` included."""
    try:
        return main(argv)
    except SystemExit as exit_info:
        assert isinstance(exit_info.code, int)
        return exit_info.code


# Every command follows the rule of ``modelgate --help``: 0 success, 1 the command ran and
# found a problem, 2 the command line cannot work.
EXIT_STATUSES = [
    (["catalog", "-k", "bert-fill"], 0),
    (["baselines", "import", "good.json", "--baselines-dir", "store"], 0),
    (["baselines", "merge", "store", "--into", "merged"], 0),
    (["convert", "--input-dir", "legacy", "--output-dir", "out"], 0),
    (["baselines", "import", "missing.json"], 1),
    (["baselines", "import", "bad.json", "--baselines-dir", "store"], 1),
    (["baselines", "merge", "missing", "--into", "merged"], 1),
    (["catalog", "--record-slow", "missing.xml"], 1),
    (["convert", "--input-dir", "missing"], 1),
    (["convert", "--input-dir", "legacy", "--output-dir", "out", "--check"], 1),
    ([], 0),
    (["baselines"], 2),
    (["baselines", "import"], 2),
    (["baselines", "merge", "--into", "merged"], 2),
    (["catalog", "--category", "nonsense"], 2),
    (["convert", "--jobs", "0"], 2),
    (["convert", "--input-dir", "legacy", "--report", "good.json/report.json"], 2),
    (["convert", "--input-dir", "legacy", "--output-dir", "legacy/.."], 2),
]


@pytest.mark.parametrize(("argv", "expected"), EXIT_STATUSES)
def test_exit_status_follows_one_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], expected: int
) -> None:
    monkeypatch.chdir(tmp_path)
    guide = {"BERT_cpu": {"inference_time_mean": 0.01, "timestamp": "2024-05-01", "device": "cpu"}}
    (tmp_path / "good.json").write_text(json.dumps(guide))
    (tmp_path / "bad.json").write_text(json.dumps({"BERT_cpu": {"inference_time_mean": -1}}))
    assert main(["baselines", "import", "good.json", "--baselines-dir", "store"]) == 0
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy/test_hf_bert.py").write_text('class TestBertModels:\n    model_id = "b"\n')
    assert exit_status(argv) == expected


def test_closed_pipe_is_not_an_error() -> None:
    """``modelgate catalog | head`` ends quietly with status 0 when ``head`` stops reading."""
    script = "import sys; from pytest_modelgate.cli import main; sys.exit(main(['catalog']))"
    reader = "import sys; sys.stdin.readline()"
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as writer:
        assert writer.stdout is not None
        subprocess.run([sys.executable, "-c", reader], stdin=writer.stdout, check=True)
        writer.stdout.close()
        assert writer.wait(timeout=60) == 0


def test_building_the_parser_imports_no_pytest() -> None:
    """``modelgate --help`` stays quick: what needs pytest (the plugin, the A/B runner, the
    model suite) is imported by the command that runs, never while the parser is built."""
    script = (
        "import sys, pytest_modelgate.cli as c; c.build_parser(); print('pytest' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    "command", [[], ["ab"], ["baselines"], ["catalog"], ["convert"], ["report"], ["upgrade"]]
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {' '.join(['modelgate', *command])}")


def test_runs_as_a_module() -> None:
    """``python -m pytest_modelgate.cli`` is ``modelgate`` (bench/ab_scenario.py runs it so)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest_modelgate.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"modelgate {__version__}")


@pytest.mark.parametrize(
    "argv",
    [
        ["baselines", "diff", "a", "b", "--tolerance", "abc"],
        ["ab", "--base", "HEAD", "--tolerance", "0"],
    ],
)
def test_a_bad_tolerance_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Every ``--tolerance`` is read by the plugin's rule, and refused before anything runs."""
    assert exit_status(argv) == 2
    command = " ".join(argv[: 2 if argv[0] == "baselines" else 1])
    assert capsys.readouterr().err.startswith(
        f"modelgate {command}: --tolerance: expected a finite number in (0, 10], got"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["convert", "--jobs", "0"], "--jobs must be at least 1, got '0'"),
        (["convert", "--limit", "two"], "--limit must be a whole number, got 'two'"),
        (["ab", "--base", "HEAD", "--confirm", "-1"], "--confirm must be at least 0, got '-1'"),
        (
            ["ab", "--base", "HEAD", "--budget", "soon"],
            "modelgate ab: --budget: expected a number of seconds >= 0 (0: no confirming pass), "
            "got 'soon'",
        ),
    ],
)
def test_a_bad_count_names_its_option(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_status(argv) == 2
    assert message in capsys.readouterr().err


def test_store_options_default_to_the_plugins_store() -> None:
    """``--baselines-dir`` of every command, and ``merge --into``, default to the store the
    plugin reads unless told otherwise (``settings.DEFAULT_BASELINES_DIR``)."""
    parser = build_parser()
    for argv in (
        ["baselines", "show"],
        ["baselines", "import", "guide.json"],
        ["baselines", "prune"],
        ["baselines", "validate"],
        ["report", "--html", "out.html"],
    ):
        assert parser.parse_args(argv).baselines_dir == DEFAULT_BASELINES_DIR
    assert parser.parse_args(["baselines", "merge", "a"]).into == DEFAULT_BASELINES_DIR
    assert parser.parse_args(["baselines", "diff", "a", "b"]).tolerance == DEFAULT_TOLERANCE


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["catalog", "--frobnicate"], "usage: modelgate catalog"),
        (["baselines", "show", "--frobnicate"], "usage: modelgate baselines show"),
        (["report", "--html", "x.html", "--frobnicate"], "usage: modelgate report"),
    ],
)
def test_an_unknown_option_of_a_subcommand_shows_that_subcommands_usage(
    capsys: pytest.CaptureFixture[str], argv: list[str], usage: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage) and "unrecognized arguments: --frobnicate" in err
