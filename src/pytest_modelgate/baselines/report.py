"""Showing verdicts: the terminal table, the JSON report and the GitHub step summary."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_modelgate.baselines.compare import MEMORY, TIME, VERDICTS, MetricResult, Result

HEADER = ("model", "device", "metric", "baseline", "current", "change", "verdict")


def ordered(results: Sequence[Result]) -> list[Result]:
    """Regressions first, then inconclusive, new, improvements, ok; by model within each."""
    return sorted(results, key=lambda r: (VERDICTS.index(r.verdict), r.model, r.device))


def counts(results: Sequence[Result]) -> dict[str, int]:
    """How many results have each verdict (every verdict present, zero or not)."""
    return {v: sum(1 for r in results if r.verdict == v) for v in VERDICTS}


def counts_line(results: Sequence[Result]) -> str:
    return ", ".join(f"{n} {v}" for v, n in counts(results).items() if n) or "nothing checked"


def _figure(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    if metric == TIME:
        return f"{value * 1e3:.3f} ms"
    if metric == MEMORY:
        return f"{value:.1f} MB"
    return f"{value:.4g}"


def _change(m: MetricResult) -> str:
    text = f"{m.change_percent:+.1f}%"
    if m.raw_change_percent is not None and m.metric == TIME:
        text += f" (raw {m.raw_change_percent:+.1f}%)"
    return text


def table_rows(results: Sequence[Result]) -> list[tuple[str, ...]]:
    """One row per metric (one row for a result without metrics), most urgent first."""
    rows: list[tuple[str, ...]] = []
    for r in ordered(results):
        updated = " (updated)" if r.updated else ""
        if not r.metrics:
            rows.append((r.model, r.device, "-", "-", "-", "-", r.verdict + updated))
        for m in r.metrics:
            base, cur = _figure(m.metric, m.baseline), _figure(m.metric, m.current)
            row = (r.model, r.device, m.metric, base, cur, _change(m), m.verdict + updated)
            rows.append(row)
    return rows


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Aligned text lines for ``rows`` under ``HEADER``."""
    widths = [max(len(str(c)) for c in column) for column in zip(HEADER, *rows, strict=False)]
    lines = []
    for row in (HEADER, *rows):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return lines


def terminal_lines(results: Sequence[Result]) -> list[str]:
    """The terminal summary: the table, the messages of what is not ok, the counts."""
    lines = table(table_rows(results))
    notes = [
        r.message
        for r in ordered(results)
        if r.verdict in ("regression", "inconclusive") and not r.updated
    ]
    return [*lines, *notes, f"baselines: {counts_line(results)}"]


def document(results: Sequence[Result], **extra: Any) -> dict[str, Any]:
    """The JSON report: one result per checked model and device, and the counts."""
    return {
        "results": [r.as_dict() for r in ordered(results)],
        "counts": counts(results),
        **extra,
    }


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def markdown(results: Sequence[Result]) -> str:
    """A Markdown table of the results, for ``GITHUB_STEP_SUMMARY``."""
    rows = table_rows(results)
    out = ["### Performance baselines", "", f"{counts_line(results)}", ""]
    out.append("| " + " | ".join(HEADER) + " |")
    out.append("|" + " --- |" * len(HEADER))
    for row in rows:
        cells = [c.replace("|", "\\|") for c in row]
        if row[-1] == "regression":
            cells[-1] = "**regression**"
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n\n"


def append_step_summary(results: Sequence[Result], environ: Mapping[str, str]) -> Path | None:
    """Append the Markdown table to ``$GITHUB_STEP_SUMMARY`` when it is set."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(markdown(results))
    return path
