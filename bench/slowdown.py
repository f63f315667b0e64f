"""A pytest plugin that makes chosen models of the model suite slower by a known factor.

Loaded with ``-p slowdown`` (``bench/`` on ``PYTHONPATH``); it does nothing unless
``MODELGATE_SLOWDOWN`` is set:

    MODELGATE_SLOWDOWN        the factor, e.g. ``1.3``
    MODELGATE_SLOWDOWN_PAIRS  the pair ids to slow, comma-separated (``bert-fill-mask,...``)
    MODELGATE_SLOWDOWN_ROOT   when set, only a run whose rootdir is this folder is slowed (the
                              head side of ``modelgate ab --base HEAD``, not its base worktree)

The model a listed pair's benchmark test measures is slowed from then on: a hook on it times
each call and then spins the thread for (factor - 1) times the thread time that call
took. A measurement on the thread's CPU time (one torch thread, as under pytest-xdist) sees the
model that much slower, and so do the later rounds and re-measurements of the pair; one on the
process's CPU time (several torch threads) sees less, since the other threads do not spin.

Every other model runs untouched: the listed test's ``model_benchmark`` is wrapped to hook the
model it is given, and the slowing is done by hooks on that model alone. Patching
``Module.__call__`` instead (to find the models a test calls) costs every submodule call a
little, more to a model of many small modules, and setting a class attribute while measuring
empties Python's method caches: unchanged models scattered more than in a real run, and the
slowed ones came out up to 1.9x slower at a factor of 1.3.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


class Slowdown:
    """The models to slow: each one a listed pair's test gives to ``model_benchmark``."""

    def __init__(self, factor: float, pairs: frozenset[str]) -> None:
        self.factor = factor
        self.pairs = pairs
        self.slowed: weakref.WeakSet[Any] = weakref.WeakSet()
        self.started = threading.local()

    def slow(self, module: Any) -> None:
        """Hook ``module`` (once): each call of it is followed by the spin."""
        if module in self.slowed:
            return
        self.slowed.add(module)
        module.register_forward_pre_hook(self._before)
        module.register_forward_hook(self._after)

    def _before(self, module: Any, args: Any) -> None:
        if not hasattr(self.started, "stack"):
            self.started.stack = []
        self.started.stack.append(time.thread_time())  # a stack: hooked models may nest

    def _after(self, module: Any, args: Any, output: Any) -> None:
        spin((self.factor - 1) * (time.thread_time() - self.started.stack.pop()))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        funcargs = getattr(item, "funcargs", {})
        listed = item.name.startswith("test_benchmark[") and pair_of(item) in self.pairs
        if listed and "model_benchmark" in funcargs:
            funcargs["model_benchmark"] = self.slowing(funcargs["model_benchmark"])
        return (yield)

    def slowing(self, benchmark: Callable[..., Any]) -> Callable[..., Any]:
        """``benchmark`` that first hooks the model it is given (a torch module)."""

        def measured(name: str, model: Any, *args: Any, **kwargs: Any) -> Any:
            if not hasattr(model, "register_forward_hook"):
                raise TypeError(f"slowdown: {name}: {type(model).__name__} is not a torch module")
            self.slow(model)
            return benchmark(name, model, *args, **kwargs)

        return measured


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
    config.pluginmanager.register(plugin, "slowdown-models")
