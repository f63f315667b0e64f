"""The lock-step of two A/B sides: turns, and never a wait that lasts for good."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from pytest_modelgate.ab import duet


def run_side(side: duet.Duet, meetings: int, log: list[tuple[str, str, int]]) -> None:
    for _ in range(meetings):
        side.meet()
        log.append(("start", side.side, side.count))
        time.sleep(0.01)  # sampling
        log.append(("end", side.side, side.count))
        side.leave()


def test_the_sides_take_turns_and_alternate_who_goes_first(tmp_path: Path) -> None:
    log: list[tuple[str, str, int]] = []
    base, head = duet.Duet(tmp_path, "base"), duet.Duet(tmp_path, "head")
    threads = [threading.Thread(target=run_side, args=(s, 4, log)) for s in (base, head)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not base.alone and not head.alone
    # one side samples at a time: every start is followed by the same side's end
    assert [e[1] for e in log[0::2]] == [e[1] for e in log[1::2]]
    assert all(e[0] == "start" for e in log[0::2])
    firsts = [log[i][1] for i in range(0, len(log), 4)]
    assert firsts == ["head", "base", "head", "base"]  # meeting 1 is odd: head first
    assert [e[2] for e in log] == sorted(e[2] for e in log)  # meeting n ends before n+1


def test_a_side_whose_partner_is_done_goes_on_alone(tmp_path: Path) -> None:
    duet.done_marker(tmp_path, "base").touch()
    head = duet.Duet(tmp_path, "head", timeout_s=600)
    for _ in range(3):
        head.meet()
        head.leave()
    assert head.count == 3
    assert not head.alone  # the partner's done marker ended each wait, not the time-out


def test_a_partner_that_never_comes_times_out_once(tmp_path: Path) -> None:
    head = duet.Duet(tmp_path, "head", timeout_s=0.2)
    head.meet()
    assert head.alone  # an old base revision without the duet: measure alone from then on
    written = sorted(p.name for p in tmp_path.iterdir())
    head.leave()
    head.meet()
    # alone, a meeting neither counts nor writes: nothing is left to wait for
    assert head.count == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == written
    assert (tmp_path / "head").read_text() == "1"


def test_sampling_cpus_are_taken_and_given_back(tmp_path: Path) -> None:
    if not hasattr(duet.os, "sched_setaffinity"):
        pytest.skip("no CPU affinity on this platform")
    before = duet.os.sched_getaffinity(0)
    cpu = min(before)
    duet.done_marker(tmp_path, "base").touch()
    head = duet.Duet(tmp_path, "head", frozenset({cpu}))
    head.meet()
    assert duet.os.sched_getaffinity(0) == {cpu}
    head.leave()
    assert duet.os.sched_getaffinity(0) == before


def test_environment_names_the_side(tmp_path: Path) -> None:
    assert duet.from_environ({}) is None
    side = duet.from_environ(
        {duet.FOLDER_ENV: str(tmp_path), duet.SIDE_ENV: "base", duet.CPUS_ENV: "0,1"}
    )
    assert side is not None and side.side == "base" and side.cpus == {0, 1}
    with pytest.raises(ValueError, match="MODELGATE_DUET_SIDE must be one of base, head"):
        duet.from_environ({duet.FOLDER_ENV: str(tmp_path), duet.SIDE_ENV: "left"})


def test_a_turn_meets_samples_and_leaves(tmp_path: Path) -> None:
    head = duet.Duet(tmp_path, "head", timeout_s=600)
    duet.done_marker(tmp_path, "base").touch()
    with head.turn():
        assert (tmp_path / "head").read_text() == "1"  # arrived at meeting 1
    assert (tmp_path / "head.sampled").read_text() == "1"  # and said it has sampled


def test_a_side_of_modelgate_ab_takes_turns_in_every_measurement(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The plugin hands the side's turn to the measurements: two meetings for two models."""
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    duet.done_marker(meeting, "base").touch()
    monkeypatch.setenv(duet.FOLDER_ENV, str(meeting))
    monkeypatch.setenv(duet.SIDE_ENV, "head")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("name", ["a", "b"])
        def test_m(model_benchmark, name):
            model_benchmark(name, abs, -1, warmup_runs=0, test_runs=2)
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)
    assert (meeting / "head").read_text() == "2"


def test_a_bad_side_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(duet.FOLDER_ENV, str(tmp_path))
    monkeypatch.setenv(duet.SIDE_ENV, "left")
    pytester.makepyfile("def test_a(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*MODELGATE_DUET_SIDE must be one of base, head*"])
