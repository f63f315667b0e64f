from __future__ import annotations

from pathlib import Path

import pytest

from pytest_modelgate.settings import (
    SettingError,
    Settings,
    output_problem,
    parse_timeout,
    parse_tolerance,
)


@pytest.mark.parametrize(
    ("text", "expected"), [("0.2", 0.2), ("1e-3", 0.001), ("10", 10.0), (" 0.5 ", 0.5)]
)
def test_parse_tolerance_accepts(text: str, expected: float) -> None:
    assert parse_tolerance(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["abc", "nan", "inf", "-inf", "-0.5", "0", "10.5", ""])
def test_parse_tolerance_refuses_and_names_the_value(text: str) -> None:
    with pytest.raises(SettingError, match=r"--baseline-tolerance: .*" + repr(text)):
        parse_tolerance(text)


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "-0.5", "0"])
def test_bad_tolerance_on_command_line_is_usage_error(
    pytester: pytest.Pytester, value: str
) -> None:
    pytester.makepyfile("def test_a(): pass")
    result = pytester.runpytest(f"--baseline-tolerance={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--baseline-tolerance: expected a finite number*{value!r}*"])


def test_bad_tolerance_in_ini_is_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nbaseline_tolerance = lots\n")
    pytester.makepyfile("def test_a(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*baseline_tolerance: expected a finite number*'lots'*"])


def test_settings_resolution(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nbaseline_tolerance = 0.3\nbaselines_dir = perf\nmodel_test_paths = models\n"
    )
    pytester.makeconftest(
        """
        from pytest_modelgate.plugin import SETTINGS_KEY

        def pytest_report_header(config):
            s = config.stash[SETTINGS_KEY]
            return [f"tol={s.baseline_tolerance} dir={s.baselines_dir} paths={s.model_test_paths}"]
        """
    )
    root = Path(pytester.path).resolve()
    result = pytester.runpytest()
    result.stdout.fnmatch_lines([f"tol=0.3 dir={root / 'perf'} paths=(*{root / 'models'}*"])
    result = pytester.runpytest("--baseline-tolerance=0.5", "--baselines-dir=other")
    result.stdout.fnmatch_lines([f"tol=0.5 dir={root / 'other'} *"])


def test_defaults(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from pytest_modelgate.plugin import SETTINGS_KEY

        def pytest_report_header(config):
            s = config.stash[SETTINGS_KEY]
            return [f"tol={s.baseline_tolerance} dir={s.baselines_dir} run={s.run_model_tests}"]
        """
    )
    root = Path(pytester.path).resolve()
    pytester.runpytest().stdout.fnmatch_lines([f"tol=0.2 dir={root / 'baselines'} run=False"])


@pytest.mark.parametrize(("text", "expected"), [("900", 900.0), ("0", 0.0), ("2.5", 2.5)])
def test_parse_timeout_accepts(text: str, expected: float) -> None:
    assert parse_timeout(text) == expected


@pytest.mark.parametrize("text", ["abc", "-1", "nan", "inf", ""])
def test_bad_model_test_timeout_in_ini_is_usage_error(pytester: pytest.Pytester, text: str) -> None:
    pytester.makeini(f"[pytest]\nmodel_test_timeout = {text}\n")
    pytester.makepyfile("def test_a(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*model_test_timeout: expected a number of seconds >= 0*"])


@pytest.mark.parametrize(
    ("make", "args", "named"),
    [
        ("out/", ["--baseline-report=out"], "--baseline-report '*out' is a folder, not a file"),
        ("r.html/", ["--baseline-report=r.json"], "--baseline-report's page '*r.html' is a *"),
        ("b", ["--update-baselines", "--baselines-dir=b"], "--baselines-dir '*b' is a file, *"),
        ("f", ["--baseline-report=f/r.json"], "--baseline-report '*r.json' needs a folder where*"),
    ],
)
def test_an_output_that_cannot_be_written_stops_the_run_before_any_test(
    pytester: pytest.Pytester, make: str, args: list[str], named: str
) -> None:
    if make.endswith("/"):
        (pytester.path / make).mkdir()
    else:
        (pytester.path / make).write_text("a file\n")
    pytester.makepyfile("def test_a(): print('RAN')")
    result = pytester.runpytest("-s", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {named}"])
    assert "RAN" not in result.stdout.str()


def test_output_problem_is_none_for_writable_paths(tmp_path: Path) -> None:
    settings = Settings(
        run_model_tests=True,
        update_baselines=True,
        baseline_tolerance=0.2,
        baselines_dir=tmp_path / "new" / "baselines",
        fail_on_regression=False,
        baseline_report=tmp_path / "reports" / "r.json",
        model_test_paths=(),
    )
    assert output_problem(settings) is None
