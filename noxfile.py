"""Sessions for pytest-modelgate: `nox -l` lists them, plain `nox` runs what CI checks."""

from __future__ import annotations

import pathlib
import subprocess
import time

import nox

nox.options.reuse_venv = "yes"
nox.options.sessions = ["framework", "lint", "build", "models", "coverage"]

# torch is pinned wherever it is installed: the `models` extra pins both torch and transformers
# (pyproject.toml is the one place). On Linux, PyPI's torch is the CUDA build, pinned or not;
# PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu gives these venvs the CPU build.
MODEL_DEPS = ["-e", ".[models]", "pytest-xdist", "pytest-split"]
# -rfE comes after pyproject's addopts (-ra), so it wins: a model run lists its failures and
# errors only, not the suite's two hundred expected failures (`modelgate catalog --status
# expected-failure` says why each fails).
MODEL_RUN = ["python", "-m", "pytest", "--run-model-tests", "-rfE"]
PARALLEL = ["--dist", "loadgroup"]  # a pair's tests share one worker: built once
# One pair of each category and kind of head, then pairs whose inputs take the suite's special
# paths (layout boxes, decision questions, tiled or patched images, codec streams, ...): the
# library's code paths, not the whole suite.
COVERAGE_SAMPLE = (
    "bert-fill-mask or gpt2-causal-lm or t5-seq2seq-lm or vit-image-classification"
    " or whisper-speech-seq2seq or wav2vec2-ctc or clip-base or llava-image-text-to-text"
    " or bert-multiple-choice or bert-sequence-classification or longformer-question-answering"
    " or kosmos-2-base or jev-decision or udop-base or idefics-base or pix2struct-base"
    " or siglip2-base or mllama-base or informer-base or layoutlm-base or qwen2_vl-base"
    " or mimi-base or dia-base or blip-2-base or pi0-base or omdet-turbo-base"
    " or oneformer-base or videomae-pretraining or univnet-base or clap-base or xcodec2-base"
    " or gemma3n_audio-base or decision_transformer-base or seggpt-base or gemma4_vision-base"
    " or minicpm_ocr_vision-base or kimi_k25_vision-base or inkling2_vision-base"
    " or kyutai_speech_to_text-base or vibevoice_acoustic_tokenizer_decoder-base"
    " or perceiver-base or efficientloftr-base or blip-visual-question-answering"
    " or blip_2_qformer-base or speecht5-base or audio-spectrogram-transformer-base"
    " or splinter-pretraining or musicgen-text-to-waveform or qwen3_asr_encoder-base"
    " or fun_asr_nano-base or muse_glimmer_assistant-base or fastspeech2_conformer-base"
)
COVERAGE_FAIL_UNDER = "90"
# What perf-ab measures unless given pytest arguments: the benchmarks of eight families, 466
# pairs on transformers 5.25 (459 on 5.24), about two minutes a side on two CPUs.
PERF_AB_SELECTION = [
    "-m",
    "cpu and benchmark",
    "-k",
    "bert or gpt or vit or t5 or whisper or clip or llama or qwen",
    "test/models",
]


def baseline_report(session: nox.Session) -> str:
    """Every verdict as JSON in the session's folder, and beside it the HTML page of the run
    (written by the run itself, so it is there when the run fails too); the terminal shows the
    verdicts that are not ok."""
    return f"--baseline-report={session.create_tmp()}/baseline-report.json"


@nox.session(tags=["fast"])
def framework(session: nox.Session) -> None:
    """Run the plugin's own tests (no torch in this venv)."""
    # pytest-split: the A/B tests split a run in two as `modelgate ab --jobs 2` does
    session.install("-e", ".", "pytest-xdist", "pytest-split")
    session.run("python", "-m", "pytest", *session.posargs)


LINTERS = ["ruff", "mypy", "import-linter"]


def run_linters(session: nox.Session, *mypy_args: str) -> None:
    """ruff check, ruff format --check, mypy, lint-imports (lint's checks, and pre-pr's)."""
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", *mypy_args)
    session.run("lint-imports")


@nox.session(tags=["fast"])
def lint(session: nox.Session) -> None:
    """Check style, types and layout: ruff check, ruff format --check, mypy, lint-imports."""
    session.install("-e", ".", *LINTERS)
    run_linters(session, *session.posargs)


