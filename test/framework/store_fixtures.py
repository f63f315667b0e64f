"""Store entries and stores written through the store, for the tests of what reads them.

Not a test module: the tests of the store, the schema, ``modelgate baselines``, ``modelgate
report`` and the HTML page import it by basename (``from store_fixtures import measured``).
The ``two_stores`` fixture (``two_stores_in``) is in ``conftest.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pytest_modelgate.baselines import store as baselines

MACHINE = "Test CPU"


def entry(mean: float = 0.01, **extra: Any) -> dict[str, Any]:
    return {
        "device": "cpu",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "inference_time_mean": mean,
        "samples": [mean, mean * 1.01],
        "reference_samples": [0.001, 0.001, 0.001],
        "clock": "cpu",
        "memory_peak_mb": 10.0,
        "fingerprint": {"machine": "x", "gpu": None, "threads": 1},
        **extra,
    }


def measured(median: float, when: str = "2026-01-01T00:00:00+00:00", **extra: Any) -> Any:
    """A measured entry whose samples (and reference runs) centre on ``median`` seconds."""
    samples = [round(median * f, 9) for f in (0.98, 0.99, 1.0, 1.01, 1.02, 0.995, 1.005, 1.0)]
    entry = {
        "device": "cpu",
        "timestamp": when,
        "source": "measured",
        "inference_time_mean": median,
        "inference_time_median": median,
        "samples": samples,
        "cpu_samples": samples,
        "reference_samples": [0.001] * (len(samples) + 1),
        "clock": "cpu",
        "memory_peak_mb": 100.0,
        "fingerprint": {"machine": MACHINE, "threads": 1, "workers": 1},
    }
    return {**entry, **extra}


def write_store(folder: Path, medians: dict[str, float], when: str) -> Path:
    baselines.save(folder, "cpu", {m: measured(t, when) for m, t in medians.items()})
    return folder / "cpu.json"


MEDIANS = {f"model-{i:02d}": 0.001 * (i + 1) for i in range(12)}


def two_stores_in(tmp_path: Path) -> tuple[Path, Path]:
    """Store A (main) and store B (a branch) where model-03 got 1.6x slower."""
    base, head = tmp_path / "main", tmp_path / "branch"
    write_store(base, MEDIANS, "2026-01-01T00:00:00+00:00")
    write_store(base, MEDIANS, "2026-01-02T00:00:00+00:00")
    shutil.copytree(base, head)
    slower = {**MEDIANS, "model-03": MEDIANS["model-03"] * 1.6}
    write_store(head, slower, "2026-01-03T00:00:00+00:00")
    return base, head
