"""The ``modelgate`` command line: one small module per subcommand registers itself here."""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence

from pytest_modelgate import __version__
from pytest_modelgate.ab import cli as ab_cli
from pytest_modelgate.baselines import cli as baselines_cli
from pytest_modelgate.baselines import report_cli
from pytest_modelgate.convert import cli as convert_cli
from pytest_modelgate.models import catalog_cli

# One rule for every command, shown by ``modelgate --help``.
EXIT_STATUS = """\
exit status, the same for every command:
  0  success: the command did what was asked
  1  the command ran and found a problem: a file or folder it was given is missing or
     cannot be read, nothing usable to import, baselines that could not be merged, outputs
     missing or stale with convert --check, files that failed to convert, regressions
     with baselines diff or ab --fail-on-regression, a baseline file that is not valid,
     an A/B side whose pytest run stopped short
  2  usage error: the command line cannot work as given (an unknown or malformed option,
     options that contradict each other, a report path that cannot be written); nothing
     was done"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelgate",
        description="Tools for gated ML model test suites: baselines, catalog, conversion.",
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Subcommands register here: each module's ``register(subparsers)`` sets ``func``.
    ab_cli.register(subparsers)
    baselines_cli.register(subparsers)
    catalog_cli.register(subparsers)
    convert_cli.register(subparsers)
    report_cli.register(subparsers)
    return parser


def tolerate_any_console() -> None:
    """Print what a console's encoding lacks (a cp1252 console, a file name in another
    script) as escapes rather than fail with ``UnicodeEncodeError``."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    tolerate_any_console()
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


if __name__ == "__main__":
    sys.exit(main())
