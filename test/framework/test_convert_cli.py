"""``modelgate convert`` end to end: ``main([...])`` on a copy of the fixtures in tmp_path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from goldens import FIXTURES, GOLDEN, for_registry

from pytest_modelgate.cli import main
from pytest_modelgate.convert import files
from pytest_modelgate.models import catalog

FOUND = 29
CONVERTED = 25


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose ``test/`` holds the legacy fixtures; the working directory."""
    shutil.copytree(FIXTURES / "legacy", tmp_path / "test")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def goldens() -> dict[str, bytes]:
    return {k: for_registry(v.decode()).encode() for k, v in tree(GOLDEN).items()}


def test_convert_log_outputs_and_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(project)
    assert main(["convert", "--report", "report.json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:6] == [
        "🔄 Converting legacy model tests",
        "Input directory: test",
        "Output directory: test/improved",
        "Pattern: test_hf_*.py",
        f"Files found: {FOUND}",
        "Limit: none",
    ]
    assert lines[6] == (
        f"[1/{FOUND}] ✅ Converted sub/test_hf_roberta.py → sub/test_hf_roberta_improved.py"
    )
    assert (
        f"[2/{FOUND}] ⏭️ Skipping test_hf___help.py (no model: '__help' is no model type"
        in (lines[7])
    )
    assert f"[7/{FOUND}] ⏭️ Skipping test_hf_binary.py (binary file, not Python source)" in lines
    assert f"[13/{FOUND}] ⏭️ Skipping test_hf_empty.py (empty file)" in lines
    assert (
        f"[24/{FOUND}] ✅ Converted test_hf_xlm-roberta.py → test_hf_xlm_roberta_improved.py"
        in lines
    )
    assert lines[-2:] == [
        f"Conversion complete: {CONVERTED}/{FOUND} successful",
        "converted: 25, skipped: 4",
    ]
    # The outputs are the golden modules; nothing else changed but the output dir and report.
    after = tree(project)
    outputs = {k[len("test/improved/") :]: v for k, v in after.items() if "improved/" in k}
    assert outputs == goldens()
    others = {k: v for k, v in after.items() if "improved/" not in k and k != "report.json"}
    assert others == before
    report = json.loads((project / "report.json").read_text())
    assert report["summary"] == {"converted": CONVERTED, "skipped": FOUND - CONVERTED}
    assert report["transformers_registry"] == catalog.load_registry().transformers_version
    entries = {e["source"]: e for e in report["files"]}
    assert entries["test_hf_clip.py"]["task"] == "zero-shot-image-classification"
    assert any("does not fit clip" in r for r in entries["test_hf_clip.py"]["reasons"])
    assert entries["test_hf_empty.py"]["skip_reason"] == "empty file"
    assert entries["test_hf_bert.py"]["output"] == "test_hf_bert_improved.py"
    # a model type with a config and no auto model class: converted, its tests expected to fail
    nougat = entries["test_hf_nougat.py"]
    assert (nougat["status"], nougat["model_type"]) == ("converted", "nougat")
    assert (nougat["known_type"], nougat["config_only"]) == (False, True)
    assert nougat["detail"] == "its tests are expected failures: no pair to run"
    assert (
        f"[18/{FOUND}] ✅ Converted test_hf_nougat.py → test_hf_nougat_improved.py"
        " (its tests are expected failures: no pair to run)"
    ) in lines
    assert (
        f"[17/{FOUND}] ✅ Converted test_hf_mystery_net.py → test_hf_mystery_net_improved.py"
        " (its tests are expected failures: unknown model type)"
    ) in lines


def test_existing_outputs_are_kept_unless_overwrite(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["convert"]) == 0
    edited = project / "test/improved/test_hf_bert_improved.py"
    edited.write_text("# edited by hand\n")
    capsys.readouterr()
    assert main(["convert"]) == 0
    out = capsys.readouterr().out
    assert f"[5/{FOUND}] ⏭️ Skipping test_hf_bert.py (output exists)" in out
    assert f"Conversion complete: {CONVERTED}/{FOUND} successful" in out
    assert edited.read_text() == "# edited by hand\n"
    assert main(["convert", "--overwrite"]) == 0
    assert edited.read_bytes() == goldens()["test_hf_bert_improved.py"]


def test_check_mode(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "--check"]) == 1  # nothing converted yet: all missing
    assert not (project / "test/improved").exists()
    assert f"[5/{FOUND}] ❌ Missing test_hf_bert.py → test_hf_bert_improved.py" in (
        capsys.readouterr().out
    )
    assert main(["convert"]) == 0
    capsys.readouterr()
    assert main(["convert", "--check"]) == 0
    assert f"[5/{FOUND}] ✅ Up to date test_hf_bert.py" in capsys.readouterr().out
    (project / "test/improved/test_hf_gpt2_improved.py").write_text("stale\n")
    before = tree(project)
    assert main(["convert", "--check"]) == 1
    assert "❌ Stale test_hf_gpt2.py → test_hf_gpt2_improved.py" in capsys.readouterr().out
    assert tree(project) == before


