"""The code and its docs stand alone: no pointer to files the repository does not hold."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"DESIGN\.md|\.\./shared|\bthe seed\b|\bseed's\b|seed-compatible")


def test_sources_and_docs_cite_nothing_outside_the_repository() -> None:
    files = [*ROOT.joinpath("src").rglob("*.py"), ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert found == []
