from __future__ import annotations

import sys

import pytest


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Guard the rule that a framework run never imports torch or transformers."""
    if session.config.getoption("run_model_tests", default=False):
        return  # the model suite runs in this process too: torch is expected
    heavy = sorted(name for name in ("torch", "transformers") if name in sys.modules)
    if heavy:
        session.config.get_terminal_writer().line(
            f"framework run imported {', '.join(heavy)}: it must not", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
