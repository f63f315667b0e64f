"""Timing and peak memory of one model (or any callable), with raw samples kept.

A measurement is calibrated, as ``timeit`` and pytest-benchmark calibrate theirs: after the
warm-up, one call is timed and each sample becomes enough calls (``loops``) to last at least
``min_sample_s``; there are at least ``test_runs`` samples and at least ``min_total_s`` of
measured time in all. A sample is the time of one call (the sample's time divided by its calls).
The garbage collector's young generations are collected before the timed runs, and the
collector is switched off during them.

Each sample is interleaved with a fixed pure-Python reference workload on the same thread; the
ratio test / reference, pair by pair, cancels part of the noise of a shared machine (a slower
clock, a busy sibling core). Both raw and normalised figures are returned.

The raw ``samples`` are wall-clock seconds. On the CPU the normalised figures use CPU time of
each run and of each reference run: on a machine shared with other processes, wall time mostly
measures how often the scheduler took the core away, while CPU time measures the work, and the
reference ratio then cancels part of what is left (clock frequency, a busy sibling core). The
CPU time is the measuring thread's own (``time.thread_time``) unless torch runs on several
threads (the reference always runs on the one): the process's would also count other threads,
such as pytest-xdist's I/O thread sending reports, which made one reference run in ten up to
1.5x longer in a full suite run. A model on several torch threads is timed by the process's CPU time
(``time.process_time``), whose idle-spinning OpenMP threads count too; under xdist each
worker's threads are capped, usually to one. On CUDA and MPS, where the work is not on this
CPU, both are wall time. ``clock`` says which was used.

torch is imported only when the measured object is a torch module or the device is not the CPU:
measuring a plain Python callable never imports it.

Peak memory:

- CUDA: the allocator's peak (``torch.cuda.reset_peak_memory_stats`` before the timed runs,
  ``torch.cuda.max_memory_allocated`` after), in MiB.
- CPU on Linux: the process's resident high-water mark, reset first by writing ``5`` to
  ``/proc/self/clear_refs`` and read after from ``VmHWM`` in ``/proc/self/status``.
- CPU elsewhere (or where ``clear_refs`` cannot be written): ``resource.getrusage`` ``ru_maxrss``,
  the peak since the process started; it cannot be reset, so it over-states the peak of a test
  run after a larger one. ``memory_source`` in the result says which method was used.

``memory_base_mb`` is the level right after the reset (the resident set on Linux, the allocated
CUDA memory), where it can be read. A process peak depends on what the process held before (an
xdist worker that ran 900 models holds more than a fresh one), so comparisons judge the growth
above that level, ``memory_peak_mb - memory_base_mb``, when both sides have it.
"""

from __future__ import annotations

import gc
import importlib
import math
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from pytest_modelgate import hardware

#: iterations of the reference loop: about 1-2 ms of pure Python on a current CPU
REFERENCE_LOOPS = 20_000
#: a sample lasts at least this long (several calls of a fast model)
MIN_SAMPLE_S = 0.004
#: the samples of one measurement add up to at least this much measured time
MIN_TOTAL_S = 0.03
#: however fast the model, no more samples than this (nor fewer than ``test_runs``)
MAX_SAMPLES = 25
MAX_LOOPS = 10_000
#: generations collected before the timed runs (0 and 1)
YOUNG_GENERATIONS = 1
PROC_STATUS = Path("/proc/self/status")
PROC_CLEAR_REFS = Path("/proc/self/clear_refs")


class MeasurementError(ValueError):
    """A measurement that cannot be trusted (NaN, inf, zero or negative): never stored."""


def reference_workload(loops: int = REFERENCE_LOOPS) -> int:
    """A fixed pure-Python loop, independent of the code under test."""
    total = 0
    for i in range(loops):
        total += (i * i) % 7
    return total


@dataclass(frozen=True)
class Clock:
    """Where a measurement reads the time, and the reference workload it interleaves.

    The default is the real clocks. A test of the verdict logic passes a virtual clock instead,
    whose time moves only when its models and its reference say so: the same samples on an
    idle machine and on a loaded one, so that a verdict can be asserted without depending on
    the machine's load.
    """

    wall: Callable[[], float] = time.perf_counter
    thread_cpu: Callable[[], float] = time.thread_time
    process_cpu: Callable[[], float] = time.process_time
    #: seconds since the epoch, for when a measurement was made (the run's shift over time)
    timestamp: Callable[[], float] = time.time
    reference: Callable[[], object] = reference_workload


