"""Baselines of several machines: a new machine records its own, then compares against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from baseline_projects import entries, guide_project

from pytest_modelgate import cli
from pytest_modelgate.baselines import machines


def test_slug_is_a_folder_name() -> None:
    assert machines.slug("AMD EPYC 7B13 64-Core Processor") == "amd-epyc-7b13-64-core-processor"
    assert machines.slug("Intel(R) Xeon(R)") == "intel-r-xeon-r"
    assert machines.slug("///") == "unknown"


def test_search_order_is_main_file_then_committed_machines_then_local(tmp_path: Path) -> None:
    assert machines.search_order(tmp_path, "Box 1") == (
        tmp_path,
        tmp_path / "machines" / "box-1",
        tmp_path / ".local" / "box-1",
    )


def test_updates_go_to_the_main_file_only_when_it_is_this_machines() -> None:
    def measured_on(machine: str) -> dict[str, object]:
        return {"fingerprint": {"machine": machine}}

    store = Path("baselines")
    assert machines.home(store, {}, "laptop") == store
    mine = {"a": measured_on("laptop"), "b": measured_on("laptop"), "c": measured_on("ci")}
    assert machines.home(store, mine, "laptop") == store
    theirs = {"a": measured_on("ci"), "b": measured_on("ci"), "c": measured_on("laptop")}
    assert machines.home(store, theirs, "laptop") == store / "machines" / "laptop"
    assert machines.measured_here({}, "laptop")  # an entry older than fingerprints


def verdicts(pytester: pytest.Pytester, name: str) -> dict[str, str]:
    document = json.loads((pytester.path / name).read_text())
    return {r["model"]: r["verdict"] for r in document["results"]}


def test_a_new_machine_records_locally_then_compares_then_commits_its_own(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    guide_project(pytester)
    folder = pytester.path / "baselines"
    monkeypatch.setenv(machines.MACHINE_ENV, "Maintainer Box")
    pytester.runpytest("--update-baselines").assert_outcomes(passed=3)
    committed = (folder / "cpu.json").read_bytes()

    monkeypatch.setenv(machines.MACHINE_ENV, "New Laptop 9")
    first = pytester.runpytest("--baseline-report=first.json")
    first.assert_outcomes(passed=3)
    first.stdout.fnmatch_lines(["*no baseline of this machine (New Laptop 9) for 3 model(s)*"])
    assert set(verdicts(pytester, "first.json").values()) == {"new"}
    local = folder / ".local" / "new-laptop-9"
    assert sorted(entries(local)) == ["model_0", "model_1", "model_2"]
    assert (folder / "cpu.json").read_bytes() == committed  # the committed file: untouched

    second = pytester.runpytest("--baseline-report=second.json")
    second.assert_outcomes(passed=3)
    assert set(verdicts(pytester, "second.json").values()) <= {"ok", "improvement"}
    assert "no baseline of this machine" not in second.stdout.str()

    pytester.runpytest("--update-baselines").assert_outcomes(passed=3)
    assert (folder / "cpu.json").read_bytes() == committed
    own = entries(folder / "machines" / "new-laptop-9")
    assert {e["fingerprint"]["machine"] for e in own.values()} == {"New Laptop 9"}  # type: ignore[index]

    assert cli.main(["baselines", "validate", "--baselines-dir", str(folder)]) == 0
    assert f"{folder / 'machines' / 'new-laptop-9' / 'cpu.json'}: valid" in capsys.readouterr().out

    monkeypatch.setenv(machines.MACHINE_ENV, "Maintainer Box")
    third = pytester.runpytest("--baseline-report=third.json")
    assert set(verdicts(pytester, "third.json").values()) <= {"ok", "improvement"}
    assert "no baseline of this machine" not in third.stdout.str()


def test_a_corrupt_local_store_is_reported_and_left_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    guide_project(pytester)
    monkeypatch.setenv(machines.MACHINE_ENV, "laptop")
    local = pytester.path / "baselines" / ".local" / "laptop"
    local.mkdir(parents=True)
    (local / "cpu.json").write_text("{ not json")
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*baseline file unusable*cpu.json: not valid JSON*"])
    assert (local / "cpu.json").read_text() == "{ not json"
