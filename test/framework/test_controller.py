"""What a run does at its end (``baselines/controller.py``), in a whole pytest run: it gathers
every worker's measurements, writes them with ``--update-baselines`` (whole files, no byte
changed when nothing is new, the union of concurrent updates, nothing in a read-only folder or
over an unusable file), and reports: the JSON report, the step summary, the common shift line,
warnings and ``--fail-on-regression``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import virtual_clock
from baseline_projects import INI, entries

from pytest_modelgate.baselines import render

# A test of this project's own fixture, which measures and checks without asserting.
FIXTURE_TEST = """
import os

import pytest
import vclock

SLOW = set(os.environ.get("SLOW_MODELS", "").split(","))


def forward(name):
    vclock.spend(0.001 * (3 if name in SLOW else 1))


@pytest.mark.parametrize("name", ["alpha", "beta"])
def test_bench(model_benchmark, name):
    result = model_benchmark(name, forward, name, warmup_runs=2, test_runs=8)
    print("VERDICT", name, result.verdict)


@pytest.mark.baseline(tolerance=10)
def test_lenient(model_benchmark):
    result = model_benchmark("gamma", forward, "gamma", warmup_runs=2, test_runs=8)
    print("VERDICT gamma", result.verdict)
"""


@pytest.fixture
def fixture_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    pytester.makepyfile(test_fixture=FIXTURE_TEST)
    return pytester


def test_an_update_accepts_a_slowdown_in_the_guides_test(
    guide: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    guide.runpytest("--update-baselines").assert_outcomes(passed=3)
    monkeypatch.setenv("SLOW_MODELS", "model_1")
    result = guide.runpytest("--update-baselines", "--baseline-report=r.json")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["model_1 *inference_time *regression (updated)"])
    report = json.loads((guide.path / "r.json").read_text())
    assert report["results"][0]["model"] == "model_1"
    assert report["results"][0]["updated"] is True
    guide.runpytest().assert_outcomes(passed=3)  # the slower figures are the baseline now


def test_xdist_workers_send_everything_to_the_controller(
    guide: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    monkeypatch.setenv("N_MODELS", "16")
    result = guide.runpytest("-n", "8", "--update-baselines")
    result.assert_outcomes(passed=16)
    stored = entries(guide.path / "baselines")
    assert len(stored) == 16
    assert {e["fingerprint"]["workers"] for e in stored.values()} == {8}  # type: ignore[index]
    leftovers = [p.name for p in (guide.path / "baselines").iterdir() if p.suffix == ".tmp"]
    assert leftovers == []


def test_a_regression_warns_by_default_and_fails_the_run_on_request(
    fixture_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = fixture_project
    project.runpytest("--update-baselines").assert_outcomes(passed=3)
    monkeypatch.setenv("SLOW_MODELS", "beta,gamma")

    warned = project.runpytest("-s")
    warned.assert_outcomes(passed=3, warnings=1)
    assert warned.ret == pytest.ExitCode.OK
    warned.stdout.fnmatch_lines(
        [
            "*VERDICT beta regression",
            "*VERDICT gamma ok",
            "*test_fixture.py:*: PerformanceRegressionWarning: beta (cpu): regression*"
            "[[]measured again in 3 fresh processes (regression, +*% in the run); *",
        ]
    )

    failed = project.runpytest("--fail-on-regression")
    failed.assert_outcomes(passed=3, warnings=1)
    assert failed.ret == pytest.ExitCode.TESTS_FAILED
    failed.stdout.fnmatch_lines(["--fail-on-regression: 1 regression(s) fail this run"])


def test_warnings_as_errors_do_not_fail_a_regression(
    fixture_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plugin decides whether a regression fails, not the project's warning filter."""
    project = fixture_project
    project.makeini("[pytest]\nfilterwarnings =\n    error\n")
    project.runpytest("--update-baselines").assert_outcomes(passed=3)
    monkeypatch.setenv("SLOW_MODELS", "beta")
    result = project.runpytest("--baseline-report=r.json")
    result.assert_outcomes(passed=3, warnings=1)
    assert result.ret == pytest.ExitCode.OK
    report = json.loads((project.path / "r.json").read_text())
    assert [r["model"] for r in report["results"] if r["verdict"] == "regression"] == ["beta"]


