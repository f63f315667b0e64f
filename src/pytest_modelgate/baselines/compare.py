"""Verdicts: one measurement against its baseline, within what the whole run did.

Time is judged on the normalised samples (each sample divided by the reference workload beside
it) where both sides have them. A time metric regressed only when all of these hold:

1. its median, divided by the run's common shift (``Drift``: the median ratio of every model of
   the run to its baseline, so that a run that is slower as a whole is one fact, reported once,
   not hundreds of regressions), is above baseline * (1 + tolerance);
2. the change is beyond the noise: larger than ``noise_sigmas`` (4) times the combined noise of
   the two medians and of the run (how far unchanged models scatter around the common shift),
   and larger than what the timer can resolve;
3. a one-sided Mann-Whitney U test on the samples says the difference is significant, and the
   clock alone, without the reference, also puts it beyond the tolerance (a reference run that
   was disturbed in one of the two measurements moves the normalised figures only);
4. every re-measurement of it (``rounds``) says so too: the least slow round decides.

A slowdown beyond the tolerance that fails 2-4 is ``inconclusive``: too noisy to tell. Memory has
its own tolerance and floor. Throughput-like metrics are higher-is-better.

Every metric's result also states its detection limit (``detectable_percent``): the smallest
change the comparison would have named, the largest of the tolerance, the noise band of point 2
and the timer's floor; an ``ok`` says "not slower by this much", not "unchanged".
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from pytest_modelgate.baselines.measure import log_spread, normalised_of


class Word(str, Enum):
    """An enum whose members are their strings: in JSON, in f-strings, compared with text."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Verdict(Word):
    """What a check says of a model; a string too, as the JSON report and users write it."""

    REGRESSION = "regression"
    INCONCLUSIVE = "inconclusive"
    NEW = "new"
    IMPROVEMENT = "improvement"
    OK = "ok"


class Reason(Word):
    """Why a metric's verdict is what it is, for code to read (the note says it for people)."""

    NONE = ""
    #: judged on the normalised samples, on raw samples, or on the threshold alone
    NORMALISED = "normalised"
    #: judged on normalised samples, the baseline centred on several recordings
    RECORDINGS = "recordings"
    RAW = "raw-samples"
    THRESHOLD_ONLY = "threshold-only"
    #: slower beyond the tolerance, but within the noise or not significant
    TOO_NOISY = "too-noisy"
    #: slower relative to the reference only, not by the clock alone
    CLOCK_DISAGREES = "clock-disagrees"
    #: a regression the later rounds did not confirm, or did
    NOT_CONFIRMED = "not-confirmed"
    CONFIRMED = "confirmed"
    #: the baseline's fingerprint differs (another machine, thread count, ...)
    MEASURED_ELSEWHERE = "measured-elsewhere"
    #: the two peaks were read by different methods
    MEMORY_SOURCES_DIFFER = "memory-sources-differ"
    #: worse beyond the tolerance in fresh processes, within it in the run that chose the model
    FRESH_ONLY = "fresh-only"


OK = Verdict.OK
REGRESSION = Verdict.REGRESSION
IMPROVEMENT = Verdict.IMPROVEMENT
NEW = Verdict.NEW
INCONCLUSIVE = Verdict.INCONCLUSIVE
VERDICTS = tuple(Verdict)  # most urgent first

TIME = "inference_time"
MEMORY = "memory_peak_mb"
DEFAULT_MEMORY_TOLERANCE = 0.25
MEMORY_FLOOR_MB = 32.0
ALPHA = 0.01
#: a change must be this many standard deviations of the combined noise (the noise of a shared
#: machine has heavy tails: at three, a full suite of unchanged models still gave a few)
NOISE_SIGMAS = 4.0
#: a change must span this many ticks of the clock that measured it (per call)
TIMER_TICKS = 10
#: and never less than this, however fine the clock
MIN_TIME_FLOOR_S = 1e-6
#: the run's common shift is taken out once this many models were compared
MIN_DRIFT_MODELS = 8
#: a model's shift is that of the models measured nearest to it in time, this many of them
DRIFT_WINDOW = 60
#: above this many pairs the U test uses the normal approximation instead of the exact counts
EXACT_LIMIT = 400


