"""The baseline engine tried as a user would: the seed's example test, under xdist and without."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import virtual_clock

# The seed's example test, as a user wrote it; only the models are plain Python here.
SEED_TEST = """
import os

import pytest
import vclock

from pytest_modelgate import ModelTestUtils, PerformanceTestUtils

MODELS = [f"model_{i}" for i in range(int(os.environ.get("N_MODELS", "3")))]
SLOW = set(os.environ.get("SLOW_MODELS", "").split(","))


def make_model(name):
    cost = 0.001 * (3 if name in SLOW else 1)

    def forward(x):
        vclock.spend(cost)
        return x

    return forward


@pytest.mark.parametrize("name", MODELS)
def test_model_performance(pytest_config, name):
    model = make_model(name)
    timing_stats = ModelTestUtils.measure_inference_time(model, 3, warmup_runs=2, test_runs=8)
    result = PerformanceTestUtils.check_performance_regression(
        name,
        timing_stats,
        device="cpu",
        tolerance=pytest_config.baseline_tolerance,
        update_baseline=pytest_config.update_baselines,
    )
    assert not result["regressions"], result["message"]
"""

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

# The projects below measure on a virtual clock (``virtual_clock``): their samples, and so
# their verdicts, do not depend on how busy the machine is. The default tolerance applies.
INI = "[pytest]\nfilterwarnings =\n    default::pytest_modelgate.PerformanceRegressionWarning\n"


def entries(folder: Path, device: str = "cpu") -> dict[str, dict[str, object]]:
    data = json.loads((folder / f"{device}.json").read_text())
    assert data["schema_version"] == 1
    result: dict[str, dict[str, object]] = data["entries"]
    return result


def seed_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The guide's example test in ``pytester``'s project, on the virtual clock."""
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    pytester.makepyfile(test_seed=SEED_TEST)
    return pytester


@pytest.fixture
def seed(pytester: pytest.Pytester) -> pytest.Pytester:
    return seed_project(pytester)


@pytest.fixture
def fixture_project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    pytester.makepyfile(test_fixture=FIXTURE_TEST)
    return pytester


def test_seed_example_runs_unchanged(seed: pytest.Pytester) -> None:
    folder = seed.path / "baselines"
    first = seed.runpytest()
    first.assert_outcomes(passed=3)
    first.stdout.fnmatch_lines(["*modelgate baselines*", "baselines: 3 new"])
    assert not (folder / "cpu.json").exists(), "a run without --update-baselines wrote baselines"
    # what it wrote is this machine's local store, which git ignores
    assert (folder / ".local" / ".gitignore").read_text().splitlines()[-1] == "*"

    update = seed.runpytest("--update-baselines")
    update.assert_outcomes(passed=3)
    update.stdout.fnmatch_lines([f"updated {folder / 'cpu.json'}: 3 added, 0 replaced"])
    stored = entries(folder)
    assert sorted(stored) == ["model_0", "model_1", "model_2"]
    entry = stored["model_0"]
    assert entry["test"] == "test_seed.py::test_model_performance[model_0]"
    runs = len(entry["samples"])  # type: ignore[arg-type]
    assert runs >= 8  # test_runs at least; more when the calibration asks for more time
    assert len(entry["reference_samples"]) == runs + 1  # type: ignore[arg-type]
    assert entry["loops"] >= 1
    assert entry["fingerprint"]["workers"] == 1  # type: ignore[index]

    again = seed.runpytest("--baseline-report=report.json")
    again.assert_outcomes(passed=3)
    again.stdout.fnmatch_lines([f"performance page: {seed.path / 'report.html'}"])
    report = json.loads((seed.path / "report.json").read_text())
    assert {r["model"] for r in report["results"]} == set(stored)
    assert {r["verdict"] for r in report["results"]} <= {"ok", "improvement"}
    page = (seed.path / "report.html").read_text()  # the HTML page beside the JSON report
    assert page.startswith("<!DOCTYPE html>") and page.count('<tr data-model="model_') == 3
    assert len(entries(folder)["model_0"]["history"]) == 1  # type: ignore[arg-type]


