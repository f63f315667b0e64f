"""The gate, tried as a user would: a project with model_test_paths and marked tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_modelgate import gating

GATED_MODELS = """
import pytest

def test_bert_forward(): pass

@pytest.mark.slow
def test_bert_slow(): pass

@pytest.mark.cpu
def test_gpt_cpu(): pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with framework tests, marked model tests and a gated folder."""
    pytester.makeini("[pytest]\nmodel_test_paths = models\n")
    pytester.makepyfile(
        test_core="def test_core(): pass\n",
        test_marked="""
            import pytest

            @pytest.mark.model_test
            def test_marked_function(): pass

            @pytest.mark.model_test
            class TestMarkedClass:
                def test_in_class(self): pass
        """,
        test_marked_module="""
            import pytest
            pytestmark = pytest.mark.model_test

            def test_in_module(): pass
        """,
    )
    models = pytester.mkdir("models")
    (models / "test_bert.py").write_text(GATED_MODELS)
    vision = models / "vision"
    vision.mkdir()
    (vision / "test_vit.py").write_text("def test_vit(): pass\n")
    return pytester


def test_plain_run_never_imports_gated_files(project: pytest.Pytester) -> None:
    (project.path / "models" / "test_boom.py").write_text(
        "raise RuntimeError('gated file was imported')\n"
    )
    result = project.runpytest("-rs")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(["*SKIPPED*model test: run with --run-model-tests*"])
    result.stdout.fnmatch_lines(
        [
            "*model tests gated: 1 dir(s) and 0 file(s) not collected (models); "
            "run them with --run-model-tests",
        ]
    )
    result.stdout.no_fnmatch_line("*gated file was imported*")


def test_marked_tests_skip_with_reason(project: pytest.Pytester) -> None:
    result = project.runpytest("-rs", "test_marked.py", "test_marked_module.py")
    result.assert_outcomes(skipped=3)
    assert result.stdout.str().count("model test: run with --run-model-tests") == 3


def test_flag_runs_everything(project: pytest.Pytester) -> None:
    result = project.runpytest("--run-model-tests")
    result.assert_outcomes(passed=8)
    result.stdout.no_fnmatch_line("*model tests gated*")


def test_flag_with_one_file(project: pytest.Pytester) -> None:
    result = project.runpytest("--run-model-tests", "models/vision/test_vit.py", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_vit.py::test_vit PASSED*"])


def test_flag_with_keyword(project: pytest.Pytester) -> None:
    result = project.runpytest("--run-model-tests", "-k", "bert or gpt", "-v")
    result.assert_outcomes(passed=3, deselected=5)


def test_flag_with_not_slow(project: pytest.Pytester) -> None:
    result = project.runpytest("--run-model-tests", "-m", "not slow")
    result.assert_outcomes(passed=7, deselected=1)


def test_gated_items_carry_the_marker(project: pytest.Pytester) -> None:
    result = project.runpytest("--run-model-tests", "-m", "model_test")
    # 4 items under models/ plus the 3 marked elsewhere; the plain framework test is out
    result.assert_outcomes(passed=7, deselected=1)


def test_cpu_marker_selects(project: pytest.Pytester) -> None:
    result = project.runpytest("--run-model-tests", "-m", "cpu", "-v")
    result.assert_outcomes(passed=1, deselected=7)
    result.stdout.fnmatch_lines(["*test_gpt_cpu PASSED*"])


def test_explicit_gated_file_without_flag_is_skipped(project: pytest.Pytester) -> None:
    result = project.runpytest("models/test_bert.py", "-rs")
    result.assert_outcomes(skipped=3)


def test_gate_under_xdist(project: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    (project.path / "models" / "test_boom.py").write_text("raise RuntimeError('imported')\n")
    result = project.runpytest("-n", "2")
    result.assert_outcomes(passed=1, skipped=3)
    result.stdout.fnmatch_lines(["*model tests gated: 1 dir(s)*(models)*"])


def test_decide_on_items(pytester: pytest.Pytester) -> None:
    marked, plain = pytester.getitems(
        "import pytest\n@pytest.mark.model_test\ndef test_a(): pass\ndef test_b(): pass\n"
    )
    assert gating.decide(marked, run_model_tests=False) == gating.Skip(gating.REASON)
    assert gating.decide(marked, run_model_tests=True) is None
    assert gating.decide(plain, run_model_tests=False) is None


def test_is_under(tmp_path: Path) -> None:
    root = tmp_path / "models"
    assert gating.is_under(root, [root])
    assert gating.is_under(root / "a" / "test_x.py", [root])
    assert not gating.is_under(tmp_path / "models_extra" / "test_x.py", [root])
    assert not gating.is_under(tmp_path, [root])
    assert not gating.is_under(root, [])


def test_summary_line(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    file = tmp_path / "test_gpu.py"
    file.write_text("")
    assert gating.summary_line([], tmp_path) is None
    line = gating.summary_line([folder, file], tmp_path)
    assert line == (
        "model tests gated: 1 dir(s) and 1 file(s) not collected (models, test_gpu.py); "
        "run them with --run-model-tests"
    )


def test_time_limit_is_set_on_model_tests_only(pytester: pytest.Pytester) -> None:
    model, own, plain = pytester.getitems(
        """
        import pytest

        @pytest.mark.model_test
        def test_model(): pass

        @pytest.mark.model_test
        @pytest.mark.timeout(5)
        def test_own_limit(): pass

        def test_plain(): pass
        """
    )
    limit = gating.time_limit(model, 900)
    assert limit is not None and limit.mark.name == "timeout" and limit.mark.args == (900,)
    assert gating.time_limit(own, 900) is None  # a test's own limit is kept
    assert gating.time_limit(plain, 900) is None
    assert gating.time_limit(model, 0) is None  # 0: no limit


@pytest.mark.parametrize("option", ["--baselines-dir", "--baseline-report"])
def test_a_path_option_in_its_space_form_is_refused_before_the_gate_can_open(
    project: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory, option: str
) -> None:
    """pytest would take an existing folder outside the project for a test path, move its
    rootdir away from the ini file and so lose ``model_test_paths``."""
    outside = tmp_path_factory.mktemp("elsewhere")
    result = project.runpytest(option, str(outside))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {option} PATH: write {option}=PATH.*"])
    assert "bert" not in result.stdout.str()  # nothing was collected, nothing gated opened
    project.runpytest(f"{option}={outside / 'x'}").assert_outcomes(passed=1, skipped=3)
