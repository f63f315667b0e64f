"""``modelgate upgrade``: its pure parts (pin, pair diff, JUnit outcomes, the expected failures'
edits, the report) and the command line's refusals, which leave the tree as it was."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from pytest_modelgate.cli import main
from pytest_modelgate.cli import upgrade as command
from pytest_modelgate.models import catalog, status, upgrade
from pytest_modelgate.models.status import CHECKS, ExpectedFailure

ROOT = Path(__file__).parents[2]
PYPROJECT = (
    "[project.optional-dependencies]\n"
    'models = [\n    "torch==2.13.0",\n    "transformers==5.24.0",\n]\n'
)


@pytest.mark.parametrize(
    ("requirement", "version"),
    [("transformers==5.25.0", "5.25.0"), (" transformers == 6.0.0rc1", "6.0.0rc1")],
)
def test_target_version_reads_an_exact_transformers_requirement(
    requirement: str, version: str
) -> None:
    assert upgrade.target_version(requirement) == version


@pytest.mark.parametrize(
    "requirement",
    ["torch==2.13.0", "transformers>=5.25", "transformers", "transformers==5.25.0 tokenizers"],
)
def test_target_version_refuses_anything_else(requirement: str) -> None:
    with pytest.raises(upgrade.UpgradeError, match="transformers==X"):
        upgrade.target_version(requirement)


def test_with_pin_moves_only_the_transformers_pin() -> None:
    assert upgrade.pin_of(PYPROJECT) == "5.24.0"
    moved = upgrade.with_pin(PYPROJECT, "5.25.0")
    assert moved == PYPROJECT.replace("transformers==5.24.0", "transformers==5.25.0")
    assert upgrade.pin_of(moved) == "5.25.0"


@pytest.mark.parametrize(
    ("text", "found"),
    [("[project]\ndependencies = []\n", "no"), (PYPROJECT + 'x = ["transformers==5.0.0"]\n', "2")],
)
def test_pin_of_wants_exactly_one_pin(text: str, found: str) -> None:
    with pytest.raises(upgrade.UpgradeError, match=f"found {found}$"):
        upgrade.with_pin(text, "5.25.0")


def test_the_project_pins_transformers_in_one_place() -> None:
    """What ``modelgate upgrade`` reads and moves, and the snapshot it stands for."""
    pin = upgrade.pin_of((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pin == catalog.load_registry().transformers_version


def registry(
    version: str, mappings: dict[str, dict[str, str | tuple[str, ...]]]
) -> catalog.Registry:
    return catalog.Registry(version, tuple(catalog.pairs_from_mappings(mappings)))


def test_pair_diff_names_the_pairs_added_and_removed() -> None:
    old = registry("1", {"MODEL_MAPPING_NAMES": {"bert": "BertModel", "gone": "GoneModel"}})
    new = registry(
        "2",
        {
            "MODEL_MAPPING_NAMES": {"bert": "BertModel", "fresh": "FreshModel"},
            "MODEL_FOR_CAUSAL_LM_MAPPING_NAMES": {"bert": "BertForCausalLM"},
        },
    )
    assert upgrade.pair_diff(old, new) == upgrade.PairDiff(
        added=("bert-causal-lm", "fresh-base"), removed=("gone-base",)
    )


SUITE = """
import pytest

KNOWN = pytest.mark.xfail(reason="known", strict=True)

def outcome(pair):
    if pair in ("fresh-bad-cpu", "old-broken-cpu", "old-still-cpu"):
        raise ValueError(f"<{pair}> breaks\\nsecond line")

@pytest.mark.parametrize("pair", [
    "fresh-ok-cpu", "fresh-bad-cpu", "old-broken-cpu",
    pytest.param("old-fixed-cpu", marks=KNOWN), pytest.param("old-still-cpu", marks=KNOWN),
])
def test_forward(pair):
    outcome(pair)

