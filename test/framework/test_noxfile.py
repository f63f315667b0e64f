"""The nox sessions the docs promise, read from ``noxfile.py`` with ``ast`` (nox is not imported:
the framework venv need not have it)."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
NOXFILE = ROOT / "noxfile.py"
PROMISED = {"framework", "models", "models-cuda", "update-baselines", "coverage", "convert"}
# The sessions that run the model suite: each lists only failures and errors.
MODEL_SESSIONS = ["models", "models-cuda", "update-baselines", "coverage"]
POSARGS = "<session.posargs>"
UNKNOWN = "<unknown>"


def module() -> ast.Module:
    return ast.parse(NOXFILE.read_text(encoding="utf-8"))


def assignments(body: list[ast.stmt]) -> dict[str, ast.expr]:
    """``NAME = value`` of a body (the module's constants, a session's locals)."""
    found: dict[str, ast.expr] = {}
    for node in body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found[target.id] = node.value
    return found


def flatten(node: ast.expr, names: Mapping[str, ast.expr]) -> list[str]:
    """The strings an argument expression stands for: lists and constants resolved, a star
    unpacked, ``session.posargs`` as ``POSARGS``, anything computed as ``UNKNOWN``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Starred):
        return flatten(node.value, names)
    if isinstance(node, ast.List | ast.Tuple):
        return [text for element in node.elts for text in flatten(element, names)]
    if isinstance(node, ast.Name) and node.id in names:
        return flatten(names[node.id], names)
    if isinstance(node, ast.Attribute) and node.attr == "posargs":
        return [POSARGS]
    return [UNKNOWN]


def session_name(function: ast.FunctionDef) -> str | None:
    """The session a function defines (its decorator's ``name=``, else its own name)."""
    for decorator in function.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call is not None else decorator
        if not (isinstance(target, ast.Attribute) and target.attr == "session"):
            continue
        keywords = {k.arg: k.value for k in call.keywords} if call is not None else {}
        name = keywords.get("name")
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            return name.value
        return function.name
    return None


def sessions() -> dict[str, ast.FunctionDef]:
    tree = module()
    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and (name := session_name(node)) is not None:
            found[name] = node
    return found


def calls(function: ast.FunctionDef, method: str) -> list[list[str]]:
    """The flattened arguments of each ``session.<method>(...)`` call of a session."""
    names = {**assignments(module().body), **assignments(function.body)}
    found = []
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == method
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "session"
        ):
            found.append([text for arg in node.args for text in flatten(arg, names)])
    return found


def test_every_promised_session_is_defined() -> None:
    missing = PROMISED - set(sessions())
    assert not missing, f"noxfile.py lacks the sessions {sorted(missing)}"


@pytest.mark.parametrize("doc", ["README.md", "CONTRIBUTING.md"])
def test_every_session_is_in_the_docs_session_table(doc: str) -> None:
    """A row of its own (``| `nox -s NAME`` at the start of a line), not a mention elsewhere."""
    rows = re.findall(r"^\| `nox -s ([\w-]+)", (ROOT / doc).read_text(encoding="utf-8"), re.M)
    assert [name for name in sessions() if name not in rows] == []


def test_every_session_has_a_one_line_docstring() -> None:
    """``nox -l`` shows each session with its docstring."""
    for name, function in sessions().items():
        docstring = ast.get_docstring(function)
        assert docstring and "\n" not in docstring.strip(), name


def test_convert_session_wraps_the_command() -> None:
    function = sessions()["convert"]
    assert calls(function, "install") == [["-e", "."]]
    assert calls(function, "run") == [["modelgate", "convert", POSARGS]]
    (decorator,) = function.decorator_list
    assert isinstance(decorator, ast.Call)
    keywords = {k.arg: k.value for k in decorator.keywords}
    default = keywords["default"]
    assert isinstance(default, ast.Constant) and default.value is False


def test_perf_ab_session_wraps_modelgate_ab() -> None:
    function = sessions()["perf-ab"]
    assert calls(function, "install") == [["-e", ".[models]", "pytest-xdist", "pytest-split"]]
    assert calls(function, "run") == [["modelgate", "ab", UNKNOWN]]  # posargs, or + selection
    selection = flatten(assignments(module().body)["PERF_AB_SELECTION"], {})
    assert selection[:2] == ["-m", "cpu and benchmark"] and selection[-1] == "test/models"


def test_upgrade_session_wraps_modelgate_upgrade() -> None:
    function = sessions()["upgrade"]
    assert calls(function, "install") == [["-e", ".[models]", "pytest-xdist", "pytest-split"]]
    assert calls(function, "run") == [["modelgate", "upgrade", POSARGS]]