REAL_CLOCK = Clock()
#: what the samples of a measurement are taken inside (a context manager's factory)
Turn = Callable[[], AbstractContextManager[object]]


@dataclass(frozen=True)
class Stats:
    """One measurement: raw and normalised time samples, peak memory, threads."""

    samples: tuple[float, ...]
    reference_samples: tuple[float, ...]
    cpu_samples: tuple[float, ...]
    clock: str
    memory_peak_mb: float | None
    memory_source: str
    device: str
    threads: int
    memory_base_mb: float | None = None
    #: calls per sample (each sample is the time of one call)
    loops: int = 1

    @property
    def normalised_samples(self) -> tuple[float, ...]:
        """Each sample divided by the mean of the reference runs just before and after it."""
        basis = self.cpu_samples if self.clock == "cpu" else self.samples
        return tuple(normalise(basis, self.reference_samples) or ())

    def as_dict(self) -> dict[str, Any]:
        """The dict the gating guide's helpers return: ``inference_time_*`` in seconds, samples,
        memory, device."""
        samples = self.samples
        stats = {
            "inference_time_mean": statistics.fmean(samples),
            "inference_time_median": statistics.median(samples),
            "inference_time_min": min(samples),
            "inference_time_max": max(samples),
            "inference_time_std": statistics.pstdev(samples),
            "samples": list(samples),
            "reference_samples": list(self.reference_samples),
            "normalised_samples": list(self.normalised_samples),
            "clock": self.clock,
            "memory_peak_mb": self.memory_peak_mb,
            "memory_source": self.memory_source,
            "device": self.device,
            "threads": self.threads,
            "loops": self.loops,
        }
        if self.clock == "cpu":
            stats["cpu_samples"] = list(self.cpu_samples)
        if self.memory_base_mb is not None:
            stats["memory_base_mb"] = self.memory_base_mb
        return stats


def normalise(samples: Sequence[float], refs: Sequence[float]) -> list[float] | None:
    """Samples divided by the mean of the reference runs just before and after each one.

    None unless there is one more reference run than samples (they are interleaved).
    """
    if not samples or len(refs) != len(samples) + 1:
        return None
    return [s / ((refs[i] + refs[i + 1]) / 2) for i, s in enumerate(samples)]


def normalised_of(stats: Mapping[str, Any]) -> list[float] | None:
    """The normalised samples of a stats dict or stored entry (None without reference runs);
    measurements pooled from several runs carry theirs as ``normalised_samples``."""
    if stats.get("normalised_samples"):
        return list(stats["normalised_samples"])
    key = "cpu_samples" if stats.get("clock") == "cpu" else "samples"
    return normalise(stats.get(key) or (), stats.get("reference_samples") or ())


#: MAD of a normal sample * this = its standard deviation
MAD_TO_SIGMA = 1.4826


def log_spread(samples: Sequence[float]) -> float:
    """How far ``samples`` scatter, relative to their median: a robust standard deviation of
    their logarithms (MAD-based; at least two samples)."""
    logs = [math.log(s) for s in samples]
    center = statistics.median(logs)
    return MAD_TO_SIGMA * statistics.median(abs(x - center) for x in logs)


def check_stats(stats: Mapping[str, Any]) -> None:
    """Refuse timing stats that must never be compared or stored; the error names the key."""
    check_positive("inference_time_mean", stats.get("inference_time_mean"))
    for key in ("inference_time_median", "inference_time_min", "inference_time_max"):
        if key in stats:
            check_positive(key, stats[key])
    for key in ("samples", "cpu_samples", "reference_samples"):
        values = stats.get(key)
        if values is None:
            continue
        if not isinstance(values, Sequence) or isinstance(values, str) or not values:
            raise MeasurementError(f"{key}: expected a non-empty list of numbers, got {values!r}")
        for i, value in enumerate(values):
            check_positive(f"{key}[{i}]", value)
    if stats.get("memory_peak_mb") is not None:  # None: not measurable on this platform
        check_positive("memory_peak_mb", stats["memory_peak_mb"])
    metrics = stats.get("metrics", {})
    if not isinstance(metrics, Mapping):
        raise MeasurementError(f"metrics: expected a mapping of name to number, got {metrics!r}")
    for name, value in metrics.items():
        check_positive(f"metrics[{name!r}]", value)