def test_slowdown_fails_the_seed_test_and_is_reported(
    seed: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed.runpytest("--update-baselines").assert_outcomes(passed=3)
    monkeypatch.setenv("SLOW_MODELS", "model_1")
    result = seed.runpytest("--baseline-report=report.json")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*model_1 (cpu): regression: inference_time +*% regression (threshold 20%)*",
            "*PerformanceRegressionWarning*",
        ]
    )
    report = json.loads((seed.path / "report.json").read_text())
    verdicts = {r["model"]: r["verdict"] for r in report["results"]}
    assert verdicts == {"model_0": "ok", "model_1": "regression", "model_2": "ok"}
    assert report["results"][0]["model"] == "model_1", "regressions come first"
    assert report["counts"]["regression"] == 1


def test_update_accepts_a_slowdown_in_the_seed_test(
    seed: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed.runpytest("--update-baselines").assert_outcomes(passed=3)
    monkeypatch.setenv("SLOW_MODELS", "model_1")
    result = seed.runpytest("--update-baselines", "--baseline-report=r.json")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["model_1 *inference_time *regression (updated)"])
    report = json.loads((seed.path / "r.json").read_text())
    assert report["results"][0]["model"] == "model_1"
    assert report["results"][0]["updated"] is True
    seed.runpytest().assert_outcomes(passed=3)  # the slower figures are the baseline now


