"""pytest-modelgate: gate, parallelise and performance-check ML model tests.

Importing this package must stay cheap: nothing here imports torch or transformers, and the
helpers of the upstream gating guide load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from pytest_modelgate.baselines.fixtures import ModelTestUtils, PerformanceTestUtils
    from pytest_modelgate.baselines.judge import PerformanceRegressionWarning

_LAZY = {
    "ModelTestUtils": "pytest_modelgate.baselines.fixtures",
    "PerformanceTestUtils": "pytest_modelgate.baselines.fixtures",
    "PerformanceRegressionWarning": "pytest_modelgate.baselines.judge",
}

__all__ = [
    "ModelTestUtils",
    "PerformanceRegressionWarning",
    "PerformanceTestUtils",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pytest_modelgate' has no attribute {name!r}")
