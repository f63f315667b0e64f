"""The ``modelgate`` command line: one small module per subcommand registers itself here."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from pytest_modelgate import __version__
from pytest_modelgate.baselines import cli as baselines_cli
from pytest_modelgate.convert import cli as convert_cli
from pytest_modelgate.models import catalog_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelgate",
        description="Tools for gated ML model test suites: baselines, catalog, conversion.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Subcommands register here: each module's ``register(subparsers)`` sets ``func``.
    baselines_cli.register(subparsers)
    catalog_cli.register(subparsers)
    convert_cli.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    try:
        result: int = func(args)
    except BrokenPipeError:
        # the reader went away (``modelgate catalog | head``): stop quietly, as cat would
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return result
