"""Which tests are model tests, and whether this run skips them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

MARKER = "model_test"
REASON = "model test: run with --run-model-tests"
#: pytest-timeout's mark: a test over its limit fails, with the stack where it hung
TIMEOUT_MARKER = "timeout"


@dataclass(frozen=True)
class Skip:
    """The gate's decision to skip one collected test."""

    reason: str


def is_under(path: Path, roots: Iterable[Path]) -> bool:
    """True when ``path`` is one of ``roots`` or lies below one of them (paths are resolved)."""
    return any(path == root or root in path.parents for root in roots)


def decide(item: pytest.Item, run_model_tests: bool) -> Skip | None:
    """Skip a test marked ``model_test`` (function, class or module) unless the gate is open."""
    if run_model_tests or item.get_closest_marker(MARKER) is None:
        return None
    return Skip(REASON)


def time_limit(item: pytest.Item, seconds: float) -> pytest.MarkDecorator | None:
    """The ``timeout`` mark (pytest-timeout's) that limits a model test to ``seconds``, or None:
    for a test that is not a model test, has a ``timeout`` mark of its own, or when ``seconds``
    is 0 (no limit)."""
    if seconds <= 0 or item.get_closest_marker(MARKER) is None:
        return None
    if item.get_closest_marker(TIMEOUT_MARKER) is not None:
        return None
    limit: pytest.MarkDecorator = getattr(pytest.mark, TIMEOUT_MARKER)
    return limit(seconds)


def summary_line(gated: Iterable[Path], rootpath: Path) -> str | None:
    """The terminal summary's line about paths left uncollected, or None when none were."""
    paths = sorted(gated)
    if not paths:
        return None
    dirs = sum(1 for p in paths if p.is_dir())
    files = len(paths) - dirs
    names = ", ".join(_relative(p, rootpath) for p in paths[:5])
    more = f", ... (+{len(paths) - 5})" if len(paths) > 5 else ""
    return (
        f"model tests gated: {dirs} dir(s) and {files} file(s) not collected ({names}{more}); "
        "run them with --run-model-tests"
    )


def _relative(path: Path, rootpath: Path) -> str:
    try:
        return str(path.relative_to(rootpath))
    except ValueError:
        return str(path)
