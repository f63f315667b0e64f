"""Lock-step measurement of two runs side by side (the A/B "duet").

``modelgate ab`` starts the base and the head run at the same time, each told its side and a
shared folder through the environment (``MODELGATE_DUET``, ``MODELGATE_DUET_SIDE``). Before its
n-th measurement a side writes ``n`` into its own file of the folder and waits until the other
has arrived too; then the two take turns (which side goes first alternates): one samples its
n-th model while the other waits, then the other, and neither goes on before both have; each
samples on the same CPUs (``MODELGATE_DUET_CPUS``). So the two measurements of a model are taken
back to back, under whatever else the machine does in that second, and neither side's samples
overlap the other's: turns keep a side's samples from depending on what the other side's
code does at the same moment.

The meeting never blocks for good. A side stops waiting when the other is done (``modelgate ab``
writes ``<side>.done`` when a side's process exits), and after ``MEET_TIMEOUT_S`` without the
other arriving it measures alone from then on (a base revision older than the duet never
arrives). A run outside ``modelgate ab`` has no folder in its environment and never waits.

The plugin hands a side's ``Duet.turn`` to every measurement of its run (``measure``'s ``turn``),
so the measuring code knows nothing of A/B runs.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

FOLDER_ENV = "MODELGATE_DUET"
SIDE_ENV = "MODELGATE_DUET_SIDE"
CPUS_ENV = "MODELGATE_DUET_CPUS"
SIDES = ("base", "head")
#: longer than the other side takes between two measurements (building a large model)
MEET_TIMEOUT_S = 120.0
POLL_S = 0.001


def partner_of(side: str) -> str:
    """The other side of ``side``."""
    if side not in SIDES:
        raise ValueError(f"{SIDE_ENV} must be one of {', '.join(SIDES)}, not {side!r}")
    return SIDES[1 - SIDES.index(side)]


def done_marker(folder: Path, side: str) -> Path:
    """The file that says ``side`` measures no more."""
    return folder / f"{side}.done"


def _arrivals(path: Path) -> int:
    try:
        return int(path.read_text(encoding="ascii") or 0)
    except (FileNotFoundError, ValueError):
        return 0


@dataclass
class Duet:
    """One side's meetings with the other."""

    folder: Path
    side: str
    #: the CPUs both sides sample on (empty: wherever the scheduler puts them)
    cpus: frozenset[int] = frozenset()
    timeout_s: float = MEET_TIMEOUT_S
    count: int = 0
    alone: bool = False
    _away_from: frozenset[int] | None = None

    @property
    def first(self) -> bool:
        """Whether this side samples first at the current meeting (the sides alternate)."""
        return SIDES[self.count % 2] == self.side

    def meet(self) -> None:
        """Arrive at the next meeting; return when it is this side's turn to sample."""
        if self.alone:
            return
        self.count += 1
        self._write(self.side)
        self._wait_for(partner_of(self.side))
        if not self.first:
            self._wait_for(f"{partner_of(self.side)}.sampled")
        self._pin()

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """This side's turn to sample: wait for it, sample, let the other side take its turn.
        A vanished folder only ends the lock-step, never the measurement."""
        with contextlib.suppress(OSError):
            self.meet()
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                self.leave()

    def leave(self) -> None:
        """Say this side has sampled; the first side waits until the other has too."""
        self._unpin()
        if self.alone or self.count == 0:
            return
        self._write(f"{self.side}.sampled")
        if self.first:
            self._wait_for(f"{partner_of(self.side)}.sampled")

    def _pin(self) -> None:
        """Move this thread to the sampling CPUs, so that both sides sample on the same ones."""
        if not self.cpus or not hasattr(os, "sched_setaffinity"):
            return
        self._away_from = frozenset(os.sched_getaffinity(0))
        os.sched_setaffinity(0, self.cpus)

    def _unpin(self) -> None:
        if self._away_from is not None:
            os.sched_setaffinity(0, self._away_from)
            self._away_from = None

    def _write(self, name: str) -> None:
        temp = self.folder / f".{name}.tmp"
        temp.write_text(str(self.count), encoding="ascii")
        os.replace(temp, self.folder / name)  # a reader sees the old number or the new one

    def _wait_for(self, name: str) -> None:
        """Wait until the other side's file ``name`` reaches this meeting, it is done, or the
        wait times out (this side measures alone from then on)."""
        deadline = time.monotonic() + self.timeout_s
        done = done_marker(self.folder, partner_of(self.side))
        while _arrivals(self.folder / name) < self.count and not self.alone:
            if done.exists():
                return
            if time.monotonic() > deadline:
                self.alone = True
            time.sleep(POLL_S)


def from_environ(environ: Mapping[str, str]) -> Duet | None:
    """This process's side of a duet, when ``modelgate ab`` started it as one."""
    folder = environ.get(FOLDER_ENV)
    if not folder:
        return None
    side = environ.get(SIDE_ENV, "")
    partner_of(side)  # a bad side is an error, not a silent solo run
    cpus = frozenset(int(c) for c in environ.get(CPUS_ENV, "").split(",") if c.strip())
    return Duet(Path(folder), side, cpus)
