"""The vision models of the catalog: forward, determinism and save/load round trip per device."""

from __future__ import annotations

from pytest_modelgate.models.suite import test_deterministic, test_forward, test_save_load

CATEGORY = "vision"

__all__ = ["test_deterministic", "test_forward", "test_save_load"]