def test_xdist_workers_send_everything_to_the_controller(
    seed: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    monkeypatch.setenv("N_MODELS", "16")
    result = seed.runpytest("-n", "8", "--update-baselines")
    result.assert_outcomes(passed=16)
    stored = entries(seed.path / "baselines")
    assert len(stored) == 16
    assert {e["fingerprint"]["workers"] for e in stored.values()} == {8}  # type: ignore[index]
    leftovers = [p.name for p in (seed.path / "baselines").iterdir() if p.suffix == ".tmp"]
    assert leftovers == []


def test_xdist_thread_cap_and_verdicts(
    seed: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    seed.runpytest("-n", "2", "--update-baselines").assert_outcomes(passed=3)
    cap = max(1, len(os.sched_getaffinity(0)) // 2)
    stored = entries(seed.path / "baselines")
    assert {e["threads"] for e in stored.values()} == {cap}

    monkeypatch.setenv("SLOW_MODELS", "model_2")
    result = seed.runpytest("-n", "2", "--baseline-report=r.json")
    result.assert_outcomes(passed=2, failed=1)
    report = json.loads((seed.path / "r.json").read_text())
    assert [r["model"] for r in report["results"] if r["verdict"] == "regression"] == ["model_2"]


def test_warns_by_default_and_fails_on_request(
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
            "[[]confirmed by 2 re-measurement(s)[]]*",
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


def test_a_slow_moment_is_not_a_regression(pytester: pytest.Pytester) -> None:
    """A model slow only while measured the first time is measured again and found ok."""
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    pytester.makepyfile(
        """
        import os

        import vclock

        STATE = {"slow": bool(os.environ.get("SLOW_FIRST"))}

        def forward(state):
            vclock.spend(0.001 * (3 if state["slow"] else 1))

        def test_bench(model_benchmark):
            result = model_benchmark("flaky", forward, (STATE,), warmup_runs=0, test_runs=5)
            print("VERDICT", result.verdict)

        def teardown_module():
            STATE["slow"] = False  # the slow moment passes before the second round
        """
    )
    pytester.runpytest("--update-baselines").assert_outcomes(passed=1)
    os.environ["SLOW_FIRST"] = "1"
    try:
        result = pytester.runpytest("-s", "--baseline-report=r.json")
    finally:
        del os.environ["SLOW_FIRST"]
    result.stdout.fnmatch_lines(["*VERDICT regression*"])  # provisional: slow the first time
    report = json.loads((pytester.path / "r.json").read_text())
    time = report["results"][0]["metrics"][0]
    assert report["results"][0]["verdict"] == "ok", time
    assert time["reason"] == "not-confirmed", time


GUIDE_MOMENT_TEST = """
import os

import vclock

from pytest_modelgate import ModelTestUtils, PerformanceTestUtils

SLOW_FIRST = bool(os.environ.get("SLOW_FIRST"))
SLOW_ALWAYS = bool(os.environ.get("SLOW_ALWAYS"))


def test_model(pytest_config):
    state = {"slow": SLOW_FIRST or SLOW_ALWAYS}

    def forward(x):
        vclock.spend(0.001 * (3 if state["slow"] else 1))

    stats = ModelTestUtils.measure_inference_time(forward, 3, warmup_runs=2, test_runs=8)
    state["slow"] = SLOW_ALWAYS  # a slow moment passes; a slow model stays slow
    result = PerformanceTestUtils.check_performance_regression(
        "flaky",
        stats,
        tolerance=pytest_config.baseline_tolerance,
        update_baseline=pytest_config.update_baselines,
    )
    assert not result["regressions"], result["message"]
"""


@pytest.mark.parametrize("xdist", [False, True])
def test_the_guides_helpers_measure_a_suspect_again_before_answering(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist: bool
) -> None:
    """What ``measure_inference_time`` measured stays with the test: a model that looked
    slower is measured again before ``check_performance_regression`` answers."""
    pytester.makeini(INI)
    virtual_clock.add_to(pytester.path)
    pytester.makepyfile(test_guide=GUIDE_MOMENT_TEST)
    workers = ["-n", "2"] if xdist else []
    if xdist:
        pytest.importorskip("xdist")
    pytester.runpytest(*workers, "--update-baselines").assert_outcomes(passed=1)

    monkeypatch.setenv("SLOW_FIRST", "1")
    moment = pytester.runpytest(*workers, "--baseline-report=moment.json")
    moment.assert_outcomes(passed=1)
    (result,) = json.loads((pytester.path / "moment.json").read_text())["results"]
    assert result["verdict"] == "ok", result
    assert result["metrics"][0]["reason"] == "not-confirmed", result

    monkeypatch.delenv("SLOW_FIRST")
    monkeypatch.setenv("SLOW_ALWAYS", "1")
    slow = pytester.runpytest(*workers, "--baseline-report=slow.json")
    slow.assert_outcomes(failed=1)
    slow.stdout.fnmatch_lines(["*flaky (cpu): regression*confirmed by 2 re-measurement(s)*"])
    (result,) = json.loads((pytester.path / "slow.json").read_text())["results"]
    assert result["verdict"] == "regression"


def test_update_does_not_fail_and_rewrites(
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


def test_one_name_measured_twice_is_reported(pytester: pytest.Pytester) -> None:
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


def test_bad_marker_is_a_clear_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.baseline(tolerance="lots")
        def test_x(model_benchmark):
            model_benchmark("x", abs, -1)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.baseline on test_*::test_x tolerance*'lots'*"])


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
def test_unusable_file_is_named_untouched_and_inconclusive(
    seed: pytest.Pytester, content: bytes, problem: str
) -> None:
    folder = seed.path / "baselines"
    folder.mkdir()
    path = folder / "cpu.json"
    path.write_bytes(content)

    compared = seed.runpytest("--baseline-report=r.json")
    compared.assert_outcomes(passed=3)
    compared.stdout.fnmatch_lines([f"baseline file unusable: {path}: {problem}"])
    report = json.loads((seed.path / "r.json").read_text())
    assert {r["verdict"] for r in report["results"]} == {"inconclusive"}
    assert report["errors"]

    updated = seed.runpytest("--update-baselines")
    updated.assert_outcomes(passed=3)
    assert updated.ret == pytest.ExitCode.TESTS_FAILED
    updated.stdout.fnmatch_lines([f"baselines not updated: {path}: {problem}"])
    assert path.read_bytes() == content
    assert "Traceback" not in updated.stdout.str()


def test_rerun_with_nothing_new_changes_no_byte(seed: pytest.Pytester) -> None:
    seed.runpytest("--update-baselines").assert_outcomes(passed=3)
    path = seed.path / "baselines" / "cpu.json"
    mode = 0o640
    path.chmod(mode)
    before = path.read_bytes()
    stamp = path.stat().st_mtime_ns
    result = seed.runpytest("--update-baselines", "-k", "nothing_matches")
    result.assert_outcomes(deselected=3)
    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == stamp
    seed.runpytest("--update-baselines", "-k", "model_0").assert_outcomes(passed=1, deselected=2)
    assert path.stat().st_mode & 0o777 == mode


def test_interrupted_run_leaves_whole_files(seed: pytest.Pytester) -> None:
    seed.runpytest("--update-baselines", "-k", "model_0").assert_outcomes(passed=1, deselected=2)
    interrupt = """
def pytest_runtest_teardown(item):
    if item.name.endswith("[model_1]"):
        raise KeyboardInterrupt
"""
    seed.makeconftest(virtual_clock.CONFTEST + interrupt)
    result = seed.runpytest_subprocess("--update-baselines")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    stored = entries(seed.path / "baselines")
    assert "model_0" in stored
    assert "model_2" not in stored


def test_github_step_summary(seed: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = seed.path / "summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    seed.runpytest().assert_outcomes(passed=3)
    text = summary.read_text()
    assert text.startswith("# earlier step\n")
    assert "| model | device | metric | baseline | current | change | verdict |" in text
    assert text.count("| new |") == 3


def test_works_without_xdist(seed: pytest.Pytester) -> None:
    result = seed.runpytest("-p", "no:xdist", "--update-baselines")
    result.assert_outcomes(passed=3)
    assert len(entries(seed.path / "baselines")) == 3


def _run_pytest(cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_concurrent_updates_keep_the_union(
    seed: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("N_MODELS", "6")
    first = _run_pytest(seed.path, "--update-baselines", "-k", "model_0 or model_2 or model_4")
    second = _run_pytest(seed.path, "--update-baselines", "-k", "model_1 or model_3 or model_5")
    outputs = [p.communicate(timeout=120)[0] for p in (first, second)]
    assert first.returncode == second.returncode == 0, outputs
    assert sorted(entries(seed.path / "baselines")) == [f"model_{i}" for i in range(6)]


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


def test_read_only_folder(seed: pytest.Pytester) -> None:
    seed.runpytest("--update-baselines", "-k", "model_0").assert_outcomes(passed=1, deselected=2)
    folder = seed.path / "baselines"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    compared = _read_only_run(folder, seed.path, ["-k", "model_0", "-v"])
    assert compared.returncode == 0, compared.stdout
    assert "model_0  cpu     inference_time" in compared.stdout

    # checked before the first test: nothing is measured that could not be kept
    updated = _read_only_run(folder, seed.path, ["--update-baselines"])
    out = updated.stdout + updated.stderr
    assert updated.returncode == pytest.ExitCode.USAGE_ERROR, out
    assert f"ERROR: --baselines-dir {str(folder)!r} cannot be written" in out
    assert "Traceback" not in out and "passed" not in out
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_torch_module_runs_in_inference_mode(pytester: pytest.Pytester) -> None:
    """In a subprocess: this suite must never import torch itself."""
    if not _has("torch"):
        pytest.skip("torch is not installed")
    pytester.makepyfile(
        """
        import torch

        from pytest_modelgate import ModelTestUtils

        class Probe(torch.nn.Linear):
            def forward(self, x):
                assert torch.is_inference_mode_enabled()
                return super().forward(x)

        def test_linear(model_benchmark):
            model = Probe(8, 4)
            stats = ModelTestUtils.measure_inference_time(model, (torch.ones(2, 8),))
            assert stats["device"] == "cpu"
            assert stats["threads"] == torch.get_num_threads()
            assert len(stats["samples"]) == 10
            assert stats["memory_peak_mb"] > 0
            result = model_benchmark("linear", model, {"x": torch.ones(2, 8)})
            assert result.verdict == "new"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_pytest_config_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_settings(pytest_config):
            print("SETTINGS", pytest_config.baseline_tolerance, pytest_config.update_baselines,
                  pytest_config.run_model_tests, pytest_config.baselines_dir.name,
                  pytest_config.fail_on_regression)
        """
    )
    result = pytester.runpytest("-s", "--baseline-tolerance=0.3", "--baselines-dir=perf")
    result.stdout.fnmatch_lines(["*SETTINGS 0.3 False False perf False*"])


STANDALONE = """
from pytest_modelgate import ModelTestUtils, PerformanceTestUtils

def model(n):
    return sum(i % 7 for i in range(n))

stats = ModelTestUtils.measure_inference_time(model, 30_000)
first = PerformanceTestUtils.check_performance_regression("solo", stats, update_baseline=True)
second = PerformanceTestUtils.check_performance_regression("solo", stats)
print(first["verdict"], second["verdict"], second["has_baseline"])
"""


def test_seed_helpers_outside_pytest(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", STANDALONE], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["new", "ok", "True"]
    assert list(entries(tmp_path / "baselines")) == ["solo"]


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
