"""Showing a run's verdicts, in one place for every output: the order (most urgent first), the
counts and the wording of the common shift are made here for the terminal summary, the JSON
report, the GitHub step summary and the HTML page (``html`` draws its page with these)."""

from __future__ import annotations

import importlib
import json
import math
import os
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_modelgate.baselines.compare import (
    INCONCLUSIVE,
    MEMORY,
    MIN_DRIFT_MODELS,
    NEW,
    OK,
    REGRESSION,
    TIME,
    VERDICTS,
    Drift,
    MetricResult,
    Result,
)

HEADER = ("model", "device", "metric", "baseline", "current", "change", "could see", "verdict")
SCHEMA_RESOURCE = "report.schema.json"


#: a report whose results judge a store's history, not a run (``judge.store_document``)
HISTORY_BASIS = "history"
#: how a history report words the verdicts that a run's fuller rule would word otherwise
HISTORY_WORDS = {"regression": "slower", "improvement": "faster"}
#: what a history report says of its rule
HISTORY_RULE = (
    "Each model's latest recording against the one before it on the same machine. History "
    "points keep no samples, so only the tolerance and the run's common shift judge here, not "
    "the noise band, the significance test or the later rounds of a test run: 'slower' and "
    "'faster' are worth a test run or a modelgate ab to confirm."
)


def word(verdict: str, basis: str | None = None) -> str:
    """How a verdict is shown: as itself, or in a history report's words."""
    return HISTORY_WORDS.get(verdict, verdict) if basis == HISTORY_BASIS else verdict


def urgency(verdict: str) -> int:
    """Where a verdict sorts: regressions first, then inconclusive, new, improvements, ok."""
    return VERDICTS.index(verdict) if verdict in VERDICTS else len(VERDICTS)


def ordered(results: Sequence[Result]) -> list[Result]:
    """Most urgent first (``urgency``); by model and device within each verdict."""
    return sorted(results, key=lambda r: (urgency(r.verdict), r.model, r.device))


def tally(verdicts: Iterable[str]) -> dict[str, int]:
    """How many of ``verdicts`` are each verdict (every verdict present, zero or not)."""
    seen = list(verdicts)
    return {v: seen.count(v) for v in VERDICTS}


def counts(results: Sequence[Result]) -> dict[str, int]:
    """How many results have each verdict (every verdict present, zero or not)."""
    return tally(r.verdict for r in results)


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


def limit(m: MetricResult) -> str:
    """The detection limit of a metric's verdict: ``≥+24%`` (``≥-20%`` for a metric that grows
    better), ``-`` where the comparison could see no change."""
    if m.detectable_percent is None:
        return "-"
    sign = "-" if m.higher_is_better else "+"
    return f"≥{sign}{m.detectable_percent:.0f}%"


