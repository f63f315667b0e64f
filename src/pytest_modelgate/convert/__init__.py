"""``modelgate convert``: legacy ``test_hf_*.py`` scripts to gated pytest modules.

``scan`` reads the facts of a legacy file without running it, ``extract`` weighs them against
the transformers registry, ``generate`` writes the module text, ``files`` finds inputs and
writes outputs safely; the subcommand is ``pytest_modelgate.cli.convert``. Nothing here imports
torch or transformers.
"""

from __future__ import annotations
