"""What an upgrade of transformers changes, as values: ``modelgate upgrade`` gathers, this decides.

The pieces are plain functions of text and values, so that each is tested without transformers:
the version a requirement names and the pin of ``pyproject.toml`` (read and moved), the pairs a
new registry adds and removes, the outcome of each suite test in a JUnit XML report, what those
outcomes mean for the upgrade (new pairs that pass or fail, expected failures that now pass,
tests of existing pairs that newly fail), the edits of ``expected_failures.json`` they call for,
and the report (JSON, terminal lines, one HTML page).
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_modelgate.models.catalog import Registry
from pytest_modelgate.models.status import CHECKS, ExpectedFailure

PACKAGE = "transformers"
#: the one requirement an upgrade takes: ``transformers==5.25.0``
_REQUIREMENT = re.compile(r"\s*transformers\s*==\s*([0-9][0-9A-Za-z.+!-]*)\s*")
#: the pin in ``pyproject.toml``: a quoted ``"transformers==X"`` (the ``models`` extra)
_PIN = re.compile(r"""(["'])transformers==([^"'\s,;]+)\1""")
XPASS_STRICT = "XPASS(strict)"
PASSED, FAILED, ERROR, SKIPPED, XFAILED, XPASSED = (
    "passed",
    "failed",
    "error",
    "skipped",
    "xfailed",
    "xpassed",
)
FAILING = frozenset({FAILED, ERROR})


class UpgradeError(Exception):
    """An upgrade that cannot go ahead as asked; the message says what to fix."""


def target_version(requirement: str) -> str:
    """The version of ``transformers==X``; anything else is refused."""
    match = _REQUIREMENT.fullmatch(requirement)
    if match is None:
        raise UpgradeError(
            f"expected one requirement 'transformers==X' (an exact version), got {requirement!r}"
        )
    return match.group(1)


def pin_of(pyproject: str) -> str:
    """The transformers version that ``pyproject.toml``'s text pins (exactly one pin)."""
    found = [m.group(2) for m in _PIN.finditer(pyproject)]
    if len(found) != 1:
        where = "no" if not found else f"{len(found)}"
        raise UpgradeError(f'pyproject.toml: expected one pin "transformers==X", found {where}')
    return found[0]


def with_pin(pyproject: str, version: str) -> str:
    """``pyproject.toml``'s text with its transformers pin moved to ``version``."""
    pin_of(pyproject)  # exactly one, or the error that says so
    return _PIN.sub(lambda m: f"{m.group(1)}transformers=={version}{m.group(1)}", pyproject)


@dataclass(frozen=True)
class PairDiff:
    """The pair ids a new registry adds and removes."""

    added: tuple[str, ...]
    removed: tuple[str, ...]


def pair_diff(old: Registry, new: Registry) -> PairDiff:
    before = {pair.id for pair in old.pairs}
    after = {pair.id for pair in new.pairs}
    return PairDiff(tuple(sorted(after - before)), tuple(sorted(before - after)))


@dataclass(frozen=True)
class TestOutcome:
    """How one CPU suite test ended: its pair, its check, the outcome and its message on
    one line ("" when it passed)."""

    __test__ = False  # a record, not a test class for pytest to collect

    pair: str
    check: str
    outcome: str
    message: str = ""


def one_line(text: str | None, width: int = 400) -> str:
    """A failure's message on one line (an error's cause is often on its second), cut at
    ``width`` characters."""
    line = " ".join(part.strip() for part in (text or "").splitlines() if part.strip())
    return line if len(line) <= width else line[: width - 1] + "…"


def outcomes_from_junit(text: str) -> tuple[TestOutcome, ...]:
    """The suite tests of a JUnit XML report (names like ``test_forward[bert-base-cpu]``);
    a strict xpass (a failure whose message says ``XPASS(strict)``) is ``xpassed``."""
    found = []
    for case in ElementTree.fromstring(text).iter("testcase"):
        name = case.get("name", "")
        check, _, rest = name.partition("[")
        check = check.removeprefix("test_")
        if check not in CHECKS or not rest.endswith("-cpu]"):
            continue
        pair = rest[: -len("-cpu]")]
        failure, error = case.find("failure"), case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            message = failure.get("message") or failure.text
            outcome = XPASSED if XPASS_STRICT in (message or "") else FAILED
            found.append(TestOutcome(pair, check, outcome, one_line(message)))
        elif error is not None:
            found.append(TestOutcome(pair, check, ERROR, one_line(error.get("message"))))
        elif skipped is not None:
            xfail = skipped.get("type") == "pytest.xfail"
            found.append(TestOutcome(pair, check, XFAILED if xfail else SKIPPED))
        else:
            found.append(TestOutcome(pair, check, PASSED))
    return tuple(found)


@dataclass(frozen=True)
class Failing:
    """A pair whose checks fail: which, and the first failure's message."""

    pair: str
    checks: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Findings:
    """What the suite's run under the new version says: the added pairs that pass and that
    fail, the expected failures whose checks now pass (to remove), and the existing pairs whose
    tests newly fail."""

    passing: tuple[str, ...] = ()
    failing: tuple[Failing, ...] = ()
    fixed: tuple[tuple[str, tuple[str, ...]], ...] = ()
    newly_failing: tuple[Failing, ...] = ()


def _in_order(checks: Iterable[str]) -> tuple[str, ...]:
    present = set(checks)
    return tuple(c for c in CHECKS if c in present)


def classify(
    outcomes: Sequence[TestOutcome], added: Iterable[str], expected: Mapping[str, ExpectedFailure]
) -> Findings:
    by_pair: dict[str, list[TestOutcome]] = {}
    for outcome in outcomes:
        by_pair.setdefault(outcome.pair, []).append(outcome)
    new = set(added)
    passing: list[str] = []
    failing: list[Failing] = []
    fixed: list[tuple[str, tuple[str, ...]]] = []
    newly: list[Failing] = []
    for pair in sorted(by_pair):
        tests = by_pair[pair]
        bad = [t for t in tests if t.outcome in FAILING]
        xpassed = _in_order(t.check for t in tests if t.outcome == XPASSED)
        if bad:
            found = Failing(pair, _in_order(t.check for t in bad), bad[0].message)
            (failing if pair in new else newly).append(found)
        elif pair in new:
            passing.append(pair)
        if xpassed and pair in expected:
            fixed.append((pair, xpassed))
    return Findings(tuple(passing), tuple(failing), tuple(fixed), tuple(newly))


def _checks_entry(entry: dict[str, Any], checks: Iterable[str]) -> None:
    ordered = _in_order(checks)
    if ordered == CHECKS:
        entry.pop("checks", None)
    else:
        entry["checks"] = list(ordered)


def edit_expected_failures(
    raw: Mapping[str, Any], findings: Findings, removed: Iterable[str], version: str
) -> dict[str, Any]:
    """``expected_failures.json`` after the upgrade: the entries of removed pairs gone, the
    checks that now pass taken out (an entry with none left gone), and the pairs that fail
    added with a written reason that says to fix them by hand."""
    table = {key: dict(value) if isinstance(value, dict) else value for key, value in raw.items()}
    for pair in removed:
        table.pop(pair, None)
    for pair, checks in findings.fixed:
        entry = table.get(pair)
        if not isinstance(entry, dict):
            continue
        left = [c for c in entry.get("checks", CHECKS) if c not in checks]
        if left:
            _checks_entry(entry, left)
        else:
            del table[pair]
    for failing in (*findings.failing, *findings.newly_failing):
        why = f"fails on transformers {version}: {failing.message or 'no message'}"
        entry = table.get(failing.pair)
        if isinstance(entry, dict):
            entry["reason"] = f"{entry['reason']}; {', '.join(failing.checks)} also {why}"
            _checks_entry(entry, [*entry.get("checks", CHECKS), *failing.checks])
        else:
            entry = {"reason": f"{why}; listed by modelgate upgrade, fix by hand"}
            _checks_entry(entry, failing.checks)
            table[failing.pair] = entry
    return table


@dataclass(frozen=True)
class Speed:
    """The A/B of the benchmarks against the current pin: each verdict's count, the rows that
    are not ok (model, verdict, time and memory change in percent), and the tests' changes."""

    counts: Mapping[str, int]
    rows: tuple[tuple[str, str, str], ...]
    outcomes: Mapping[str, int]
    report: str


def speed_of(document: Mapping[str, Any], report: str) -> Speed:
    """The part of a ``modelgate ab`` JSON report that an upgrade report shows."""
    rows = []
    for result in document.get("results", ()):
        if result.get("verdict") == "ok":
            continue
        changes = ", ".join(
            f"{m['metric']} {m['change_percent']:+.1f} %" for m in result.get("metrics", ())
        )
        changes = changes or "no measurement of the current pin to compare with"
        rows.append((f"{result['model']} ({result['device']})", str(result["verdict"]), changes))
    outcomes = dict(document.get("outcomes", {}).get("counts", {}))
    return Speed(dict(document.get("counts", {})), tuple(rows), outcomes, report)


@dataclass(frozen=True)
class Report:
    """One upgrade: what changed, what the run found, what was done and what is left."""

    current: str
    target: str
    scope: str
    diff: PairDiff
    findings: Findings
    speed: Speed | None = None
    steps: tuple[tuple[str, float], ...] = ()
    applied: bool = False
    to_do: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def total_s(self) -> float:
        return round(sum(seconds for _, seconds in self.steps), 1)

    def as_dict(self) -> dict[str, Any]:
        found = self.findings
        return {
            "current": self.current,
            "target": self.target,
            "scope": self.scope,
            "pairs_added": list(self.diff.added),
            "pairs_removed": list(self.diff.removed),
            "new_pairs_passing": list(found.passing),
            "new_pairs_failing": [_failing_dict(f) for f in found.failing],
            "expected_failures_now_passing": [
                {"pair": pair, "checks": list(checks)} for pair, checks in found.fixed
            ],
            "newly_failing": [_failing_dict(f) for f in found.newly_failing],
            "speed": None if self.speed is None else _speed_dict(self.speed),
            "steps": [{"step": name, "wall_s": round(s, 1)} for name, s in self.steps],
            "wall_s": self.total_s,
            "applied": self.applied,
            "to_do": list(self.to_do),
            "problems": list(self.problems),
            "notes": list(self.notes),
        }

    def sections(self) -> list[tuple[str, list[str]]]:
        """The report's sections as titled lists of lines: one source for terminal and HTML."""
        found = self.findings
        out = [
            ("pairs added", list(self.diff.added)),
            ("pairs removed", list(self.diff.removed)),
            ("new pairs that pass", list(found.passing)),
            ("new pairs that fail", [_failing_line(f) for f in found.failing]),
            (
                "expected failures that now pass (remove them)",
                [f"{pair} ({', '.join(checks)})" for pair, checks in found.fixed],
            ),
            ("tests that newly fail", [_failing_line(f) for f in found.newly_failing]),
        ]
        if self.speed is not None:
            counts = ", ".join(f"{n} {v}" for v, n in sorted(self.speed.counts.items()) if n)
            tests = ", ".join(f"{n} {k}" for k, n in sorted(self.speed.outcomes.items()) if n)
            lines = [f"verdicts: {counts or 'none'}; test changes: {tests or 'none'}"]
            lines += [
                f"{model}: {verdict}: {changes}" for model, verdict, changes in self.speed.rows
            ]
            lines.append(f"the whole A/B: {self.speed.report}")
            out.append((f"speed and memory against transformers {self.current}", lines))
        out.append(("problems", list(self.problems)))
        out.append(("notes", list(self.notes)))
        out.append(("left to do by hand" if self.applied else "to apply it", list(self.to_do)))
        return out

    def title(self) -> str:
        state = "applied" if self.applied else "not applied (the tree is as it was)"
        return f"transformers {self.current} -> {self.target}, {self.scope}: {state}"

    def wall_line(self) -> str:
        steps = "; ".join(f"{name}: {seconds:.0f} s" for name, seconds in self.steps)
        return f"wall time: {self.total_s:.0f} s ({steps})"

    def terminal_lines(self) -> list[str]:
        lines = [self.title()]
        for title, items in self.sections():
            if not items and title not in ("pairs added", "tests that newly fail"):
                continue
            lines.append(f"{title}: {len(items) if items else 'none'}")
            lines += [f"  {item}" for item in items]
        return [*lines, self.wall_line()]

    def html_page(self) -> str:
        parts = []
        for title, items in self.sections():
            body = "".join(f"<li>{esc(item)}</li>" for item in items) or "<li>none</li>"
            parts.append(f"<section><h2>{esc(title)}</h2><ul>{body}</ul></section>")
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{esc(self.title())}</title><style>{STYLE}</style></head>"
            f"<body><h1>{esc(self.title())}</h1>{''.join(parts)}"
            f"<p>{esc(self.wall_line())}</p></body></html>\n"
        )


STYLE = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:20px;color:#212121}"
    "h1{font-size:20px}h2{font-size:16px;margin:14px 0 4px}ul{margin:0}"
)


def esc(value: object) -> str:
    """The one place the report's text is escaped for HTML."""
    return html.escape(str(value), quote=True)


def _failing_dict(failing: Failing) -> dict[str, Any]:
    return {"pair": failing.pair, "checks": list(failing.checks), "message": failing.message}


def _failing_line(failing: Failing) -> str:
    return f"{failing.pair} ({', '.join(failing.checks)}): {failing.message or 'no message'}"


def _speed_dict(speed: Speed) -> dict[str, Any]:
    return {
        "counts": dict(speed.counts),
        "not_ok": [{"model": m, "verdict": v, "changes": c} for m, v, c in speed.rows],
        "test_changes": dict(speed.outcomes),
        "report": speed.report,
    }
