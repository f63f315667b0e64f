"""The plugin's settings: command-line options and ini keys resolved into one frozen value."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_modelgate import paths

if TYPE_CHECKING:  # the command line reads the defaults here without importing pytest
    import pytest

DEFAULT_TOLERANCE = 0.20
MAX_TOLERANCE = 10.0
DEFAULT_BASELINES_DIR = "baselines"
#: a file of test ids, one per line: a run keeps only those (how ``modelgate ab`` measures
#: again the few models whose verdict needs confirming)
SELECT_ENV = "MODELGATE_SELECT"
#: seconds a model test may take before it fails as hung (ini ``model_test_timeout``; 0: none)
DEFAULT_MODEL_TEST_TIMEOUT = 900.0
#: fresh processes that measure again the models a run left undecided (``baselines.fresh``)
DEFAULT_FRESH_ROUNDS = 3
MAX_FRESH_ROUNDS = 10


class SettingError(ValueError):
    """A setting that cannot work; the message names where it came from and the bad value."""


def finite_number(value: object) -> float | None:
    """``value`` as a finite float, or None when it is not one (text, NaN, infinity)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_tolerance(text: str, source: str = "--baseline-tolerance") -> float:
    """Parse a relative tolerance such as ``"0.2"``; it must be a finite number in (0, 10].

    Raises ``SettingError`` naming ``source`` and the bad value.
    """
    value = finite_number(text)
    if value is None or not 0.0 < value <= MAX_TOLERANCE:
        raise SettingError(
            f"{source}: expected a finite number in (0, {MAX_TOLERANCE:g}], got {text!r}"
        )
    return value


def parse_timeout(text: str, source: str = "model_test_timeout", zero: str = "no limit") -> float:
    """Parse a time limit in seconds such as ``"900"``: a finite number >= 0 (``zero`` says
    what 0 means: no limit for a test's timeout).

    Raises ``SettingError`` naming ``source`` and the bad value.
    """
    value = finite_number(text)
    if value is None or value < 0:
        raise SettingError(f"{source}: expected a number of seconds >= 0 (0: {zero}), got {text!r}")
    return value


def parse_rounds(text: str, source: str = "--fresh-rounds") -> int:
    """Parse a number of fresh processes such as ``"2"``: a whole number in [0, 10] (0: none).

    Raises ``SettingError`` naming ``source`` and the bad value.
    """
    try:
        value = int(text.strip())
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_FRESH_ROUNDS:
        raise SettingError(
            f"{source}: expected a whole number in [0, {MAX_FRESH_ROUNDS}] (0: none), got {text!r}"
        )
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the plugin's hooks need to know about this run's options."""

    run_model_tests: bool
    update_baselines: bool
    baseline_tolerance: float
    baselines_dir: Path
    fail_on_regression: bool
    baseline_report: Path | None
    model_test_paths: tuple[Path, ...]
    #: seconds a model test may run (0: no limit)
    model_test_timeout: float = DEFAULT_MODEL_TEST_TIMEOUT
    #: fresh processes that measure again the models this run left undecided (0: none)
    fresh_rounds: int = DEFAULT_FRESH_ROUNDS


def resolve_settings(config: pytest.Config) -> Settings:
    """Read the options and ini keys of ``config``; the command line wins over the ini file."""
    tolerance_arg = config.getoption("baseline_tolerance")
    if tolerance_arg is not None:
        tolerance = parse_tolerance(tolerance_arg)
    else:
        tolerance = parse_tolerance(str(config.getini("baseline_tolerance")), "baseline_tolerance")

    ini_base = config.inipath.parent if config.inipath else config.rootpath
    dir_arg = config.getoption("baselines_dir")
    if dir_arg is not None:
        baselines_dir = Path(config.invocation_params.dir, dir_arg)
    else:
        baselines_dir = ini_base / str(config.getini("baselines_dir"))

    rounds_arg = config.getoption("fresh_rounds")
    if rounds_arg is not None:
        fresh_rounds = parse_rounds(rounds_arg)
    else:
        fresh_rounds = parse_rounds(str(config.getini("fresh_rounds")), "fresh_rounds")

    report_arg = config.getoption("baseline_report")
    report = Path(config.invocation_params.dir, report_arg) if report_arg else None

    return Settings(
        run_model_tests=bool(config.getoption("run_model_tests")),
        update_baselines=bool(config.getoption("update_baselines")),
        baseline_tolerance=tolerance,
        baselines_dir=baselines_dir.resolve(),
        fail_on_regression=bool(config.getoption("fail_on_regression")),
        baseline_report=report.resolve() if report else None,
        model_test_paths=tuple(Path(p).resolve() for p in config.getini("model_test_paths")),
        model_test_timeout=parse_timeout(str(config.getini("model_test_timeout"))),
        fresh_rounds=fresh_rounds,
    )


def output_problem(settings: Settings) -> str | None:
    """Why a file this run would write at its end cannot be written, or None: asked before the
    first test, so that no run measures for minutes and then loses what it measured."""
    report = settings.baseline_report
    if report is not None:
        problem = paths.file_problem(report, "--baseline-report")
        if problem is None and report.suffix == ".json":  # the HTML page goes beside it
            problem = paths.file_problem(report.with_suffix(".html"), "--baseline-report's page")
        if problem is not None:
            return problem
    if settings.update_baselines:
        return paths.folder_problem(settings.baselines_dir, "--baselines-dir")
    return None


#: options whose value is a path: pytest reads the value of their space form as a test path
#: when it chooses the rootdir, before plugins' options are known
PATH_OPTIONS = ("--baselines-dir", "--baseline-report")


def spaced_path_option(args: Sequence[str]) -> str | None:
    """The first of ``PATH_OPTIONS`` given in its space form (``--baselines-dir PATH``) among
    the command-line ``args``, or None when each is given as ``--option=PATH`` (or not)."""
    for arg in args:
        if arg == "--":
            return None
        if arg in PATH_OPTIONS:
            return arg
    return None
