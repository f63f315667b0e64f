"""``modelgate baselines import``: the seed's single file into the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_modelgate.baselines import store as baselines
from pytest_modelgate.cli import main

SEED = """{
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
def seed_file(tmp_path: Path) -> Path:
    path = tmp_path / "performance_baselines.json"
    path.write_text(SEED)
    return path


def test_import_says_what_it_took_and_skipped(
    seed_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    assert main(["baselines", "import", str(seed_file), "--baselines-dir", str(store)]) == 0
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
    seed_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    args = ["baselines", "import", str(seed_file), "--baselines-dir", str(store)]
    main(args)
    before = (store / "cpu.json").read_bytes()
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "skipped BERT_cpu: already in the store (--replace to overwrite)" in out
    assert "took" not in out
    assert (store / "cpu.json").read_bytes() == before
    seed_file.write_text(json.dumps({"BERT_cpu": {"inference_time_mean": 1.0, "timestamp": "t"}}))
    assert main([*args, "--replace"]) == 0
    assert baselines.load(store / "cpu.json")["BERT"]["inference_time_mean"] == 1.0
    assert "T5" in baselines.load(store / "cpu.json")


@pytest.mark.parametrize(("content", "message"), [("{oops", "Expecting"), ("[1]", "MODEL_DEVICE")])
def test_bad_seed_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "seed.json"
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
    path = tmp_path / "seed.json"
    path.write_text(content)
    store = tmp_path / "store"
    assert main(["baselines", "import", str(path), "--baselines-dir", str(store)]) == 1
    captured = capsys.readouterr()
    assert f"{path}: no usable entry, nothing imported" in captured.err
    assert "took" not in captured.out
    assert not store.exists()


def test_corrupt_store_is_not_touched(
    seed_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "cpu.json").write_text("{broken")
    assert main(["baselines", "import", str(seed_file), "--baselines-dir", str(store)]) == 1
    assert f"{store / 'cpu.json'}: not valid JSON" in capsys.readouterr().err
    assert (store / "cpu.json").read_text() == "{broken"
    assert "GPT2" in baselines.load(store / "cuda.json")


def _store(folder: Path, seed: dict[str, dict[str, object]]) -> Path:
    """A real store made through ``baselines import`` of a seed-format file."""
    seed_path = folder.with_suffix(".seed.json")
    seed_path.write_text(json.dumps(seed))
    assert main(["baselines", "import", str(seed_path), "--baselines-dir", str(folder)]) == 0
    return folder


def _seed(mean: float, when: str, device: str = "cpu") -> dict[str, object]:
    return {"inference_time_mean": mean, "timestamp": when, "device": device}


def test_merge_shards_keeps_the_union_and_the_newest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _store(tmp_path / "main", {"OLD_cpu": _seed(0.5, "2024-01-01")})
    shard1 = _store(
        tmp_path / "shard1",
        {"BERT_cpu": _seed(0.1, "2024-06-01"), "VIT_cuda": _seed(0.2, "2024-06-01", "cuda")},
    )
    shard2 = _store(
        tmp_path / "shard2",
        {"GPT2_cpu": _seed(0.3, "2024-06-01"), "BERT_cpu": _seed(0.15, "2024-06-02")},
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
    good = _store(tmp_path / "good", {"BERT_cpu": _seed(0.1, "2024-06-01")})
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
