"""Seeing performance: the history kept in each entry, ``modelgate baselines show``, ``diff``,
``prune`` and ``validate`` on stores the tests write, and the HTML report, parsed for its parts
and rendered once in a headless browser where one is installed."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_modelgate.baselines import compare, html, report, schema
from pytest_modelgate.baselines import store as baselines
from pytest_modelgate.baselines.judge import diff_stores, judge_run, records_of
from pytest_modelgate.cli import main

MACHINE = "Test CPU"


def measured(median: float, when: str = "2026-01-01T00:00:00+00:00", **extra: Any) -> Any:
    """A measured entry whose samples (and reference runs) centre on ``median`` seconds."""
    samples = [round(median * f, 9) for f in (0.98, 0.99, 1.0, 1.01, 1.02, 0.995, 1.005, 1.0)]
    entry = {
        "device": "cpu",
        "timestamp": when,
        "source": "measured",
        "inference_time_mean": median,
        "inference_time_median": median,
        "samples": samples,
        "cpu_samples": samples,
        "reference_samples": [0.001] * (len(samples) + 1),
        "clock": "cpu",
        "memory_peak_mb": 100.0,
        "fingerprint": {"machine": MACHINE, "threads": 1, "workers": 1},
    }
    return {**entry, **extra}


def write_store(folder: Path, medians: dict[str, float], when: str) -> Path:
    baselines.save(folder, "cpu", {m: measured(t, when) for m, t in medians.items()})
    return folder / "cpu.json"


MEDIANS = {f"model-{i:02d}": 0.001 * (i + 1) for i in range(12)}


@pytest.fixture
def two_stores(tmp_path: Path) -> tuple[Path, Path]:
    """Store A (main) and store B (a branch) where model-03 got 1.6x slower."""
    base, head = tmp_path / "main", tmp_path / "branch"
    write_store(base, MEDIANS, "2026-01-01T00:00:00+00:00")
    write_store(base, MEDIANS, "2026-01-02T00:00:00+00:00")
    shutil.copytree(base, head)
    slower = {**MEDIANS, "model-03": MEDIANS["model-03"] * 1.6}
    write_store(head, slower, "2026-01-03T00:00:00+00:00")
    return base, head


# -- history ---------------------------------------------------------------------------------------


def test_every_save_keeps_a_point_and_an_unchanged_save_writes_nothing(tmp_path: Path) -> None:
    path = write_store(tmp_path, {"m": 0.01}, "2026-01-01T00:00:00+00:00")
    write_store(tmp_path, {"m": 0.02}, "2026-01-02T00:00:00+00:00")
    history = baselines.load(path)["m"]["history"]
    assert [p["median"] for p in history] == [0.01, 0.02]
    assert history[-1] == baselines.history_point(measured(0.02, "2026-01-02T00:00:00+00:00"))
    assert set(history[0]) == {"timestamp", "median", "memory_peak_mb", "spread", "machine"}
    data = path.read_bytes()
    again = baselines.save(tmp_path, "cpu", {"m": measured(0.02, "2026-01-02T00:00:00+00:00")})
    assert not again.written and path.read_bytes() == data
    assert data == baselines.encode("cpu", baselines.load(path))  # one line per model still
    assert len(data.decode().splitlines()) == 7


def test_two_branches_merge_to_the_same_history(tmp_path: Path) -> None:
    start = {"m": measured(0.01, "2026-01-01T00:00:00+00:00")}
    left = measured(0.011, "2026-01-02T00:00:00+00:00")
    right = measured(0.012, "2026-01-03T00:00:00+00:00", fingerprint={"machine": "other"})
    outcomes = []
    for order in ((left, right), (right, left)):
        folder = tmp_path / f"order{len(outcomes)}"
        baselines.save(folder, "cpu", start)
        for update in order:
            baselines.save(folder, "cpu", {"m": update})
        outcomes.append(baselines.load(folder / "cpu.json")["m"]["history"])
    assert outcomes[0] == outcomes[1]
    assert [p["median"] for p in outcomes[0]] == [0.01, 0.011, 0.012]


def test_history_is_bounded_per_machine() -> None:
    entry: Any = None
    for day in range(1, 31):
        machine = "a" if day % 3 else "b"
        new = measured(0.01 + day * 1e-4, f"2026-01-{day:02d}T00:00:00+00:00")
        new["fingerprint"] = {"machine": machine}
        entry = baselines.with_history(new, entry)
    history = entry["history"]
    per_machine = {m: [p for p in history if p["machine"] == m] for m in ("a", "b")}
    assert len(per_machine["a"]) == baselines.HISTORY_PER_MACHINE == 10  # the last 10 of a's 20
    assert len(per_machine["b"]) == 10  # every one of b's
    assert per_machine["a"][0]["timestamp"].startswith("2026-01-16")  # a's 11th-newest is gone
    assert history == sorted(history, key=lambda p: p["timestamp"])


def test_merge_of_shards_keeps_every_stores_history(tmp_path: Path) -> None:
    write_store(tmp_path / "one", {"m": 0.01}, "2026-01-01T00:00:00+00:00")
    write_store(tmp_path / "two", {"m": 0.02}, "2026-01-02T00:00:00+00:00")
    assert main(["baselines", "merge", str(tmp_path / "two"), str(tmp_path / "one"),
                 "--into", str(tmp_path / "all")]) == 0  # fmt: skip
    merged = baselines.load(tmp_path / "all" / "cpu.json")["m"]
    assert merged["inference_time_median"] == 0.02
    assert [p["median"] for p in merged["history"]] == [0.01, 0.02]


def test_schema_checks_history_points_as_jsonschema_does() -> None:
    good = {"schema_version": 1, "device": "cpu", "entries": {"m": baselines.with_history(
        measured(0.01), None)}}  # fmt: skip
    validator = jsonschema.Draft202012Validator(schema.shipped_schema())
    check = schema.compile_schema(schema.shipped_schema())
    documents: list[Any] = [good]
    for key, value in [("median", 0), ("median", "1"), ("spread", -1), ("extra", 1),
                       ("machine", 3), ("timestamp", "")]:  # fmt: skip
        document = copy.deepcopy(good)
        document["entries"]["m"]["history"][0][key] = value
        documents.append(document)
    missing = copy.deepcopy(good)
    del missing["entries"]["m"]["history"][0]["median"]
    documents.append(missing)
    verdicts = [check(d) for d in documents]
    assert verdicts == [validator.is_valid(d) for d in documents]
    assert verdicts == [True] + [False] * (len(documents) - 1)


# -- show ------------------------------------------------------------------------------------------


def test_show_lists_sorts_filters_and_speaks_json(
    two_stores: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, head = two_stores
    assert main(["baselines", "show", "--baselines-dir", str(head), "-k", "model-0*",
                 "--sort", "median_ms"]) == 0  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["model", "device", "median", "spread", "memory", "when", "machine"]
    assert out[1].startswith("model-09") and "10.000 ms" in out[1] and "100.0 MB" in out[1]
    assert out[-1] == "10 entries"
    assert main(["baselines", "show", "--baselines-dir", str(head), "--json", "-k", "03"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["model"] == "model-03"
    assert rows[0]["median_ms"] == pytest.approx(6.4) and rows[0]["history"] == 3
    assert rows[0]["machine"] == MACHINE and rows[0]["spread_percent"] > 0


def test_show_names_a_corrupt_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cpu.json").write_text('{"schema_version": 1, "dev')
    assert main(["baselines", "show", "--baselines-dir", str(tmp_path)]) == 1
    assert f"{tmp_path / 'cpu.json'}: not valid JSON" in capsys.readouterr().err


# -- diff ------------------------------------------------------------------------------------------


def test_diff_finds_the_slower_model_and_fails_only_when_asked(
    two_stores: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = two_stores
    assert main(["baselines", "diff", str(base), str(head)]) == 0
    out = capsys.readouterr().out
    assert "baselines: 1 regression, 11 ok" in out
    assert "common shift (cpu): this run's times are 1.00x their baselines across 12" in out
    assert "model-03 (cpu): regression: inference_time +60.0%" in out
    assert main(["baselines", "diff", str(base), str(head), "--fail-on-regression"]) == 1
    capsys.readouterr()
    assert main(["baselines", "diff", str(head), str(base), "--fail-on-regression"]) == 0
    assert "1 improvement" in capsys.readouterr().out


def test_diff_is_the_run_rule(two_stores: tuple[Path, Path]) -> None:
    """B's entries judged by ``judge_run`` against A give exactly diff's verdicts."""
    base, head = two_stores
    old = {"cpu": baselines.load(base / "cpu.json")}
    new = {"cpu": baselines.load(head / "cpu.json")}
    rule = compare.Rule()
    expected, drifts = judge_run(records_of(new, rule), lambda d, m: (old[d].get(m), None), {})
    diff = diff_stores(base, head, rule)
    assert diff.results == expected and diff.drifts == drifts
    assert drifts["cpu"].applies


def test_diff_json_names_both_sides_and_what_is_gone(
    two_stores: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = two_stores
    baselines.remove(head, "cpu", ["model-11"])
    assert main(["baselines", "diff", str(base), str(head), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["sides"]["base"]["label"] == str(base)
    assert document["removed"] == [{"model": "model-11", "device": "cpu"}]
    assert document["counts"]["regression"] == 1 and len(document["results"]) == 11
    assert document["results"][0]["model"] == "model-03"  # regressions first


def test_diff_of_a_corrupt_store_is_a_problem(
    two_stores: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = two_stores
    (base / "cpu.json").write_text("{")
    assert main(["baselines", "diff", str(base), str(head)]) == 1
    captured = capsys.readouterr()
    assert "12 inconclusive" in captured.out
    assert f"{base / 'cpu.json'}: not valid JSON" in captured.err
    assert (base / "cpu.json").read_text() == "{"


# -- prune and validate ----------------------------------------------------------------------------


def test_prune_lists_first_and_dry_run_removes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_store(tmp_path, {"bert-fill-mask": 0.01, "gone-model": 0.01}, "2026-01-01")
    before = path.read_bytes()
    args = ["baselines", "prune", "--baselines-dir", str(tmp_path)]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would remove gone-model (cpu): not in the catalog" in out
    assert "bert-fill-mask" not in out and "1 entries would be removed" in out
    assert path.read_bytes() == before
    assert main(args) == 0
    assert "removing gone-model (cpu)" in capsys.readouterr().out
    assert sorted(baselines.load(path)) == ["bert-fill-mask"]
    assert main(args) == 0
    assert "nothing to prune" in capsys.readouterr().out


def test_prune_against_a_report(
    two_stores: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, head = two_stores
    run = tmp_path / "run.json"
    seen = [{"model": f"model-{i:02d}", "device": "cpu"} for i in range(10)]
    run.write_text(json.dumps({"results": seen}))
    assert main(["baselines", "prune", "--baselines-dir", str(head), "--report", str(run)]) == 0
    assert "removing model-10 (cpu): not in the report(s)" in capsys.readouterr().out
    assert len(baselines.load(head / "cpu.json")) == 10
    run.write_text("[1]")
    assert main(["baselines", "prune", "--baselines-dir", str(head), "--report", str(run)]) == 1
    assert "not a readable baseline report" in capsys.readouterr().err


def test_prune_leaves_a_corrupt_store_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cpu.json").write_bytes(b"\xff\xfe")
    assert main(["baselines", "prune", "--baselines-dir", str(tmp_path)]) == 1
    assert "not UTF-8" in capsys.readouterr().err
    assert (tmp_path / "cpu.json").read_bytes() == b"\xff\xfe"


def test_validate_names_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_store(tmp_path, {"a": 0.01, "b": 0.01}, "2026-01-01")
    assert main(["baselines", "validate", "--baselines-dir", str(tmp_path)]) == 0
    assert f"{path}: valid" in capsys.readouterr().out
    document = json.loads(path.read_text())
    document["entries"]["a"]["inference_time_mean"] = -1
    document["entries"]["b"]["clock"] = "sundial"
    document["entries"]["b"]["history"] = document["entries"]["b"]["history"] * 2
    path.write_text(json.dumps(document))
    assert main(["baselines", "validate", "--baselines-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "at entries/a/inference_time_mean: -1 is less than or equal to the minimum of 0" in out
    assert "at entries/b/clock: 'sundial' is not one of ['cpu', 'wall']" in out
    (tmp_path / "cpu.json").write_text(json.dumps({**document, "entries": {}, "device": "cuda"}))
    assert main(["baselines", "validate", "--baselines-dir", str(tmp_path)]) == 1
    assert "device 'cuda' in a file named cpu.json" in capsys.readouterr().out


def test_validate_finds_a_history_that_is_not_merged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_store(tmp_path, {"a": 0.01}, "2026-01-01")
    document = json.loads(path.read_text())
    document["entries"]["a"]["history"] *= 2
    path.write_text(json.dumps(document))
    assert main(["baselines", "validate", "--baselines-dir", str(tmp_path)]) == 1
    assert "entries/a/history: not the merged, ordered history" in capsys.readouterr().out


# -- the HTML report -------------------------------------------------------------------------------


class Page(HTMLParser):
    """What the tests look for in the page: elements by id and class, rows, URLs."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.classes: list[str] = []
        self.rows: list[dict[str, str]] = []
        self.urls: list[str] = []
        self.headings: list[str] = []
        self.tags: list[str] = []
        self._in_th = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.tags.append(tag)
        if "id" in values:
            self.ids.add(values["id"])
        self.classes += values.get("class", "").split()
        if tag == "tr" and "data-verdict" in values:
            self.rows.append(values)
        self.urls += [values[k] for k in ("src", "href") if k in values]
        self._in_th = tag == "th"

    def handle_data(self, data: str) -> None:
        if self._in_th:
            self.headings.append(data)
            self._in_th = False


