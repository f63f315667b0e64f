"""The config table: model types transformers has without an auto model class, and their holders."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from pytest_modelgate.convert import configs
from pytest_modelgate.convert import extract as ex
from pytest_modelgate.models.catalog import load_registry

MODULES = {
    "sam": "sam",
    "sam_vision_model": "sam",
    "sam_mask_decoder": "sam",
    "inkling_text": "inkling",
    "inkling_mm_model": "inkling",
    "inkling_audio": "inkling",
    "x-clip": "x_clip",
    "xclip_text_model": "x_clip",
    "rag": "rag",
}
CATALOG = {"sam", "sam_vision_model", "inkling_text", "inkling_mm_model", "x-clip"}


def test_the_type_named_like_the_module_holds_its_parts() -> None:
    assert configs.config_table(MODULES, CATALOG) == {
        "inkling_audio": ("inkling_mm_model", "inkling_text"),  # no type named like the module
        "rag": (),  # a model no auto class serves
        "sam_mask_decoder": ("sam",),
        "xclip_text_model": ("x-clip",),  # named like the module once '-' is '_'
    }


def raw_table() -> dict[str, object]:
    data: dict[str, object] = json.loads(ex.ALIASES.read_text(encoding="utf-8"))["configs"]
    return data


def test_the_table_is_of_the_snapshots_transformers_and_apart_from_the_catalog() -> None:
    registry = load_registry()
    table = raw_table()
    assert table["transformers_version"] == registry.transformers_version, (
        "the config table is of another transformers than the registry snapshot: make it anew "
        "with pytest_modelgate.convert.configs.write_table()"
    )
    types = table["types"]
    assert isinstance(types, dict)
    assert not set(types) & set(registry.model_types())
    index = ex.registry_index()
    assert index.configs_version == registry.transformers_version
    assert set(index.configs) == set(types)
    assert all(t in index.heads for held in index.configs.values() for t in held)


@pytest.mark.skipif(find_spec("transformers") is None, reason="needs transformers installed")
def test_the_table_is_the_installed_transformers_one() -> None:
    """In a subprocess: a framework run never imports transformers (or torch) itself."""
    code = (
        "import json; from pytest_modelgate.convert import configs; "
        "print(json.dumps(configs.table_from_transformers()))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    installed = json.loads(done.stdout.strip().splitlines()[-1])
    if installed["transformers_version"] != load_registry().transformers_version:
        pytest.skip("the installed transformers is not the snapshot's version")
    assert installed == raw_table()


def test_a_holder_the_registry_lacks_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "aliases.json"
    table = {"transformers_version": "0", "types": {"sam_mask_decoder": "samm"}}
    bad.write_text(json.dumps({"configs": table}), encoding="utf-8")
    with pytest.raises(ValueError, match="config 'sam_mask_decoder': no model type 'samm'"):
        ex.load_configs(bad, ex.registry_index().by_norm)


def test_a_type_the_catalog_has_is_left_to_the_catalog(tmp_path: Path) -> None:
    path = tmp_path / "aliases.json"
    table = {"transformers_version": "0", "types": {"bert": [], "nougat": []}}
    path.write_text(json.dumps({"configs": table}), encoding="utf-8")
    assert ex.load_configs(path, ex.registry_index().by_norm) == ({"nougat": ()}, "0")


def test_write_table_replaces_only_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "aliases.json"
    path.write_text('{"about": "x", "aliases": {"cpm": "gpt2"}, "configs": {}}', encoding="utf-8")
    table = {"transformers_version": "9", "types": {"rag": [], "clvp_decoder": "clvp"}}
    monkeypatch.setattr(configs, "table_from_transformers", lambda: table)
    configs.write_table(path)
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "about": "x",
        "aliases": {"cpm": "gpt2"},
        "configs": table,
    }