@pytest.mark.parametrize("name", MODEL_SESSIONS)
def test_model_sessions_report_only_failures_and_errors(name: str) -> None:
    model_runs = [args for args in calls(sessions()[name], "run") if "--run-model-tests" in args]
    assert model_runs, f"{name} runs no model tests"
    for args in model_runs:
        reports = [arg for arg in args if arg.startswith("-r") and arg != "-rfE"]
        assert "-rfE" in args and not reports, args


def test_a_later_report_option_overrides_addopts(pytester: pytest.Pytester) -> None:
    """Why ``-rfE`` on the command line is enough: it comes after the ini's ``-ra``."""
    pytester.makeini("[pytest]\naddopts = -ra\nxfail_strict = true\n")
    pytester.makepyfile(
        test_known="import pytest\n"
        "@pytest.mark.xfail(reason='known', strict=True)\n"
        "def test_known(): assert False\n"
        "def test_broken(): assert False\n"
    )
    listed = pytester.runpytest().stdout.str()
    assert "XFAIL test_known.py::test_known" in listed
    result = pytester.runpytest("-rfE")
    result.assert_outcomes(failed=1, xfailed=1)
    assert "XFAIL" not in result.stdout.str()
    result.stdout.fnmatch_lines(["FAILED test_known.py::test_broken*"])


def test_runs_keep_the_temporary_folders_of_failed_tests_only(pytester: pytest.Pytester) -> None:
    """The project's pytest settings, applied to tests that write checkpoints as model tests
    do: a passing test's folder is gone at the end, a failing one's is kept to look at."""
    tomllib = pytest.importorskip("tomllib")
    ini = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    pytester.makeini(f"[pytest]\ntmp_path_retention_policy = {ini['tmp_path_retention_policy']}\n")
    pytester.makepyfile(
        """
        def test_passes(tmp_path):
            (tmp_path / "checkpoint.bin").write_bytes(bytes(2**20))

        def test_fails(tmp_path):
            (tmp_path / "checkpoint.bin").write_bytes(bytes(2**20))
            assert False
        """
    )
    base = pytester.path / "temp"
    pytester.runpytest(f"--basetemp={base}").assert_outcomes(passed=1, failed=1)
    left = sorted(p.parent.name for p in base.rglob("checkpoint.bin"))
    assert left == ["test_fails0"]


def test_the_models_tag_runs_only_sessions_that_need_no_arguments() -> None:
    """``nox -t models`` must not pick ``perf-ab``, which exits 2 without ``--base``."""
    tagged = []
    for name, function in sessions().items():
        for decorator in function.decorator_list:
            if not isinstance(decorator, ast.Call):
                continue
            for keyword in decorator.keywords:
                if keyword.arg == "tags" and isinstance(keyword.value, ast.List):
                    values = [e.value for e in keyword.value.elts if isinstance(e, ast.Constant)]
                    if "models" in values:
                        tagged.append(name)
    assert "perf-ab" not in tagged
    assert {"models", "models-cuda"} <= set(tagged)


def test_the_build_session_checks_the_wheel_and_ci_runs_it() -> None:
    function = sessions()["build"]
    runs = calls(function, "run")
    assert ["python", "-m", "build", "--wheel", "--outdir", "dist"] in runs
    assert any(UNKNOWN in run and "-c" in run for run in runs)  # the check in a clean venv
    source = NOXFILE.read_text(encoding="utf-8")
    assert '"build"' in source.split("nox.options.sessions = ", 1)[1].splitlines()[0]
    workflow = (ROOT / ".github" / "workflows" / "tests.yml").read_text(encoding="utf-8")
    assert "nox -s build" in workflow


def test_cpu_jobs_take_torch_from_the_cpu_index_and_cache_downloads() -> None:
    """Read as a user of the workflow would: no CPU job pulls the CUDA build of torch."""
    text = (ROOT / ".github" / "workflows" / "tests.yml").read_text(encoding="utf-8")
    jobs = re.split(r"\n  (?=[a-z-]+:\n)", text.split("\njobs:\n", 1)[1])
    cpu = r"nox -s (models(?!-cuda)|coverage|perf-ab|update-baselines)"
    installs_torch = [j for j in jobs if re.search(cpu, j)]
    assert len(installs_torch) == 4, [j.splitlines()[0] for j in jobs]
    for job in installs_torch:
        assert "PIP_EXTRA_INDEX_URL: https://download.pytorch.org/whl/cpu" in job, job[:40]
        assert "cache: pip" in job and "cache-dependency-path: pyproject.toml" in job, job[:40]
