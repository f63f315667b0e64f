"""``modelgate baselines`` (``cli/baselines.py``): ``import`` of the guide's single file into
the store, ``merge`` of shards, and ``show``, ``diff``, ``prune`` and ``validate`` on stores the
tests write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_fixtures import MACHINE, measured, write_store

from pytest_modelgate.baselines import compare
from pytest_modelgate.baselines import store as baselines
from pytest_modelgate.baselines.judge import diff_stores, judge_run, records_of
from pytest_modelgate.cli import main

GUIDE_BASELINES = """{
  "BERT_cpu": {"inference_time_mean": 0.012, "memory_peak_mb": 150.5,
               "timestamp": "2024-05-01T10:00:00", "device": "cpu"},
  "GPT2_cuda": {"inference_time_mean": 0.004, "memory_peak_mb": 300,
                "timestamp": 1700000000.0, "device": "cuda"},
  "T5_cpu": {"inference_time_mean": 0.02, "timestamp": "2024-05-01", "device": "cpu"},
  "BAD_cpu": {"inference_time_mean": NaN, "timestamp": "2024-05-01", "device": "cpu"},
  "ZERO_cpu": {"inference_time_mean": 0, "timestamp": "2024-05-01", "device": "cpu"},
  "NOTIME_cpu": {"inference_time_mean": 0.1, "device": "cpu"},
  "LIST_cpu": [1, 2]
}
"""


@pytest.fixture
def guide_file(tmp_path: Path) -> Path:
    path = tmp_path / "performance_baselines.json"
    path.write_text(GUIDE_BASELINES)
    return path


def test_import_says_what_it_took_and_skipped(
    guide_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    assert main(["baselines", "import", str(guide_file), "--baselines-dir", str(store)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"took 2 into {store / 'cpu.json'}: BERT, T5" in out
    assert f"took 1 into {store / 'cuda.json'}: GPT2" in out
    skipped = sorted(line.split(":")[0] for line in out if line.startswith("skipped"))
    assert skipped == ["skipped BAD_cpu", "skipped LIST_cpu", "skipped NOTIME_cpu",
                       "skipped ZERO_cpu"]  # fmt: skip
    assert any("BAD_cpu: inference_time_mean must be a finite number above zero" in x for x in out)

    cpu = baselines.load(store / "cpu.json")
    assert cpu["BERT"] == {
        "device": "cpu",
        "inference_time_mean": 0.012,
        "memory_peak_mb": 150.5,
        "source": "imported",
        "timestamp": "2024-05-01T10:00:00",
        "history": [{"median": 0.012, "memory_peak_mb": 150.5, "timestamp": "2024-05-01T10:00:00"}],
    }
    assert baselines.load(store / "cuda.json")["GPT2"]["timestamp"].startswith("2023-11-14T22:13")


def test_import_keeps_existing_unless_replace(
    guide_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    args = ["baselines", "import", str(guide_file), "--baselines-dir", str(store)]
    main(args)
    before = (store / "cpu.json").read_bytes()
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "skipped BERT_cpu: already in the store (--replace to overwrite)" in out
    assert "took" not in out
    assert (store / "cpu.json").read_bytes() == before
    guide_file.write_text(json.dumps({"BERT_cpu": {"inference_time_mean": 1.0, "timestamp": "t"}}))
    assert main([*args, "--replace"]) == 0
    assert baselines.load(store / "cpu.json")["BERT"]["inference_time_mean"] == 1.0
    assert "T5" in baselines.load(store / "cpu.json")


@pytest.mark.parametrize(("content", "message"), [("{oops", "Expecting"), ("[1]", "MODEL_DEVICE")])
def test_a_bad_guide_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "guide.json"
    path.write_text(content)
    assert main(["baselines", "import", str(path), "--baselines-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and message in err
    assert not (tmp_path / "cpu.json").exists()


@pytest.mark.parametrize(
    "content",
    ['{"BAD_cpu": {"inference_time_mean": 0, "timestamp": "2024-05-01"}, "LIST_cpu": [1]}', "{}"],
)
def test_nothing_usable_to_import_is_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    path = tmp_path / "guide.json"
    path.write_text(content)
    store = tmp_path / "store"
    assert main(["baselines", "import", str(path), "--baselines-dir", str(store)]) == 1
    captured = capsys.readouterr()
    assert f"{path}: no usable entry, nothing imported" in captured.err
    assert "took" not in captured.out
    assert not store.exists()


def test_import_leaves_a_corrupt_store_alone(
    guide_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "cpu.json").write_text("{broken")
    assert main(["baselines", "import", str(guide_file), "--baselines-dir", str(store)]) == 1
    assert f"{store / 'cpu.json'}: not valid JSON" in capsys.readouterr().err
    assert (store / "cpu.json").read_text() == "{broken"
    assert "GPT2" in baselines.load(store / "cuda.json")


def _store(folder: Path, guide: dict[str, dict[str, object]]) -> Path:
    """A real store made through ``baselines import`` of a file in the guide's format."""
    guide_path = folder.with_suffix(".guide.json")
    guide_path.write_text(json.dumps(guide))
    assert main(["baselines", "import", str(guide_path), "--baselines-dir", str(folder)]) == 0
    return folder