# What `nox -s build` checks in the wheel it built, installed in a venv of its own.
WHEEL_CHECK = """
import subprocess, sys
import pytest_modelgate
help = subprocess.run([sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True)
assert "modelgate: model test gating" in help.stdout, "the pytest11 entry point is not loaded"
version = subprocess.run(["modelgate", "--version"], capture_output=True, text=True, check=True)
assert version.stdout.split() == ["modelgate", pytest_modelgate.__version__], version.stdout
print("wheel ok:", pytest_modelgate.__file__)
"""


@nox.session(tags=["fast"])
def build(session: nox.Session) -> None:
    """Build the wheel into dist/ and check it installed in a clean venv (plugin, command)."""
    session.install("build")
    session.run("python", "-m", "build", "--wheel", "--outdir", "dist")
    wheels = sorted(pathlib.Path("dist").glob("pytest_modelgate-*.whl"))
    check = session.create_tmp()
    venv = pathlib.Path(check, "wheel-venv")
    session.run("python", "-m", "venv", "--clear", str(venv))
    python = str(venv / "bin" / "python")
    session.run(python, "-m", "pip", "install", "--quiet", str(wheels[-1]), external=True)
    session.run(python, "-c", WHEEL_CHECK, external=True, env={"PATH": f"{venv}/bin"})


@nox.session(tags=["models"])
def models(session: nox.Session) -> None:
    """Run the CPU model suite in parallel (--run-model-tests -m cpu -n auto)."""
    session.install(*MODEL_DEPS)
    run = [*MODEL_RUN, *PARALLEL, "-m", "cpu", "-n", "auto", baseline_report(session)]
    session.run(*run, *session.posargs)


@nox.session(name="models-cuda", tags=["models"], default=False)
def models_cuda(session: nox.Session) -> None:
    """Run the CUDA model suite, one xdist worker per visible GPU (-m cuda)."""
    session.install(*MODEL_DEPS)
    probe = "import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)"
    output = session.run("python", "-c", probe, silent=True)
    gpus = int(str(output).strip().splitlines()[-1])
    if gpus == 0:
        session.log("models-cuda: no CUDA device is usable here (torch sees none): nothing to run")
        return
    run = [*MODEL_RUN, *PARALLEL, "-m", "cuda", "-n", str(gpus), "--gpu-per-worker"]
    session.run(*run, *session.posargs)


@nox.session(name="update-baselines", default=False)
def update_baselines(session: nox.Session) -> None:
    """Re-measure the CPU suite as `models` runs it; write baselines/ (and the test map)."""
    # baselines/ gets the measurements and test-deps.json, the map of what each test ran
    # (framework and model tests) that --affected-since reads; .test_durations for pytest-split
    session.install(*MODEL_DEPS)
    # The map covers the framework tests too: recorded first, the model run adds to it.
    session.run("python", "-m", "pytest", "-n", "auto", "--record-deps", "test/framework")
    # Same workers and per-worker thread cap as `models`: both are in the fingerprint, so a
    # baseline taken serially would make every parallel comparison inconclusive.
    session.run(
        *MODEL_RUN,
        *PARALLEL,
        "-m",
        "cpu",
        "-n",
        "auto",
        "--update-baselines",
        "--record-deps",
        "--store-durations",
        "--durations-path",
        ".test_durations",
        *session.posargs,
    )


def merge_base() -> str:
    """Where this branch left main: the merge base with origin/main, else with main."""
    for upstream in ("origin/main", "main"):
        found = subprocess.run(
            ["git", "merge-base", "HEAD", upstream], capture_output=True, text=True, check=False
        )
        if found.returncode == 0:
            return found.stdout.strip()
    raise SystemExit(
        "pre-pr: no main branch to compare with; give one: nox -s pre-pr -- --base REV"
    )


def files_at(rev: str) -> set[str]:
    """The files of the repository at ``rev``."""
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", rev], capture_output=True, text=True, check=True
    )
    return set(listed.stdout.splitlines())


