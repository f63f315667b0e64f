"""Device markers: which hardware a test needs and whether this process has it.

torch is imported lazily, only when a test that needs a device is about to run.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import MutableMapping
from types import ModuleType

DEVICE_MARKERS = ("cpu", "cuda", "mps")
#: the devices a test may lack (every machine has a CPU)
PROBED_DEVICES = frozenset({"cuda", "mps"})


def _import_torch() -> ModuleType | None:
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


def unavailable_reason(device: str, torch: ModuleType | None) -> str | None:
    """Why ``device`` cannot run tests with this ``torch`` (None when it can)."""
    if device not in DEVICE_MARKERS:
        raise ValueError(f"unknown device {device!r}; expected one of {DEVICE_MARKERS}")
    if device == "cpu":
        return None
    if torch is None:
        return f"{device} test: torch is not installed"
    if device == "cuda":
        if not torch.cuda.is_available():
            return "cuda test: no usable CUDA device (torch.cuda.is_available() is False)"
        return None
    if device == "mps":
        backend = getattr(torch.backends, "mps", None)
        if backend is None or not backend.is_available():
            return "mps test: no usable Apple MPS device (torch.backends.mps.is_available() False)"
    return None


def probe(device: str) -> str | None:
    """Detect ``device`` in this process, importing torch only for a non-CPU device."""
    if device == "cpu":
        return None
    return unavailable_reason(device, _import_torch())


# Threads: each xdist worker takes its share of the cores, so workers do not oversubscribe them.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity where the platform says), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def thread_share(cpus: int, workers: int) -> int:
    """Threads per worker: ``cpus // workers``, at least 1."""
    if cpus < 1 or workers < 1:
        raise ValueError(f"need cpus >= 1 and workers >= 1, got {cpus} and {workers}")
    return max(1, cpus // workers)


def cap_threads(threads: int, environ: MutableMapping[str, str]) -> int:
    """Cap this process to ``threads``: the OMP/MKL variables (for a torch not yet imported,
    unless the user set them) and ``torch.set_num_threads`` when torch is already loaded.

    Returns the cap in effect (the user's ``OMP_NUM_THREADS`` when it was set).
    """
    for name in THREAD_VARIABLES:
        environ.setdefault(name, str(threads))
    try:
        effective = int(environ["OMP_NUM_THREADS"])
    except ValueError:
        effective = threads
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(max(1, effective))
    return max(1, effective)


def current_threads(torch: ModuleType | None) -> int:
    """The thread count measurements run with: torch's when loaded, else the cap or the CPUs."""
    if torch is None:
        torch = sys.modules.get("torch")
    if torch is not None:
        return int(torch.get_num_threads())
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return cpu_count()


def worker_index(worker_id: str | None) -> int | None:
    """The number of an xdist worker id such as ``gw3`` (None outside a worker)."""
    if not worker_id or not worker_id.startswith("gw") or not worker_id[2:].isdigit():
        return None
    return int(worker_id[2:])


def gpu_for_worker(index: int, visible: str | None) -> str:
    """The one GPU worker ``index`` gets: the index-th of an outer ``CUDA_VISIBLE_DEVICES``
    (wrapping when there are more workers than devices), else device number ``index``."""
    devices = [d.strip() for d in (visible or "").split(",") if d.strip()]
    if devices:
        return devices[index % len(devices)]
    return str(index)