@pytest.mark.parametrize("pair", ["fresh-ok-cpu", "old-fixed-cpu", "old-still-cpu"])
def test_save_load(pair):
    pass

@pytest.fixture
def broken():
    raise RuntimeError("cannot build")

def test_deterministic(broken):
    pass

@pytest.mark.parametrize("pair", ["fresh-ok-cuda"])
def test_benchmark(pair):
    pass
"""


@pytest.fixture
def junit(pytester: pytest.Pytester) -> str:
    """The JUnit XML of a generated suite named like the model suite, as pytest writes it."""
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest("-p", "no:cacheprovider", "--junitxml=report.xml")
    return (pytester.path / "report.xml").read_text(encoding="utf-8")


def test_outcomes_from_junit_reads_each_cpu_suite_test(junit: str) -> None:
    outcomes = {
        (o.pair, o.check): (o.outcome, o.message) for o in upgrade.outcomes_from_junit(junit)
    }
    assert outcomes == {
        ("fresh-ok", "forward"): ("passed", ""),
        ("fresh-bad", "forward"): ("failed", "ValueError: <fresh-bad-cpu> breaks second line"),
        ("old-broken", "forward"): ("failed", "ValueError: <old-broken-cpu> breaks second line"),
        ("old-fixed", "forward"): ("xpassed", "[XPASS(strict)] known"),
        ("old-still", "forward"): ("xfailed", ""),
        ("fresh-ok", "save_load"): ("passed", ""),
        ("old-fixed", "save_load"): ("passed", ""),
        ("old-still", "save_load"): ("passed", ""),
    }  # the fixture's error has no pair in its name, the cuda test is not a CPU one


def test_classify_sorts_the_run_into_what_an_upgrade_reports(junit: str) -> None:
    expected = {
        "old-fixed": ExpectedFailure("known", ("forward",)),
        "old-still": ExpectedFailure("known", ("forward",)),
    }
    found = upgrade.classify(
        upgrade.outcomes_from_junit(junit), ["fresh-ok", "fresh-bad"], expected
    )
    assert found.passing == ("fresh-ok",)
    assert found.failing == (
        upgrade.Failing(
            "fresh-bad", ("forward",), "ValueError: <fresh-bad-cpu> breaks second line"
        ),
    )
    assert found.fixed == (("old-fixed", ("forward",)),)
    assert found.newly_failing == (
        upgrade.Failing(
            "old-broken", ("forward",), "ValueError: <old-broken-cpu> breaks second line"
        ),
    )


FINDINGS = upgrade.Findings(
    passing=("fresh-ok",),
    failing=(upgrade.Failing("fresh-bad", ("forward", "save_load"), "ValueError: <x> breaks"),),
    fixed=(("old-fixed", CHECKS), ("old-half", ("save_load",))),
    newly_failing=(
        upgrade.Failing("old-broken", CHECKS, "KeyError: 'a'"),
        upgrade.Failing("old-half", ("deterministic",), "AssertionError"),
    ),
)


def test_edit_expected_failures_removes_fixed_and_adds_failing_entries() -> None:
    raw = {
        "_doc": "kept",
        "old-fixed": {"reason": "was broken"},
        "old-half": {"reason": "half", "checks": ["forward", "save_load"]},
        "gone-base": {"reason": "left the registry"},
        "other": {"reason": "untouched"},
    }
    edited = upgrade.edit_expected_failures(raw, FINDINGS, ["gone-base"], "5.25.0")
    assert edited == {
        "_doc": "kept",
        "old-half": {
            "reason": "half; deterministic also fails on transformers 5.25.0: AssertionError",
            "checks": ["forward", "deterministic"],
        },
        "other": {"reason": "untouched"},
        "fresh-bad": {
            "reason": "fails on transformers 5.25.0: ValueError: <x> breaks; listed by modelgate "
            "upgrade, fix by hand",
            "checks": ["forward", "save_load"],
        },
        "old-broken": {
            "reason": "fails on transformers 5.25.0: KeyError: 'a'; listed by modelgate upgrade, "
            "fix by hand"
        },
    }
    assert raw["old-half"] == {"reason": "half", "checks": ["forward", "save_load"]}  # a copy
    parsed = status.parse_expected_failures(edited, "edited")
    assert set(parsed) == {"old-half", "other", "fresh-bad", "old-broken"}


def test_the_expected_failures_file_is_written_back_byte_for_byte(tmp_path: Path) -> None:
    """``--apply`` rewrites the file as the project keeps it: a diff shows only the edits."""
    text = status.EXPECTED_FAILURES.read_text(encoding="utf-8")
    command.write_expected(tmp_path / "copy.json", json.loads(text))
    assert (tmp_path / "copy.json").read_text(encoding="utf-8") == text


AB_DOCUMENT = {
    "counts": {"ok": 3, "regression": 1, "improvement": 0},
    "results": [
        {"model": "bert-base", "device": "cpu", "verdict": "ok", "metrics": []},
        {
            "model": "gpt2-causal-lm",
            "device": "cpu",
            "verdict": "regression",
            "metrics": [
                {"metric": "time", "change_percent": 31.25},
                {"metric": "memory", "change_percent": -2.0},
            ],
        },
        {"model": "llama4-base", "device": "cpu", "verdict": "new", "metrics": []},
    ],
    "outcomes": {"counts": {"newly_failing": 1}},
}


def report(**changes: object) -> upgrade.Report:
    base: dict[str, object] = {
        "current": "5.24.0",
        "target": "5.25.0",
        "scope": "the added pairs and expected failures",
        "diff": upgrade.PairDiff(("fresh-bad", "fresh-ok"), ("gone-base",)),
        "findings": FINDINGS,
        "speed": upgrade.speed_of(AB_DOCUMENT, "up-ab.json"),
        "steps": (("install", 20.04), ("suite", 70.0)),
    }
    return upgrade.Report(**{**base, **changes})  # type: ignore[arg-type]


def test_speed_of_keeps_the_rows_that_are_not_ok() -> None:
    speed = upgrade.speed_of(AB_DOCUMENT, "up-ab.json")
    assert speed.rows == (
        ("gpt2-causal-lm (cpu)", "regression", "time +31.2 %, memory -2.0 %"),
        ("llama4-base (cpu)", "new", "no measurement of the current pin to compare with"),
    )
    assert speed.outcomes == {"newly_failing": 1}


def test_report_as_json_says_each_finding_and_the_wall_time() -> None:
    document = report().as_dict()
    assert document["pairs_added"] == ["fresh-bad", "fresh-ok"]
    assert document["pairs_removed"] == ["gone-base"]
    assert document["new_pairs_passing"] == ["fresh-ok"]
    assert document["new_pairs_failing"][0]["message"] == "ValueError: <x> breaks"
    assert document["expected_failures_now_passing"][0] == {
        "pair": "old-fixed",
        "checks": list(CHECKS),
    }
    assert [f["pair"] for f in document["newly_failing"]] == ["old-broken", "old-half"]
    assert document["speed"]["counts"]["regression"] == 1
    assert document["wall_s"] == 90.0 and document["applied"] is False
    json.dumps(document)  # plain data


def test_report_terminal_lines_list_every_section() -> None:
    lines = report(speed=None).terminal_lines()
    assert lines[0] == (
        "transformers 5.24.0 -> 5.25.0, the added pairs and expected failures: not applied "
        "(the tree is as it was)"
    )
    assert "new pairs that fail: 1" in lines
    assert "  old-half (deterministic): AssertionError" in lines
    assert "expected failures that now pass (remove them): 2" in lines
    assert not any(line.startswith("speed") for line in lines)
    assert lines[-1] == "wall time: 90 s (install: 20 s; suite: 70 s)"


def test_report_html_escapes_messages_once() -> None:
    page = report().html_page()
    assert "ValueError: &lt;x&gt; breaks" in page
    assert "<x>" not in page and "&amp;lt;" not in page
    assert "time +31.2 %" in page and page.startswith("<!doctype html>")


def test_ab_selection_is_the_perf_ab_default() -> None:
    from test_noxfile import assignments, flatten, module

    assert list(command.AB_SELECTION) == flatten(
        assignments(module().body)["PERF_AB_SELECTION"], {}
    )


def test_selection_picks_exactly_the_pairs_tests() -> None:
    assert command.selection(["bert-base", "xlm-roberta-fill-mask"]) == (
        "[bert-base-cpu] or [xlm-roberta-fill-mask-cpu]"
    )


def git(folder: Path, *args: str) -> str:
    who = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
    done = subprocess.run(
        ["git", "-C", str(folder), *who, *args], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed project to upgrade, as the current folder."""
    git(tmp_path, "init", "--quiet")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    git(tmp_path, "add", "pyproject.toml")
    git(tmp_path, "commit", "--quiet", "-m", "start")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["torch==2.13.0"], "expected one requirement 'transformers==X'"),
        (["transformers>=5"], "expected one requirement 'transformers==X'"),
        (["transformers==5.24.0"], "transformers 5.24.0 is already the pin: nothing to upgrade"),
    ],
)
def test_a_requirement_that_cannot_upgrade_is_a_usage_error(
    repo: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["upgrade", *argv, "--apply"]) == 2
    assert f"modelgate upgrade: {message}" in capsys.readouterr().err
    assert git(repo, "status", "--porcelain", "--ignored") == ""  # nothing installed, nothing moved