def limit_line(results: Sequence[Result]) -> str | None:
    """What size of slowdown the run's time verdicts could see, in one line: the limit of the
    median model and of the nine in ten best placed (None when no time verdict has one)."""
    found = sorted(
        m.detectable_percent
        for r in results
        for m in r.metrics
        if m.metric == TIME and m.detectable_percent is not None
    )
    if not found:
        return None
    median, ninth = found[(len(found) - 1) // 2], found[math.ceil(0.9 * len(found)) - 1]
    return (
        f"detection limit (time): these verdicts could see a slowdown of ≥ +{median:.0f}% for "
        f"half of the {len(found)} models, ≥ +{ninth:.0f}% for nine in ten"
    )


def table_rows(results: Sequence[Result], everything: bool = True) -> list[tuple[str, ...]]:
    """One row per metric (one row for a result without metrics), most urgent first; without
    ``everything``, only the rows whose verdict is neither ok nor new."""
    rows: list[tuple[str, ...]] = []
    for r in ordered(results):
        updated = " (updated)" if r.updated else ""
        if not r.metrics and (everything or r.verdict not in (OK, NEW)):
            rows.append((r.model, r.device, "-", "-", "-", "-", "-", r.verdict + updated))
        for m in r.metrics:
            if not everything and m.verdict == OK:
                continue
            base, cur = _figure(m.metric, m.baseline), _figure(m.metric, m.current)
            change, seen = _change(m), limit(m)
            row = (r.model, r.device, m.metric, base, cur, change, seen, m.verdict + updated)
            rows.append(row)
    return rows


def terminal_width() -> int | None:
    """The width to fit a table to: the terminal's, or ``COLUMNS``; None when printing to a
    pipe or a file (whole lines, for the scripts that read them)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, its end marked when cut."""
    return text if len(text) <= width else text[: width - 1] + "~"


def table(
    rows: Sequence[Sequence[str]],
    header: Sequence[str] = HEADER,
    *,
    width: int | None = None,
    shrink: Sequence[tuple[int, int]] = ((0, 12),),
) -> list[str]:
    """Aligned text lines for ``rows`` under ``header``; with ``width``, the columns of
    ``shrink`` ((index, narrowest), in that order) are cut until every line fits."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    if width is not None:
        for index, narrowest in shrink:
            excess = sum(widths) + 2 * (len(widths) - 1) - width
            if excess > 0:
                widths[index] = max(min(narrowest, widths[index]), widths[index] - excess)
    lines = []
    for row in (header, *rows):
        cells = (fit(str(c), w).ljust(w) for c, w in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
    return lines


#: rows shown in the terminal without ``-v``
SHORT_ROWS = 20


def drift_line(device: str, drift: Drift) -> str:
    """The run's common shift on ``device``, in words."""
    if not drift.applies:
        return (
            f"common shift ({device}): not taken out, {drift.models} comparable model(s) "
            f"(it needs {MIN_DRIFT_MODELS})"
        )
    over_time = ""
    if drift.low is not None and drift.high is not None and drift.high / drift.low > 1.02:
        over_time = f", from {drift.low:.2f}x to {drift.high:.2f}x over the run"
    return (
        f"common shift ({device}): this run's times are {drift.ratio:.2f}x their baselines "
        f"across {drift.models} models{over_time} (unchanged models scatter "
        f"±{drift.spread:.0%} around it); each model is judged relative to the shift of its "
        "moment"
    )


def terminal_lines(
    results: Sequence[Result],
    drifts: Mapping[str, Drift],
    *,
    verbose: bool = False,
    report_path: Path | None = None,
    fail_on_regression: bool = False,
) -> list[str]:
    """The terminal summary: counts and the common shift, then the rows that are not ok or new
    (most urgent first, at most ``SHORT_ROWS``) and why each regression is one; ``verbose``
    shows every row instead."""
    lines = [f"baselines: {counts_line(results)}"]
    lines += [drift_line(device, drift) for device, drift in sorted(drifts.items())]
    seen = limit_line(results)
    lines += [seen] if seen else []
    rows = table_rows(results, everything=verbose)
    if rows:
        lines += table(rows if verbose else rows[:SHORT_ROWS])
    if len(rows) > SHORT_ROWS and not verbose:
        where = f"the JSON report {report_path}" if report_path else "--baseline-report PATH"
        lines.append(f"... and {len(rows) - SHORT_ROWS} more rows: -v shows them, as does {where}")
    regressed = [r for r in ordered(results) if r.verdict == REGRESSION and not r.updated]
    lines += [r.message for r in (regressed if verbose else regressed[:SHORT_ROWS])]
    unsure = [r for r in ordered(results) if r.verdict == INCONCLUSIVE and not r.updated]
    for r in unsure if verbose else unsure[:SHORT_ROWS]:
        reason = why(r.as_dict())
        lines.append(f"{r.model} ({r.device}): inconclusive: {reason}" if reason else r.message)
    if fail_on_regression and regressed:
        lines.append(f"--fail-on-regression: {len(regressed)} regression(s) fail this run")
    return lines


def why(result: Mapping[str, Any]) -> str:
    """Why a result (as the JSON report holds it) is what it is, and what to run: the notes of
    its metrics that are not ok ("" when none has one)."""
    return "; ".join(
        f"{m['metric']}: {m['note']}"
        for m in result.get("metrics", ())
        if m.get("note") and m.get("verdict") != OK
    )


def document(results: Sequence[Result], **extra: Any) -> dict[str, Any]:
    """The JSON report: one result per checked model and device, and the counts."""
    return {
        "results": [r.as_dict() for r in ordered(results)],
        "counts": counts(results),
        **extra,
    }


def combine(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One report of several (the shards of a run): their results, counts recounted."""
    if len(documents) == 1:
        return dict(documents[0])
    results = [Result.from_dict(r) for d in documents for r in d.get("results", ())]
    drift: dict[str, Any] = {}
    for number, d in enumerate(documents, 1):
        for device, shift in d.get("drift", {}).items():
            drift[f"{device}, report {number}"] = shift
    errors = [e for d in documents for e in d.get("errors", ())]
    return document(results, drift=drift, errors=errors)


@cache
def _validator() -> Any:
    jsonschema = importlib.import_module("jsonschema")  # only readers of reports need it
    text = resources.files(__package__).joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def problem(document: Any) -> str | None:
    """Why ``document`` is not a run report (the shipped ``report.schema.json``), in one line
    naming where; None when it is one."""
    exceptions = importlib.import_module("jsonschema.exceptions")
    error = exceptions.best_match(_validator().iter_errors(document))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "top level"
    return f"not a run report: at {where}: {error.message}"


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def markdown(results: Sequence[Result], title: str = "Performance baselines") -> str:
    """A Markdown table of the results, for ``GITHUB_STEP_SUMMARY``."""
    rows = table_rows(results)
    out = [f"### {title}", "", f"{counts_line(results)}", ""]
    out.append("| " + " | ".join(HEADER) + " |")
    out.append("|" + " --- |" * len(HEADER))
    for row in rows:
        cells = [c.replace("|", "\\|") for c in row]
        if row[-1] == "regression":
            cells[-1] = "**regression**"
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n\n"


def append_to_step_summary(text: str, environ: Mapping[str, str]) -> Path | None:
    """Append ``text`` (Markdown) to ``$GITHUB_STEP_SUMMARY`` when it is set; its path."""
    target = environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
    return path


def append_step_summary(
    results: Sequence[Result], environ: Mapping[str, str], title: str = "Performance baselines"
) -> Path | None:
    """Append the Markdown table of ``results`` to the step summary when there is one."""
    return append_to_step_summary(markdown(results, title), environ)


# -- test outcomes (modelgate ab) ------------------------------------------------------------------

#: the ways a test's outcome can differ between an A/B run's sides, most urgent first
NEWLY_FAILING = "newly_failing"
XFAIL_PASSES = "xfail_passes"
BASE_ONLY = "base_only"
HEAD_ONLY = "head_only"
NEWLY_PASSING = "newly_passing"
#: how each is worded, in that order
OUTCOME_CHANGES = {
    NEWLY_FAILING: "newly failing",
    XFAIL_PASSES: "xfail now passing",
    BASE_ONLY: "only on the base side",
    HEAD_ONLY: "only on the head side",
    NEWLY_PASSING: "newly passing",
}
OUTCOME_HEADER = ("test", "base", "head", "message")
#: how a test can end, in pytest's words (its summary's), in the order they are shown
TEST_OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")


def tally_text(counts: Mapping[str, int]) -> str:
    """One side's outcomes in pytest's words: ``18 passed, 1 failed, 1 xfailed`` (in the order
    of ``TEST_OUTCOMES``, whatever the order of ``counts``; others after them)."""
    order = [*TEST_OUTCOMES, *sorted(set(counts) - set(TEST_OUTCOMES))]
    return ", ".join(f"{counts[o]} {o}" for o in order if counts.get(o)) or "no test"


def outcomes_line(section: Mapping[str, Any]) -> str:
    """How many tests changed their outcome, of each kind, and each side's outcomes."""
    counts = section.get("counts", {})
    changed = ", ".join(
        f"{counts[kind]} {words}" for kind, words in OUTCOME_CHANGES.items() if counts.get(kind)
    )
    sides = f"base: {tally_text(section['base'])}; head: {tally_text(section['head'])}"
    return f"tests: {changed or 'no test changed its outcome'} ({sides})"


def outcome_cells(change: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """A changed test as a row: its id, its outcome on each side ("-": not run), the message."""
    return (
        str(change["test"]),
        change.get("base") or "-",
        change.get("head") or "-",
        str(change.get("message") or ""),
    )


def outcome_lines(section: Mapping[str, Any], *, verbose: bool = False) -> list[str]:
    """The terminal's list of the tests whose outcome changed: the counts, then each kind
    (most urgent first) with its tests, at most ``SHORT_ROWS`` of them unless ``verbose``."""
    lines = [outcomes_line(section)]
    changes = list(section.get("changes", ()))
    shown = changes if verbose else changes[:SHORT_ROWS]
    for kind, words in OUTCOME_CHANGES.items():
        of_kind = [c for c in shown if c["change"] == kind]
        if of_kind:
            lines.append(f"{words}:")
        for change in of_kind:
            test, base, head, message = outcome_cells(change)
            lines.append(f"  {test}: {base} → {head}" + (f": {message}" if message else ""))
    if len(changes) > len(shown):
        lines.append(f"... and {len(changes) - len(shown)} more tests: -v shows them")
    return lines


def outcomes_markdown(section: Mapping[str, Any], title: str = "Test outcomes") -> str:
    """The tests whose outcome changed as Markdown, for ``GITHUB_STEP_SUMMARY``."""
    out = [f"### {title}", "", outcomes_line(section), ""]
    changes = section.get("changes", ())
    if changes:
        out.append("| change | " + " | ".join(OUTCOME_HEADER) + " |")
        out.append("|" + " --- |" * (len(OUTCOME_HEADER) + 1))
    for change in changes:
        words = OUTCOME_CHANGES.get(change["change"], change["change"])
        if change["change"] == NEWLY_FAILING:
            words = f"**{words}**"
        cells = [c.replace("|", "\\|") for c in outcome_cells(change)]
        out.append(f"| {words} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n\n"


def append_outcomes_summary(
    section: Mapping[str, Any], environ: Mapping[str, str], title: str = "Test outcomes"
) -> Path | None:
    """Append the tests whose outcome changed to the step summary when there is one."""
    return append_to_step_summary(outcomes_markdown(section, title), environ)
