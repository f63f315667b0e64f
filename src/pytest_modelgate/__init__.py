"""pytest-modelgate: gate, parallelise and performance-check ML model tests.

Importing this package must stay cheap: nothing here imports torch or transformers.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