def _guide_entry(mean: float, when: str, device: str = "cpu") -> dict[str, object]:
    return {"inference_time_mean": mean, "timestamp": when, "device": device}


def test_merge_shards_keeps_the_union_and_the_newest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _store(tmp_path / "main", {"OLD_cpu": _guide_entry(0.5, "2024-01-01")})
    shard1 = _store(
        tmp_path / "shard1",
        {
            "BERT_cpu": _guide_entry(0.1, "2024-06-01"),
            "VIT_cuda": _guide_entry(0.2, "2024-06-01", "cuda"),
        },
    )
    shard2 = _store(
        tmp_path / "shard2",
        {"GPT2_cpu": _guide_entry(0.3, "2024-06-01"), "BERT_cpu": _guide_entry(0.15, "2024-06-02")},
    )
    capsys.readouterr()
    argv = ["baselines", "merge", str(shard1), str(shard2), "--into", str(target)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"{target / 'cpu.json'}: 2 added, 0 replaced" in out
    assert f"{target / 'cuda.json'}: 1 added, 0 replaced" in out
    cpu = baselines.load(target / "cpu.json")
    assert sorted(cpu) == ["BERT", "GPT2", "OLD"]
    assert cpu["BERT"]["inference_time_mean"] == 0.15  # the newer measurement wins
    assert sorted(baselines.load(target / "cuda.json")) == ["VIT"]

    before = (target / "cpu.json").read_bytes()
    assert main(argv) == 0
    assert "(unchanged)" in capsys.readouterr().out
    assert (target / "cpu.json").read_bytes() == before


def test_merge_reports_a_bad_file_and_merges_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _store(tmp_path / "good", {"BERT_cpu": _guide_entry(0.1, "2024-06-01")})
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "cpu.json").write_text('{"schema_version": 1, "entries": {')
    empty = tmp_path / "empty"
    empty.mkdir()
    target = tmp_path / "target"
    capsys.readouterr()
    assert main(["baselines", "merge", str(good), str(bad), str(empty), "--into", str(target)]) == 1
    err = capsys.readouterr().err
    assert f"{bad / 'cpu.json'}: not valid JSON" in err
    assert f"{empty}: no baseline files" in err
    assert (bad / "cpu.json").read_text() == '{"schema_version": 1, "entries": {'
    assert sorted(baselines.load(target / "cpu.json")) == ["BERT"]


def test_merge_of_shards_keeps_every_stores_history(tmp_path: Path) -> None:
    write_store(tmp_path / "one", {"m": 0.01}, "2026-01-01T00:00:00+00:00")
    write_store(tmp_path / "two", {"m": 0.02}, "2026-01-02T00:00:00+00:00")
    assert main(["baselines", "merge", str(tmp_path / "two"), str(tmp_path / "one"),
                 "--into", str(tmp_path / "all")]) == 0  # fmt: skip
    merged = baselines.load(tmp_path / "all" / "cpu.json")["m"]
    assert merged["inference_time_median"] == 0.02
    assert [p["median"] for p in merged["history"]] == [0.01, 0.02]


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


@pytest.mark.parametrize("column", ["median_ms", "memory_mb", "spread_percent"])
def test_show_sorts_every_figure_largest_first_and_missing_last(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    entries = {
        "small": measured(0.001, memory_peak_mb=50.0),
        "large": measured(0.004, memory_peak_mb=400.0, samples=[0.003, 0.004, 0.006]),
        "middle": measured(0.002, memory_peak_mb=200.0, samples=[0.0019, 0.002, 0.0022]),
        "none": {k: v for k, v in measured(0.0005).items() if k != "memory_peak_mb"},
    }
    baselines.save(tmp_path, "cpu", entries)
    assert main(["baselines", "show", "--baselines-dir", str(tmp_path), "--sort", column,
                 "--json"]) == 0  # fmt: skip
    rows = json.loads(capsys.readouterr().out)
    figures = [row[column] for row in rows]
    present = [f for f in figures if f is not None]
    assert present == sorted(present, reverse=True), figures
    assert figures[len(present) :] == [None] * (len(figures) - len(present))


def test_show_fits_80_columns_and_json_keeps_whole_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "vibevoice_acoustic_tokenizer_decoder-base"
    baselines.save(tmp_path, "cpu", {name: measured(0.001)})
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["baselines", "show", "--baselines-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80, lines
    assert main(["baselines", "show", "--baselines-dir", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["model"] == name


def test_catalog_fits_80_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["catalog"]) == 0
    assert max(len(line) for line in capsys.readouterr().out.splitlines()) <= 80
