"""Sessions for pytest-modelgate: `nox -l` lists them, plain `nox` runs what CI checks."""

from __future__ import annotations

import nox

nox.options.reuse_venv = "yes"
nox.options.sessions = ["framework", "lint"]

# torch is pinned wherever it is installed: an unpinned torch pulls a multi-gigabyte CUDA build.
TORCH = "torch==2.13.0"
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


@nox.session(tags=["fast"])
def framework(session: nox.Session) -> None:
    """Run the plugin's own tests (no torch in this venv)."""
    session.install("-e", ".", "pytest-xdist")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(tags=["fast"])
def lint(session: nox.Session) -> None:
    """Check style and types: ruff check, ruff format --check, mypy strict on src."""
    session.install("-e", ".", "ruff", "mypy")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Measure the plugin's overhead and the baseline engine, printing figures and ratios."""
    session.install("-e", ".", "pytest-xdist")
    session.run("python", "bench/overhead.py", *session.posargs)
    session.run("python", "bench/convert.py")


@nox.session(default=False)
def convert(session: nox.Session) -> None:
    """Convert legacy test_hf_*.py scripts to gated tests: nox -s convert -- ARGS."""
    session.install("-e", ".")
    session.run("modelgate", "convert", *session.posargs)
