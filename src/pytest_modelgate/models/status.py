"""What the suite expects of each pair: the expected failures and the slow pairs, as data.

``expected_failures.json`` lists the pairs that cannot run, each with its reason (and, when only
some checks fail, which); they become strict expected failures. ``slow.json`` lists the pairs
whose checks took longest in a recorded run; they are marked ``slow``. Readable without torch.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pytest_modelgate.models import catalog

EXPECTED_FAILURES = Path(__file__).with_name("expected_failures.json")
SLOW = Path(__file__).with_name("slow.json")
CHECKS = ("forward", "deterministic", "save_load", "benchmark")
SLOW_FRACTION = 0.03


@dataclass(frozen=True)
class ExpectedFailure:
    """Why a pair cannot run, and which of its checks fail."""

    reason: str
    checks: tuple[str, ...] = CHECKS


def parse_expected_failures(raw: Mapping[str, object], source: str) -> dict[str, ExpectedFailure]:
    """Validate ``{pair id: {"reason": str, "checks": [check, ...]}}``; errors name the entry."""
    table: dict[str, ExpectedFailure] = {}
    for pair_id, entry in raw.items():
        if pair_id.startswith("_"):
            continue
        if not isinstance(entry, dict):
            raise ValueError(f"{source}: {pair_id}: expected an object, got {entry!r}")
        unknown = set(entry) - {"reason", "checks"}
        if unknown:
            raise ValueError(f"{source}: {pair_id}: unknown keys {sorted(unknown)}")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{source}: {pair_id}: a written 'reason' is required")
        checks = tuple(entry.get("checks", CHECKS))
        bad = [c for c in checks if c not in CHECKS]
        if bad or not checks:
            raise ValueError(f"{source}: {pair_id}: checks {bad or '[]'} not in {list(CHECKS)}")
        table[pair_id] = ExpectedFailure(reason.strip(), checks)
    return table


@cache
def load_expected_failures(path: Path = EXPECTED_FAILURES) -> dict[str, ExpectedFailure]:
    table = parse_expected_failures(json.loads(path.read_text(encoding="utf-8")), path.name)
    known = {pair.id for pair in catalog.load_registry().pairs}
    stale = sorted(set(table) - known)
    if stale:
        raise ValueError(f"{path.name}: pairs not in the catalog: {', '.join(stale[:5])}")
    return table


@cache
def load_slow(path: Path = SLOW) -> frozenset[str]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return frozenset(raw.get("pairs", {}))


def status_of(pair_id: str, expected: Mapping[str, ExpectedFailure]) -> str:
    """``runs``, or ``expected failure (<checks>): <reason>``."""
    failure = expected.get(pair_id)
    if failure is None:
        return "runs"
    checks = "" if failure.checks == CHECKS else f" ({', '.join(failure.checks)})"
    return f"expected failure{checks}: {failure.reason}"


def durations_from_junit(path: Path) -> dict[str, float]:
    """Seconds per pair id summed over the checks of a JUnit XML report of the model suite.

    Test names look like ``test_forward[bert-fill-mask-cpu]``; only CPU runs count.
    """
    totals: dict[str, float] = {}
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        name = case.get("name", "")
        if "[" not in name or not name.endswith("-cpu]"):
            continue
        pair_id = name[name.index("[") + 1 : -len("-cpu]")]
        totals[pair_id] = totals.get(pair_id, 0.0) + float(case.get("time", "0"))
    return totals


def slowest(durations: Mapping[str, float], fraction: float = SLOW_FRACTION) -> dict[str, float]:
    """The slowest ``fraction`` of the pairs (at least one when there are any)."""
    count = max(1, round(len(durations) * fraction)) if durations else 0
    ranked = sorted(durations.items(), key=lambda item: (-item[1], item[0]))[:count]
    return {pair_id: round(seconds, 3) for pair_id, seconds in sorted(ranked)}


def write_slow(durations: Mapping[str, float], path: Path = SLOW) -> dict[str, float]:
    """Record the slowest pairs of ``durations`` in ``path`` (stable bytes for the same input)."""
    pairs = slowest(durations)
    body = {"fraction": SLOW_FRACTION, "pairs": pairs}
    path.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return pairs


def categories_of(pairs: Iterable[catalog.Pair]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pair in pairs:
        counts[pair.category] = counts.get(pair.category, 0) + 1
    return counts