@dataclass(frozen=True)
class Rule:
    """How strict one comparison is."""

    tolerance: float = 0.20
    memory_tolerance: float = DEFAULT_MEMORY_TOLERANCE
    #: smallest time change that counts, in seconds; None: derived from the timer's resolution
    time_floor_s: float | None = None
    memory_floor_mb: float = MEMORY_FLOOR_MB
    alpha: float = ALPHA
    noise_sigmas: float = NOISE_SIGMAS
    #: a regression also needs the clock alone to agree (point 3 of the module doc)
    clock_must_agree: bool = True


@dataclass(frozen=True)
class Drift:
    """What the models measured around one moment of a run share: the median time ratio of
    those models to their baselines, how far unchanged models scatter around it (a robust
    standard deviation of the log ratios), and for a whole run the range the shift took."""

    ratio: float = 1.0
    spread: float = 0.0
    models: int = 0
    low: float | None = None
    high: float | None = None
    #: the common shift by the clock alone (no reference): two sides measured on two CPUs at
    #: once (``modelgate ab``) differ by it
    clock: float = 1.0

    @property
    def applies(self) -> bool:
        return self.models >= MIN_DRIFT_MODELS

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Drift:
        """The shift a JSON report holds (``as_dict``'s output)."""
        low, high = data.get("time_ratio_range") or (None, None)
        return cls(
            ratio=float(data.get("time_ratio", 1.0)),
            spread=float(data.get("spread", 0.0)),
            models=int(data.get("models", 0)),
            low=low,
            high=high,
            clock=float(data.get("clock_ratio", 1.0)),
        )

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "time_ratio": round(self.ratio, 4),
            "spread": round(self.spread, 4),
            "models": self.models,
            "applied": self.applies,
        }
        if self.low is not None and self.high is not None:
            out["time_ratio_range"] = [round(self.low, 4), round(self.high, 4)]
        if self.clock != 1.0:
            out["clock_ratio"] = round(self.clock, 4)
        return out


NO_DRIFT = Drift()


def drift_of(ratios: Sequence[float]) -> Drift:
    """The common shift of a set of models from their time ratios (current / baseline)."""
    logs = [math.log(r) for r in ratios if r > 0 and math.isfinite(r)]
    if len(logs) < MIN_DRIFT_MODELS:
        return Drift(models=len(logs))
    center = statistics.median(logs)
    return Drift(math.exp(center), log_spread([math.exp(x - center) for x in logs]), len(logs))


