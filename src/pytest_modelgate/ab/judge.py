"""The verdicts of an A/B run: the head side's measurements judged against the base side's.

The first pass is judged as a test run judges a run against its baselines (``judge_run``: the
common shift of the comparable models first, then each model within it), with the fingerprint
compared on where and how it was measured only: the versions of Python, torch and transformers
are what an A/B run may compare. A model whose first verdict is a regression or an improvement
is measured again on both sides, and judged again on the samples of its later passes together,
within the first pass's shift.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

from pytest_modelgate.baselines import compare, store
from pytest_modelgate.baselines.judge import judge_run, records_of
from pytest_modelgate.baselines.measure import normalised_of

#: what must match between the sides: the machine and the run's shape, not the versions
FIELDS = ("machine", "gpu", "threads", "workers")
CONFIRMED = (compare.REGRESSION, compare.IMPROVEMENT)

Entries = Mapping[str, Mapping[str, store.Entry]]  # device -> model -> entry


def first_pass(
    base: Entries, head: Entries, rule: compare.Rule
) -> tuple[list[compare.Result], dict[str, compare.Drift]]:
    """Every model the head side measured, judged against the base side's measurement."""

    def lookup(device: str, model: str) -> tuple[store.Entry | None, str | None]:
        return base.get(device, {}).get(model), None

    return judge_run(records_of(head, rule), lookup, {}, fields=FIELDS)


def to_confirm(results: Sequence[compare.Result]) -> list[compare.Result]:
    """The results a later pass measures again: regressions and improvements, to confirm, and
    slowdowns beyond the tolerance too noisy to tell, to tell with more samples."""
    return [r for r in results if r.verdict in CONFIRMED or noisy_slowdown(r)]


def noisy_slowdown(result: compare.Result) -> bool:
    """An inconclusive time change beyond the tolerance (not one measured elsewhere)."""
    return any(
        m.metric == compare.TIME
        and m.verdict == compare.INCONCLUSIVE
        and m.change_percent > m.threshold_percent
        and m.reason != compare.Reason.MEASURED_ELSEWHERE
        for m in result.metrics
    )


def pooled(entries: Sequence[store.Entry]) -> store.Entry:
    """One measurement made of several passes' measurements of a model: their samples together,
    each normalised against the reference runs of its own pass; the other figures the last's."""
    if len(entries) == 1:
        return entries[0]
    out = dict(entries[-1])
    for key in ("samples", "cpu_samples"):
        out[key] = [value for entry in entries for value in entry.get(key) or ()]
    normalised = [normalised_of(entry) for entry in entries]
    out.pop("reference_samples", None)
    if all(normalised):
        out["normalised_samples"] = [value for each in normalised for value in each or ()]
    return out


def averaged(drift: compare.Drift, passes: int) -> compare.Drift:
    """The first pass's shift, its scatter that of a mean of ``passes`` independent passes:
    how far an unchanged model's ratio strays shrinks as its passes are pooled."""
    return dataclasses.replace(drift, spread=drift.spread / math.sqrt(max(1, passes)))


def confirm(
    results: Sequence[compare.Result],
    base: Sequence[Entries],
    head: Sequence[Entries],
    rule: compare.Rule,
    drifts: Mapping[str, compare.Drift],
) -> list[compare.Result]:
    """``results`` with each regression, improvement and noisy slowdown (``to_confirm``) judged
    again on the later passes' samples together (``base`` and ``head``: each later pass's
    entries), within the first pass's shift, its scatter averaged over those passes
    (``averaged``). The first pass is left out: it chose these models for looking extreme, and
    pooled in it would carry that bias into the verdict (on the real suite, an A/A run pooled
    with it gave a +28 % "regression"). The pooled figures are not asked for the clock's
    agreement: that guards one measurement against a disturbed reference run, which the passes
    now do, and the raw clock of a shared machine moves by a third from second to second."""
    pooled_rule = dataclasses.replace(rule, clock_must_agree=False)
    confirmed = []
    for result in results:
        if result.verdict not in CONFIRMED and not noisy_slowdown(result):
            confirmed.append(result)
            continue
        before = [found for p in base if (found := p.get(result.device, {}).get(result.model))]
        after = [found for p in head if (found := p.get(result.device, {}).get(result.model))]
        if not before or not after:
            side = "base" if not before else "head"
            message = (
                f"{result.model} ({result.device}): inconclusive: {result.verdict} in the first "
                f"pass, but not measured again on the {side} side"
            )
            confirmed.append(
                dataclasses.replace(result, verdict=compare.INCONCLUSIVE, message=message)
            )
            continue
        latest = pooled(after)
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
                drift=averaged(drifts.get(result.device, compare.NO_DRIFT), len(after)),
            )
        )
    return confirmed
