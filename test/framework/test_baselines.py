"""The store: strict loads, stable bytes, locked atomic merges; the schema's compiled checks."""

from __future__ import annotations

import copy
import json
import math
import multiprocessing
import os
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_modelgate.baselines import schema
from pytest_modelgate.baselines import store as baselines


def entry(mean: float = 0.01, **extra: Any) -> dict[str, Any]:
    return {
        "device": "cpu",
        "timestamp": "2026-01-01T00:00:00+00:00",
        "inference_time_mean": mean,
        "samples": [mean, mean * 1.01],
        "reference_samples": [0.001, 0.001, 0.001],
        "clock": "cpu",
        "memory_peak_mb": 10.0,
        "fingerprint": {"machine": "x", "gpu": None, "threads": 1},
        **extra,
    }


def test_save_then_load(tmp_path: Path) -> None:
    result = baselines.save(tmp_path, "cpu", {"bert": entry(), "gpt2": entry(0.02)})
    assert result.written and result.added == ("bert", "gpt2") and result.replaced == ()
    assert result.path == tmp_path / "cpu.json"
    loaded = baselines.load(result.path)
    assert loaded == {
        "bert": baselines.with_history(entry(), None),
        "gpt2": baselines.with_history(entry(0.02), None),
    }
    assert loaded["bert"]["history"] == [baselines.history_point(entry())]
    assert baselines.load(tmp_path / "missing.json") == {}


def test_merge_keeps_other_keys_and_bytes_are_stable(tmp_path: Path) -> None:
    baselines.save(tmp_path, "cpu", {"bert": entry(), "gpt2": entry(0.02)})
    result = baselines.save(tmp_path, "cpu", {"gpt2": entry(0.03), "t5": entry()})
    assert result.added == ("t5",) and result.replaced == ("gpt2",)
    path = tmp_path / "cpu.json"
    assert sorted(baselines.load(path)) == ["bert", "gpt2", "t5"]
    data = path.read_bytes()
    assert data == baselines.encode("cpu", baselines.load(path))
    lines = data.decode().splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert [line.split('"')[1] for line in lines[3:6]] == ["bert", "gpt2", "t5"]  # one per entry

    stamp = path.stat().st_mtime_ns
    again = baselines.save(tmp_path, "cpu", {"t5": entry()})
    assert not again.written
    assert path.read_bytes() == data and path.stat().st_mtime_ns == stamp


def test_device_index_shares_the_family_file(tmp_path: Path) -> None:
    baselines.save(tmp_path, "cuda:1", {"bert": entry()})
    assert baselines.file_for(tmp_path, "cuda:0") == tmp_path / "cuda.json"
    assert json.loads((tmp_path / "cuda.json").read_text())["device"] == "cuda"


def test_mode_is_kept(tmp_path: Path) -> None:
    baselines.save(tmp_path, "cpu", {"bert": entry()})
    path = tmp_path / "cpu.json"
    path.chmod(0o600)
    baselines.save(tmp_path, "cpu", {"gpt2": entry()})
    assert path.stat().st_mode & 0o777 == 0o600


def test_stale_lock_and_temp_files_do_not_block(tmp_path: Path) -> None:
    baselines.lock_path(tmp_path / "cpu.json").write_text("left by a killed run")
    stale = tmp_path / ".cpu.json.abc123.tmp"
    stale.write_text("half a file")
    baselines.save(tmp_path, "cpu", {"bert": entry()})
    assert not stale.exists()
    assert sorted(baselines.load(tmp_path / "cpu.json")) == ["bert"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not valid JSON"),
        (b'{"schema_version": 1, "device": "cpu", "entr', "not valid JSON (truncated or corrupt?)"),
        (b'{"schema_version": 2, "device": "cpu", "entries": {}}', "unknown schema_version 2"),
        (b'{"device": "cpu", "entries": {}}', "unknown schema_version 'missing'"),
        (b"[1, 2]", "does not match the baseline schema at top level"),
        (b'{"schema_version": 1, "device": "cpu", "entries": {"m": {"device": "cpu", '
         b'"timestamp": "t", "inference_time_mean": NaN}}}', "not valid JSON"),
        (b'{"schema_version": 1, "device": "cpu", "entries": {"m": {"device": "cpu", '
         b'"timestamp": "t", "inference_time_mean": -1}}}', "at entries/m/inference_time_mean"),
    ],
)  # fmt: skip
def test_unusable_files_are_named_and_left_alone(tmp_path: Path, data: bytes, problem: str) -> None:
    path = tmp_path / "cpu.json"
    path.write_bytes(data)
    with pytest.raises(baselines.BaselineFileError) as info:
        baselines.load(path)
    assert str(info.value).startswith(f"{path}: ")
    assert problem in info.value.problem
    with pytest.raises(baselines.BaselineFileError):
        baselines.save(tmp_path, "cpu", {"bert": entry()})
    assert path.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_interrupted_write_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    baselines.save(tmp_path, "cpu", {"bert": entry()})
    before = (tmp_path / "cpu.json").read_bytes()

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        baselines.save(tmp_path, "cpu", {"gpt2": entry()})
    monkeypatch.undo()
    assert (tmp_path / "cpu.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cpu.json"]