@dataclass(frozen=True)
class Timeline:
    """A run's common shift over time. A shared machine is not equally busy for the minutes a
    suite takes, and a busy stretch slows every model measured in it; so each model is judged
    against the shift of the ``DRIFT_WINDOW`` models measured nearest to it in time (on any
    worker), once the run has enough of them, and against the whole run's otherwise."""

    times: tuple[float, ...]
    logs: tuple[float, ...]
    overall: Drift

    def at(self, when: float | None) -> Drift:
        """The shift of the moment ``when`` (seconds since the epoch; None: the whole run's)."""
        if when is None or len(self.logs) < 2 * DRIFT_WINDOW:
            return self.overall
        middle = bisect.bisect_left(self.times, when)
        start = min(max(0, middle - DRIFT_WINDOW // 2), len(self.logs) - DRIFT_WINDOW)
        local = statistics.median(self.logs[start : start + DRIFT_WINDOW])
        return Drift(math.exp(local), self.overall.spread, DRIFT_WINDOW, clock=self.overall.clock)


def timeline(points: Sequence[tuple[float | None, float]], clock: float = 1.0) -> Timeline:
    """The timeline of (when measured, time ratio) points; without a time on every point, the
    whole run's shift only. ``clock`` is the run's shift by the clock alone."""
    kept = sorted(
        ((when, math.log(r)) for when, r in points if r > 0 and math.isfinite(r)),
        key=lambda p: p[0] or 0.0,
    )
    overall = dataclasses.replace(drift_of([math.exp(x) for _, x in kept]), clock=clock)
    if not overall.applies:
        return Timeline((), (), overall)
    if any(when is None for when, _ in kept) or len(kept) < 2 * DRIFT_WINDOW:
        low = high = overall.ratio
        return Timeline((), (), dataclasses.replace(overall, low=low, high=high))
    draft = Timeline(tuple(w or 0.0 for w, _ in kept), tuple(x for _, x in kept), overall)
    shifts = [draft.at(when).ratio for when in draft.times]
    residuals = [math.exp(x) / s for x, s in zip(draft.logs, shifts, strict=True)]
    spread = log_spread(residuals)
    final = dataclasses.replace(overall, spread=spread, low=min(shifts), high=max(shifts))
    return Timeline(draft.times, draft.logs, final)


@dataclass(frozen=True)
class MetricResult:
    """One metric of one check: the figures, the change and its verdict."""

    metric: str
    baseline: float
    current: float
    change_percent: float
    threshold_percent: float
    verdict: Verdict
    higher_is_better: bool = False
    raw_change_percent: float | None = None
    p_value: float | None = None
    note: str = ""
    reason: Reason = Reason.NONE
    #: the detection limit: the smallest change in the metric's worse direction, in percent,
    #: that this comparison would have named (``ok`` means "not worse by this much"); None
    #: where it could name none (the two sides were measured elsewhere or differently)
    detectable_percent: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricResult:
        return cls(
            metric=data["metric"],
            baseline=data["baseline"],
            current=data["current"],
            change_percent=data["change_percent"],
            threshold_percent=data["threshold"],
            verdict=Verdict(data["verdict"]),
            higher_is_better=data["higher_is_better"],
            raw_change_percent=data["raw_change_percent"],
            p_value=data["p_value"],
            note=data["note"],
            reason=Reason(data.get("reason", "")),
            detectable_percent=data.get("detectable"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "baseline": self.baseline,
            "current": self.current,
            "change_percent": round(self.change_percent, 2),
            "raw_change_percent": _round(self.raw_change_percent),
            "threshold": round(self.threshold_percent, 2),
            "higher_is_better": self.higher_is_better,
            "p_value": _round(self.p_value, 6),
            "verdict": str(self.verdict),  # plain strings: xdist sends records as they are
            "note": self.note,
            "reason": str(self.reason),
            "detectable": _round(self.detectable_percent, 1),
        }


@dataclass(frozen=True)
class Result:
    """The verdict on one model and device."""

    model: str
    device: str
    verdict: Verdict
    message: str
    metrics: tuple[MetricResult, ...] = ()
    test: str | None = None
    #: this measurement replaces the baseline (``--update-baselines``): the verdict describes
    #: the change being recorded, and is neither warned about nor failed
    updated: bool = False

    @property
    def has_baseline(self) -> bool:
        return self.verdict != NEW

    @property
    def regressions(self) -> tuple[MetricResult, ...]:
        return tuple(m for m in self.metrics if m.verdict == REGRESSION)

    @property
    def improvements(self) -> tuple[MetricResult, ...]:
        return tuple(m for m in self.metrics if m.verdict == IMPROVEMENT)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        metrics = tuple(MetricResult.from_dict(m) for m in data["metrics"])
        return cls(
            data["model"],
            data["device"],
            Verdict(data["verdict"]),
            data["message"],
            metrics,
            data["test"],
            data.get("updated", False),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "device": self.device,
            "verdict": str(self.verdict),
            "message": self.message,
            "test": self.test,
            "updated": self.updated,
            "metrics": [m.as_dict() for m in self.metrics],
        }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def higher_is_better(metric: str) -> bool:
    """Throughput-like metrics (``*throughput*``, ``*_per_s``, ``*_per_second``) grow better."""
    name = metric.lower()
    return "throughput" in name or name.endswith(("_per_s", "_per_second", "_per_sec"))


def time_center(stats: Mapping[str, Any]) -> float:
    """The raw time figure of ``stats``: the median of its samples, else its median or mean."""
    samples = stats.get("samples")
    if samples:
        return float(statistics.median(samples))
    return float(stats.get("inference_time_median") or stats["inference_time_mean"])


#: what each way of judging time is called in a note
JUDGED_ON = {
    Reason.NORMALISED: "judged on normalised samples",
    Reason.RECORDINGS: "judged on normalised samples, the baseline centred on the median of its "
    "recordings",
    Reason.RAW: "judged on raw samples (one side has no reference runs)",
    Reason.THRESHOLD_ONLY: "threshold only: the baseline has no samples",
}


#: a baseline is centred on its recordings once it has this many of one machine and setup
MIN_RECORDINGS = 2


def recordings(baseline: Mapping[str, Any]) -> list[float]:
    """The normalised medians of the recordings a baseline's history holds of its own machine
    and setup (versions, threads, workers), its own among them; none when its own point has no
    setup (a store written before points had one)."""
    points = baseline.get("history") or ()
    own = next((p for p in points if p.get("timestamp") == baseline.get("timestamp")), None)
    if own is None or not own.get("setup"):
        return []
    return [
        float(p["normalised_median"])
        for p in points
        if p.get("normalised_median")
        and p.get("machine") == own.get("machine")
        and p.get("setup") == own["setup"]
    ]


def recorded_times(baseline: Mapping[str, Any]) -> int:
    """How many recordings a baseline's time figure stands for: its recordings when it has
    ``MIN_RECORDINGS`` or more (``time_samples`` centres it on them), else one."""
    count = len(recordings(baseline))
    return count if count >= MIN_RECORDINGS else 1


def time_samples(
    base: Mapping[str, Any], current: Mapping[str, Any]
) -> tuple[list[float], list[float], Reason]:
    """The two sides' samples to judge, and what they are (see ``compare_time``). A baseline
    with ``MIN_RECORDINGS`` or more recordings of its setup has its normalised samples moved
    to centre on their median: a recording's figure strays from run to run (a process builds
    and lays out its model anew), the median of several strays less."""
    base_norm, cur_norm = normalised_of(base), normalised_of(current)
    if base_norm and cur_norm and base.get("clock") == current.get("clock"):
        recorded = recordings(base)
        if len(recorded) >= MIN_RECORDINGS:
            move = statistics.median(recorded) / statistics.median(base_norm)
            return [x * move for x in base_norm], cur_norm, Reason.RECORDINGS
        return base_norm, cur_norm, Reason.NORMALISED
    if base.get("samples") and current.get("samples"):
        return list(base["samples"]), list(current["samples"]), Reason.RAW
    return [], [], Reason.THRESHOLD_ONLY


def time_ratio(base: Mapping[str, Any], current: Mapping[str, Any]) -> float:
    """current / baseline of the time medians, before any shift is taken out."""
    a, b, _ = time_samples(base, current)
    if a and b:
        return float(statistics.median(b) / statistics.median(a))
    return time_center(current) / time_center(base)


def clock_ratio(base: Mapping[str, Any], current: Mapping[str, Any]) -> float:
    """current / baseline of the medians by the clock alone, without the reference: a slowdown
    that only the reference shows was the reference's, not the model's."""
    key = "cpu_samples" if base.get("clock") == current.get("clock") == "cpu" else "samples"
    if base.get(key) and current.get(key):
        return float(statistics.median(current[key]) / statistics.median(base[key]))
    return time_center(current) / time_center(base)


def median_noise(samples: Sequence[float]) -> float:
    """The standard error of the median of ``samples``, relative (in log units)."""
    if len(samples) < 2:
        return 0.0
    return median_noise_of_logs(log_spread(samples), len(samples))


def median_noise_of_logs(spread: float, count: int) -> float:
    """The standard error of the median of ``count`` values that scatter by ``spread``."""
    return 1.2533 * spread / math.sqrt(count) if count >= 2 else 0.0


def timer_floor(stats: Mapping[str, Any]) -> float:
    """The smallest per-call change the clock of ``stats`` can see over its calls per sample."""
    if stats.get("clock") == "cpu":
        resolution = time.get_clock_info("process_time").resolution
    else:
        resolution = time.get_clock_info("perf_counter").resolution
    loops = max(1, int(stats.get("loops") or 1))
    return max(MIN_TIME_FLOOR_S, TIMER_TICKS * resolution / loops)


def compare_time(
    base: Mapping[str, Any],
    current: Mapping[str, Any],
    rule: Rule,
    drift: Drift = NO_DRIFT,
) -> MetricResult:
    """The time verdict of one measurement (see the module doc, points 1-3)."""
    base_raw, cur_raw = time_center(base), time_center(current)
    a, b, reason = time_samples(base, current)
    note = JUDGED_ON[reason]
    if reason == Reason.RECORDINGS:
        note = note.replace("its recordings", f"its {recorded_times(base)} recordings")
    shift = drift.ratio if drift.applies else 1.0
    run_noise = drift.spread if drift.applies else 0.0
    if a and b:
        b = [x / shift for x in b]
        ratio = statistics.median(b) / statistics.median(a)
    else:
        ratio = cur_raw / base_raw / shift
    noise = math.sqrt(median_noise(a) ** 2 + median_noise(b) ** 2 + run_noise**2)
    floor_s = rule.time_floor_s
    if floor_s is None:
        floor_s = max(timer_floor(base), timer_floor(current))
    beyond_noise = abs(math.log(ratio)) > rule.noise_sigmas * noise
    above_floor = abs(base_raw * (ratio - 1)) > floor_s
    band = math.exp(rule.noise_sigmas * noise) - 1
    slower = ratio > 1 + rule.tolerance
    faster = ratio < 1 / (1 + rule.tolerance)
    p_value = None
    if (slower or faster) and len(a) >= 2 and len(b) >= 2:
        p_value = mann_whitney_greater(b, a) if slower else mann_whitney_greater(a, b)
    significant = p_value is None or p_value < rule.alpha
    unreferenced = clock_ratio(base, current) / (drift.clock if drift.applies else 1.0)
    verdict = OK
    if (slower or faster) and above_floor:
        if beyond_noise and significant:
            verdict = REGRESSION if slower else IMPROVEMENT
        if verdict == REGRESSION and rule.clock_must_agree and unreferenced <= 1 + rule.tolerance:
            verdict = INCONCLUSIVE
            reason = Reason.CLOCK_DISAGREES
            note = (
                f"slower only relative to the reference ({unreferenced - 1:+.0%} by the clock "
                "alone): the reference ran unusually in one of the measurements"
            )
        elif slower and verdict != REGRESSION:
            verdict = INCONCLUSIVE
            why = f"within the noise (±{band:.0%})" if not beyond_noise else ""
            why = why or f"not significant (p={p_value:.3g})"
            note = f"slower, but {why}: too noisy to tell (rerun it, or run modelgate ab)"
            reason = Reason.TOO_NOISY
    return MetricResult(
        metric=TIME,
        baseline=base_raw,
        current=cur_raw,
        change_percent=(ratio - 1) * 100,
        threshold_percent=rule.tolerance * 100,
        verdict=verdict,
        raw_change_percent=(cur_raw / base_raw - 1) * 100,
        p_value=p_value,
        note=note,
        reason=reason,
        detectable_percent=100 * max(rule.tolerance, band, floor_s / base_raw),
    )


def least_slow(results: Sequence[MetricResult]) -> MetricResult:
    """Of the time verdicts of several rounds, the one that decides: the least slow."""
    best = min(results, key=lambda m: m.change_percent)
    if len(results) > 1 and results[0].verdict == REGRESSION and best.verdict != REGRESSION:
        note = f"not confirmed when measured again ({best.change_percent:+.1f}%)"
        return dataclasses.replace(best, note=note, reason=Reason.NOT_CONFIRMED)
    if len(results) > 1 and best.verdict == REGRESSION:
        note = f"confirmed by {len(results) - 1} re-measurement(s)"
        return dataclasses.replace(best, note=note, reason=Reason.CONFIRMED)
    return best


def narrowed(drift: Drift, processes: int, recordings: int, run_recordings: int = 1) -> Drift:
    """The run's shift, its scatter that of a model measured in ``processes`` processes, pooled,
    against a baseline of ``recordings`` processes. How far unchanged models scatter in a run
    is the stray of one process's figure and of its baseline's together (a process builds and
    lays out its model anew: its figure strays by a few percent, and re-measuring in the same
    process meets the same stray), the baselines of the run made of ``run_recordings`` each: so
    k processes against m recordings leave sqrt((1/k + 1/m) / (1 + 1/r)) of it; 1/sqrt(k) for
    an A/B run's k passes on each side, judged within its first pass's scatter (r = 1)."""
    k, m, r = max(1, processes), max(1, recordings), max(1, run_recordings)
    return dataclasses.replace(
        drift, spread=drift.spread * math.sqrt((1 / k + 1 / m) / (1 + 1 / r))
    )


#: an ``ok`` whose detection limit is above the tolerance is undecided while the tolerance lies
#: within this many standard deviations of its noise above its change
STRADDLE_SIGMAS = 1.5


def straddles(result: Result) -> bool:
    """An ``ok`` time change that the comparison could not have named at the tolerance (its
    detection limit is above it) and that the tolerance lies within ``STRADDLE_SIGMAS`` of its
    noise above (the noise read back from the limit: a limit of ``NOISE_SIGMAS`` of them). A
    noisy model's +8 % is as undecided as a steady one's +15 %; more measurements may name it,
    or narrow its band below the tolerance."""
    for m in result.metrics:
        if m.metric != TIME or m.verdict != OK or m.detectable_percent is None:
            continue
        if m.detectable_percent <= m.threshold_percent:
            continue
        sigma = math.log1p(m.detectable_percent / 100) / NOISE_SIGMAS
        gap = math.log1p(m.threshold_percent / 100) - math.log1p(m.change_percent / 100)
        if gap < STRADDLE_SIGMAS * sigma:
            return True
    return False


def noisy_slowdown(result: Result) -> bool:
    """An inconclusive time change beyond the tolerance (not one measured elsewhere)."""
    return any(
        m.metric == TIME
        and m.verdict == INCONCLUSIVE
        and m.change_percent > m.threshold_percent
        and m.reason != Reason.MEASURED_ELSEWHERE
        for m in result.metrics
    )


#: growth below this counts as this much, so that a change from no growth stays a finite ratio
MIN_MEMORY_GROWTH_MB = 1.0


def memory_used(stats: Mapping[str, Any], growth: bool) -> float:
    """The peak memory to judge: the peak itself, or with ``growth`` the rise above the level at
    the start of the measurement (a process peak also holds whatever the process ran before)."""
    peak = float(stats[MEMORY])
    if not growth:
        return peak
    return max(MIN_MEMORY_GROWTH_MB, peak - float(stats["memory_base_mb"]))


def compare_value(
    metric: str, base: float, current: float, tolerance: float, floor: float
) -> MetricResult:
    """A single-value metric: beyond the tolerance (in its worse direction) and the floor."""
    better_high = higher_is_better(metric)
    ratio = current / base
    worse = ratio < 1 / (1 + tolerance) if better_high else ratio > 1 + tolerance
    better = ratio > 1 + tolerance if better_high else ratio < 1 / (1 + tolerance)
    above_floor = abs(current - base) > floor
    verdict = OK
    if worse and above_floor:
        verdict = REGRESSION
    elif better and above_floor:
        verdict = IMPROVEMENT
    return MetricResult(
        metric=metric,
        baseline=base,
        current=current,
        change_percent=(ratio - 1) * 100,
        threshold_percent=tolerance * 100,
        verdict=verdict,
        higher_is_better=better_high,
        detectable_percent=100 * max(tolerance, floor / base if base else 0.0),
    )


def fingerprint_difference(
    base: Mapping[str, Any] | None, current: Mapping[str, Any] | None, fields: Sequence[str]
) -> list[str]:
    """The fields of two fingerprints that differ (none when either side has no fingerprint)."""
    if not base or not current:
        return []
    return [
        f"{k}: {base.get(k)!r} -> {current.get(k)!r}"
        for k in fields
        if base.get(k) != current.get(k)
    ]


def compare(
    model: str,
    device: str,
    current: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    rule: Rule,
    *,
    fingerprint: Mapping[str, Any] | None = None,
    fingerprint_fields: Sequence[str] = (),
    load_error: str | None = None,
    test: str | None = None,
    drift: Drift = NO_DRIFT,
    rounds: Sequence[Mapping[str, Any]] = (),
    round_drifts: Sequence[Drift] = (),
) -> Result:
    """The verdict on ``current`` against ``baseline`` (None: no baseline yet), within the run's
    ``drift``; ``rounds`` are later measurements of the same model (re-measured suspects), each
    judged within its own entry of ``round_drifts`` (``drift`` where there is none)."""
    label = f"{model} ({device})"
    if load_error is not None:
        message = f"{label}: inconclusive: baseline file unusable: {load_error}"
        return Result(model, device, INCONCLUSIVE, message, test=test)
    if baseline is None:
        message = f"{label}: new: no baseline yet (record one with --update-baselines)"
        return Result(model, device, NEW, message, test=test)

    drifts = [drift, *round_drifts, *[drift] * len(rounds)][: len(rounds) + 1]
    timed = [
        compare_time(baseline, s, rule, d) for s, d in zip((current, *rounds), drifts, strict=True)
    ]
    metrics = [least_slow(timed)]
    if baseline.get(MEMORY) is not None and current.get(MEMORY) is not None:
        growth = "memory_base_mb" in baseline and "memory_base_mb" in current
        # like time, the least of every round: a later round that used less settles it
        measured = [s for s in (current, *rounds) if s.get(MEMORY) is not None]
        used = min(memory_used(s, growth and "memory_base_mb" in s) for s in measured)
        memory = compare_value(
            MEMORY,
            memory_used(baseline, growth),
            used,
            rule.memory_tolerance,
            rule.memory_floor_mb,
        )
        sources = (baseline.get("memory_source"), current.get("memory_source"))
        if None not in sources and sources[0] != sources[1]:
            why = f"memory measured differently: {sources[0]} vs {sources[1]}"
            memory = _inconclusive(memory, why, Reason.MEMORY_SOURCES_DIFFER)
        metrics.append(memory)
    base_extra = baseline.get("metrics", {})
    for name, value in sorted(current.get("metrics", {}).items()):
        if name in base_extra:
            base_value = float(base_extra[name])
            metrics.append(compare_value(name, base_value, float(value), rule.tolerance, 0.0))

    base_print = baseline.get("fingerprint")
    differences = fingerprint_difference(base_print, fingerprint, fingerprint_fields)
    if differences:
        why = (
            "measured elsewhere (" + "; ".join(differences) + "): re-record with "
            "--update-baselines, or compare two revisions here with modelgate ab --base REV"
        )
        metrics = [_inconclusive(m, why, Reason.MEASURED_ELSEWHERE) for m in metrics]
    verdict = overall([m.verdict for m in metrics])
    return Result(model, device, verdict, message_of(label, verdict, metrics), tuple(metrics), test)


def fresh_only(fresh: MetricResult, run: MetricResult) -> MetricResult:
    """A regression that fresh processes measured of a metric its run found within the
    tolerance: inconclusive, its detection limit kept (the comparison itself was sound)."""
    note = (
        f"worse only in the fresh processes ({fresh.change_percent:+.0f}%; within the tolerance "
        f"in the run, {run.change_percent:+.0f}%): a model in a new process can run otherwise "
        "than in a long run (rerun it, or run modelgate ab)"
    )
    return dataclasses.replace(fresh, verdict=INCONCLUSIVE, note=note, reason=Reason.FRESH_ONLY)


def _inconclusive(result: MetricResult, note: str, reason: Reason) -> MetricResult:
    """``result`` made inconclusive: the two sides cannot be compared, so it could see nothing."""
    return dataclasses.replace(
        result, verdict=INCONCLUSIVE, note=note, reason=reason, detectable_percent=None
    )


def overall(verdicts: Sequence[str]) -> Verdict:
    """The most urgent of ``verdicts`` (regression first); ``ok`` when there are none."""
    for verdict in VERDICTS:
        if verdict in verdicts:
            return verdict
    return OK


def message_of(label: str, verdict: str, metrics: Sequence[MetricResult]) -> str:
    """A result's one line: its label, verdict, and each metric's change (a note where not ok)."""
    parts = []
    for m in metrics:
        part = f"{m.metric} {m.change_percent:+.1f}%"
        if m.verdict != OK:
            part += f" {m.verdict} (threshold {m.threshold_percent:.0f}%)"
        if m.note and m.verdict != OK:
            part += f" [{m.note}]"
        parts.append(part)
    return f"{label}: {verdict}: " + ", ".join(parts)


# -- one-sided Mann-Whitney U, in pure Python ---------------------------------------------------


def mann_whitney_greater(x: Sequence[float], y: Sequence[float]) -> float:
    """p-value of the one-sided test that ``x`` tends to be greater than ``y``.

    Exact (from the permutation distribution of U) for small samples without ties; otherwise
    the normal approximation with tie and continuity corrections.
    """
    m, n = len(x), len(y)
    if m == 0 or n == 0:
        raise ValueError("both samples need at least one value")
    u = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y)
    pooled = list(x) + list(y)
    tied = len(set(pooled)) != len(pooled)
    if not tied and m * n <= EXACT_LIMIT:
        counts = _u_counts(m, n)
        at_least = sum(counts[math.ceil(u) :])
        return at_least / sum(counts)
    mean = m * n / 2
    ties = _tie_term(pooled)
    variance = m * n / 12 * ((m + n + 1) - ties / ((m + n) * (m + n - 1)))
    if variance <= 0:
        return 1.0
    z = (u - mean - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))


def _tie_term(values: Sequence[float]) -> float:
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return float(sum(t**3 - t for t in counts.values()))


@cache
def _u_counts(m: int, n: int) -> tuple[int, ...]:
    """How many of the C(m+n, m) orderings give each U from 0 to m*n."""
    if m == 0 or n == 0:
        return (1,)
    # an ordering ends with the largest value from x (it beats all n of y) or from y
    with_x = _u_counts(m - 1, n)
    with_y = _u_counts(m, n - 1)
    size = m * n + 1
    counts = [0] * size
    for u, c in enumerate(with_x):
        counts[u + n] += c
    for u, c in enumerate(with_y):
        counts[u] += c
    return tuple(counts)
