"""The terminal table, the JSON document and the Markdown summary."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_modelgate.baselines import compare, report


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


def test_table_puts_regressions_first() -> None:
    lines = report.terminal_lines(RESULTS)
    assert lines[0].split() == list(report.HEADER)
    models = [line.split()[0] for line in lines[1:6]]
    assert models == ["beta", "eps", "delta", "gamma", "alpha"]
    assert "10.000 ms  16.000 ms  +60.0% (raw +60.0%)  regression" in lines[1]
    assert lines[-1] == "baselines: 1 regression, 1 inconclusive, 1 new, 1 improvement, 1 ok"
    assert "beta (cpu): regression" in lines
    assert "eps (cpu): inconclusive" in lines


def test_json_document(tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.json"
    report.write_json(path, report.document(RESULTS, errors=["x"]))
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
    assert report.append_step_summary(RESULTS, {}) is None
    assert report.append_step_summary(RESULTS, {"GITHUB_STEP_SUMMARY": str(target)}) == target
    report.append_step_summary(RESULTS, {"GITHUB_STEP_SUMMARY": str(target)})
    text = target.read_text()
    assert text.count("### Performance baselines") == 2
    assert "| beta | cpu | inference_time | 10.000 ms | 16.000 ms |" in text
    assert "**regression**" in text


def test_empty() -> None:
    assert report.counts_line([]) == "nothing checked"
