"""The verdicts of a run, as plain functions of values: no pytest here.

A measurement becomes a record (``check``: its stored entry, its provisional verdict, the rule
it is judged by); once every test has run, ``judge_run`` gives each record its final verdict,
with the run's common shift over time taken out and its later rounds (the measurements of a
suspect made again) taken into account; a model that fresh processes measured again once the
run was over (``fresh``) is judged on those measurements instead (``judge_fresh``). A test
run, ``modelgate baselines diff``, the HTML page of a store and ``modelgate ab`` all judge
through ``judge_run``.

Two stores are judged here too: ``diff_stores`` (one store's entries as a run against another's,
for ``modelgate baselines diff``) and ``store_document`` (each latest measurement of a store
against the one before it, for ``modelgate report`` without a run report).
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_modelgate import hardware
from pytest_modelgate.baselines import compare, render, store
from pytest_modelgate.baselines.measure import check_stats, normalised_of

#: a model's baseline on a device, and the problem of a file that could not be read on the way
Lookup = Callable[[str, str], tuple[store.Entry | None, str | None]]


class PerformanceRegressionWarning(UserWarning):
    """A measured model is slower (or larger) than its baseline beyond the tolerance."""


@dataclass(frozen=True)
class Record:
    """One measurement of a run, as the controller judges it: the entry it would store, the
    rule it is judged by, and where and when it was made. It crosses from an xdist worker to
    the controller as ``as_dict()`` (plain values), and back with ``from_dict``."""

    model: str
    device: str
    entry: store.Entry
    rule: compare.Rule
    test: str | None
    #: ``--update-baselines``: the entry replaces the baseline
    update: bool = False
    #: why the baseline file could not be read (None when it could)
    load_error: str | None = None
    #: seconds since the epoch, for the run's shift over time (None: the whole run's shift)
    measured_at: float | None = None
    #: the test's file and line, for a regression's warning
    location: tuple[str, int] | None = None

    @property
    def key(self) -> str:
        """What names a record across processes (and its later rounds): test and model."""
        return f"{self.test}::{self.model}"

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["location"] = list(self.location) if self.location else None
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Record:
        location = data.get("location")
        return cls(
            model=data["model"],
            device=data["device"],
            entry=dict(data["entry"]),
            rule=compare.Rule(**data["rule"]),
            test=data.get("test"),
            update=bool(data.get("update", False)),
            load_error=data.get("load_error"),
            measured_at=data.get("measured_at"),
            location=(str(location[0]), int(location[1])) if location else None,
        )


@dataclass(frozen=True)
class Outcome:
    """A checked measurement: its provisional verdict, its record for the controller, and its
    time ratio to a comparable baseline (None when there is none to compare with)."""

    result: compare.Result
    record: Record
    ratio: float | None = None


def comparable_ratio(
    entry: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    load_error: str | None,
    fields: Sequence[str] = store.COMPARED_FIELDS,
) -> float | None:
    """The time ratio of a measurement to its baseline, when they can be compared at all."""
    if baseline is None or load_error is not None:
        return None
    if compare.fingerprint_difference(
        baseline.get("fingerprint"), entry.get("fingerprint"), fields
    ):
        return None
    return compare.time_ratio(baseline, entry)


def check(
    lookup: Lookup,
    model: str,
    stats: Mapping[str, Any],
    *,
    device: str,
    rule: compare.Rule,
    update: bool,
    workers: int,
    test: str | None,
    drift: compare.Drift = compare.NO_DRIFT,
    measured_at: float | None = None,
) -> Outcome:
    """Compare ``stats`` with the baseline ``lookup`` finds; refuses bad stats first."""
    check_stats(stats)
    threads = int(stats.get("threads") or hardware.current_threads(None))
    fingerprint = store.fingerprint(device, threads, workers)
    entry = store.make_entry(
        stats, device=device, test=test, fingerprint=fingerprint, when=store.timestamp()
    )
    baseline, load_error = lookup(device, model)
    result = compare.compare(
        model,
        device,
        entry,
        baseline,
        rule,
        fingerprint=fingerprint,
        fingerprint_fields=store.COMPARED_FIELDS,
        load_error=load_error,
        test=test,
        drift=drift,
    )
    if update:
        result = dataclasses.replace(result, updated=True)
    record = Record(
        model=model,
        device=store.device_family(device),
        entry=entry,
        rule=rule,
        test=test,
        update=update,
        load_error=load_error,
        measured_at=time.time() if measured_at is None else measured_at,
    )
    return Outcome(result, record, comparable_ratio(entry, baseline, load_error))


def records_of(
    entries: Mapping[str, Mapping[str, store.Entry]], rule: compare.Rule
) -> list[Record]:
    """Stored entries (device -> model -> entry) as the records of a run, as ``check`` makes
    them: how a store, or one side of an A/B run, is judged as a run."""
    return [
        Record(model=model, device=device, entry=entry, rule=rule, test=entry.get("test"))
        for device, models in sorted(entries.items())
        for model, entry in sorted(models.items())
    ]


def judge_record(
    record: Record,
    baseline: store.Entry | None,
    problem: str | None,
    drift: compare.Drift,
    rounds: Sequence[store.Entry] = (),
    round_drifts: Sequence[compare.Drift] = (),
    fields: Sequence[str] = store.COMPARED_FIELDS,
) -> compare.Result:
    """One record's verdict against its ``baseline`` (``problem``: why its file could not be
    read), within the shift ``drift`` of its moment, with its later ``rounds`` each within its
    own of ``round_drifts``."""
    result = compare.compare(
        record.model,
        record.device,
        record.entry,
        baseline,
        record.rule,
        fingerprint=record.entry.get("fingerprint"),
        fingerprint_fields=fields,
        load_error=problem,
        test=record.test,
        drift=drift,
        rounds=rounds,
        round_drifts=round_drifts,
    )
    return dataclasses.replace(result, updated=record.update)


def pooled(entries: Sequence[store.Entry]) -> store.Entry:
    """One measurement made of several processes' measurements of a model: their samples
    together, each normalised against the reference runs of its own process; the other figures
    the last's."""
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


