"""The store (``baselines/store.py``): strict loads, stable bytes, locked atomic merges, and
the history each entry keeps, one point a save, bounded per machine."""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from store_fixtures import entry, measured, write_store

from pytest_modelgate.baselines import schema
from pytest_modelgate.baselines import store as baselines


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


def test_umask_is_respected_for_new_files(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        baselines.save(tmp_path, "cpu", {"bert": entry()})
    finally:
        os.umask(old)
    assert (tmp_path / "cpu.json").stat().st_mode & 0o777 == 0o600


# -- history ---------------------------------------------------------------------------------------


def test_every_save_keeps_a_point_and_an_unchanged_save_writes_nothing(tmp_path: Path) -> None:
    path = write_store(tmp_path, {"m": 0.01}, "2026-01-01T00:00:00+00:00")
    write_store(tmp_path, {"m": 0.02}, "2026-01-02T00:00:00+00:00")
    history = baselines.load(path)["m"]["history"]
    assert [p["median"] for p in history] == [0.01, 0.02]
    assert history[-1] == baselines.history_point(measured(0.02, "2026-01-02T00:00:00+00:00"))
    assert set(history[0]) == {
        "timestamp",
        "median",
        "memory_peak_mb",
        "spread",
        "machine",
        "setup",
    }
    assert history[0]["setup"] == "///1/1"  # python, torch, transformers, threads, workers
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