def test_an_update_does_not_fail_and_rewrites_the_entry(
    fixture_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = fixture_project
    project.runpytest("--update-baselines").assert_outcomes(passed=3)
    before = entries(project.path / "baselines")["beta"]
    monkeypatch.setenv("SLOW_MODELS", "beta")
    result = project.runpytest("--update-baselines", "--fail-on-regression", "-k", "beta")
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.fnmatch_lines(["updated *cpu.json: 0 added, 1 replaced"])
    after = entries(project.path / "baselines")
    assert after["beta"]["samples"] != before["samples"]
    assert sorted(after) == ["alpha", "beta", "gamma"]


def test_one_name_measured_by_two_tests_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", [1, 2])
        def test_same_name(model_benchmark, n):
            model_benchmark("shared", abs, -n, warmup_runs=0, test_runs=3)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["shared (cpu) was measured by 2 tests; a baseline keeps one*"])


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"device": "cpu", "entries": {"model_0": {"dev', "not valid JSON (truncated*"),
        (b'{"schema_version": 7, "device": "cpu", "entries": {}}', "unknown schema_version 7*"),
        (b"\xff\xfe garbage", "not UTF-8 text*"),
        (
            b'{"schema_version": 1, "device": "cpu", "entries": {"m": {"device": "cpu"}}}',
            "does not match the baseline schema at entries/m: *",
        ),
    ],
)
def test_an_unusable_file_is_named_left_alone_and_inconclusive(
    guide: pytest.Pytester, content: bytes, problem: str
) -> None:
    folder = guide.path / "baselines"
    folder.mkdir()
    path = folder / "cpu.json"
    path.write_bytes(content)

    compared = guide.runpytest("--baseline-report=r.json")
    compared.assert_outcomes(passed=3)
    compared.stdout.fnmatch_lines([f"baseline file unusable: {path}: {problem}"])
    report = json.loads((guide.path / "r.json").read_text())
    assert {r["verdict"] for r in report["results"]} == {"inconclusive"}
    assert report["errors"]

    updated = guide.runpytest("--update-baselines")
    updated.assert_outcomes(passed=3)
    assert updated.ret == pytest.ExitCode.TESTS_FAILED
    updated.stdout.fnmatch_lines([f"baselines not updated: {path}: {problem}"])
    assert path.read_bytes() == content
    assert "Traceback" not in updated.stdout.str()


def test_a_rerun_with_nothing_new_changes_no_byte(guide: pytest.Pytester) -> None:
    guide.runpytest("--update-baselines").assert_outcomes(passed=3)
    path = guide.path / "baselines" / "cpu.json"
    mode = 0o640
    path.chmod(mode)
    before = path.read_bytes()
    stamp = path.stat().st_mtime_ns
    result = guide.runpytest("--update-baselines", "-k", "nothing_matches")
    result.assert_outcomes(deselected=3)
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stamp
    guide.runpytest("--update-baselines", "-k", "model_0").assert_outcomes(passed=1, deselected=2)
    assert path.stat().st_mode & 0o777 == mode


def test_an_interrupted_run_leaves_whole_files(guide: pytest.Pytester) -> None:
    guide.runpytest("--update-baselines", "-k", "model_0").assert_outcomes(passed=1, deselected=2)
    interrupt = """
def pytest_runtest_teardown(item):
    if item.name.endswith("[model_1]"):
        raise KeyboardInterrupt
"""
    guide.makeconftest(virtual_clock.CONFTEST + interrupt)
    result = guide.runpytest_subprocess("--update-baselines")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    stored = entries(guide.path / "baselines")
    assert "model_0" in stored
    assert "model_2" not in stored


def test_the_github_step_summary_is_appended_to(
    guide: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = guide.path / "summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    guide.runpytest().assert_outcomes(passed=3)
    text = summary.read_text()
    assert text.startswith("# earlier step\n")
    assert "| model | device | metric | baseline | current | change | could see | verdict |" in text
    assert text.count("| new |") == 3


def test_a_run_without_xdist_writes_its_baselines(guide: pytest.Pytester) -> None:
    result = guide.runpytest("-p", "no:xdist", "--update-baselines")
    result.assert_outcomes(passed=3)
    assert len(entries(guide.path / "baselines")) == 3


def _run_pytest(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_concurrent_updates_keep_the_union(
    guide: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("N_MODELS", "6")
    first = _run_pytest(guide.path, "--update-baselines", "-k", "model_0 or model_2 or model_4")
    second = _run_pytest(guide.path, "--update-baselines", "-k", "model_1 or model_3 or model_5")
    outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
    assert first.returncode == second.returncode == 0, outputs
    assert sorted(entries(guide.path / "baselines")) == [f"model_{i}" for i in range(6)]


def _read_only_run(folder: Path, cwd: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    """pytest with ``folder`` read-only: by mode, or (as root, who ignores modes) by a mount."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
        finally:
            folder.chmod(0o755)
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare: cannot make a read-only folder")
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    wrapped = ["unshare", "-rm", "sh", "-c", script, "sh", str(folder), *command]
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("running as root and user namespaces are unavailable")
    return subprocess.run(wrapped, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_a_read_only_folder_is_compared_and_refused_for_updates(guide: pytest.Pytester) -> None:
    guide.runpytest("--update-baselines", "-k", "model_0").assert_outcomes(passed=1, deselected=2)
    folder = guide.path / "baselines"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    compared = _read_only_run(folder, guide.path, ["-k", "model_0", "-v"])
    assert compared.returncode == 0, compared.stdout
    assert "model_0  cpu     inference_time" in compared.stdout

    # checked before the first test: nothing is measured that could not be kept
    updated = _read_only_run(folder, guide.path, ["--update-baselines"])
    out = updated.stdout + updated.stderr
    assert updated.returncode == pytest.ExitCode.USAGE_ERROR, out
    assert f"ERROR: --baselines-dir {str(folder)!r} cannot be written" in out
    assert "Traceback" not in out and "passed" not in out
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


SHIFTED_TEST = """
import os

import pytest
import vclock

ALL = float(os.environ.get("ALL_SLOWER", "1"))
SLOW = set(os.environ.get("SLOW_MODELS", "").split(","))


def forward(name):
    vclock.spend(0.0005 * ALL * (3 if name in SLOW else 1))


@pytest.mark.parametrize("index", range(12))
def test_bench(model_benchmark, index):
    name = f"m{index:02}"
    model_benchmark(name, forward, name, warmup_runs=1, test_runs=5)
"""


def test_a_run_slower_as_a_whole_is_one_line_not_twelve_regressions(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    pytester.makepyfile(test_shift=SHIFTED_TEST)
    pytester.runpytest("--update-baselines").assert_outcomes(passed=12)
    monkeypatch.setenv("ALL_SLOWER", "2.5")
    monkeypatch.setenv("SLOW_MODELS", "m05")
    result = pytester.runpytest("--baseline-report=r.json")
    result.assert_outcomes(passed=12, warnings=1)
    result.stdout.fnmatch_lines(["common shift (cpu): this run's times are 2.* their baselines*"])
    report = json.loads((pytester.path / "r.json").read_text())
    regressed = [r["model"] for r in report["results"] if r["verdict"] == "regression"]
    assert regressed == ["m05"], report["results"]
    assert report["drift"]["cpu"]["applied"] is True
    assert 2.0 < report["drift"]["cpu"]["time_ratio"] < 3.2


def test_what_a_run_writes_is_a_valid_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "def test_m(model_benchmark):\n    model_benchmark('m', abs, -1, test_runs=2)\n"
    )
    pytester.runpytest("--baseline-report=r.json").assert_outcomes(passed=1)
    assert render.problem(json.loads((pytester.path / "r.json").read_text())) is None
