"""The options several ``modelgate`` commands share, written once.

Their defaults come from ``pytest_modelgate.settings``, as the plugin's own options do, so that
``modelgate baselines show`` and ``pytest --baselines-dir`` look in the same place unless told
otherwise. A bad value is a usage error (exit 2) raised while the command line is parsed, before
the command has done anything.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from pytest_modelgate import keywords
from pytest_modelgate.settings import (
    DEFAULT_BASELINES_DIR,
    DEFAULT_TOLERANCE,
    SettingError,
    parse_tolerance,
)


def add_baselines_dir(parser: argparse.ArgumentParser, what: str = "the store") -> None:
    """``--baselines-dir PATH``: the baseline store a command reads or writes (``what`` says
    which role it plays for this command)."""
    parser.add_argument(
        "--baselines-dir",
        default=DEFAULT_BASELINES_DIR,
        metavar="PATH",
        help=f"{what} (default: {DEFAULT_BASELINES_DIR})",
    )


class Checked(argparse.Action):
    """An option parsed by one of the plugin's own rules (``parse(text, option)``, e.g.
    ``settings.parse_tolerance``); a bad value stops the command as ``modelgate COMMAND:
    --option: ...`` with status 2."""

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str,
        parse: Callable[[str, str], float],
        **kwargs: Any,
    ) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.parse = parse

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        try:
            value = self.parse(str(values), option_string or self.dest)
        except SettingError as error:
            parser.exit(2, f"{parser.prog}: {error}\n")
        setattr(namespace, self.dest, value)


def add_tolerance(parser: argparse.ArgumentParser) -> None:
    """``--tolerance FLOAT``: the relative slowdown a comparison tolerates, in (0, 10]."""
    parser.add_argument(
        "--tolerance",
        action=Checked,
        parse=parse_tolerance,
        default=DEFAULT_TOLERANCE,
        metavar="FLOAT",
        help=f"relative slowdown tolerated, in (0, 10] (default: {DEFAULT_TOLERANCE:g})",
    )


class WholeNumber(argparse.Action):
    """A count option (``--jobs N``, ``--limit N``): a whole number, at least ``minimum``
    (1 unless the option says otherwise, e.g. ``minimum=0`` where none is meaningful).

    An action rather than a ``type`` so that the message can name the option the way the
    commands always have: ``modelgate ab: error: --jobs must be at least 1, got '0'``.
    """

    def __init__(
        self, option_strings: Sequence[str], dest: str, minimum: int = 1, **kwargs: Any
    ) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.minimum = minimum

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        text = str(values)
        name = option_string or self.dest
        try:
            number = int(text)
        except ValueError:
            parser.error(f"{name} must be a whole number, got {text!r}")
        if number < self.minimum:
            parser.error(f"{name} must be at least {self.minimum}, got {text!r}")
        setattr(namespace, self.dest, number)


def _expression(text: str) -> str:
    try:
        keywords.matcher(text)
    except keywords.KeywordError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def add_keyword(parser: argparse.ArgumentParser, what: str, *flags: str) -> None:
    """``-k EXPRESSION``: only the ``what`` a pytest-style keyword expression keeps (``bert``,
    ``bert or gpt``, ``not slow``; a word with ``*?[`` is a glob); checked as it is parsed."""
    parser.add_argument(
        "-k",
        *flags,
        metavar="EXPRESSION",
        type=_expression,
        help=f"only the {what} this keyword expression keeps, as pytest -k does (bert or gpt, "
        "not slow; a word with *?[ is a glob)",
    )
