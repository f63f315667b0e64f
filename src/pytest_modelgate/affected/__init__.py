"""Which tests a change can affect: a map of what each test ran, recorded by a run with
``--record-deps`` (``record``), read back and checked (``depmap``), the files a change touched
(``diff``), the project's static imports for what the map never saw (``graph``), and the
decision (``select``); ``selector`` and ``record`` are the plugins that run them.

A library that reads a data file once and caches it can say which of its entries a test used
(``uses``), so that the map ties the test to those entries and not to the whole file: a change
to one model's entry then selects that model's tests only.
"""

from __future__ import annotations

import os
import sys

#: the audit event ``uses`` raises; a recording run listens for it
DATA_EVENT = "pytest_modelgate.affected.uses"


def uses(path: str | os.PathLike[str], key: str) -> None:
    """Say that the running test depends on the top-level entry ``key`` of the JSON object in
    ``path`` (whether or not the entry is there). Costs nothing outside a recording run."""
    sys.audit(DATA_EVENT, os.fspath(path), key)