def test_output_folders_are_packages(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each output folder gets an ``__init__.py`` (so same-named modules in two folders
    collect); a missing one fails ``--check`` and a plain convert puts it back."""
    assert main(["convert"]) == 0
    package = project / "test/improved/sub/__init__.py"
    assert package.read_text() == files.PACKAGE_TEXT
    assert (project / "test/improved/__init__.py").read_text() == files.PACKAGE_TEXT
    package.unlink()
    capsys.readouterr()
    assert main(["convert", "--check"]) == 1
    assert (
        f"[1/{FOUND}] ❌ Missing sub/test_hf_roberta.py → sub/test_hf_roberta_improved.py"
        " (sub/__init__.py missing)" in capsys.readouterr().out
    )
    assert main(["convert"]) == 0  # the modules exist and are kept; the package is written
    assert package.read_text() == files.PACKAGE_TEXT
    assert main(["convert", "--check"]) == 0


def test_dry_run_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(project)
    assert main(["convert", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Mode: dry run (nothing is written)" in out
    assert f"[5/{FOUND}] 🔎 Would convert test_hf_bert.py → test_hf_bert_improved.py" in out
    assert tree(project) == before


def test_limit(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "--limit", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[4:6] == [f"Files found: {FOUND}", "Limit: 3"]
    assert [line[:5] for line in lines[6:9]] == ["[1/3]", "[2/3]", "[3/3]"]
    assert "Conversion complete: 2/3 successful" in lines


def test_jobs_give_the_same_result(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "--output-dir", "one", "--report", "one.json"]) == 0
    one = capsys.readouterr().out.splitlines()
    assert main(["convert", "--output-dir", "two", "--jobs", "2", "--report", "two.json"]) == 0
    two = capsys.readouterr().out.splitlines()
    assert (one[2], two[2]) == ("Output directory: one", "Output directory: two")
    assert one[:2] + one[3:] == two[:2] + two[3:]
    assert tree(project / "one") == tree(project / "two") == goldens()
    report_one = json.loads((project / "one.json").read_text())
    report_two = json.loads((project / "two.json").read_text())
    assert report_one["files"] == report_two["files"]


def test_output_dir_is_never_read(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    improved = project / "test/improved"
    improved.mkdir()
    shutil.copy(project / "test/test_hf_bert.py", improved / "test_hf_bert_copy.py")
    (project / "test/link").symlink_to(improved)
    (project / "test/test_hf_linked.py").symlink_to(improved / "test_hf_bert_copy.py")
    assert main(["convert", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"Files found: {FOUND}" in out
    assert "bert_copy" not in out
    assert "linked" not in out


def test_clashing_output_names_are_numbered(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(project / "test/test_hf_xlm-roberta.py", project / "test/test_hf_xlm_roberta.py")
    assert main(["convert", "--report", "report.json"]) == 0
    out = capsys.readouterr().out
    assert "✅ Converted test_hf_xlm-roberta.py → test_hf_xlm_roberta_improved.py\n" in out
    assert (
        "✅ Converted test_hf_xlm_roberta.py → test_hf_xlm_roberta_2_improved.py (numbered: "
        "test_hf_xlm_roberta_improved.py is the output of test_hf_xlm-roberta.py)"
    ) in out
    improved = project / "test/improved"
    first = (improved / "test_hf_xlm_roberta_improved.py").read_text()
    second = (improved / "test_hf_xlm_roberta_2_improved.py").read_text()
    renamed = first.replace("xlm-roberta.py'", "xlm_roberta.py'")
    assert renamed.replace("NAME = 'xlm-roberta'", "NAME = 'xlm_roberta'") == second


def test_a_link_in_the_output_dir_is_not_followed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = project / "outside.py"
    outside.write_text("keep me\n")
    improved = project / "test/improved"
    improved.mkdir()
    (improved / "test_hf_bert_improved.py").symlink_to(outside)
    (improved / "sub").symlink_to(project, target_is_directory=True)
    assert main(["convert", "--overwrite"]) == 1
    out = capsys.readouterr().out
    assert "❌ Failed test_hf_bert.py: 'test_hf_bert_improved.py' exists and is not a plain" in out
    assert "❌ Failed sub/test_hf_roberta.py: 'sub/test_hf_roberta_improved.py' would be" in out
    assert outside.read_text() == "keep me\n"
    assert not (project / "test_hf_roberta_improved.py").exists()


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--input-dir", "missing"], 1, "no input directory 'missing'"),
        (["--input-dir", "test/improved/x", "--output-dir", "test"], 2, "lies inside the output"),
    ],
)
def test_bad_directories(
    project: Path, capsys: pytest.CaptureFixture[str], args: list[str], status: int, message: str
) -> None:
    (project / "test/improved/x").mkdir(parents=True)
    assert main(["convert", *args]) == status
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ("notes.txt/report.json", "needs a folder where the file 'notes.txt' is"),
        ("notes.txt/deeper/report.json", "needs a folder where the file 'notes.txt' is"),
        ("test", "is a folder, not a file"),
    ],
)
def test_a_report_path_that_cannot_be_written_is_refused_first(
    project: Path, capsys: pytest.CaptureFixture[str], report: str, message: str
) -> None:
    """A usage error before anything is converted: no output written, no traceback."""
    (project / "notes.txt").write_text("a file, not a folder\n")
    before = tree(project)
    assert main(["convert", "--report", report]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"modelgate convert: --report {report!r} {message}\n"
    assert captured.out == ""
    assert tree(project) == before


def test_quiet_prints_failures_and_the_summary_only(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["convert", "--quiet"]) == 0
    summary = f"Conversion complete: {CONVERTED}/{FOUND} successful (converted: 25, skipped: 4)"
    assert capsys.readouterr().out == summary + "\n"
    (project / "test/improved/test_hf_gpt2_improved.py").write_text("stale\n")
    assert main(["convert", "--check", "-q"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"[15/{FOUND}] ❌ Stale test_hf_gpt2.py → test_hf_gpt2_improved.py"
        " (differs: convert with --overwrite)",
        f"Conversion complete: {CONVERTED - 1}/{FOUND} successful"
        " (skipped: 4, stale: 1, up-to-date: 24)",
    ]


def test_a_console_that_is_not_utf8(tmp_path: Path) -> None:
    """On a cp1252 console the log uses plain marks, and a name it cannot encode is escaped."""
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    shutil.copy(FIXTURES / "legacy/test_hf_bert.py", legacy / "test_hf_bert.py")
    shutil.copy(FIXTURES / "legacy/test_hf_gpt2.py", legacy / "test_hf_gpt2_\u0436.py")
    script = "import sys; from pytest_modelgate.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", script, "convert", "--input-dir", "legacy", "--output-dir", "out"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONIOENCODING": "cp1252"},
        capture_output=True,
        check=False,
    )
    out = done.stdout.decode("cp1252")
    assert (done.returncode, done.stderr) == (0, b"")
    assert out.splitlines()[0] == "* Converting legacy model tests"
    assert "[1/2] + Converted test_hf_bert.py -> test_hf_bert_improved.py" in out
    assert "[2/2] + Converted test_hf_gpt2_\\u0436.py -> test_hf_gpt2_improved.py" in out


@pytest.mark.parametrize(
    "args", [["--jobs", "0"], ["--limit", "-1"], ["--limit", "x"], ["--check", "--dry-run"]]
)
def test_bad_options(project: Path, capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["convert", *args])
    assert exit_info.value.code == 2
    assert "modelgate convert: error:" in capsys.readouterr().err


def test_help_lists_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    out = capsys.readouterr().out
    for flag in (
        "--input-dir",
        "--output-dir",
        "--pattern",
        "--limit",
        "--overwrite",
        "--dry-run",
        "--check",
        "--jobs",
        "--report",
        "--quiet",
    ):
        assert flag in out


def test_pattern_and_report_fields(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(project / "test/test_hf_gpt2.py", project / "test/legacy_one.py")
    args = ["convert", "--pattern", "legacy_*.py", "--dry-run", "--report", "out/r.json"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "Pattern: legacy_*.py" in out
    assert "[1/1] 🔎 Would convert legacy_one.py → test_hf_legacy_one_improved.py" in out
    report = json.loads((project / "out/r.json").read_text())
    assert (report["mode"], report["pattern"]) == ("dry-run", "legacy_*.py")
    assert (report["files_found"], report["limit"]) == (1, None)
    (entry,) = report["files"]
    assert entry["model_type"] == "gpt2"  # from the test class: the file name is no model type
    assert entry["reasons"][0] == "model type 'gpt2' from the class TestGpt2Models"
