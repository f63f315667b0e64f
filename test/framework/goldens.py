"""The converter's golden outputs, read for the registry the package ships.

A converted test names the transformers version of the registry it was converted against (in
the reasons of its expected failures); a golden keeps the version it was written with, and is
compared with that version read as the shipped registry's, so an upgrade moves no golden.
"""

from __future__ import annotations

import re
from pathlib import Path

from pytest_modelgate.models import catalog

FIXTURES = Path(__file__).parent / "convert_fixtures"
GOLDEN = FIXTURES / "golden"
_VERSION = re.compile(r"transformers \d+\.\d+\.\d+")


def for_registry(text: str) -> str:
    """``text`` with the transformers version it names set to the shipped registry's."""
    version = catalog.load_registry().transformers_version
    return _VERSION.sub(f"transformers {version}", text)
