"""``python -m pytest_modelgate.cli ARGS``: ``modelgate ARGS`` without the console script."""

from __future__ import annotations

import sys

from pytest_modelgate.cli import main

sys.exit(main())
