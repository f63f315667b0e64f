"""A pytest plugin that makes chosen models of the model suite slower by a known factor.

Loaded with ``-p slowdown`` (``bench/`` on ``PYTHONPATH``); it does nothing unless
``MODELGATE_SLOWDOWN`` is set:

    MODELGATE_SLOWDOWN        the factor, e.g. ``1.3``
    MODELGATE_SLOWDOWN_PAIRS  the pair ids to slow, comma-separated (``bert-fill-mask,...``)
    MODELGATE_SLOWDOWN_ROOT   when set, only a run whose rootdir is this folder is slowed (the
                              head side of ``modelgate ab --base HEAD``, not its base worktree)

Every model called during a listed pair's benchmark test is slowed from then on: after each
outermost module call of it, the thread spins for (factor - 1) times the thread time that call
took. A measurement on the thread's CPU time (one torch thread, as under pytest-xdist) sees the
model that much slower, and so do the later rounds and re-measurements of the pair; one on the
process's CPU time (several torch threads) sees less, since the other threads do not spin.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_DEPTH = threading.local()


class Slowdown:
    """The models to slow, and whether calls now mark their model as one."""

    def __init__(self, factor: float, pairs: frozenset[str]) -> None:
        self.factor = factor
        self.pairs = pairs
        self.slowed: weakref.WeakSet[Any] = weakref.WeakSet()
        self.marking = False

    def install(self) -> None:
        """Wrap ``torch.nn.Module.__call__``: outermost calls are timed, slowed ones spun."""
        module_class = importlib.import_module("torch").nn.Module
        original = module_class.__call__
        plugin = self

        def call(module: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(_DEPTH, "inside", False):
                return original(module, *args, **kwargs)
            if plugin.marking:
                plugin.slowed.add(module)
            _DEPTH.inside = True
            started = time.thread_time()
            try:
                return original(module, *args, **kwargs)
            finally:
                _DEPTH.inside = False
                if module in plugin.slowed:
                    spin((plugin.factor - 1) * (time.thread_time() - started))

        module_class.__call__ = call

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        self.marking = item.name.startswith("test_benchmark[") and pair_of(item) in self.pairs
        try:
            return (yield)
        finally:
            self.marking = False


def pair_of(item: pytest.Item) -> str:
    """``test_benchmark[bert-fill-mask-cpu]`` -> ``bert-fill-mask``."""
    spec = getattr(item, "callspec", None)
    return spec.id.rsplit("-", 1)[0] if spec is not None else ""


def spin(seconds: float) -> None:
    """Keep this thread busy for ``seconds`` of its own CPU time."""
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


def pytest_configure(config: pytest.Config) -> None:
    factor = os.environ.get("MODELGATE_SLOWDOWN")
    root = os.environ.get("MODELGATE_SLOWDOWN_ROOT")
    if not factor or (root and Path(root).resolve() != config.rootpath.resolve()):
        return
    pairs = frozenset(p for p in os.environ.get("MODELGATE_SLOWDOWN_PAIRS", "").split(",") if p)
    plugin = Slowdown(float(factor), pairs)
    plugin.install()
    config.pluginmanager.register(plugin, "slowdown-models")