def run_report(tmp_path: Path, two_stores: tuple[Path, Path]) -> Path:
    base, head = two_stores
    document = diff_stores(base, head, compare.Rule())
    report_path = tmp_path / "run.json"
    results = [r.as_dict() for r in document.results]
    report_path.write_text(json.dumps({"results": results, "drift": {}}))
    return report_path


def test_html_of_a_run_report(
    two_stores: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"
    report = run_report(tmp_path, two_stores)
    assert main(["report", str(report), "--html", str(out), "--baselines-dir",
                 str(two_stores[0])]) == 0  # fmt: skip
    assert f"wrote {out}" in capsys.readouterr().out
    text = out.read_text()
    page = Page(text)
    assert {"counts", "slower", "all", "models", "filter", "verdict"} <= page.ids
    assert text.index('id="counts"') < text.index('id="slower"') < text.index('id="models"')
    assert len(page.rows) == 12 and page.rows[0]["data-verdict"] == "regression"
    assert page.rows[0]["data-model"] == "model-03"
    assert page.classes.count("card") == 1 and "current" in page.classes
    assert page.classes.count("band") >= 12 and "threshold" in page.classes
    assert "baseline recorded 2026-01-02 00:00:00" in text  # since when
    assert "+60.0%" in text
    assert page.urls == [] and "http" not in text.replace('xmlns="http', "")  # nothing to fetch
    assert page.tags.count("script") == 1 and "link" not in page.tags


def test_html_of_an_ab_report_shows_both_sides(
    two_stores: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = two_stores
    ab = tmp_path / "ab.json"
    assert main(["baselines", "diff", str(base), str(head), "--json"]) == 0
    ab.write_text(capsys.readouterr().out)
    out = tmp_path / "ab.html"
    assert main(["report", str(ab), "--html", str(out)]) == 0
    page = Page(out.read_text())
    assert f"time ({base})" in page.headings and f"time ({head})" in page.headings
    assert page.classes.count("pair") == 1 and page.tags.count("figure") == 2
    assert page.tags.count("svg") == 2 + 2 * 12  # both sides in the card and in every row


def test_html_of_a_store_alone_judges_the_latest_update(
    two_stores: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "store.html"
    assert main(["report", "--baselines-dir", str(two_stores[1]), "--html", str(out)]) == 0
    assert "1 regression" in capsys.readouterr().out
    page = Page(out.read_text())
    assert [r["data-model"] for r in page.rows if r["data-verdict"] == "regression"] == ["model-03"]


def test_report_of_nothing_readable_is_a_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.html"
    assert main(["report", str(tmp_path / "missing.json"), "--html", str(out)]) == 1
    assert "not a readable report" in capsys.readouterr().err and not out.exists()
    assert main(["report", "--baselines-dir", str(tmp_path), "--html", str(out)]) == 1
    assert not out.exists()


def test_chart_draws_band_threshold_and_current() -> None:
    points = [baselines.history_point(measured(0.01 * (1 + i / 10))) for i in range(3)]
    svg = html.chart(points, width=200, height=80, current=0.02, threshold=0.013)
    assert svg.count("<polygon") == 1 and svg.count("<polyline") == 1
    assert 'class="threshold"' in svg and 'class="current"' in svg and "20 ms" in svg


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no chromium installed to render")
def test_the_page_renders_in_a_headless_browser(
    two_stores: tuple[Path, Path], tmp_path: Path
) -> None:
    out, shot = tmp_path / "report.html", tmp_path / "report.png"
    report = run_report(tmp_path, two_stores)
    assert main(["report", str(report), "--html", str(out), "--baselines-dir",
                 str(two_stores[0])]) == 0  # fmt: skip
    command = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
               "--window-size=1280,900", out.as_uri()]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000  # a page, not a blank


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("[]", "not a run report: at top level: [] is not of type 'object'"),
        ("{}", "not a run report: at top level: 'results' is a required property"),
        (
            '{"results": [{"model": "m", "device": "cpu"}]}',
            "not a run report: at results/0: 'verdict' is a required property",
        ),
        (
            '{"results": [], "sides": {"base": {}}}',
            "not a run report: at sides/base: 'label' is a required property",
        ),
    ],
)
def test_a_malformed_report_is_named_in_one_line_and_no_page_is_written(
    tmp_path: Path,
    two_stores: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    content: str,
    problem: str,
) -> None:
    good = run_report(tmp_path, two_stores)
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    out = tmp_path / "page.html"
    assert main(["report", str(good), str(bad), "--html", str(out)]) == 1
    assert capsys.readouterr().err.splitlines() == [f"modelgate report: {bad}: {problem}"]
    assert not out.exists()


def test_an_html_path_that_is_a_folder_is_a_usage_error(
    tmp_path: Path, two_stores: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    good = run_report(tmp_path, two_stores)
    folder = tmp_path / "page.html"
    folder.mkdir()
    assert main(["report", str(good), "--html", str(folder)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"modelgate report: --html {str(folder)!r} is a folder, not a file"
    )


def test_what_a_run_writes_is_a_valid_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "def test_m(model_benchmark):\n    model_benchmark('m', abs, -1, test_runs=2)\n"
    )
    pytester.runpytest("--baseline-report=r.json").assert_outcomes(passed=1)
    assert report.problem(json.loads((pytester.path / "r.json").read_text())) is None
