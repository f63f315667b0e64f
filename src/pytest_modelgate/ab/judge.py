"""The verdicts of an A/B run: the head side's measurements judged against the base side's.

The first pass is judged as a test run judges a run against its baselines (``judge_run``: the
common shift of the comparable models first, then each model within it), with the fingerprint
compared on where and how it was measured only: the versions of Python, torch and transformers
are what an A/B run may compare. Then the passes that confirm, sequentially: a model whose
verdict is not yet decided (``to_confirm``) is measured again on both sides, and judged again on
the samples of its later passes together, within the first pass's shift, whose scatter
shrinks with the number of those passes (``compare.narrowed``); until every verdict is decided
or the run's budget of passes is spent. Undecided are: a regression or an improvement that
fewer than ``DECIDING_PASSES`` later passes name, a slowdown beyond the tolerance too noisy to
tell, and an ``ok`` whose band still straddles the tolerance (``compare.straddles``).

The tests' outcomes are compared too (``compare_outcomes``): each side's first pass records how
each test ended, in pytest's words, and a test that fails on the head but not on the base, or
an expected failure that now passes, is named, with the tests that now pass and those that only
one side ran.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_modelgate.baselines import compare, render, store
from pytest_modelgate.baselines.judge import judge_run, pooled, records_of

#: what must match between the sides: the machine and the run's shape, not the versions
FIELDS = ("machine", "gpu", "threads", "workers")
CONFIRMED = (compare.REGRESSION, compare.IMPROVEMENT)
#: a regression or an improvement is decided once this many later passes, pooled, name it
DECIDING_PASSES = 2

Entries = Mapping[str, Mapping[str, store.Entry]]  # device -> model -> entry


def first_pass(
    base: Entries, head: Entries, rule: compare.Rule
) -> tuple[list[compare.Result], dict[str, compare.Drift]]:
    """Every model the head side measured, judged against the base side's measurement."""

    def lookup(device: str, model: str) -> tuple[store.Entry | None, str | None]:
        return base.get(device, {}).get(model), None

    return judge_run(records_of(head, rule), lookup, {}, fields=FIELDS)


def to_confirm(
    results: Sequence[compare.Result], heads: Sequence[Entries] = ()
) -> list[compare.Result]:
    """The results the next pass measures again, those not yet decided: regressions and
    improvements named by fewer than ``DECIDING_PASSES`` of the later passes (``heads``: each
    later pass's head entries), slowdowns beyond the tolerance too noisy to tell, and time
    verdicts whose band still straddles the tolerance (``compare.straddles``)."""

    def passes(result: compare.Result) -> int:
        return sum(1 for p in heads if result.model in p.get(result.device, {}))

    return [
        r
        for r in results
        if (r.verdict in CONFIRMED and passes(r) < DECIDING_PASSES)
        or compare.noisy_slowdown(r)
        or compare.straddles(r)
    ]


def confirm(
    results: Sequence[compare.Result],
    base: Sequence[Entries],
    head: Sequence[Entries],
    rule: compare.Rule,
    drifts: Mapping[str, compare.Drift],
) -> list[compare.Result]:
    """``results``, each model the later passes measured judged again on their samples together
    (``base`` and ``head``: each later pass's entries), within the first pass's shift, its
    scatter narrowed for the passes of both sides (``compare.narrowed``); a model one side
    measured again and the other did not is inconclusive, one neither did keeps its verdict.
    The first pass is left out: it chose these models for looking extreme, and pooled in it
    would carry that bias into the verdict (on the real suite, an A/A run pooled with it gave a
    +28 % "regression"). The pooled figures are not asked for the clock's agreement: that
    guards one measurement against a disturbed reference run, which the passes now do, and the
    raw clock of a shared machine moves by a third from second to second."""
    pooled_rule = dataclasses.replace(rule, clock_must_agree=False)
    confirmed = []
    for result in results:
        before = [found for p in base if (found := p.get(result.device, {}).get(result.model))]
        after = [found for p in head if (found := p.get(result.device, {}).get(result.model))]
        if not before and not after:
            confirmed.append(result)
            continue
        if not before or not after:
            side = "base" if not before else "head"
            message = (
                f"{result.model} ({result.device}): inconclusive: {result.verdict} before, but "
                f"not measured again on the {side} side"
            )
            confirmed.append(
                dataclasses.replace(result, verdict=compare.INCONCLUSIVE, message=message)
            )
            continue
        latest = pooled(after)
        drift = drifts.get(result.device, compare.NO_DRIFT)
        confirmed.append(
            compare.compare(
                result.model,
                result.device,
                latest,
                pooled(before),
                pooled_rule,
                fingerprint=latest.get("fingerprint"),
                fingerprint_fields=FIELDS,
                test=result.test,
                drift=compare.narrowed(drift, len(after), len(before)),
            )
        )
    return confirmed


# -- test outcomes ---------------------------------------------------------------------------------

#: how a test can end, in pytest's words (its summary's)
OUTCOMES = render.TEST_OUTCOMES
FAILING = ("failed", "error")
#: what pytest puts before the message of a strict xfail that passed (it counts as failed)
STRICT_XPASS = "XPASS(strict)"


@dataclass(frozen=True)
class Phase:
    """One report of a test (its setup, call or teardown), as a side's reporter streamed it:
    pytest's category for it ("" for a setup or teardown that went well), whether it is a
    strict xfail that passed, and the first line of its failure."""

    when: str
    category: str
    strict_xpass: bool = False
    message: str = ""


