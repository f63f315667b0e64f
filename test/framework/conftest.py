from __future__ import annotations

import sys
from pathlib import Path

import coverage  # noqa: F401  (see below)
import pytest
from baseline_projects import guide_project
from store_fixtures import two_stores_in

# In-process pytester runs drop the modules they imported; coverage.py's C tracer cannot be
# imported a second time in one process. Imported here, it outlives the runs that record the
# map of test dependencies (--record-deps) in this process.


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


@pytest.fixture
def guide(pytester: pytest.Pytester) -> pytest.Pytester:
    """The guide's example test in ``pytester``'s project (``baseline_projects``)."""
    return guide_project(pytester)


@pytest.fixture
def two_stores(tmp_path: Path) -> tuple[Path, Path]:
    """Store A (main) and store B (a branch) where model-03 got 1.6x slower (``store_fixtures``)."""
    return two_stores_in(tmp_path)
