"""The audio models of the catalog: forward, determinism, save/load, benchmark per device."""

from __future__ import annotations

from pytest_modelgate.models.suite import (
    test_benchmark,
    test_deterministic,
    test_forward,
    test_save_load,
)

CATEGORY = "audio"

__all__ = ["test_benchmark", "test_deterministic", "test_forward", "test_save_load"]