def test_the_lock_is_never_in_the_users_tree(tmp_path: Path) -> None:
    """``git status`` of a project that updated its baselines shows the baselines only."""
    baselines.save(tmp_path, "cpu", {"bert": entry()})
    assert [p.name for p in tmp_path.iterdir()] == ["cpu.json"]
    lock = baselines.lock_path(tmp_path / "cpu.json")
    assert lock.parent == Path(tempfile.gettempdir())
    assert baselines.lock_path(tmp_path / "sub" / ".." / "cpu.json") == lock  # one lock a file
    assert baselines.lock_path(tmp_path / "gpu.json") != lock


def test_invalid_updates_are_refused(tmp_path: Path) -> None:
    with pytest.raises(baselines.BaselineFileError, match="refusing to write invalid"):
        baselines.save(tmp_path, "cpu", {"bert": entry(mean=0.0)})
    assert not (tmp_path / "cpu.json").exists()


def _save_many(folder: str, start: int) -> None:
    for i in range(start, start + 20):
        baselines.save(Path(folder), "cpu", {f"model_{i}": entry()})


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_save_many, args=(str(tmp_path), n * 20)) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert len(baselines.load(tmp_path / "cpu.json")) == 60


def test_make_entry_keeps_raw_and_normalised() -> None:
    stats = {
        "inference_time_mean": 0.0123456789,
        "samples": [0.02, 0.04],
        "cpu_samples": [0.02, 0.04],
        "reference_samples": [0.01, 0.01, 0.01],
        "clock": "cpu",
        "memory_peak_mb": 50.0,
        "threads": 2,
        "normalised_samples": [2.0, 4.0],
    }
    made = baselines.make_entry(stats, device="cpu", test="t.py::x", fingerprint=None, when="w")
    assert made["inference_time_mean"] == 0.0123457
    assert made["normalised_median"] == 3.0
    assert "normalised_samples" not in made  # derived from the samples, not stored twice
    assert schema.problem({"schema_version": 1, "device": "cpu", "entries": {"m": made}}) is None


def test_fingerprint_fields() -> None:
    fingerprint = baselines.fingerprint("cpu", threads=3, workers=2)
    assert set(baselines.COMPARED_FIELDS) <= set(fingerprint)
    assert fingerprint["threads"] == 3 and fingerprint["workers"] == 2
    assert fingerprint["gpu"] is None
    assert isinstance(fingerprint["machine"], str) and fingerprint["machine"]


# -- the compiled schema agrees with jsonschema -----------------------------------------------


def _documents() -> list[Any]:
    good = {"schema_version": 1, "device": "cpu", "entries": {"m": entry(), "n": entry(0.5)}}
    mutations: list[Any] = [good, {**good, "entries": {}}, [], None, "text"]
    for key, value in [
        ("inference_time_mean", 0),
        ("inference_time_mean", True),
        ("inference_time_mean", "1"),
        ("samples", []),
        ("samples", [1, -1]),
        ("samples", [1, False]),
        ("samples", [1.0, math.nan]),
        ("samples", [math.nan, 1.0]),
        ("inference_time_mean", math.nan),
        ("threads", 1.5),
        ("threads", 2.0),
        ("threads", 0),
        ("clock", "sundial"),
        ("source", "imported"),
        ("fingerprint", {"threads": [1]}),
        ("unknown_key", 1),
        ("metrics", {"throughput_per_s": 3}),
        ("metrics", {"throughput_per_s": -3}),
    ]:
        document = copy.deepcopy(good)
        document["entries"]["m"][key] = value
        mutations.append(document)
    for key in ("device", "timestamp", "inference_time_mean"):
        document = copy.deepcopy(good)
        del document["entries"]["m"][key]
        mutations.append(document)
    for top, value in [("device", "CPU!"), ("device", 3), ("schema_version", True), ("x", 1)]:
        mutations.append({**good, top: value})
    mutations.append({**good, "entries": {"": entry()}})
    return mutations


def test_compiled_checks_agree_with_jsonschema() -> None:
    validator = jsonschema.Draft202012Validator(schema.shipped_schema())
    check = schema.compile_schema(schema.shipped_schema())
    documents = _documents()
    for document in documents:
        if "nan" in repr(document):  # jsonschema lets NaN through; JSON cannot hold it anyway
            assert not check(document)
            assert schema.problem(document) is not None
        else:
            assert check(document) == validator.is_valid(document), document
    assert sum(1 for d in documents if validator.is_valid(d)) >= 4


def test_shipped_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema.shipped_schema())


def test_unsupported_keywords_are_refused() -> None:
    with pytest.raises(schema.UnsupportedSchema, match="oneOf"):
        schema.compile_schema({"oneOf": [{"type": "string"}]})
    with pytest.raises(schema.UnsupportedSchema, match="http"):
        schema.compile_schema({"$ref": "http://example.com/s.json"})


def test_umask_is_respected_for_new_files(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        baselines.save(tmp_path, "cpu", {"bert": entry()})
    finally:
        os.umask(old)
    assert (tmp_path / "cpu.json").stat().st_mode & 0o777 == 0o600