def test_a_project_without_the_pin_is_a_usage_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    git(repo, "commit", "--quiet", "-am", "no pin")
    assert main(["upgrade", "transformers==5.25.0", "--apply"]) == 2
    assert 'expected one pin "transformers==X", found no' in capsys.readouterr().err
    assert git(repo, "status", "--porcelain", "--ignored") == ""


def test_upgrade_needs_a_requirement(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["upgrade"])
    assert exit_info.value.code == 2
    assert "the following arguments are required: REQ" in capsys.readouterr().err


def test_what_is_left_after_an_apply_names_the_pairs_to_fix_by_hand() -> None:
    left = command.to_do("transformers==5.25.0", True, False, FINDINGS, ["gone-base"])
    assert any(
        line.endswith(
            "fix by hand the pairs listed as expected failures: fresh-bad, old-broken, old-half"
        )
        for line in left
    )
    assert "the other pairs were not run under the new version: nox -s models" in left
    assert "drop the baselines of removed pairs: modelgate baselines prune" in left
    assert command.to_do("transformers==5.25.0", False, True, FINDINGS, []) == [
        'modelgate upgrade "transformers==5.25.0" --apply moves the pin and the files'
    ]


def test_the_report_is_written_as_json_with_its_page_beside(tmp_path: Path) -> None:
    path = tmp_path / "out" / "up.json"
    command.write_report(path, report())
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(
        json.dumps(report().as_dict())
    )
    assert "<h2>new pairs that fail</h2>" in path.with_suffix(".html").read_text(encoding="utf-8")
    assert command.beside(path, "-ab.json") == tmp_path / "out" / "up-ab.json"
    assert command.beside(None, "-ab.json") is None


def test_the_new_version_is_imported_first(tmp_path: Path) -> None:
    env = command.environ_with(tmp_path, {"PYTHONPATH": "elsewhere"})
    assert env["PYTHONPATH"].split(os.pathsep)[:2] == [str(tmp_path), "elsewhere"]


def test_each_step_is_timed_in_order() -> None:
    steps = command.Steps()
    with steps.step("first"):
        pass
    with pytest.raises(RuntimeError), steps.step("second"):
        raise RuntimeError("stopped short")
    assert [name for name, _ in steps.done] == ["first", "second"]  # a failed step is timed too
