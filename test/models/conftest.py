"""The model suite's settings: offline hub, quiet transformers, threads capped per xdist worker.

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
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
_THREADS = str(max(1, (os.cpu_count() or 1) // _WORKERS))
for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, _THREADS)


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


@pytest.fixture(scope="session", autouse=True)
def _torch_threads() -> None:
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
