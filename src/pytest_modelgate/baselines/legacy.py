"""The single-file baselines of the upstream gating guide, converted into store entries.

That guide kept every model and device in one file: ``{"BERT_cpu": {"inference_time_mean": ...,
"memory_peak_mb": ..., "timestamp": ..., "device": "cpu"}}``. Each usable entry becomes an
``imported`` entry of its device's file (threshold-only comparisons until the next
``--update-baselines`` records samples); anything else is skipped with its reason.
``modelgate baselines import`` writes what ``convert`` gives into a store.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from pytest_modelgate.baselines import store

DEVICE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class Converted:
    """What one guide-format file gives: entries per device, and (key, reason) for what it skips."""

    entries: Mapping[str, Mapping[str, store.Entry]]
    skipped: tuple[tuple[str, str], ...]


def _positive(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _timestamp(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if _positive(value):
        return datetime.fromtimestamp(float(value), timezone.utc).isoformat()  # type: ignore[arg-type]
    return None


def convert_entry(key: str, raw: object) -> tuple[str, str, store.Entry] | str:
    """(model, device, entry) for one guide-format entry, or the reason it cannot be taken."""
    if not isinstance(raw, dict):
        return f"expected an object, got {type(raw).__name__}"
    device = raw.get("device")
    if device is None and "_" in key:
        device = key.rsplit("_", 1)[1]
    if not isinstance(device, str) or not DEVICE_PATTERN.match(store.device_family(device)):
        return f"no usable device (got {device!r})"
    family = store.device_family(device)
    model = key[: -len(device) - 1] if key.endswith(f"_{device}") else key
    if not model:
        return "no model name"
    mean = raw.get("inference_time_mean")
    if not _positive(mean):
        return f"inference_time_mean must be a finite number above zero, got {mean!r}"
    when = _timestamp(raw.get("timestamp"))
    if when is None:
        return f"no usable timestamp (got {raw.get('timestamp')!r})"
    entry: store.Entry = {
        "device": family,
        "timestamp": when,
        "source": "imported",
        "inference_time_mean": float(mean),  # type: ignore[arg-type]
    }
    memory = raw.get("memory_peak_mb")
    if memory is not None:
        if not _positive(memory):
            return f"memory_peak_mb must be a finite number above zero, got {memory!r}"
        entry["memory_peak_mb"] = float(memory)
    return model, family, entry


def convert(document: object) -> Converted:
    """Convert a parsed seed file; raises ValueError when it is not a seed file at all."""
    if not isinstance(document, dict):
        raise ValueError(
            f"expected a JSON object of MODEL_DEVICE keys, got {type(document).__name__}"
        )
    entries: dict[str, dict[str, store.Entry]] = {}
    skipped: list[tuple[str, str]] = []
    for key in sorted(document):
        converted = convert_entry(key, document[key])
        if isinstance(converted, str):
            skipped.append((key, converted))
            continue
        model, device, entry = converted
        if model in entries.get(device, {}):
            skipped.append((key, f"{model} on {device} appears twice; the first is kept"))
            continue
        entries.setdefault(device, {})[model] = entry
    return Converted(entries, tuple(skipped))
