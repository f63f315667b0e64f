"""The terminal table, the JSON document and the Markdown summary."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from pytest_modelgate.baselines import compare, html, render


def result(model: str, verdict: str, change: float = 0.0) -> compare.Result:
    metric = compare.MetricResult(
        metric="inference_time",
        baseline=0.010,
        current=0.010 * (1 + change / 100),
        change_percent=change,
        threshold_percent=20.0,
        verdict=verdict,
        raw_change_percent=change,
    )
    return compare.Result(model, "cpu", verdict, f"{model} (cpu): {verdict}", (metric,), "t::x")


RESULTS = [
    result("alpha", "ok"),
    result("beta", "regression", 60.0),
    result("gamma", "improvement", -40.0),
    compare.Result("delta", "cpu", "new", "delta (cpu): new"),
    result("eps", "inconclusive", 30.0),
]


def test_verbose_table_shows_every_row_regressions_first() -> None:
    lines = render.terminal_lines(RESULTS, {}, verbose=True)
    assert lines[0] == "baselines: 1 regression, 1 inconclusive, 1 new, 1 improvement, 1 ok"
    assert lines[1].split() == " ".join(render.HEADER).split()
    models = [line.split()[0] for line in lines[2:7]]
    assert models == ["beta", "eps", "delta", "gamma", "alpha"]
    assert "10.000 ms  16.000 ms  +60.0% (raw +60.0%)  -          regression" in lines[2]
    assert lines[-2:] == ["beta (cpu): regression", "eps (cpu): inconclusive"]  # and why


def test_short_summary_shows_what_is_not_ok_or_new() -> None:
    lines = render.terminal_lines(RESULTS, {})
    models = [line.split()[0] for line in lines[2:]]
    # the rows, then why beta regressed and why eps is inconclusive
    assert models == ["beta", "eps", "gamma", "beta", "eps"]
    assert not any("alpha" in line or "delta" in line for line in lines)


def test_short_summary_is_capped_and_points_to_the_rest(tmp_path: Path) -> None:
    many = [result(f"m{i:02}", "regression", 50.0) for i in range(30)]
    lines = render.terminal_lines(many, {}, report_path=tmp_path / "r.json")
    rows = [line for line in lines if "inference_time" in line]
    assert len(rows) == render.SHORT_ROWS
    assert f"... and 10 more rows: -v shows them, as does the JSON report {tmp_path}" in "\n".join(
        lines
    )
    assert len(render.terminal_lines(many, {}, verbose=True)) > 60


def test_the_common_shift_has_its_own_line() -> None:
    drift = compare.drift_of([1.3] * 20 + [1.25, 1.35])
    lines = render.terminal_lines(RESULTS, {"cpu": drift})
    assert lines[1].startswith("common shift (cpu): this run's times are 1.30x their baselines")
    few = render.terminal_lines(RESULTS, {"cpu": compare.drift_of([1.3] * 3)})
    assert "not taken out, 3 comparable model(s)" in few[1]


def test_fail_on_regression_says_the_run_fails() -> None:
    lines = render.terminal_lines(RESULTS, {}, fail_on_regression=True)
    assert lines[-1] == "--fail-on-regression: 1 regression(s) fail this run"


def test_json_document(tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.json"
    render.write_json(path, render.document(RESULTS, errors=["x"]))
    data = json.loads(path.read_text())
    assert [r["model"] for r in data["results"]][:2] == ["beta", "eps"]
    assert data["results"][0]["verdict"] == "regression"
    assert data["results"][0]["device"] == "cpu"
    assert data["counts"] == {
        "regression": 1, "inconclusive": 1, "new": 1, "improvement": 1, "ok": 1,
    }  # fmt: skip
    assert data["errors"] == ["x"]


def test_markdown_and_step_summary(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    assert render.append_step_summary(RESULTS, {}) is None
    assert render.append_step_summary(RESULTS, {"GITHUB_STEP_SUMMARY": str(target)}) == target
    render.append_step_summary(RESULTS, {"GITHUB_STEP_SUMMARY": str(target)})
    text = target.read_text()
    assert text.count("### Performance baselines") == 2
    assert "| beta | cpu | inference_time | 10.000 ms | 16.000 ms |" in text
    assert "**regression**" in text


def test_empty() -> None:
    assert render.counts_line([]) == "nothing checked"


@pytest.mark.parametrize(
    "drift",
    [
        compare.Drift(1.31, 0.05, 20, 1.2, 1.4),
        compare.Drift(0.9, 0.1, 12, 0.9, 0.9, clock=1.1),
        compare.Drift(models=3),
    ],
)
def test_the_page_and_the_terminal_word_the_common_shift_alike(drift: compare.Drift) -> None:
    """One wording of one shift, whether read from the run or from its JSON report."""
    line = render.drift_line("cpu", drift)
    assert compare.Drift.from_dict(drift.as_dict()) == drift
    assert f'<p class="shift">{html.esc(line)}</p>' in html.shift_html({"cpu": drift.as_dict()})


def test_the_page_orders_and_counts_as_the_terminal_does() -> None:
    verdicts = ["ok", "regression", "new", "inconclusive", "improvement", "ok"]
    assert render.tally(verdicts) == {
        "regression": 1,
        "inconclusive": 1,
        "new": 1,
        "improvement": 1,
        "ok": 2,
    }
    assert sorted(verdicts, key=render.urgency) == [
        "regression",
        "inconclusive",
        "new",
        "improvement",
        "ok",
        "ok",
    ]


def test_an_inconclusive_row_says_why_in_the_terminal_and_on_the_page() -> None:
    noisy = compare.MetricResult(
        compare.TIME,
        0.001,
        0.0014,
        40.0,
        20.0,
        compare.INCONCLUSIVE,
        note="slower, but within the noise (±48%): too noisy to tell "
        "(rerun it, or run modelgate ab)",
        reason=compare.Reason.TOO_NOISY,
    )
    result = compare.Result("m", "cpu", compare.INCONCLUSIVE, "m (cpu): inconclusive", (noisy,))
    lines = render.terminal_lines([result], {})
    assert (
        "m (cpu): inconclusive: inference_time: slower, but within the noise (±48%): too noisy "
        "to tell (rerun it, or run modelgate ab)" in lines
    )
    page = html.build(render.document([result]), {})
    assert '<div class="why">inference_time: slower, but within the noise' in page


def test_a_table_fits_the_width_by_cutting_the_columns_it_may_cut() -> None:
    rows = [("a-very-long-model-identifier-of-a-pair", "cpu", "1.000 ms", "a long machine name")]
    header = ("model", "device", "median", "machine")
    lines = render.table(rows, header, width=50, shrink=((0, 12), (3, 8)))
    assert max(len(line) for line in lines) <= 50
    assert lines[1].startswith("a-very-long~  cpu")  # cut, and marked so
    assert render.table(rows, ("m", "d", "t", "x")) == render.table(rows, ("m", "d", "t", "x"))
    assert "a-very-long-model-identifier-of-a-pair" in render.table(rows, ("m", "d", "t", "x"))[1]


def seeing(model: str, limit: float | None, better_high: bool = False) -> compare.Result:
    base = result(model, "ok")
    metric = dataclasses.replace(
        base.metrics[0], detectable_percent=limit, higher_is_better=better_high
    )
    return dataclasses.replace(base, metrics=(metric,))


def test_every_row_states_its_detection_limit() -> None:
    """Terminal, Markdown, JSON and HTML alike: what size of change the verdict could see."""
    results = [seeing(f"m{i}", limit) for i, limit in enumerate([24.0, 30.0, 61.0, None])]
    lines = render.terminal_lines(results, {}, verbose=True)
    assert lines[1] == (
        "detection limit (time): these verdicts could see a slowdown of ≥ +30% for half of "
        "the 3 models, ≥ +61% for nine in ten"
    )
    rows = {line.split()[0]: line for line in lines[3:7]}
    assert "  ≥+24%  " in rows["m0"] and "  -  " in rows["m3"]
    assert "| ≥+61% |" in render.markdown(results)
    assert render.limit(seeing("t", 20.0, better_high=True).metrics[0]) == "≥-20%"
    document = render.document(results)
    assert [r["metrics"][0]["detectable"] for r in document["results"]] == [24.0, 30.0, 61.0, None]
    assert render.problem(json.loads(json.dumps(document))) is None
    page = html.build(document, {})
    assert "<th>could see</th>" in page and '<td class="num" data-v="61">≥+61%</td>' in page
    assert render.limit_line([result("new", "new")]) is None
