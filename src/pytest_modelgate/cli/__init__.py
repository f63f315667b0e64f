"""The ``modelgate`` command line: one small module per subcommand registers itself here.

Each subcommand module (``ab``, ``baselines``, ``catalog``, ``convert``, ``report``,
``upgrade``) parses its own arguments and calls the library; ``options`` holds the options they
share. Nothing in the library imports this package. Building the parser imports no pytest
(``modelgate --help`` stays quick): what needs pytest is imported by the command that runs it.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence

from pytest_modelgate import __version__
from pytest_modelgate.cli import ab, baselines, catalog, convert, report, upgrade

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
    ab.register(subparsers)
    baselines.register(subparsers)
    catalog.register(subparsers)
    convert.register(subparsers)
    report.register(subparsers)
    upgrade.register(subparsers)
    return parser


def tolerate_any_console() -> None:
    """Print what a console's encoding lacks (a cp1252 console, a file name in another
    script) as escapes rather than fail with ``UnicodeEncodeError``."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def chosen(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser of the (sub)command the words of ``argv`` name: whose usage an error shows."""
    current = parser
    for word in argv:
        if word == "--":
            break
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction) and word in action.choices:
                current = action.choices[word]
                break
    return current


def main(argv: Sequence[str] | None = None) -> int:
    tolerate_any_console()
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    args, unknown = parser.parse_known_args(words)
    if unknown:  # said by the subcommand's parser, with its usage, not the top level's
        chosen(parser, words).error(f"unrecognized arguments: {' '.join(unknown)}")
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