@dataclass(frozen=True)
class SideOutcome:
    """How one test ended on one side: pytest's word for it (``OUTCOMES``), whether that
    failure is a strict xfail that passed, and the first line of its failure."""

    outcome: str
    strict_xpass: bool = False
    message: str = ""

    @property
    def failing(self) -> bool:
        return self.outcome in FAILING

    @property
    def label(self) -> str:
        """The outcome as shown: ``failed (XPASS(strict))`` for a strict xfail that passed."""
        return f"{self.outcome} ({STRICT_XPASS})" if self.strict_xpass else self.outcome


def outcome_of(phases: Sequence[Phase]) -> SideOutcome | None:
    """One test's outcome from its reports: its first failing one (a failing call before a
    teardown that errs too; a setup error is the test's error), else the first that pytest
    counts (a skipped setup, the call); None when pytest counted none."""
    counted = [p for p in phases if p.category]
    known = [p for p in counted if p.category in OUTCOMES] or counted[-1:]
    if not known:
        return None
    chosen = next((p for p in known if p.category in FAILING), known[0])
    return SideOutcome(chosen.category, chosen.strict_xpass, chosen.message)


def outcomes_of(phases: Iterable[tuple[str, Phase]]) -> dict[str, SideOutcome]:
    """Each test's outcome (``outcome_of``) from ``(test id, report)`` pairs, by test id."""
    by_test: dict[str, list[Phase]] = {}
    for test, phase in phases:
        by_test.setdefault(test, []).append(phase)
    found = {test: outcome_of(reports) for test, reports in by_test.items()}
    return {test: outcome for test, outcome in found.items() if outcome is not None}


def change_of(base: SideOutcome | None, head: SideOutcome | None) -> str | None:
    """How a test's outcome changed from the base to the head (``render.OUTCOME_CHANGES``), or
    None when it did not in a way worth naming. An expected failure that now passes (passed,
    xpassed, or a strict xfail's pass, which pytest counts as failed) is named as that, not as
    newly failing; a test that fails on the head and did not on the base (passed, xfailed,
    skipped) is newly failing; one that failed on the base and passes on the head is newly
    passing."""
    if head is None:
        return render.BASE_ONLY if base is not None else None
    if base is None:
        return render.HEAD_ONLY
    if base.outcome == "xfailed" and (head.outcome in ("passed", "xpassed") or head.strict_xpass):
        return render.XFAIL_PASSES
    if head.failing and not base.failing:
        return render.NEWLY_FAILING
    if base.failing and head.outcome in ("passed", "xpassed"):
        return render.NEWLY_PASSING
    return None


@dataclass(frozen=True)
class OutcomeChange:
    """A test whose outcome differs between the sides: how (``change_of``), and each side's."""

    test: str
    change: str
    base: SideOutcome | None
    head: SideOutcome | None

    @property
    def message(self) -> str:
        """The head's failure when it has one (what broke), else the base's (what was fixed)."""
        for side in (self.head, self.base):
            if side is not None and side.message:
                return side.message
        return ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "change": self.change,
            "base": self.base.label if self.base else None,
            "head": self.head.label if self.head else None,
            "message": self.message,
        }


def tally_outcomes(outcomes: Mapping[str, SideOutcome]) -> dict[str, int]:
    """How many tests ended each way on one side, as pytest counts them (a strict xfail's pass
    is a failure): every one of ``OUTCOMES``, zero or not, then any other word a plugin gave."""
    seen = [o.outcome for o in outcomes.values()]
    words = [*OUTCOMES, *sorted(set(seen) - set(OUTCOMES))]
    return {word: seen.count(word) for word in words}


@dataclass(frozen=True)
class OutcomeComparison:
    """The two sides' test outcomes compared: each side's tally, and the tests that changed,
    most urgent first (``render.OUTCOME_CHANGES``' order), by test id within each kind."""

    base: Mapping[str, int]
    head: Mapping[str, int]
    changes: tuple[OutcomeChange, ...]

    def of(self, change: str) -> list[OutcomeChange]:
        return [c for c in self.changes if c.change == change]

    @property
    def newly_failing(self) -> list[OutcomeChange]:
        return self.of(render.NEWLY_FAILING)

    def as_dict(self) -> dict[str, Any]:
        """The report's ``outcomes`` section (``report.schema.json``)."""
        return {
            "base": dict(self.base),
            "head": dict(self.head),
            "counts": {kind: len(self.of(kind)) for kind in render.OUTCOME_CHANGES},
            "changes": [c.as_dict() for c in self.changes],
        }


def compare_outcomes(
    base: Mapping[str, SideOutcome], head: Mapping[str, SideOutcome]
) -> OutcomeComparison:
    """Every test either side ran, its outcome on the head compared with the base's."""
    order = list(render.OUTCOME_CHANGES)
    changes = []
    for test in sorted(set(base) | set(head)):
        before, after = base.get(test), head.get(test)
        change = change_of(before, after)
        if change is not None:
            changes.append(OutcomeChange(test, change, before, after))
    changes.sort(key=lambda c: (order.index(c.change), c.test))
    return OutcomeComparison(tally_outcomes(base), tally_outcomes(head), tuple(changes))
