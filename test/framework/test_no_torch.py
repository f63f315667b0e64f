"""A framework run never imports torch or transformers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TRIPWIRE = "from pathlib import Path\nPath({path!r}).write_text(__name__)\n"

CHECK = """
import sys, pytest
code = pytest.main(sys.argv[1:])
print("heavy:", sorted(m for m in ("torch", "transformers") if m in sys.modules))
raise SystemExit(code)
"""


def test_plain_run_imports_no_torch(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """A tripwire ``torch`` and ``transformers`` on the path record any import of them."""
    tripwires = tmp_path / "tripwires"
    for name in ("torch", "transformers"):
        package = tripwires / name
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(TRIPWIRE.format(path=str(tmp_path / f"{name}.hit")))
    pytester.makeini("[pytest]\nmodel_test_paths = models\n")
    pytester.makepyfile(
        test_core="import pytest\n@pytest.mark.cpu\ndef test_core(): pass\n",
        test_marked="import pytest\n@pytest.mark.model_test\ndef test_m(): pass\n",
    )
    models = pytester.mkdir("models")
    (models / "test_model.py").write_text("import torch, transformers\ndef test_x(): pass\n")

    result = subprocess.run(
        [sys.executable, "-c", CHECK, "-p", "no:cacheprovider", str(pytester.path)],
        cwd=pytester.path,
        env={**os.environ, "PYTHONPATH": str(tripwires)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "heavy: []" in result.stdout
    assert not (tmp_path / "torch.hit").exists()
    assert not (tmp_path / "transformers.hit").exists()
    assert "1 passed, 1 skipped" in result.stdout
