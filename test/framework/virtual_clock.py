"""A virtual clock for the plugin's own tests of verdicts.

Its time moves only when a model or the reference workload says so (``spend``), each step
scattered a little by a seeded generator: a run gives the same samples, and so the same
verdicts, on an idle machine and on a loaded one. The tests copy this file into the projects
they run (as ``vclock.py``, see ``CONFTEST``); a model there calls ``vclock.spend(seconds)``
instead of doing work. Real timing is measured by ``nox -s bench``, never asserted.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from pytest_modelgate.baselines.measure import Clock
from pytest_modelgate.baselines.worker import CLOCK_KEY

#: what one reference run costs, in virtual seconds
REFERENCE_S = 0.0015
#: the log-normal scatter of each step: small, and never zero (ties would make every
#: comparison of unchanged code degenerate)
JITTER = 0.03
#: virtual time starts here (seconds since the epoch), so timestamps look like real ones
EPOCH = 1_700_000_000.0
#: the module name a project imports this file as
MODULE = "vclock"
#: a project's conftest: every process of its runs (xdist workers too) reads the virtual clock
CONFTEST = f"""
import {MODULE}


def pytest_configure(config):
    {MODULE}.install(config)
"""


class VirtualTime:
    """One process's virtual time: seeded by the process's role, so each run repeats."""

    def __init__(self, seed: str) -> None:
        self.now = 0.0
        self.random = random.Random(zlib.crc32(seed.encode()))
        #: how much slower everything runs now (a busy neighbour slows models and reference)
        self.slowness = 1.0

    def read(self) -> float:
        return self.now

    def spend(self, seconds: float) -> None:
        self.now += seconds * self.slowness * math.exp(self.random.gauss(0.0, JITTER))

    def reference(self) -> None:
        self.spend(REFERENCE_S)

    def timestamp(self) -> float:
        return EPOCH + self.now

    def clock(self) -> Clock:
        return Clock(
            wall=self.read,
            thread_cpu=self.read,
            process_cpu=self.read,
            timestamp=self.timestamp,
            reference=self.reference,
        )


def seed_of(environ: Mapping[str, str]) -> str:
    """A process's seed: which xdist worker and which A/B side it is (all empty: the only one)."""
    return f"{environ.get('PYTEST_XDIST_WORKER', '')}/{environ.get('MODELGATE_DUET_SIDE', '')}"


TIME = VirtualTime(seed_of(os.environ))


def spend(seconds: float) -> None:
    """What a model does instead of working: ``seconds`` of virtual time pass."""
    TIME.spend(seconds)


@contextlib.contextmanager
def disturbed(slowness: float) -> Iterator[None]:
    """Everything, models and reference alike, runs ``slowness`` times slower meanwhile."""
    TIME.slowness = slowness
    try:
        yield
    finally:
        TIME.slowness = 1.0


def install(config: pytest.Config) -> None:
    """Make every measurement of this run read the virtual clock."""
    config.stash[CLOCK_KEY] = TIME.clock()


def add_to(folder: Path) -> None:
    """Make ``folder`` (a project's root or test folder) measure on the virtual clock."""
    (folder / f"{MODULE}.py").write_text(Path(__file__).read_text(encoding="utf-8"))
    (folder / "conftest.py").write_text(CONFTEST)