@nox.session(name="pre-pr", default=False)
def pre_pr(session: nox.Session) -> None:
    """Before a pull request: lint, the tests the change can affect, an A/B of their benchmarks."""
    # `nox -s pre-pr` compares with the merge base of main; `-- --base REV` with REV.
    started = time.perf_counter()
    args = list(session.posargs)
    base = args[args.index("--base") + 1] if "--base" in args else merge_base()
    session.install(*MODEL_DEPS, *LINTERS)
    run_linters(session)
    since = f"--affected-since={base}"
    # framework and CPU model tests alike; the benchmarks are the A/B's
    marks = "not benchmark and not cuda and not mps"
    session.run(*MODEL_RUN, *PARALLEL, since, "-m", marks, "-n", "auto", success_codes=[0, 5])
    listed = session.run(
        *MODEL_RUN,
        "--collect-only",
        "-q",
        since,
        "-m",
        "cpu and benchmark",
        "test/models",
        silent=True,
        success_codes=[0, 5],
    )
    lines = str(listed).splitlines()
    ids = [line for line in lines if "::" in line and " " not in line]
    session.log(next((line for line in lines if line.startswith("modelgate: --affected")), ""))
    if ids:
        # only the files of those tests that the base has: a side collects only them
        files = sorted({test.split("::")[0] for test in ids} & files_at(base))
        listed_ids = pathlib.Path(session.create_tmp(), "affected-benchmarks.txt")
        listed_ids.write_text("\n".join(ids) + "\n")
        select = ["--select", str(listed_ids), "--", "-m", "cpu and benchmark", *files]
        session.run("modelgate", "ab", "--base", base, *select)
    else:
        session.log("pre-pr: no benchmark is affected: no A/B")
    session.log(f"pre-pr: done in {time.perf_counter() - started:.0f} s")


@nox.session
def coverage(session: nox.Session) -> None:
    """Measure coverage of src/: framework suite plus a model-suite sample (term and html)."""
    session.install(*MODEL_DEPS, "pytest-cov")
    # `coverage run` rather than --cov here: the plugin is imported through its entry point
    # before pytest-cov starts, so --cov alone would miss every module-level line of it.
    session.run("coverage", "erase")
    session.run("coverage", "run", "--source=pytest_modelgate", "-m", "pytest", "-q")
    # Instrumented timings mean nothing: compare against an empty store, not baselines/.
    scratch = f"{session.create_tmp()}/baselines"
    session.run(
        *MODEL_RUN,
        *PARALLEL,
        "-m",
        "cpu",
        "-k",
        COVERAGE_SAMPLE,
        "-n",
        "auto",
        "test/models",
        f"--baselines-dir={scratch}",
        "--cov=pytest_modelgate",
        "--cov-append",
        "--cov-report=term-missing:skip-covered",
        "--cov-report=html",
        f"--cov-fail-under={COVERAGE_FAIL_UNDER}",
        *session.posargs,
    )


# Not tagged "models": it needs a base to compare with (--base REV), which a tag run cannot give.
@nox.session(name="perf-ab", default=False)
def perf_ab(session: nox.Session) -> None:
    """A/B the benchmarks of two revisions or dependency sets here (modelgate ab ARGS)."""
    # `nox -s perf-ab -- --base main`, or `-- --base-deps "transformers==5.23.0"`; pytest
    # arguments after a second `--` replace the default selection.
    session.install(*MODEL_DEPS)
    args = list(session.posargs)
    if "--" not in args:
        args += ["--", *PERF_AB_SELECTION]
    session.run("modelgate", "ab", *args)


@nox.session(default=False)
def upgrade(session: nox.Session) -> None:
    """Try a transformers version: new pairs, fixed and new failures, speed (modelgate upgrade)."""
    # `nox -s upgrade -- "transformers==X"`, `--apply` to move the pin; see CONTRIBUTING.md
    session.install(*MODEL_DEPS)
    session.run("modelgate", "upgrade", *session.posargs)


@nox.session(default=False)
def convert(session: nox.Session) -> None:
    """Convert legacy test_hf_*.py scripts into gated tests (modelgate convert ARGS)."""
    session.install("-e", ".")
    session.run("modelgate", "convert", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Measure the plugin's overhead, its verdicts' sensitivity and the engine: figures."""
    # the sensitivity bench measures real models: the model suite's dependencies; it A/Bs HEAD,
    # so run this session on a committed tree
    session.install(*MODEL_DEPS)
    session.run("python", "bench/convert.py")
    session.run("python", "bench/overhead.py", *session.posargs)
    session.run("python", "bench/baselines.py")
    session.run("python", "bench/ab_scenario.py")
    session.run("python", "bench/hang_scenario.py")
    # catches and false alarms of 20 real models made 1.2x and 1.3x slower, drawn afresh
    session.run("python", "bench/sensitivity.py")