@dataclass(frozen=True)
class Fresh:
    """What fresh processes measured again, by record key, one entry per process: the models a
    run left undecided, and controls, decided models measured beside them. The controls give
    the fresh processes' own common shift: a process that measures a few dozen models is not
    as fast as the run was at its end (in two runs on a 2-core machine: 5 % faster, 3 % slower)."""

    undecided: Mapping[str, Sequence[store.Entry]]
    controls: Mapping[str, Sequence[store.Entry]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class FreshShift:
    """The fresh processes' common shift (the controls' median ratio to their baselines, by the
    reference and by the clock), and the standard error of that median, in log units."""

    ratio: float
    clock: float
    error: float
    controls: int


def fresh_shift(
    controls: Mapping[str, Sequence[store.Entry]],
    baselines: Mapping[str, store.Entry],
    fields: Sequence[str] = store.COMPARED_FIELDS,
) -> FreshShift | None:
    """The shift of the fresh processes from their controls (``baselines``: each control's
    baseline, by key); None with fewer than ``compare.MIN_DRIFT_MODELS`` comparable ones."""
    ratios, clocks = [], []
    for key, entries in controls.items():
        baseline = baselines.get(key)
        current = pooled(entries) if entries else None
        if baseline is None or current is None:
            continue
        ratio = comparable_ratio(current, baseline, None, fields)
        if ratio is not None:
            ratios.append(ratio)
            clocks.append(compare.clock_ratio(baseline, current))
    drift = compare.drift_of(ratios)
    if not drift.applies:
        return None
    clock = compare.drift_of(clocks).ratio
    return FreshShift(
        drift.ratio, clock, compare.median_noise_of_logs(drift.spread, len(ratios)), len(ratios)
    )


def judge_fresh(
    record: Record,
    baseline: store.Entry,
    fresh: Sequence[store.Entry],
    drift: compare.Drift,
    first: compare.Result,
    fields: Sequence[str] = store.COMPARED_FIELDS,
    shift: FreshShift | None = None,
) -> compare.Result:
    """A record judged again on what fresh processes measured of its model (``fresh``, one
    entry each), pooled, within the run's ``drift``, its scatter narrowed for the processes
    pooled and the baseline's recordings (``compare.narrowed``), its shift the fresh processes'
    own (``shift``, from their controls, whose error widens the scatter) where there is one.
    The run's own measurements (``first``: their verdict) are left out: they chose the model
    for looking slow, and pooled in they would carry that choice into the verdict. But a metric
    the run found within the tolerance is no regression on the fresh processes' word alone
    (``compare.fresh_only``): a model measured in a new process can run otherwise than in a
    long run (on the whole suite, two unchanged models, +14 % and +19 % in the run, came out
    +75 % and +80 % in fresh processes, with about 20 and 8 times the memory growth)."""
    m = compare.recorded_times(baseline)
    narrow = compare.narrowed(drift, len(fresh), m, m)
    if shift is not None:
        spread = math.hypot(narrow.spread, shift.error)
        narrow = dataclasses.replace(narrow, ratio=shift.ratio, clock=shift.clock, spread=spread)
    measured = dataclasses.replace(record, entry=pooled(fresh))
    result = judge_record(measured, baseline, None, narrow, fields=fields)
    runs = {each.metric: each for each in first.metrics}
    before = runs.get(compare.TIME)
    was = f", {before.change_percent:+.0f}% in the run" if before is not None else ""
    said = f"measured again in {len(fresh)} fresh processes ({first.verdict}{was})"
    metrics = []
    for each in result.metrics:
        run = runs.get(each.metric)
        if each.verdict == compare.REGRESSION and run is not None and run.verdict == compare.OK:
            each = compare.fresh_only(each, run)
        if each.metric == compare.TIME:
            each = dataclasses.replace(each, note=f"{said}; {each.note}" if each.note else said)
        metrics.append(each)
    verdict = compare.overall([each.verdict for each in metrics])
    label = f"{result.model} ({result.device})"
    message = compare.message_of(label, verdict, metrics)
    return dataclasses.replace(result, verdict=verdict, metrics=tuple(metrics), message=message)


def judge_run(
    records: Sequence[Record],
    lookup: Lookup,
    rounds: Mapping[str, Sequence[store.Entry]],
    fields: Sequence[str] = store.COMPARED_FIELDS,
    fresh: Fresh | None = None,
) -> tuple[list[compare.Result], dict[str, compare.Drift]]:
    """The final verdicts of a run: each device's common shift over time first, from every
    comparable model's first round (``measured_at``), then each record judged within the shift
    of its moment, its later rounds (``rounds``, by ``Record.key``) within theirs. A difference
    in one of the fingerprint's ``fields`` makes a comparison inconclusive. A record that fresh
    processes measured again (``fresh``) is judged on those (``judge_fresh``), within the shift
    of their controls where they had enough (``fresh_shift``), else of the run's end."""
    found = [(r, *lookup(r.device, r.model)) for r in records]
    points: dict[str, list[tuple[float | None, float]]] = {}
    clocks: dict[str, list[float]] = {}
    for record, baseline, problem in found:
        ratio = comparable_ratio(record.entry, baseline, problem, fields)
        if ratio is not None and baseline is not None:
            points.setdefault(record.device, []).append((record.measured_at, ratio))
            clocks.setdefault(record.device, []).append(compare.clock_ratio(baseline, record.entry))
    timelines = {
        device: compare.timeline(values, clock=compare.drift_of(clocks[device]).ratio)
        for device, values in points.items()
    }
    again = fresh.undecided if fresh is not None else {}
    shifts: dict[str, FreshShift | None] = {}
    if fresh is not None:
        for device in timelines:
            controls = {
                r.key: b for r, b, problem in found if r.device == device and b and not problem
            }
            shifts[device] = fresh_shift(
                {k: v for k, v in fresh.controls.items() if k in controls}, controls, fields
            )
    results = []
    for record, baseline, problem in found:
        shift = timelines.get(record.device, compare.timeline(()))
        later = rounds.get(record.key, ())
        drifts = [shift.at(r.get("measured_at")) for r in later]
        drift = shift.at(record.measured_at)
        result = judge_record(record, baseline, problem, drift, later, drifts, fields)
        entries = again.get(record.key)
        if entries and baseline is not None and problem is None:
            moment = shift.at(entries[-1].get("measured_at"))
            own = shifts.get(record.device)
            result = judge_fresh(record, baseline, entries, moment, result, fields, own)
        results.append(result)
    return results, {device: line.overall for device, line in timelines.items()}


def warn_regressions(
    results: Sequence[compare.Result], locations: Mapping[str, tuple[str, int]]
) -> None:
    """One ``PerformanceRegressionWarning`` per regression, at its test's file and line (from
    ``locations``, by test id). Whether a regression fails the run is ``--fail-on-regression``'s
    to say, not a warning filter's: where warnings are errors, these still only warn."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", PerformanceRegressionWarning)
        for result in results:
            if result.verdict != compare.REGRESSION or result.updated:
                continue
            path, line = locations.get(str(result.test), (result.test or result.model, 0))
            warnings.warn_explicit(PerformanceRegressionWarning(result.message), None, path, line)


# -- two stores ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Diff:
    """Store B judged against store A: the verdicts, the common shift per device, the models
    only A holds, and the problems of files that could not be read."""

    results: list[compare.Result]
    drifts: dict[str, compare.Drift]
    removed: list[tuple[str, str]]
    problems: list[str]


def diff_stores(base: Path, head: Path, rule: compare.Rule, pattern: str | None = None) -> Diff:
    """Judge ``head``'s entries as a run against ``base``'s, with a test run's rule."""
    old, old_problems = store.read_store(base)
    new, new_problems = store.read_store(head)
    bad_base = {Path(p.split(":", 1)[0]).stem: p for p in old_problems if ".json:" in p}
    new = {
        d: {m: e for m, e in models.items() if store.matches(m, pattern)}
        for d, models in new.items()
    }

    def lookup(device: str, model: str) -> tuple[store.Entry | None, str | None]:
        if device in bad_base:
            return None, bad_base[device]
        return old.get(device, {}).get(model), None

    results, drifts = judge_run(records_of(new, rule), lookup, {})
    removed = sorted(
        (model, device)
        for device, models in old.items()
        for model in models
        if model not in new.get(device, {}) and store.matches(model, pattern)
    )
    return Diff(results, drifts, removed, old_problems + new_problems)


def diff_document(diff: Diff, base: Path, head: Path) -> dict[str, Any]:
    """The JSON report of a diff: a run report's shape, with the two sides named."""
    return render.document(
        diff.results,
        drift={d: v.as_dict() for d, v in sorted(diff.drifts.items())},
        errors=diff.problems,
        removed=[{"model": m, "device": d} for m, d in diff.removed],
        sides={
            "base": {"label": str(base), "store": str(base)},
            "head": {"label": str(head), "store": str(head)},
        },
    )


def previous_point(entry: Mapping[str, Any]) -> store.Entry | None:
    """The measurement before ``entry`` on its machine, as a baseline entry (None: none)."""
    history = store.history_of(entry)
    machine = history[-1].get("machine")
    earlier = [p for p in history[:-1] if p.get("machine") == machine]
    if not earlier:
        return None
    point = earlier[-1]
    baseline: store.Entry = {
        "device": entry["device"],
        "timestamp": point["timestamp"],
        "inference_time_mean": point["median"],
        "inference_time_median": point["median"],
        "fingerprint": entry.get("fingerprint"),
    }
    if "memory_peak_mb" in point:
        baseline["memory_peak_mb"] = point["memory_peak_mb"]
    return baseline


def store_document(
    found: Mapping[str, Mapping[str, store.Entry]], rule: compare.Rule
) -> dict[str, Any]:
    """The report of a store alone: each latest measurement against the previous one. Its
    ``basis`` says so: history points keep no samples, so only the tolerance and the common
    shift judge here, and the page words its verdicts for that (``render.HISTORY_WORDS``)."""

    def lookup(device: str, model: str) -> tuple[store.Entry | None, str | None]:
        return previous_point(found[device][model]), None

    # the previous point has no memory_base_mb: judge the peak on both sides
    entries = {
        d: {m: {k: v for k, v in e.items() if k != "memory_base_mb"} for m, e in models.items()}
        for d, models in found.items()
    }
    results, drifts = judge_run(records_of(entries, rule), lookup, {})
    results = [
        dataclasses.replace(r, message=f"{r.model} ({r.device}): new: one measurement so far")
        if r.verdict == compare.NEW
        else r
        for r in results
    ]
    drift = {d: v.as_dict() for d, v in sorted(drifts.items())}
    return render.document(results, drift=drift, basis=render.HISTORY_BASIS)