def check_positive(name: str, value: object) -> float:
    """``value`` as a float, refusing anything but a finite number above zero."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MeasurementError(f"{name}: expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number <= 0.0:
        raise MeasurementError(f"{name}: expected a finite number above zero, got {value!r}")
    return number


def call_with(model: Callable[..., Any], inputs: Any) -> Any:
    """Call ``model`` as the gating guide's helpers do: dict → keywords, tuple → positional,
    else one argument."""
    if isinstance(inputs, Mapping):
        return model(**inputs)
    if isinstance(inputs, tuple):
        return model(*inputs)
    return model(inputs)


def _torch_for(model: object, device: str) -> ModuleType | None:
    """torch, when ``model`` is a torch module or ``device`` needs it; else None (no import)."""
    torch = sys.modules.get("torch")
    if torch is None and device == "cpu":
        # A torch module cannot exist without torch imported, so there is nothing to import.
        return None
    if torch is None:
        torch = importlib.import_module("torch")  # only for non-CPU devices
    return torch


def calibrate(
    call_s: float, test_runs: int, min_sample_s: float, min_total_s: float
) -> tuple[int, int]:
    """(calls per sample, samples) for a call of ``call_s`` seconds: each sample at least
    ``min_sample_s``, at least ``test_runs`` samples and ``min_total_s`` in all, at most
    ``max(test_runs, MAX_SAMPLES)`` samples."""
    call_s = max(call_s, 1e-9)
    loops = min(MAX_LOOPS, max(1, math.ceil(min_sample_s / call_s)))
    wanted = math.ceil(min_total_s / (loops * call_s))
    return loops, max(test_runs, min(wanted, MAX_SAMPLES))


def per_call(timed_calls: Callable[[int], tuple[float, float]], at_least_s: float) -> float:
    """Seconds per call, the fastest of batches of calls grown until one lasts ``at_least_s``
    (at least two batches, one call that the scheduler interrupted says little; one call of a
    model ten times slower than that is enough)."""
    loops, batches, best = 1, 0, math.inf
    while True:
        call_s = max(timed_calls(loops)[0], 1e-9)
        best, batches = min(best, call_s), batches + 1
        done = call_s * loops >= at_least_s and (batches >= 2 or call_s >= 10 * at_least_s)
        if done or loops >= MAX_LOOPS:
            return best
        loops = min(MAX_LOOPS, max(loops, math.ceil(at_least_s / call_s)))


def measure(
    model: Callable[..., Any],
    inputs: Any,
    *,
    warmup_runs: int = 3,
    test_runs: int = 10,
    device: str = "cpu",
    min_sample_s: float = MIN_SAMPLE_S,
    min_total_s: float = MIN_TOTAL_S,
    clock: Clock = REAL_CLOCK,
    turn: Turn = nullcontext,
) -> Stats:
    """Time ``model`` on ``inputs`` after ``warmup_runs`` calls: calibrated samples (at least
    ``test_runs``), each interleaved with the reference workload (see the module doc), read
    from ``clock``; the samples are taken inside ``turn()``, which an A/B run uses to take
    turns with its other side."""
    if warmup_runs < 0 or test_runs < 1:
        raise ValueError(
            f"need warmup_runs >= 0 and test_runs >= 1, not {warmup_runs}, {test_runs}"
        )
    torch = _torch_for(model, device)
    is_module = torch is not None and isinstance(model, torch.nn.Module)
    cuda = torch is not None and device.startswith("cuda")
    sync = _synchronizer(torch, device)
    context: Callable[[], AbstractContextManager[Any]] = (
        torch.inference_mode if is_module and torch else nullcontext
    )

    on_threads = torch is not None and int(torch.get_num_threads()) > 1
    cpu_clock = clock.process_cpu if on_threads else clock.thread_cpu

    def timed_calls(loops: int) -> tuple[float, float]:
        sync()
        start, start_cpu = clock.wall(), cpu_clock()
        for _ in range(loops):
            call_with(model, inputs)
        sync()
        return (clock.wall() - start) / loops, (cpu_clock() - start_cpu) / loops

    with context():
        for _ in range(warmup_runs):
            call_with(model, inputs)
        call_s = per_call(timed_calls, min_sample_s / 4)
        loops, runs = calibrate(call_s, test_runs, min_sample_s, min_total_s)
        with turn():  # in an A/B run, this side's turn to sample (modelgate ab)
            clock.reference()
            # The young generations only: a full collection of a process holding torch and
            # transformers walks ~400 000 objects (0.15 s), more than the measurement itself.
            gc.collect(YOUNG_GENERATIONS)
            gc_was_on = gc.isenabled()
            gc.disable()
            try:
                memory = _MemoryProbe(torch if cuda else None)
                ref_clock = clock.thread_cpu if device == "cpu" else clock.wall
                samples: list[float] = []
                cpu: list[float] = []
                refs = [_timed(clock.reference, ref_clock)]
                for _ in range(runs):
                    wall, used = timed_calls(loops)
                    samples.append(wall)
                    cpu.append(used)
                    refs.append(_timed(clock.reference, ref_clock))
                peak, source = memory.read()
            finally:
                if gc_was_on:
                    gc.enable()

    threads = hardware.current_threads(torch)
    for i, value in enumerate(samples):
        check_positive(f"inference time sample {i}", value)
    if peak is not None:
        check_positive("peak memory (MiB)", peak)
    # a CPU clock too coarse to see a run (some platforms tick every 15 ms) falls back to wall
    kind = "cpu" if device == "cpu" and min(cpu) > 0 and min(refs) > 0 else "wall"
    if kind == "wall" and device == "cpu":
        refs = [_timed(clock.reference, clock.wall) for _ in refs]
    return Stats(
        samples=tuple(samples),
        reference_samples=tuple(refs),
        cpu_samples=tuple(cpu),
        clock=kind,
        memory_peak_mb=peak,
        memory_source=source,
        device=device,
        threads=threads,
        memory_base_mb=memory.base if peak is not None else None,
        loops=loops,
    )


def _no_sync() -> None:
    return None


def _synchronizer(torch: ModuleType | None, device: str) -> Callable[[], None]:
    """Waits for queued kernels on CUDA and MPS, so a timed run ends when its work does."""
    if torch is not None and device.startswith("cuda"):
        return torch.cuda.synchronize  # type: ignore[no-any-return]
    if torch is not None and device.startswith("mps"):
        return torch.mps.synchronize  # type: ignore[no-any-return]
    return _no_sync


def _timed(fn: Callable[[], object], clock: Callable[[], float]) -> float:
    start = clock()
    fn()
    return clock() - start


class _MemoryProbe:
    """Resets the peak when created; ``read()`` gives the peak since then in MiB and its source."""

    def __init__(self, torch_cuda: ModuleType | None) -> None:
        self.torch = torch_cuda
        self.base: float | None = None
        if self.torch is not None:
            self.torch.cuda.reset_peak_memory_stats()
            self.source = "cuda-max-allocated"
            self.base = self.torch.cuda.memory_allocated() / 2**20
        elif _reset_hwm():
            self.source = "linux-vmhwm"
            hwm = _vmhwm_kib()  # right after the reset: the resident set now
            self.base = hwm / 1024 if hwm is not None else None
        else:
            self.source = "ru-maxrss"

    def read(self) -> tuple[float | None, str]:
        """The peak in MiB and how it was read; ``(None, "unavailable")`` where nothing can."""
        if self.torch is not None:
            return self.torch.cuda.max_memory_allocated() / 2**20, self.source
        if self.source == "linux-vmhwm":
            hwm = _vmhwm_kib()
            if hwm is not None:
                return hwm / 1024, self.source
        return process_peak_mib()


def _reset_hwm() -> bool:
    try:
        PROC_CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return _vmhwm_kib() is not None


def _vmhwm_kib() -> int | None:
    try:
        text = PROC_STATUS.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def process_peak_mib() -> tuple[float | None, str]:
    """The process's peak resident memory since it started, in MiB, and its source:
    ``resource`` where it exists (Unix), psutil's peak working set where installed (Windows),
    else ``(None, "unavailable")``: memory is then not measured, never an error."""
    try:
        import resource
    except ImportError:
        pass
    else:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # kibibytes on Linux, bytes on macOS
        return (rss / 2**20 if sys.platform == "darwin" else rss / 1024), "ru-maxrss"
    try:
        import psutil  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        return None, "unavailable"
    peak = getattr(psutil.Process().memory_info(), "peak_wset", None)
    if not peak:
        return None, "unavailable"
    return float(peak) / 2**20, "psutil-peak-wset"
