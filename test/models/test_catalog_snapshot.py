"""The shipped registry snapshot is the installed (pinned) transformers' auto mappings."""

from __future__ import annotations

import json

import pytest

from pytest_modelgate.models import catalog

pytestmark = [pytest.mark.model, pytest.mark.cpu]


def test_snapshot_matches_installed_transformers() -> None:
    shipped = json.loads(catalog.SNAPSHOT.read_text(encoding="utf-8"))
    installed = catalog.snapshot_from_transformers()
    assert installed["transformers_version"] == shipped["transformers_version"], (
        "transformers differs from the snapshot: run `modelgate catalog --write-snapshot`"
    )
    assert installed == shipped
