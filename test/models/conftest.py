"""The model suite's settings: offline hub, quiet transformers, a pair's tests kept together.

The environment is set here, when the suite is collected, before anything imports torch or
transformers (the plugin and the test modules import them only inside functions).
"""

from __future__ import annotations

import os

import pytest

from pytest_modelgate.models import suite

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
# Threads per xdist worker are capped by the plugin (hardware.cap_threads), not here.


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist registers it too; without xdist the suite still runs (one process).
    config.addinivalue_line("markers", "xdist_group(name): keep a pair's tests on one worker")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    suite.parametrize(metafunc)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the checks of one pair back to back, so the per-process build cache serves them all
    (collection yields each test function over all pairs first)."""
    items.sort(key=_pair_order)  # stable: other tests keep their order


def _pair_order(item: pytest.Item) -> tuple[str, str]:
    spec = getattr(item, "callspec", None)
    pair = spec.id if spec is not None and "model_type" in spec.params else ""
    return (str(item.path), pair)
