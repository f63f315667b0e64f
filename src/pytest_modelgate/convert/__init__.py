"""``modelgate convert``: legacy ``test_hf_*.py`` scripts to gated pytest modules.

``scan`` reads the facts of a legacy file without running it, ``extract`` weighs them against
the transformers registry, ``generate`` writes the module text, ``files`` finds inputs and
writes outputs safely; the subcommand is ``pytest_modelgate.cli.convert``. ``configs`` makes the
table of model types that have a config but no auto model class. Nothing here imports torch or
transformers, but ``configs.write_table`` when it is run.
"""

from __future__ import annotations
